/* bench_pack.c — pack files: the cost of one index lookup in a 100,000-entry pack, with
 * baselines in the same run (hashing the key alone; a binary search over the sorted key
 * strings, which is what an index without hashes would do), and loading many PNGs from one
 * mounted pack against the same files loose in a folder, cold-ish (the page cache dropped
 * for those files with posix_fadvise) and warm.
 *
 * The PNGs are the bench's own (PNG_FILES generated 64x64 images) unless DP_BENCH_PNG_DIR
 * names a folder of real ones (e.g. /usr/share/games after installing Debian game data):
 * then every .png under it is used. Every line is "BENCH <name> <value> <unit>". */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "depot/config.h"
#include "depot/depot.h"

#if DP_HAVE_PACK
#include <xxhash.h>
#if DP_HAVE_PNG
#include "load/png/png_codec.h"
#endif

#define LOOKUP_ENTRIES 100000u
#define LOOKUPS 2000000u
#define PNG_FILES 2000u
#define WAIT_MS 120000

/* ---- files ----------------------------------------------------------------------------------- */

typedef struct files {
    char **rel;       /* keys, relative to root */
    size_t n, cap;
    size_t bytes;     /* loose total */
    size_t disk;      /* what the loose files take on disk (whole blocks) */
    char root[4096];
} files;

static bool files_add(files *f, const char *rel, size_t bytes, size_t disk)
{
    f->disk += disk;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 256;
        char **r = realloc(f->rel, cap * sizeof *r);
        if (!r)
            return false;
        f->rel = r;
        f->cap = cap;
    }
    f->rel[f->n] = strdup(rel);
    if (!f->rel[f->n])
        return false;
    f->n++;
    f->bytes += bytes;
    return true;
}

static void files_free(files *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->rel[i]);
    free(f->rel);
}

/* Every .png under root/rel (recursively). */
static void find_pngs(files *f, const char *rel)
{
    char path[8192];
    snprintf(path, sizeof path, "%s%s%s", f->root, rel[0] ? "/" : "", rel);
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char sub[4096], full[8192 + 256];
        if (snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name) >= (int)sizeof sub)
            continue;
        snprintf(full, sizeof full, "%s/%s", f->root, sub);
        struct stat st;
        if (lstat(full, &st) != 0)
            continue;
        size_t l = strlen(sub);
        if (S_ISDIR(st.st_mode))
            find_pngs(f, sub);
        else if (S_ISREG(st.st_mode) && l > 4 && !strcmp(sub + l - 4, ".png"))
            files_add(f, sub, (size_t)st.st_size, (size_t)st.st_blocks * 512u);
    }
    closedir(d);
}

/* Drops the page cache of one file (best effort). */
static void drop_cache(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        close(fd);
    }
}

static void remove_tree(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "depot-bench pack: could not remove %s\n", dir);
}

/* ---- index lookup ------------------------------------------------------------------------------ */

