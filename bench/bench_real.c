/* bench_real.c — `depot-bench real DIR [DIR...]`: every PNG under the folders (recursively),
 * loaded by depot with 2 workers against 2 plain threads doing the same work without depot:
 *   plain2  2 threads taking the next file from a shared atomic counter (so neither waits on
 *           the other at the end), each reading it with dp__file_read (the file source's own
 *           reader) and decoding it with dp__png_decode (the image type's own libpng code),
 *           keeping every image until the clock stops, as depot keeps them,
 *   depot   dp_load of every file from the owner thread (dp_desc.workers = 2, dp_desc.root
 *           the folders' deepest common folder, as a game roots at its data folder), then
 *           a loading screen's loop until every handle is deep-LOADED: dp_wait_idle for up
 *           to a REAL_FRAME_MS frame (it returns as soon as no job is queued or running),
 *           then dp_update; timed from the first dp_load to the last event. The owner's
 *           whole thread CPU is counted, the waits too. (Before dp_wait_idle the loop slept
 *           1 ms after an update that settled nothing, as dp_wait did before stop 12: 530-740 updates a
 *           run and 1.1-1.8 us of owner CPU per file outside depot's calls; with a 100 us
 *           sleep the owner woke ~10,000 times a second, preempting a worker each time on
 *           2 cores: +9 us per file, and the workers' CPU rose too.)
 * depot runs 3 threads (the owner and 2 workers) where plain2 runs 2: on a 2-core machine
 * shared with other work the third thread can win CPU share, so the time ratio can fall
 * below 1 under load. The CPU ratio (every thread's CPU, CLOCK_PROCESS_CPUTIME_ID, around
 * each run) does not depend on that; it is printed next to the time ratio.
 * The owner thread's CPU (CLOCK_THREAD_CPUTIME_ID) is summed around its dp_load and dp_update
 * calls only, so it is depot's own work on that thread (key check, job, apply, deep state,
 * events); the dp_load and dp_update shares are printed too.
 * Before timing, every file is decoded once by the plain path (page cache and libpng warm);
 * files that path cannot decode are left out of both contenders (counted on a '#' line).
 * The first depot run is also checked: every image has the plain decode's size and pixels.
 * Runs alternate; medians of REAL_REPS. */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "bench.h"
#include "common/alloc.h"
#include "depot/asset.h"
#include "depot/config.h"
#include "depot/load.h"
#include "os/fs.h"

#if DP_HAVE_PNG
#include "load/png/png_codec.h"

#define REAL_REPS 5
#define REAL_FRAME_MS 16 /* the longest the owner waits between updates: a 60 Hz frame */
#define REAL_WAIT_NS (300ull * 1000000000ull) /* a run that never finishes fails, not hangs */

typedef struct file_list {
    char **path; /* absolute */
    size_t n, cap;
    size_t bytes;    /* total file size */
    char root[4096]; /* the folders' deepest common folder: depot's dp_desc.root */
    size_t keyoff;   /* a file's key is path + keyoff (relative to root) */
} file_list;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static bool list_add(file_list *l, const char *path, size_t size)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1024;
        char **p = realloc(l->path, cap * sizeof *p);
        if (!p)
            return false;
        l->path = p;
        l->cap = cap;
    }
    if (!(l->path[l->n] = strdup(path)))
        return false;
    l->n++;
    l->bytes += size;
    return true;
}

/* Adds every regular *.png (any case) under `dir`; false on a memory failure. */
static bool walk(file_list *l, const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d)
        return true;
    bool ok = true;
    struct dirent *e;
    char path[4096];
    while (ok && depth < 32 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path)
            continue;
        struct stat st;
        if (lstat(path, &st) != 0)
            continue;
        size_t nl = strlen(e->d_name);
        if (S_ISDIR(st.st_mode))
            ok = walk(l, path, depth + 1);
        else if (S_ISREG(st.st_mode) && nl > 4 && !strcasecmp(e->d_name + nl - 4, ".png"))
            ok = list_add(l, path, (size_t)st.st_size);
    }
    closedir(d);
    return ok;
}

static void list_free(file_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->path[i]);
    free(l->path);
}

