/* bench_pool.c — the handle pool against its baselines, all in one binary:
 *   plain  a plain unsynchronised slot array with 32-bit generations (the speed of light),
 *   mutex  the same array under one pthread mutex,
 *   floor  2 threads doing atomic fetch_add on one shared word (the contention floor).
 * Every line is "BENCH <name> <value> <unit>"; times are ns per operation.
 *
 * The single-thread rows (churn, alive) are timed in the thread's CPU time, so time the
 * scheduler gives to other processes on a loaded machine does not count, and each is the
 * median of ROUNDS rounds that alternate depot and its baseline over the same inputs. The
 * contended rows need wall time (waiting is what they measure): median of 7 interleaved runs,
 * also reported in the workers' CPU time (the wall time less the time they waited for a CPU). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"
#include "depot/pool.h"

#define CHURN_LIVE 100000u
#define CHURN_PAIRS 4000000u
#define FRESH_N 1000000u
#define ALIVE_QUERIES (1u << 22)
#define RESERVE_PER_THREAD 1000000u
#define MEM_LIVE 1000000u

static volatile uint64_t sink; /* results go here so no loop can be dropped */

#define ROUNDS 5 /* rounds of each single-thread row; the median is reported */

static double ns_per(uint64_t t0, uint64_t t1, uint64_t n) { return (double)(t1 - t0) / (double)n; }

/* This thread's CPU time in ns: the single-thread rows' clock (see the top of the file). */
static uint64_t cpu_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

/* ---- the plain baseline ----------------------------------------------------------------- */

typedef struct plain {
    uint32_t *gen;   /* odd = live */
    uint32_t *freel; /* stack of free indices */
    uint32_t nfree, n, cap;
    pthread_mutex_t mu;
} plain;

/* A zeroed array of n 32-bit words; from 2 MB up it is 2 MB-aligned and its whole huge pages
 * are advised as such, as depot's pool does with its chunks, so the alive rows compare
 * layouts, not page sizes. */
static uint32_t *plain_words(uint32_t n)
{
    size_t size = (size_t)n * sizeof(uint32_t), huge = (size_t)2 << 20;
#ifdef MADV_HUGEPAGE
    if (size >= huge) {
        void *w;
        if (posix_memalign(&w, huge, size) != 0)
            return NULL;
        (void)madvise(w, size & ~(huge - 1), MADV_HUGEPAGE);
        memset(w, 0, size);
        return w;
    }
#endif
    return calloc(n, sizeof(uint32_t));
}

static void plain_init(plain *p, uint32_t cap)
{
    memset(p, 0, sizeof *p);
    p->gen = plain_words(cap);
    p->freel = calloc(cap, sizeof *p->freel);
    p->cap = cap;
    pthread_mutex_init(&p->mu, NULL);
    if (!p->gen || !p->freel)
        abort();
}

static void plain_fini(plain *p)
{
    free(p->gen);
    free(p->freel);
    pthread_mutex_destroy(&p->mu);
}

static inline uint64_t plain_alloc(plain *p)
{
    uint32_t i;
    if (p->nfree) {
        i = p->freel[--p->nfree];
        p->gen[i]++;
    } else {
        if (p->n == p->cap)
            return 0;
        i = p->n++;
        p->gen[i] = 1;
    }
    return ((uint64_t)p->gen[i] << 32) | i;
}

static inline bool plain_free(plain *p, uint64_t h)
{
    uint32_t i = (uint32_t)h, g = (uint32_t)(h >> 32);
    if (i >= p->n || p->gen[i] != g)
        return false;
    p->gen[i]++;
    p->freel[p->nfree++] = i;
    return true;
}

static inline bool plain_alive(const plain *p, uint64_t h)
{
    uint32_t i = (uint32_t)h, g = (uint32_t)(h >> 32);
    return (g & 1) && i < p->n && p->gen[i] == g;
}

static uint64_t mutex_alloc(plain *p)
{
    pthread_mutex_lock(&p->mu);
    uint64_t h = plain_alloc(p);
    pthread_mutex_unlock(&p->mu);
    return h;
}

