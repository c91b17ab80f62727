/* test_path.c — resolving keys inside a source root, and refusing every escape; the
 * remembered folders of dp__path_inside give dp__path_resolve's answers. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/path.h"
#include "os/path_dirs.h"

/* ---- helpers ------------------------------------------------------------------------------- */

typedef struct fixture {
    dp_test_alloc ta;
    char tmp[256];      /* the temp dir; the root is tmp/root, "outside" is tmp/out */
    char *root;         /* canonical root, from dp__path_root */
} fixture;

static void put(const fixture *f, const char *rel_to_tmp, const char *text)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", f->tmp, rel_to_tmp);
    assert_int_equal(dp_test_write_file(p, text, strlen(text)), 0);
}

static void link_in_tmp(const fixture *f, const char *target, const char *rel_to_tmp)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", f->tmp, rel_to_tmp);
    assert_int_equal(symlink(target, p), 0);
}

/* A symlink at rel_to_tmp to the absolute path of tmp/target_in_tmp. */
static void link_to_tmp(const fixture *f, const char *target_in_tmp, const char *rel_to_tmp)
{
    char target[512];
    snprintf(target, sizeof target, "%s/%s", f->tmp, target_in_tmp);
    link_in_tmp(f, target, rel_to_tmp);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    dp_test_alloc_init(&f->ta);
    dp_test_mkdtemp(f->tmp, sizeof f->tmp);
    put(f, "root/a.txt", "a");
    put(f, "root/sub/b.txt", "b");
    put(f, "out/secret.txt", "secret");
    char rootp[512];
    snprintf(rootp, sizeof rootp, "%s/root", f->tmp);
    assert_int_equal(dp__path_root(&f->ta.iface, rootp, &f->root), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    f->ta.iface.free(f->root, f->ta.iface.user);
    assert_int_equal(atomic_load(&f->ta.live), 0);
    dp_test_rmrf(f->tmp);
    free(f);
    return 0;
}

/* Resolves `rel`, copies the result into `copy` (if given) and frees it. */
static dp_status resolve(fixture *f, const char *rel, char *copy, size_t cap)
{
    char *out = (char *)0x1;
    dp_status s = dp__path_resolve(&f->ta.iface, f->root, rel, &out);
    if (s != DP_OK) {
        assert_null(out);
        return s;
    }
    assert_non_null(out);
    if (copy)
        snprintf(copy, cap, "%s", out);
    f->ta.iface.free(out, f->ta.iface.user);
    return s;
}

/* ---- dp__path_root --------------------------------------------------------------------------- */

static void test_root_is_canonical(void **state)
{
    fixture *f = *state;
    char real[PATH_MAX];
    char rootp[512];
    snprintf(rootp, sizeof rootp, "%s/root", f->tmp);
    assert_non_null(realpath(rootp, real));
    assert_string_equal(f->root, real);
}

static void test_root_null_or_empty_is_cwd(void **state)
{
    fixture *f = *state;
    char cwd[PATH_MAX], real[PATH_MAX];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_non_null(realpath(cwd, real));
    char *out = NULL;
    assert_int_equal(dp__path_root(&f->ta.iface, NULL, &out), DP_OK);
    assert_string_equal(out, real);
    f->ta.iface.free(out, f->ta.iface.user);
    assert_int_equal(dp__path_root(&f->ta.iface, "", &out), DP_OK);
    assert_string_equal(out, real);
    f->ta.iface.free(out, f->ta.iface.user);
}

static void test_root_missing_is_not_found(void **state)
{
    fixture *f = *state;
    char p[512];
    snprintf(p, sizeof p, "%s/nope", f->tmp);
    char *out = (char *)0x1;
    assert_int_equal(dp__path_root(&f->ta.iface, p, &out), DP_ERR_NOT_FOUND);
    assert_null(out);
}

static void test_root_that_is_a_file_is_invalid(void **state)
{
    fixture *f = *state;
    char p[512];
    snprintf(p, sizeof p, "%s/root/a.txt", f->tmp);
    char *out = (char *)0x1;
    assert_int_equal(dp__path_root(&f->ta.iface, p, &out), DP_ERR_INVALID);
    assert_null(out);
}

static void test_root_out_of_memory(void **state)
{
    fixture *f = *state;
    char *out = (char *)0x1;
    dp_test_alloc_fail_at(&f->ta, 1);
    assert_int_equal(dp__path_root(&f->ta.iface, f->tmp, &out), DP_ERR_NOMEM);
    dp_test_alloc_fail_at(&f->ta, 0);
    assert_null(out);
}

static void test_root_null_args_are_invalid(void **state)
{
    fixture *f = *state;
    char *out = NULL;
    assert_int_equal(dp__path_root(NULL, f->tmp, &out), DP_ERR_INVALID);
    assert_int_equal(dp__path_root(&f->ta.iface, f->tmp, NULL), DP_ERR_INVALID);
}

/* ---- dp__path_check ---------------------------------------------------------------------------- */

static void test_check_accepts_plain_paths(void **state)
{
    (void)state;
    assert_int_equal(dp__path_check("a.png"), DP_OK);
    assert_int_equal(dp__path_check("dir/sub/a.png"), DP_OK);
    assert_int_equal(dp__path_check(".hidden"), DP_OK);
    assert_int_equal(dp__path_check("a..b"), DP_OK);
    assert_int_equal(dp__path_check("..."), DP_OK);
    assert_int_equal(dp__path_check("d/..x/y"), DP_OK);
    assert_int_equal(dp__path_check("caf\xc3\xa9.png"), DP_OK);
}

static void test_check_refuses_empty_and_null(void **state)
{
    (void)state;
    assert_int_equal(dp__path_check(NULL), DP_ERR_INVALID);
    assert_int_equal(dp__path_check(""), DP_ERR_INVALID);
}

static void test_check_refuses_absolute(void **state)
{
    (void)state;
    assert_int_equal(dp__path_check("/etc/passwd"), DP_ERR_INVALID);
    assert_int_equal(dp__path_check("/"), DP_ERR_INVALID);
}

static void test_check_refuses_dot_components(void **state)
{
    (void)state;
    assert_int_equal(dp__path_check(".."), DP_ERR_INVALID);
    assert_int_equal(dp__path_check("."), DP_ERR_INVALID);
    assert_int_equal(dp__path_check("../x"), DP_ERR_INVALID);
    assert_int_equal(dp__path_check("a/../../x"), DP_ERR_INVALID);
    assert_int_equal(dp__path_check("a/.."), DP_ERR_INVALID);
    assert_int_equal(dp__path_check("a/./b"), DP_ERR_INVALID);
    assert_int_equal(dp__path_check("./a"), DP_ERR_INVALID);
    assert_int_equal(dp__path_check("a/."), DP_ERR_INVALID);
}

static void test_check_refuses_empty_components(void **state)
{
    (void)state;
    assert_int_equal(dp__path_check("a//b"), DP_ERR_INVALID);
    assert_int_equal(dp__path_check("a/"), DP_ERR_INVALID);
}

static void test_check_refuses_backslash_and_control_chars(void **state)
{
    (void)state;
    assert_int_equal(dp__path_check("a\\b"), DP_ERR_INVALID);
    assert_int_equal(dp__path_check("..\\x"), DP_ERR_INVALID);
    assert_int_equal(dp__path_check("a\nb"), DP_ERR_INVALID);
    assert_int_equal(dp__path_check("a\tb"), DP_ERR_INVALID);
    assert_int_equal(dp__path_check("a\x7f"), DP_ERR_INVALID);
    assert_int_equal(dp__path_check("\x01"), DP_ERR_INVALID);
}

static void test_check_refuses_over_4096_bytes(void **state)
{
    (void)state;
    char *p = malloc(5000);
    assert_non_null(p);
    memset(p, 'a', 4096);
    p[4096] = '\0';
    assert_int_equal(dp__path_check(p), DP_OK);
    p[4096] = 'a';
    p[4097] = '\0';
    assert_int_equal(dp__path_check(p), DP_ERR_INVALID);
    free(p);
}

/* ---- dp__path_resolve ----------------------------------------------------------------------------- */

static void test_resolve_existing_file_inside(void **state)
{
    fixture *f = *state;
    char got[PATH_MAX], want[PATH_MAX];
    assert_int_equal(resolve(f, "sub/b.txt", got, sizeof got), DP_OK);
    snprintf(want, sizeof want, "%s/sub/b.txt", f->root);
    assert_string_equal(got, want);
}

static void test_resolve_missing_file_gives_joined_path(void **state)
{
    fixture *f = *state;
    char got[PATH_MAX], want[PATH_MAX];
    assert_int_equal(resolve(f, "no/such/file.png", got, sizeof got), DP_OK);
    snprintf(want, sizeof want, "%s/no/such/file.png", f->root);
    assert_string_equal(got, want);
}

static void test_resolve_refuses_dotdot(void **state)
{
    fixture *f = *state;
    assert_int_equal(resolve(f, "..", NULL, 0), DP_ERR_INVALID);
    assert_int_equal(resolve(f, "../out/secret.txt", NULL, 0), DP_ERR_INVALID);
    assert_int_equal(resolve(f, "a/../../x", NULL, 0), DP_ERR_INVALID);
}

static void test_resolve_refuses_absolute(void **state)
{
    fixture *f = *state;
    assert_int_equal(resolve(f, "/etc/passwd", NULL, 0), DP_ERR_INVALID);
}

static void test_resolve_refuses_symlink_leading_out(void **state)
{
    fixture *f = *state;
    char target[512];
    snprintf(target, sizeof target, "%s/out/secret.txt", f->tmp);
    link_in_tmp(f, target, "root/link.txt");
    assert_int_equal(resolve(f, "link.txt", NULL, 0), DP_ERR_INVALID);
}

static void test_resolve_refuses_relative_symlink_leading_out(void **state)
{
    fixture *f = *state;
    link_in_tmp(f, "../out/secret.txt", "root/rel.txt");
    assert_int_equal(resolve(f, "rel.txt", NULL, 0), DP_ERR_INVALID);
}

static void test_resolve_refuses_symlinked_folder_leading_out(void **state)
{
    fixture *f = *state;
    char target[512];
    snprintf(target, sizeof target, "%s/out", f->tmp);
    link_in_tmp(f, target, "root/outdir");
    assert_int_equal(resolve(f, "outdir/secret.txt", NULL, 0), DP_ERR_INVALID);
    /* A missing file behind the folder link leads out as well. */
    assert_int_equal(resolve(f, "outdir/missing.txt", NULL, 0), DP_ERR_INVALID);
}

static void test_resolve_refuses_symlink_to_sibling_with_common_prefix(void **state)
{
    fixture *f = *state;
    /* tmp/rootx shares the prefix "tmp/root" but is not inside tmp/root. */
    put(f, "rootx/x.txt", "x");
    char target[512];
    snprintf(target, sizeof target, "%s/rootx/x.txt", f->tmp);
    link_in_tmp(f, target, "root/prefix.txt");
    assert_int_equal(resolve(f, "prefix.txt", NULL, 0), DP_ERR_INVALID);
}

static void test_resolve_refuses_dangling_symlink(void **state)
{
    fixture *f = *state;
    char target[512];
    snprintf(target, sizeof target, "%s/out/later.txt", f->tmp);
    link_in_tmp(f, target, "root/dangling.txt");
    assert_int_equal(resolve(f, "dangling.txt", NULL, 0), DP_ERR_INVALID);
}

static void test_resolve_allows_symlink_pointing_inside(void **state)
{
    fixture *f = *state;
    link_in_tmp(f, "sub/b.txt", "root/inside.txt");
    char got[PATH_MAX], want[PATH_MAX];
    assert_int_equal(resolve(f, "inside.txt", got, sizeof got), DP_OK);
    snprintf(want, sizeof want, "%s/sub/b.txt", f->root);
    assert_string_equal(got, want);
}

static void test_resolve_allows_symlinked_folder_pointing_inside(void **state)
{
    fixture *f = *state;
    link_in_tmp(f, "sub", "root/alias");
    assert_int_equal(resolve(f, "alias/b.txt", NULL, 0), DP_OK);
    assert_int_equal(resolve(f, "alias/missing.txt", NULL, 0), DP_OK);
}

static void test_resolve_under_filesystem_root(void **state)
{
    fixture *f = *state;
    char *out = NULL;
    char want[PATH_MAX];
    assert_int_equal(dp__path_resolve(&f->ta.iface, "/", f->tmp + 1, &out), DP_OK);
    assert_non_null(realpath(f->tmp, want));
    assert_string_equal(out, want);
    f->ta.iface.free(out, f->ta.iface.user);
    assert_int_equal(dp__path_resolve(&f->ta.iface, "/", "no-such-depot-dir/x", &out), DP_OK);
    assert_string_equal(out, "/no-such-depot-dir/x");
    f->ta.iface.free(out, f->ta.iface.user);
}

static void test_resolve_null_args_are_invalid(void **state)
{
    fixture *f = *state;
    char *out = (char *)0x1;
    assert_int_equal(dp__path_resolve(NULL, f->root, "a.txt", &out), DP_ERR_INVALID);
    assert_null(out);
    assert_int_equal(dp__path_resolve(&f->ta.iface, NULL, "a.txt", &out), DP_ERR_INVALID);
    assert_int_equal(dp__path_resolve(&f->ta.iface, f->root, NULL, &out), DP_ERR_INVALID);
    assert_int_equal(dp__path_resolve(&f->ta.iface, f->root, "a.txt", NULL), DP_ERR_INVALID);
    assert_int_equal(dp__path_resolve(&f->ta.iface, "relative", "a.txt", &out),
                     DP_ERR_INVALID);
}

static void test_resolve_out_of_memory_leaks_nothing(void **state)
{
    fixture *f = *state;
    const char *rels[] = {"a.txt", "no/such.txt"};
    for (size_t r = 0; r < 2; r++) {
        for (long n = 1;; n++) {
            long live = atomic_load(&f->ta.live);
            char *out = NULL;
            dp_test_alloc_fail_at(&f->ta, n);
            dp_status s = dp__path_resolve(&f->ta.iface, f->root, rels[r], &out);
            dp_test_alloc_fail_at(&f->ta, 0);
            if (s == DP_OK) {
                f->ta.iface.free(out, f->ta.iface.user);
                assert_int_equal(atomic_load(&f->ta.live), live);
                break;
            }
            assert_int_equal(s, DP_ERR_NOMEM);
            assert_null(out);
            assert_int_equal(atomic_load(&f->ta.live), live);
            assert_true(n < 10);
        }
    }
}

/* ---- dp__path_inside: remembered folders ------------------------------------------------------ */

/* dp__path_inside through `d`; with `fresh` also through an empty memory, which must agree. */
static dp_status inside(fixture *f, dp__path_dirs *d, const char *rel)
{
    dp__path_dirs fresh;
    dp__path_dirs_init(&fresh);
    dp_status cold = dp__path_inside(&fresh, &f->ta.iface, f->root, rel);
    dp__path_dirs_forget(&fresh, &f->ta.iface);
    dp_status warm = dp__path_inside(d, &f->ta.iface, f->root, rel);
    assert_int_equal(warm, cold);
    return warm;
}

/* Open descriptors of this process. */
static int open_fds(void)
{
    int n = 0;
    for (int fd = 0; fd < 1024; fd++)
        n += fcntl(fd, F_GETFD) != -1;
    return n;
}

static void test_inside_agrees_with_resolve_in_a_remembered_folder(void **state)
{
    fixture *f = *state;
    link_to_tmp(f, "out/secret.txt", "root/sub/out.txt");
    link_in_tmp(f, "b.txt", "root/sub/in.txt");
    link_to_tmp(f, "out/later.txt", "root/sub/dangling.txt");
    link_to_tmp(f, "out", "root/sub/outdir");
    dp__path_dirs d;
    dp__path_dirs_init(&d);
    const char *rels[] = {"sub/b.txt",        "sub/out.txt", "sub/in.txt",
                          "sub/dangling.txt", "sub/missing", "sub/outdir/secret.txt",
                          "sub/../a.txt",     "a.txt",       "no/such/folder.txt"};
    for (size_t i = 0; i < sizeof rels / sizeof *rels; i++) {
        dp_status want = resolve(f, rels[i], NULL, 0);
        assert_int_equal(inside(f, &d, rels[i]), want);
        assert_int_equal(inside(f, &d, rels[i]), want); /* again, the folder remembered */
    }
    dp__path_dirs_forget(&d, &f->ta.iface);
}

static void test_inside_refuses_a_symlink_added_to_a_remembered_folder(void **state)
{
    fixture *f = *state;
    dp__path_dirs d;
    dp__path_dirs_init(&d);
    assert_int_equal(dp__path_inside(&d, &f->ta.iface, f->root, "sub/b.txt"), DP_OK);
    link_to_tmp(f, "out/secret.txt", "root/sub/new.txt"); /* after sub was remembered */
    assert_int_equal(dp__path_inside(&d, &f->ta.iface, f->root, "sub/new.txt"),
                     DP_ERR_INVALID);
    dp__path_dirs_forget(&d, &f->ta.iface);
}

static void test_inside_sees_a_folder_swapped_for_a_symlink_once_forgotten(void **state)
{
    fixture *f = *state;
    dp__path_dirs d;
    dp__path_dirs_init(&d);
    assert_int_equal(dp__path_inside(&d, &f->ta.iface, f->root, "sub/b.txt"), DP_OK);
    char from[512], to[512];
    snprintf(from, sizeof from, "%s/root/sub", f->tmp);
    snprintf(to, sizeof to, "%s/root/old", f->tmp);
    assert_int_equal(rename(from, to), 0);
    link_to_tmp(f, "out", "root/sub");
    dp__path_dirs_forget(&d, &f->ta.iface);
    assert_int_equal(dp__path_inside(&d, &f->ta.iface, f->root, "sub/secret.txt"),
                     DP_ERR_INVALID);
    dp__path_dirs_forget(&d, &f->ta.iface);
}

static void test_inside_with_more_folders_than_slots_closes_what_it_drops(void **state)
{
    fixture *f = *state;
    int before = open_fds();
    dp__path_dirs d;
    dp__path_dirs_init(&d);
    char rel[64];
    for (int i = 0; i < 3 * DP__PATH_DIRS; i++) {
        snprintf(rel, sizeof rel, "root/d%d/x.txt", i);
        put(f, rel, "x");
        assert_int_equal(inside(f, &d, rel + strlen("root/")), DP_OK);
    }
    assert_int_equal(open_fds(), before + DP__PATH_DIRS);
    dp__path_dirs_forget(&d, &f->ta.iface);
    assert_int_equal(open_fds(), before);
}

static void test_inside_out_of_memory_still_answers_and_leaks_nothing(void **state)
{
    fixture *f = *state;
    dp__path_dirs d;
    dp__path_dirs_init(&d);
    f->ta.fail_all_after = 1; /* the full walk, after a failed remember, fails too */
    for (long n = 1;; n++) {
        long live = atomic_load(&f->ta.live);
        dp_test_alloc_fail_at(&f->ta, n);
        dp_status s = dp__path_inside(&d, &f->ta.iface, f->root, "sub/b.txt");
        dp_test_alloc_fail_at(&f->ta, 0);
        dp__path_dirs_forget(&d, &f->ta.iface);
        assert_int_equal(atomic_load(&f->ta.live), live);
        if (s == DP_OK)
            break;
        assert_int_equal(s, DP_ERR_NOMEM);
        assert_true(n < 10);
    }
    f->ta.fail_all_after = 0;
}

static void test_inside_bad_arguments_are_invalid(void **state)
{
    fixture *f = *state;
    dp__path_dirs d;
    dp__path_dirs_init(&d);
    assert_int_equal(dp__path_inside(&d, &f->ta.iface, f->root, NULL), DP_ERR_INVALID);
    assert_int_equal(dp__path_inside(&d, &f->ta.iface, "relative", "a.txt"), DP_ERR_INVALID);
    assert_int_equal(dp__path_inside(NULL, &f->ta.iface, f->root, "a.txt"), DP_ERR_INVALID);
    assert_int_equal(dp__path_inside(&d, &f->ta.iface, f->root, "/etc/passwd"),
                     DP_ERR_INVALID);
    dp__path_dirs_forget(&d, &f->ta.iface);
}

/* ---- dp__path_open_beneath -------------------------------------------------------------------- */

/* dp__path_open_beneath of rel below the root: the descriptor (closed here) or -1, errno in
 * *err. Skips the test where the kernel has no openat2. */
static int open_beneath(fixture *f, const char *rel, int *err)
{
    int root = dp__path_root_open(f->root);
    assert_true(root >= 0);
    errno = 0;
    int fd = dp__path_open_beneath(root, rel, O_RDONLY | O_CLOEXEC);
    *err = errno;
    dp__path_root_close(root);
    if (fd < 0 && *err == ENOSYS)
        skip();
    if (fd >= 0)
        close(fd);
    return fd;
}

static void test_open_beneath_opens_files_and_links_that_stay_inside(void **state)
{
    fixture *f = *state;
    link_in_tmp(f, "sub/b.txt", "root/inside.txt");
    link_in_tmp(f, "sub", "root/alias");
    int err;
    assert_true(open_beneath(f, "a.txt", &err) >= 0);
    assert_true(open_beneath(f, "sub/b.txt", &err) >= 0);
    assert_true(open_beneath(f, "inside.txt", &err) >= 0);
    assert_true(open_beneath(f, "alias/b.txt", &err) >= 0);
}

static void test_open_beneath_refuses_every_step_out(void **state)
{
    fixture *f = *state;
    link_to_tmp(f, "out/secret.txt", "root/abs.txt");
    link_in_tmp(f, "../out/secret.txt", "root/rel.txt");
    link_to_tmp(f, "out", "root/outdir");
    link_to_tmp(f, "root/sub/b.txt", "root/abs_inside.txt"); /* absolute: refused, resolve
                                                                 decides */
    const char *out[] = {"abs.txt", "rel.txt", "outdir/secret.txt", "abs_inside.txt"};
    for (size_t i = 0; i < sizeof out / sizeof *out; i++) {
        int err;
        assert_int_equal(open_beneath(f, out[i], &err), -1);
        assert_int_not_equal(err, 0);
    }
    int err;
    assert_int_equal(open_beneath(f, "missing.txt", &err), -1);
    assert_int_equal(err, ENOENT);
    assert_int_equal(open_beneath(f, "../out/secret.txt", &err), -1);
    assert_int_equal(err, EINVAL); /* refused lexically, before the kernel is asked */
    assert_int_equal(dp__path_open_beneath(-1, "a.txt", O_RDONLY), -1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_root_is_canonical),
        T(test_root_null_or_empty_is_cwd),
        T(test_root_missing_is_not_found),
        T(test_root_that_is_a_file_is_invalid),
        T(test_root_out_of_memory),
        T(test_root_null_args_are_invalid),
        T(test_check_accepts_plain_paths),
        T(test_check_refuses_empty_and_null),
        T(test_check_refuses_absolute),
        T(test_check_refuses_dot_components),
        T(test_check_refuses_empty_components),
        T(test_check_refuses_backslash_and_control_chars),
        T(test_check_refuses_over_4096_bytes),
        T(test_resolve_existing_file_inside),
        T(test_resolve_missing_file_gives_joined_path),
        T(test_resolve_refuses_dotdot),
        T(test_resolve_refuses_absolute),
        T(test_resolve_refuses_symlink_leading_out),
        T(test_resolve_refuses_relative_symlink_leading_out),
        T(test_resolve_refuses_symlinked_folder_leading_out),
        T(test_resolve_refuses_symlink_to_sibling_with_common_prefix),
        T(test_resolve_refuses_dangling_symlink),
        T(test_resolve_allows_symlink_pointing_inside),
        T(test_resolve_allows_symlinked_folder_pointing_inside),
        T(test_resolve_under_filesystem_root),
        T(test_resolve_null_args_are_invalid),
        T(test_resolve_out_of_memory_leaks_nothing),
        T(test_inside_agrees_with_resolve_in_a_remembered_folder),
        T(test_inside_refuses_a_symlink_added_to_a_remembered_folder),
        T(test_inside_sees_a_folder_swapped_for_a_symlink_once_forgotten),
        T(test_inside_with_more_folders_than_slots_closes_what_it_drops),
        T(test_inside_out_of_memory_still_answers_and_leaks_nothing),
        T(test_inside_bad_arguments_are_invalid),
        T(test_open_beneath_opens_files_and_links_that_stay_inside),
        T(test_open_beneath_refuses_every_step_out),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