/* Reads and decodes one file the plain way. */
static dp_status plain_decode(const dp_allocator *a, const char *path, dp_image **out)
{
    void *bytes;
    size_t len;
    dp_status st = dp__file_read(a, path, 0, NULL, NULL, &bytes, &len);
    if (st != DP_OK)
        return st;
    st = dp__png_decode(a, bytes, len, NULL, out);
    dp__free(a, bytes);
    return st;
}

static uint64_t cpu_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One timed run of either contender. */
typedef struct run_time {
    double seconds;    /* 0 on failure */
    uint64_t cpu;      /* every thread's CPU during the run, ns */
    uint64_t load_cpu; /* depot: owner thread CPU inside dp_load, ns */
    uint64_t upd_cpu;  /* depot: owner thread CPU inside dp_update, ns */
    uint64_t own_cpu;  /* depot: owner thread CPU during the run (its waits too), ns */
    size_t updates;
} run_time;

typedef struct plain_arg {
    const dp_allocator *a;
    const file_list *files;
    dp_image **keep;
    atomic_size_t *next; /* the next file to take, shared */
    bool ok;
} plain_arg;

static void *plain_main(void *p)
{
    plain_arg *pa = p;
    pa->ok = true;
    /* Relaxed: the counter only hands out indices; each image is read by the main thread
     * after pthread_join, which orders it. */
    for (size_t i; (i = atomic_fetch_add_explicit(pa->next, 1, memory_order_relaxed)) <
                   pa->files->n;)
        if (plain_decode(pa->a, pa->files->path[i], &pa->keep[i]) != DP_OK)
            pa->ok = false, pa->keep[i] = NULL;
    return NULL;
}

/* 2 plain threads. The images are freed after the clock stops. */
static run_time run_plain2(const dp_allocator *a, const file_list *files, dp_image **keep)
{
    run_time r = {0};
    pthread_t t[2];
    plain_arg arg[2];
    atomic_size_t next;
    atomic_init(&next, 0);
    uint64_t c0 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
    uint64_t t0 = dp_bench_now_ns();
    for (int k = 0; k < 2; k++) {
        arg[k] = (plain_arg){.a = a, .files = files, .keep = keep, .next = &next};
        if (pthread_create(&t[k], NULL, plain_main, &arg[k]) != 0)
            abort();
    }
    for (int k = 0; k < 2; k++)
        pthread_join(t[k], NULL);
    uint64_t t1 = dp_bench_now_ns();
    r.cpu = cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
    for (size_t i = 0; i < files->n; i++)
        if (keep[i])
            dp__image_free(a, keep[i]);
    r.seconds = arg[0].ok && arg[1].ok ? (double)(t1 - t0) / 1e9 : 0;
    return r;
}

static uint64_t thread_cpu_ns(void)
{
    return cpu_ns(CLOCK_THREAD_CPUTIME_ID);
}

typedef run_time depot_run;

/* Updates until n handles settled; false on a failure or after REAL_WAIT_NS. */
static bool pump(dp_depot *dp, size_t n, depot_run *r)
{
    size_t settled = 0, failed = 0;
    uint64_t until = dp_bench_now_ns() + REAL_WAIT_NS;
    while (settled < n) {
        uint64_t c0 = thread_cpu_ns();
        dp_status st = dp_update(dp);
        r->upd_cpu += thread_cpu_ns() - c0;
        r->updates++;
        if (st != DP_OK)
            return false;
        const dp_event *ev;
        size_t ne = dp_events(dp, &ev);
        for (size_t k = 0; k < ne; k++) {
            if (ev[k].kind == DP_EV_LOADED_DEEP)
                settled++;
            else if (ev[k].kind == DP_EV_FAILED)
                failed++, settled++;
        }
        if (settled < n) {
            if (dp_bench_now_ns() > until)
                return false;
            dp_status w = dp_wait_idle(dp, REAL_FRAME_MS);
            if (w != DP_OK && w != DP_ERR_TIMEOUT)
                return false;
        }
    }
    return failed == 0;
}