static bool mutex_free(plain *p, uint64_t h)
{
    pthread_mutex_lock(&p->mu);
    bool ok = plain_free(p, h);
    pthread_mutex_unlock(&p->mu);
    return ok;
}

/* ---- memory ------------------------------------------------------------------------------- */

static int bench_memory(void)
{
    uint64_t rss0 = dp_bench_rss();
    dp_pool *pool;
    if (dp_pool_create(NULL, &pool) != DP_OK)
        return 1;
    for (uint32_t i = 0; i < MEM_LIVE; i++) {
        dp_handle h;
        if (dp_pool_alloc(pool, &h) != DP_OK)
            return 1;
    }
    uint64_t rss1 = dp_bench_rss();
    dp_pool_stats s;
    dp_pool_get_stats(pool, &s);
    dp_bench_report("pool.bytes_per_slot", (double)(rss1 - rss0) / MEM_LIVE, "bytes");
    dp_bench_report("pool.bytes_per_slot_exact", (double)s.bytes / MEM_LIVE, "bytes");
    dp_bench_report("pool.bytes_per_slot_capacity", (double)s.bytes / (double)s.capacity, "bytes");
    dp_pool_destroy(pool);
    return 0;
}

/* ---- churn -------------------------------------------------------------------------------- */

static uint32_t *churn_picks(void)
{
    /* Precomputed random victims, so the loops below time the pool, not the PRNG. */
    uint32_t *v = malloc(CHURN_PAIRS * sizeof *v);
    if (!v)
        abort();
    uint64_t seed = 0x1234567ull;
    for (uint32_t i = 0; i < CHURN_PAIRS; i++)
        v[i] = (uint32_t)(dp_bench_rand(&seed) % CHURN_LIVE);
    return v;
}

static double bench_pool_churn(const uint32_t *pick)
{
    dp_pool *pool;
    if (dp_pool_create(NULL, &pool) != DP_OK)
        abort();
    dp_handle *h = malloc(CHURN_LIVE * sizeof *h);
    for (uint32_t i = 0; i < CHURN_LIVE; i++)
        dp_pool_alloc(pool, &h[i]);
    uint64_t bad = 0;
    uint64_t t0 = cpu_now_ns();
    for (uint32_t i = 0; i < CHURN_PAIRS; i++) {
        uint32_t k = pick[i];
        bad += dp_pool_free(pool, h[k]) != DP_OK;
        bad += dp_pool_alloc(pool, &h[k]) != DP_OK;
    }
    uint64_t t1 = cpu_now_ns();
    sink += bad;
    if (bad)
        fprintf(stderr, "bench: pool churn saw %llu failures\n", (unsigned long long)bad);
    free(h);
    dp_pool_destroy(pool);
    return ns_per(t0, t1, CHURN_PAIRS);
}

static double bench_plain_churn(const uint32_t *pick, bool locked)
{
    plain p;
    plain_init(&p, CHURN_LIVE + 1);
    uint64_t *h = malloc(CHURN_LIVE * sizeof *h);
    for (uint32_t i = 0; i < CHURN_LIVE; i++)
        h[i] = plain_alloc(&p);
    uint64_t bad = 0;
    uint64_t t0 = cpu_now_ns();
    if (locked) {
        for (uint32_t i = 0; i < CHURN_PAIRS; i++) {
            uint32_t k = pick[i];
            bad += !mutex_free(&p, h[k]);
            h[k] = mutex_alloc(&p);
        }
    } else {
        for (uint32_t i = 0; i < CHURN_PAIRS; i++) {
            uint32_t k = pick[i];
            bad += !plain_free(&p, h[k]);
            h[k] = plain_alloc(&p);
        }
    }
    uint64_t t1 = cpu_now_ns();
    sink += bad;
    free(h);
    plain_fini(&p);
    return ns_per(t0, t1, CHURN_PAIRS);
}

/* ---- fresh alloc / free ------------------------------------------------------------------- */