/* CPU time of this thread: the lookups run on one thread and never wait, so on a loaded
 * machine this is what they cost, where wall time also counts the other processes. */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int by_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int lookup_bench(const char *tmp)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/lookup.dpk", tmp);
    char **keys = calloc(LOOKUP_ENTRIES, sizeof *keys);
    dp_pack_writer *w;
    if (!keys || dp_pack_writer_new(NULL, &w) != DP_OK)
        return 1;
    for (uint32_t i = 0; i < LOOKUP_ENTRIES; i++) {
        char k[64];
        snprintf(k, sizeof k, "levels/zone%03u/props/prop_%06u.png", i % 997, i);
        keys[i] = strdup(k);
        if (!keys[i] || dp_pack_writer_add(w, k, &i, sizeof i, 0) != DP_OK)
            return 1;
    }
    dp_pack *p;
    if (dp_pack_writer_save(w, path) != DP_OK || dp_pack_open(path, NULL, &p) != DP_OK)
        return 1;
    dp_pack_writer_free(w);
    uint32_t *order = malloc(LOOKUPS * sizeof *order);
    uint64_t seed = 42;
    for (uint32_t i = 0; i < LOOKUPS; i++)
        order[i] = (uint32_t)(dp_bench_rand(&seed) % LOOKUP_ENTRIES);
    size_t found = 0, idx;
    uint64_t t0 = cpu_ns();
    for (uint32_t i = 0; i < LOOKUPS; i++)
        found += dp_pack_find(p, keys[order[i]], &idx) == DP_OK;
    double find_ns = (double)(cpu_ns() - t0) / LOOKUPS;
    uint64_t sink = 0;
    t0 = cpu_ns();
    for (uint32_t i = 0; i < LOOKUPS; i++)
        sink += XXH3_64bits(keys[order[i]], strlen(keys[order[i]]));
    double hash_ns = (double)(cpu_ns() - t0) / LOOKUPS;
    char **sorted = malloc(LOOKUP_ENTRIES * sizeof *sorted);
    memcpy(sorted, keys, LOOKUP_ENTRIES * sizeof *sorted);
    qsort(sorted, LOOKUP_ENTRIES, sizeof *sorted, by_str);
    t0 = cpu_ns();
    for (uint32_t i = 0; i < LOOKUPS; i++)
        sink += bsearch(&keys[order[i]], sorted, LOOKUP_ENTRIES, sizeof *sorted, by_str) != NULL;
    double str_ns = (double)(cpu_ns() - t0) / LOOKUPS;
    printf("# pack: %u random lookups in a %u-entry pack, thread CPU time per lookup (%zu found; "
           "sink %llu)\n", LOOKUPS,
           LOOKUP_ENTRIES, found, (unsigned long long)(sink & 1));
    dp_bench_report("pack.lookup_100k", find_ns, "ns");
    dp_bench_report("pack.baseline_key_hash_only", hash_ns, "ns");
    dp_bench_report("pack.baseline_bsearch_key_strings", str_ns, "ns");
    dp_pack_close(p);
    for (uint32_t i = 0; i < LOOKUP_ENTRIES; i++)
        free(keys[i]);
    free(keys);
    free(sorted);
    free(order);
    return found == LOOKUPS ? 0 : 1;
}

/* ---- many PNGs: pack vs loose ------------------------------------------------------------------- */

/* Loads every key as an image and waits; files per second, or 0 on a failure. */
static double load_all(const files *f, const char *root, const char *pack)
{
    dp_depot *dp;
    if (dp_create(&(dp_desc){.root = root, .workers = 2}, &dp) != DP_OK)
        return 0;
    if (pack && dp_mount(dp, "pack", pack, 0) != DP_OK) {
        dp_destroy(dp);
        return 0;
    }
    dp_handle *h = calloc(f->n, sizeof *h);
    bool ok = h != NULL;
    uint64_t t0 = dp_bench_now_ns();
    for (size_t i = 0; ok && i < f->n; i++)
        ok = dp_load(dp, f->rel[i], &h[i]) == DP_OK;
    for (size_t i = 0; ok && i < f->n; i++)
        ok = dp_wait(dp, h[i], WAIT_MS) == DP_OK;
    double s = (double)(dp_bench_now_ns() - t0) / 1e9;
    for (size_t i = 0; h && i < f->n; i++)
        dp_release(dp, h[i]);
    free(h);
    dp_destroy(dp);
    return ok ? (double)f->n / s : 0;
}

static bool make_pngs(files *f)
{
#if DP_HAVE_PNG
    unsigned char *px = malloc(64 * 64 * 4);
    if (!px)
        return false;
    for (uint32_t i = 0; i < PNG_FILES; i++) {
        uint64_t seed = 0x9E3779B97F4A7C15ull ^ (i + 1);
        for (uint32_t k = 0; k < 64 * 64 * 4; k++)
            px[k] = (unsigned char)((k % 256) ^ (dp_bench_rand(&seed) & 0x1f));
        char rel[64], path[4200];
        snprintf(rel, sizeof rel, "img/%02u/%04u.png", i % 50, i);
        snprintf(path, sizeof path, "%s/img", f->root);
        mkdir(path, 0777);
        snprintf(path, sizeof path, "%s/img/%02u", f->root, i % 50);
        mkdir(path, 0777);
        snprintf(path, sizeof path, "%s/%s", f->root, rel);
        struct stat st;
        if (dp__png_write_file(path, 64, 64, px) != DP_OK || stat(path, &st) != 0 ||
            !files_add(f, rel, (size_t)st.st_size, (size_t)st.st_blocks * 512u)) {
            free(px);
            return false;
        }
    }
    free(px);
    return true;
#else
    (void)f;
    return false;
#endif
}