/* Counts images whose size or pixels differ from the plain decode in `ref`. */
static size_t count_different(dp_depot *dp, const dp_handle *h, dp_image *const *ref, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        const dp_image *img = dp_get(dp, h[i]);
        bad += !img || img->width != ref[i]->width || img->height != ref[i]->height ||
               memcmp(img->pixels, ref[i]->pixels, (size_t)img->width * img->height * 4u) != 0;
    }
    return bad;
}

/* depot with 2 workers. With `ref`, the images are checked against it (*different). */
static depot_run run_depot(const file_list *files, dp_image *const *ref, size_t *different)
{
    depot_run r = {0};
    dp_desc desc = {.root = files->root, .workers = 2};
    dp_depot *dp;
    if (dp_create(&desc, &dp) != DP_OK)
        return r;
    (void)dp_builtins(dp); /* starts the loader and its threads before the clock does */
    dp_handle *h = calloc(files->n, sizeof *h);
    bool ok = h != NULL;
    uint64_t p0 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID), o0 = thread_cpu_ns();
    uint64_t t0 = dp_bench_now_ns();
    /* The loop does nothing but dp_load: timed whole (a clock read per call is a system
     * call, which cost the owner more than half a microsecond per file). */
    for (size_t i = 0; ok && i < files->n; i++)
        ok = dp_load(dp, files->path[i] + files->keyoff, &h[i]) == DP_OK;
    r.load_cpu = thread_cpu_ns() - o0;
    ok = ok && pump(dp, files->n, &r);
    uint64_t t1 = dp_bench_now_ns();
    r.cpu = cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - p0;
    r.own_cpu = thread_cpu_ns() - o0;
    if (ok && ref)
        *different = count_different(dp, h, ref, files->n);
    for (size_t i = 0; h && i < files->n; i++)
        if (h[i].bits)
            ok = dp_release(dp, h[i]) == DP_OK && ok;
    ok = dp_update(dp) == DP_OK && ok;
    free(h);
    ok = dp_destroy(dp) == 0 && ok;
    r.seconds = ok ? (double)(t1 - t0) / 1e9 : 0;
    return r;
}

/* Keeps the files the plain path decodes (into ref, kept for the pixel check). */
static void keep_decodable(const dp_allocator *a, file_list *files, dp_image **ref,
                           size_t *left_out)
{
    size_t n = 0;
    files->bytes = 0;
    for (size_t i = 0; i < files->n; i++) {
        dp_image *img;
        struct stat st;
        if (plain_decode(a, files->path[i], &img) != DP_OK || stat(files->path[i], &st) != 0) {
            free(files->path[i]);
            (*left_out)++;
            continue;
        }
        files->bytes += (size_t)st.st_size;
        ref[n] = img;
        files->path[n++] = files->path[i];
    }
    files->n = n;
}

/* The median of REAL_REPS values (sorts v). */
static double median(double *v)
{
    qsort(v, REAL_REPS, sizeof *v, cmp_double);
    return v[REAL_REPS / 2];
}

static int report(const file_list *files, const run_time *pr, const depot_run *dr,
                  size_t different)
{
    double tp[REAL_REPS], td[REAL_REPS], cp[REAL_REPS], cd[REAL_REPS], cw[REAL_REPS],
        own[REAL_REPS], load[REAL_REPS], upd[REAL_REPS], all[REAL_REPS];
    double n = (double)files->n;
    for (int r = 0; r < REAL_REPS; r++) {
        tp[r] = pr[r].seconds;
        td[r] = dr[r].seconds;
        cp[r] = (double)pr[r].cpu;
        cd[r] = (double)dr[r].cpu;
        cw[r] = (double)(dr[r].cpu - dr[r].own_cpu);
        all[r] = (double)dr[r].own_cpu / 1e3 / n;
        own[r] = (double)(dr[r].load_cpu + dr[r].upd_cpu) / 1e3 / n;
        load[r] = (double)dr[r].load_cpu / 1e3 / n;
        upd[r] = (double)dr[r].upd_cpu / 1e3 / n;
    }
    double p = median(tp), d = median(td), mb = (double)files->bytes / 1e6;
    dp_bench_report("real.files", n, "files");
    dp_bench_report("real.plain2_files_per_s", n / p, "files/s");
    dp_bench_report("real.plain2_mb_per_s", mb / p, "MB/s");
    dp_bench_report("real.depot_files_per_s", n / d, "files/s");
    dp_bench_report("real.depot_mb_per_s", mb / d, "MB/s");
    dp_bench_report("real.depot_time_vs_plain2", d / p, "x");
    dp_bench_report("real.depot_cpu_vs_plain2", median(cd) / median(cp), "x");
    dp_bench_report("real.depot_workers_cpu_vs_plain2", median(cw) / median(cp), "x");
    dp_bench_report("real.owner_cpu_per_file", median(own), "us");
    dp_bench_report("real.owner_load_cpu_per_file", median(load), "us");
    dp_bench_report("real.owner_update_cpu_per_file", median(upd), "us");
    dp_bench_report("real.owner_thread_cpu_per_file", median(all), "us");
    dp_bench_report("real.pixels_different", (double)different, "files");
    return different == 0 ? 0 : 1;
}