static void bench_fresh(void)
{
    dp_pool *pool;
    if (dp_pool_create(NULL, &pool) != DP_OK)
        abort();
    dp_handle *h = malloc(FRESH_N * sizeof *h);
    uint64_t t0 = cpu_now_ns();
    for (uint32_t i = 0; i < FRESH_N; i++)
        dp_pool_alloc(pool, &h[i]);
    uint64_t t1 = cpu_now_ns();
    uint64_t bad = 0;
    for (uint32_t i = 0; i < FRESH_N; i++)
        bad += dp_pool_free(pool, h[i]) != DP_OK;
    uint64_t t2 = cpu_now_ns();
    sink += bad;
    dp_bench_report("pool.fresh_alloc", ns_per(t0, t1, FRESH_N), "ns");
    dp_bench_report("pool.free", ns_per(t1, t2, FRESH_N), "ns");
    free(h);
    dp_pool_destroy(pool);
}

/* ---- alive -------------------------------------------------------------------------------- */

/* Fills q with ALIVE_QUERIES handles drawn from live[0..n): stale_pct percent of them made
 * stale by moving the generation on (same slot, an odd generation that is not current). */
static void make_queries(uint64_t *q, const uint64_t *live, uint32_t n, int stale_pct, uint64_t seed)
{
    for (uint32_t i = 0; i < ALIVE_QUERIES; i++) {
        uint64_t r = dp_bench_rand(&seed);
        uint64_t h = live[r % n];
        if ((int)((r >> 40) % 100) < stale_pct)
            h += 2ull << 32;
        q[i] = h;
    }
}

static double time_pool_alive(const dp_pool *pool, const uint64_t *q)
{
    uint64_t hits = 0;
    uint64_t t0 = cpu_now_ns();
    for (uint32_t i = 0; i < ALIVE_QUERIES; i++)
        hits += dp_pool_alive(pool, (dp_handle){q[i]});
    uint64_t t1 = cpu_now_ns();
    sink += hits;
    return ns_per(t0, t1, ALIVE_QUERIES);
}

static double time_plain_alive(const plain *p, const uint64_t *q)
{
    uint64_t hits = 0;
    uint64_t t0 = cpu_now_ns();
    for (uint32_t i = 0; i < ALIVE_QUERIES; i++)
        hits += plain_alive(p, q[i]);
    uint64_t t1 = cpu_now_ns();
    sink += hits;
    return ns_per(t0, t1, ALIVE_QUERIES);
}

/* The alive rows: 16k live slots, and 1M live slots queried with 50% stale handles (each
 * also with all-live and all-stale queries). depot and plain answer the same query sequence,
 * alternating, ROUNDS times; ratio[0] is live_16k, ratio[1] mixed_1m (medians' ratio). */
static void bench_alive(double ratio[2])
{
    static const uint32_t sizes[2] = {16384, 1000000};
    uint64_t *q = malloc(ALIVE_QUERIES * sizeof *q);
    uint64_t *live = malloc(1000000 * sizeof *live);
    if (!q || !live)
        abort();
    for (int si = 0; si < 2; si++) {
        uint32_t n = sizes[si];
        const char *tag = si == 0 ? "16k" : "1m";
        char name[64];
        dp_pool *pool;
        if (dp_pool_create(NULL, &pool) != DP_OK)
            abort();
        plain p;
        plain_init(&p, n);
        for (uint32_t i = 0; i < n; i++) {
            dp_handle h;
            dp_pool_alloc(pool, &h);
            live[i] = h.bits;
            plain_alloc(&p); /* same indices and generations */
        }
        static const struct {
            const char *what;
            int stale_pct;
        } kinds[3] = {{"live", 0}, {"stale", 100}, {"mixed", 50}};
        for (int k = 0; k < 3; k++) {
            make_queries(q, live, n, kinds[k].stale_pct, 0xABCDEFull + (uint64_t)k);
            time_pool_alive(pool, q); /* warm up both */
            time_plain_alive(&p, q);
            double tp[ROUNDS], tb[ROUNDS];
            for (int r = 0; r < ROUNDS; r++) {
                tb[r] = time_plain_alive(&p, q);
                tp[r] = time_pool_alive(pool, q);
            }
            double mp = median(tp, ROUNDS), mb = median(tb, ROUNDS);
            snprintf(name, sizeof name, "pool.alive_%s_%s", kinds[k].what, tag);
            dp_bench_report(name, mp, "ns");
            snprintf(name, sizeof name, "plain.alive_%s_%s", kinds[k].what, tag);
            dp_bench_report(name, mb, "ns");
            if (si == 0 && k == 0)
                ratio[0] = mp / mb;
            if (si == 1 && k == 2)
                ratio[1] = mp / mb;
        }
        plain_fini(&p);
        dp_pool_destroy(pool);
    }
    free(q);
    free(live);
}