static double median3(double *v)
{
    double a = v[0], b = v[1], c = v[2];
    return a > b ? (b > c ? b : (a > c ? c : a)) : (a > c ? a : (b > c ? c : b));
}

static int png_bench(const char *tmp)
{
    files f = {0};
    const char *real = getenv("DP_BENCH_PNG_DIR");
    if (real && *real) {
        snprintf(f.root, sizeof f.root, "%s", real);
        find_pngs(&f, "");
    } else {
        snprintf(f.root, sizeof f.root, "%s/loose", tmp);
        mkdir(f.root, 0777);
        if (!make_pngs(&f)) {
            printf("# pack: built without libpng: no PNG lines\n");
            files_free(&f);
            return 0;
        }
    }
    char pack[4200], cmd[8600], empty[4200];
    snprintf(pack, sizeof pack, "%s/pngs.dpk", tmp);
    snprintf(empty, sizeof empty, "%s/empty", tmp);
    mkdir(empty, 0777);
    dp_pack_writer *w;
    if (f.n == 0 || dp_pack_writer_new(NULL, &w) != DP_OK)
        return 1;
    for (size_t i = 0; i < f.n; i++) {
        char path[8200];
        snprintf(path, sizeof path, "%s/%s", f.root, f.rel[i]);
        FILE *in = fopen(path, "rb");
        struct stat st;
        void *b = in && fstat(fileno(in), &st) == 0 ? malloc((size_t)st.st_size + 1) : NULL;
        if (!b || fread(b, 1, (size_t)st.st_size, in) != (size_t)st.st_size ||
            dp_pack_writer_add(w, f.rel[i], b, (size_t)st.st_size, 9) != DP_OK)
            return 1;
        free(b);
        fclose(in);
    }
    if (dp_pack_writer_save(w, pack) != DP_OK)
        return 1;
    dp_pack_writer_free(w);
    struct stat ps;
    stat(pack, &ps);
    (void)cmd;
    /* Cold-ish: the page cache of every file dropped before the run. */
    for (size_t i = 0; i < f.n; i++) {
        char path[8200];
        snprintf(path, sizeof path, "%s/%s", f.root, f.rel[i]);
        drop_cache(path);
    }
    drop_cache(pack);
    double loose_cold = load_all(&f, f.root, NULL);
    double pack_cold = load_all(&f, empty, pack);
    /* Warm: three rounds, alternating, the median of each (the machine may be shared). */
    double lw[3], pw[3];
    for (int r = 0; r < 3; r++) {
        lw[r] = load_all(&f, f.root, NULL);
        pw[r] = load_all(&f, empty, pack);
    }
    double loose_warm = median3(lw), pack_warm = median3(pw);
    printf("# pack: %zu PNGs (%s), 2 workers; loose %zu bytes, pack %lld bytes\n", f.n,
           real && *real ? real : "generated", f.bytes, (long long)ps.st_size);
    dp_bench_report("pack.pngs_loose_cold_files_per_s", loose_cold, "files/s");
    dp_bench_report("pack.pngs_pack_cold_files_per_s", pack_cold, "files/s");
    dp_bench_report("pack.pngs_loose_warm_files_per_s", loose_warm, "files/s");
    dp_bench_report("pack.pngs_pack_warm_files_per_s", pack_warm, "files/s");
    dp_bench_report("pack.pngs_pack_vs_loose_warm", loose_warm > 0 ? pack_warm / loose_warm : 0, "x");
    dp_bench_report("pack.pngs_loose_bytes", (double)f.bytes, "bytes");
    dp_bench_report("pack.pngs_loose_disk_bytes", (double)f.disk, "bytes");
    dp_bench_report("pack.pngs_pack_bytes", (double)ps.st_size, "bytes");
    files_free(&f);
    return loose_cold > 0 && pack_cold > 0 && loose_warm > 0 && pack_warm > 0 ? 0 : 1;
}

int dp_bench_pack(void)
{
    char tmp[] = "/tmp/depot-bench-pack-XXXXXX";
    if (!mkdtemp(tmp))
        return 1;
    int rc = lookup_bench(tmp);
    if (rc == 0)
        rc = png_bench(tmp);
    remove_tree(tmp);
    if (rc != 0)
        fprintf(stderr, "depot-bench pack: a step failed\n");
    return rc;
}
#else
int dp_bench_pack(void)
{
    printf("# pack: built without libzstd/libxxhash: no pack lines\n");
    return 0;
}
#endif