static int bench_real(file_list *files)
{
    dp_allocator a;
    dp__alloc_init(&a, NULL);
    dp_image **ref = calloc(files->n ? files->n : 1, sizeof *ref);
    if (!ref)
        return 1;
    size_t left_out = 0, different = 0;
    keep_decodable(&a, files, ref, &left_out);
    printf("# real: %zu PNG files, %.1f MB, %zu left out (the plain decoder refuses them); "
           "depot root %s; depot runs 3 threads (owner + 2 workers), plain2 runs 2\n",
           files->n, (double)files->bytes / 1e6, left_out, files->root);
    int rc = 1;
    if (files->n == 0)
        goto out;
    depot_run check = run_depot(files, ref, &different);
    for (size_t i = 0; i < files->n; i++)
        dp__image_free(&a, ref[i]);
    free(ref);
    ref = NULL;
    if (check.seconds <= 0)
        goto out;
    run_time plain[REAL_REPS];
    depot_run dr[REAL_REPS];
    dp_image **keep = calloc(files->n, sizeof *keep);
    for (int r = 0; keep && r < REAL_REPS; r++) {
        plain[r] = run_plain2(&a, files, keep);
        dr[r] = run_depot(files, NULL, NULL);
        if (plain[r].seconds <= 0 || dr[r].seconds <= 0) {
            free(keep);
            goto out;
        }
    }
    if (keep)
        rc = report(files, plain, dr, different);
    free(keep);
out:
    free(ref);
    if (rc)
        fprintf(stderr, "depot-bench real: a run failed\n");
    return rc;
}

/* The deepest folder holding every dirs[i] (all absolute), as depot's root: files->root and
 * files->keyoff. */
static void common_root(file_list *files, int ndirs, char **dirs)
{
    snprintf(files->root, sizeof files->root, "%s", dirs[0]);
    size_t len = strlen(files->root);
    for (int i = 1; i < ndirs; i++) {
        size_t k = 0;
        while (k < len && dirs[i][k] == files->root[k])
            k++;
        if (k < len || (dirs[i][k] != '/' && dirs[i][k] != '\0'))
            while (k > 0 && files->root[k] != '/')
                k--; /* back to a folder boundary */
        len = k;
    }
    while (len > 1 && files->root[len - 1] == '/')
        len--;
    if (len == 0)
        len = 1; /* "/" */
    files->root[len] = '\0';
    files->keyoff = len == 1 ? 1 : len + 1;
}

int dp_bench_real(int ndirs, char **dirs)
{
    file_list files = {0};
    bool ok = true;
    for (int i = 0; ok && i < ndirs; i++) {
        if (dirs[i][0] != '/') {
            fprintf(stderr, "depot-bench real: '%s' is not an absolute path\n", dirs[i]);
            ok = false;
        } else {
            ok = walk(&files, dirs[i], 0);
        }
    }
    if (ok) {
        qsort(files.path, files.n, sizeof *files.path, cmp_str);
        common_root(&files, ndirs, dirs);
    }
    int rc = ok ? bench_real(&files) : 1;
    list_free(&files);
    return rc;
}

#else

int dp_bench_real(int ndirs, char **dirs)
{
    (void)ndirs, (void)dirs;
    printf("# real: built without libpng: no lines\n");
    return 0;
}

#endif