/* ---- contended reserve -------------------------------------------------------------------- */

typedef struct contend {
    dp_pool *pool;
    plain *pl;
    _Atomic uint64_t *word;
    atomic_int go;
    atomic_int ready;
} contend;

typedef struct worker {
    pthread_t t;
    contend *c;
    int kind; /* 0 pool reserve, 1 mutex alloc, 2 fetch_add */
    uint64_t ns;
    uint64_t cpu_ns; /* the worker's CPU time: its wall time less the time it was not running */
    uint64_t check;
} worker;

static void *worker_main(void *arg)
{
    worker *w = arg;
    contend *c = w->c;
    /* Relaxed: the start line publishes nothing; the go flag below is the release/acquire pair. */
    atomic_fetch_add_explicit(&c->ready, 1, memory_order_relaxed);
    /* Acquire: pairs with the main thread's release store of go; the setup is visible. */
    while (!atomic_load_explicit(&c->go, memory_order_acquire))
        ;
    uint64_t check = 0;
    uint64_t c0 = cpu_now_ns();
    uint64_t t0 = dp_bench_now_ns();
    for (uint32_t i = 0; i < RESERVE_PER_THREAD; i++) {
        if (w->kind == 0) {
            dp_handle h;
            check += dp_pool_reserve(c->pool, &h) == DP_OK;
        } else if (w->kind == 1) {
            check += mutex_alloc(c->pl) != 0;
        } else {
            /* Relaxed: the bare contended RMW is what this row measures. */
            check += atomic_fetch_add_explicit(c->word, 1, memory_order_relaxed) & 1;
        }
    }
    w->ns = dp_bench_now_ns() - t0;
    w->cpu_ns = cpu_now_ns() - c0;
    w->check = check;
    return NULL;
}

/* 2 workers of `kind`; while they run, the owner frees `owner_frees` handles (pool/mutex).
 * Returns wall ns per operation; *cpu gets the workers' CPU ns per operation and, for the
 * pool, *fresh the share of reserves that took a fresh index (the rest reused freed slots). */
