/* test_fuzz_corpus.c — replays every committed seed of the registry fuzz target
 * (fuzz/corpus/registry) through LLVMFuzzerTestOneInput, so that the gcc sanitizer builds
 * check the same programs the clang fuzzer starts from. A violation aborts the test. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "../../fuzz/fuzz_registry.c"

static void test_every_registry_corpus_input_runs_clean(void **state)
{
    (void)state;
    const char *dir = DP_SOURCE_DIR "/fuzz/corpus/registry";
    DIR *d = opendir(dir);
    assert_non_null(d);
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        uint8_t buf[4096];
        size_t n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        LLVMFuzzerTestOneInput(buf, n);
        files++;
    }
    closedir(d);
    assert_true(files >= 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_registry_corpus_input_runs_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