static double run_contended(int kind, double *cpu, double *fresh)
{
    contend c;
    memset(&c, 0, sizeof c);
    _Atomic uint64_t word;
    atomic_init(&word, 0);
    c.word = &word;
    plain pl;
    uint64_t *held = NULL;
    dp_handle *hh = NULL;
    const uint32_t owner_frees = 2 * RESERVE_PER_THREAD;
    if (kind == 0) {
        if (dp_pool_create(NULL, &c.pool) != DP_OK)
            abort();
        hh = malloc(owner_frees * sizeof *hh);
        for (uint32_t i = 0; i < owner_frees; i++)
            dp_pool_alloc(c.pool, &hh[i]);
    } else if (kind == 1) {
        plain_init(&pl, 4 * RESERVE_PER_THREAD + 16);
        c.pl = &pl;
        held = malloc(owner_frees * sizeof *held);
        for (uint32_t i = 0; i < owner_frees; i++)
            held[i] = plain_alloc(&pl);
    }
    worker w[2];
    for (int i = 0; i < 2; i++) {
        w[i] = (worker){.c = &c, .kind = kind};
        pthread_create(&w[i].t, NULL, worker_main, &w[i]);
    }
    /* Relaxed: only counts the workers in; nothing is read through it. */
    while (atomic_load_explicit(&c.ready, memory_order_relaxed) < 2)
        ;
    /* Release: pairs with the workers' acquire load of go. */
    atomic_store_explicit(&c.go, 1, memory_order_release);
    uint64_t bad = 0;
    if (kind == 0) {
        for (uint32_t i = 0; i < owner_frees; i++)
            bad += dp_pool_free(c.pool, hh[i]) != DP_OK;
    } else if (kind == 1) {
        for (uint32_t i = 0; i < owner_frees; i++)
            bad += !mutex_free(&pl, held[i]);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(w[i].t, NULL);
    sink += bad + w[0].check + w[1].check;
    if (kind == 0) {
        dp_pool_stats s;
        dp_pool_get_stats(c.pool, &s);
        *fresh = (double)(s.high_water - owner_frees) / (2.0 * RESERVE_PER_THREAD);
        dp_pool_destroy(c.pool);
        free(hh);
    } else if (kind == 1) {
        plain_fini(&pl);
        free(held);
    }
    *cpu = ((double)w[0].cpu_ns + (double)w[1].cpu_ns) / 2.0 / RESERVE_PER_THREAD;
    return ((double)w[0].ns + (double)w[1].ns) / 2.0 / RESERVE_PER_THREAD;
}

/* ---- main --------------------------------------------------------------------------------- */

int dp_bench_pool(void)
{
    if (bench_memory() != 0)
        return 1;

    uint32_t *pick = churn_picks();
    double tc[3][ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        tc[0][r] = bench_pool_churn(pick);
        tc[1][r] = bench_plain_churn(pick, false);
        tc[2][r] = bench_plain_churn(pick, true);
    }
    free(pick);
    double pool_churn = median(tc[0], ROUNDS);
    double plain_churn = median(tc[1], ROUNDS);
    dp_bench_report("pool.churn_pair", pool_churn, "ns");
    dp_bench_report("plain.churn_pair", plain_churn, "ns");
    dp_bench_report("mutex.churn_pair", median(tc[2], ROUNDS), "ns");

    bench_fresh();

    double ratio[2] = {0, 0};
    bench_alive(ratio);
    dp_bench_report("pool.alive_ratio_vs_plain", ratio[0], "x");
    dp_bench_report("pool.alive_mixed_1m_ratio_vs_plain", ratio[1], "x");

    /* Contended numbers swing with whatever else runs on the machine: take the median of
     * 7 interleaved runs of each. */
    enum { REPS = 7 };
    double r[3][REPS], rc[3][REPS], fresh[REPS];
    for (int i = 0; i < REPS; i++)
        for (int kind = 0; kind < 3; kind++)
            r[kind][i] = run_contended(kind, &rc[kind][i], &fresh[i]);
    double pool_res = median(r[0], REPS);
    double mutex_res = median(r[1], REPS);
    double floor_res = median(r[2], REPS);
    dp_bench_report("pool.reserve_contended", pool_res, "ns");
    dp_bench_report("mutex.reserve_contended", mutex_res, "ns");
    dp_bench_report("floor.fetch_add_contended", floor_res, "ns");
    /* The same runs in the workers' CPU time: with 3 threads on 2 cores (and other load),
     * wall time also counts time a worker waited for a CPU. */
    dp_bench_report("pool.reserve_contended_cpu", median(rc[0], REPS), "ns");
    dp_bench_report("mutex.reserve_contended_cpu", median(rc[1], REPS), "ns");
    dp_bench_report("floor.fetch_add_contended_cpu", median(rc[2], REPS), "ns");
    dp_bench_report("pool.reserve_fresh_share", median(fresh, REPS), "x");
    dp_bench_report("pool.reserve_ratio_vs_floor", pool_res / floor_res, "x");
    dp_bench_report("pool.reserve_speedup_vs_mutex", mutex_res / pool_res, "x");
    dp_bench_report("pool.churn_ratio_vs_plain", pool_churn / plain_churn, "x");
    return 0;
}
