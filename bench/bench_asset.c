/* bench_asset.c — the asset registry (layer 2) against its baselines, all in one binary:
 *   asset     the real registry (dp_add, dp_find, dp_retain/dp_release, dp_update, ...),
 *   mutexreg  the same operations done the simple way (bench/mutexreg.c: one global mutex,
 *             a malloc'd node per asset, a chained hash map, plain int counts),
 *   floor     one atomic fetch_add +1 and fetch_sub -1 on one word (the speed of light for
 *             a count that any thread may move), and floor.cas_inc_dec: the same +1 and -1 as
 *             a generation-checked load + CAS on a slot-shaped word (the floor of the
 *             protocol depot's counts use).
 * Every line is "BENCH <name> <value> <unit>"; times are ns per operation (per asset for the
 * cascade and collection lines). Short measurements are the median of several runs after a
 * warm-up. The registered type's destroy does nothing, so its cost does not hide ours. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "asset/registry.h"
#include "bench.h"
#include "depot/asset.h"
#include "mutexreg.h"

#define PAIRS 5000000u        /* retain+release pairs per timed run */
#define PAIRS_2T 2000000u     /* per thread */
#define FIND_KEYS 10000u      /* live keyed assets in the find benchmark */
#define FIND_HOT 100u         /* live keyed assets in the hot-cache find variant */
#define FIND_OPS 1000000u     /* finds per timed run (passes over all keys) */
#define ADD_BATCH 1000u       /* adds per update in the batched variant */
#define ADD_TOTAL 1000000u    /* assets per timed run (batched) */
#define ADD_SINGLE 200000u    /* assets per timed run (one per update) */
#define RING 100u             /* cycle length in the collection benchmark */
#define REPS 7

static volatile uint64_t sink; /* results go here so no loop can be dropped */
static int dummy_data;         /* every asset's data: dp_add wants a non-NULL pointer */

static double ns_per(uint64_t t0, uint64_t t1, uint64_t n) { return (double)(t1 - t0) / (double)n; }

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

static void fail(const char *what)
{
    fprintf(stderr, "bench asset: %s failed\n", what);
    abort();
}

static void nop_destroy(void *asset, void *user)
{
    (void)asset;
    (void)user;
}

static void mr_nop_destroy(void *data) { (void)data; }

static dp_depot *make_depot(dp_type_id *type)
{
    dp_depot *dp;
    if (dp_create(NULL, &dp) != DP_OK)
        fail("dp_create");
    dp_type t = {.name = "bench", .destroy = nop_destroy};
    if (dp_register_type(dp, &t, type) != DP_OK)
        fail("dp_register_type");
    return dp;
}

static void end_depot(dp_depot *dp)
{
    size_t leaks = dp_destroy(dp);
    if (leaks)
        fprintf(stderr, "bench asset: %zu assets still held at dp_destroy\n", leaks);
}

static void make_key(char *buf, size_t cap, uint32_t i)
{
    snprintf(buf, cap, "textures/tiles/tile_%06u.png", i);
}

/* ---- floor -------------------------------------------------------------------------------- */

static double run_floor(void)
{
    static _Atomic uint64_t word;
    uint64_t acc = 0;
    uint64_t t0 = dp_bench_now_ns();
    for (uint32_t i = 0; i < PAIRS; i++) {
        /* acq_rel: the floor measures the bare RMW a count change costs, with the ordering a
         * release/acquire count would need (depot's own CAS is seq_cst; on x86 both are one
         * locked instruction). */
        acc += atomic_fetch_add_explicit(&word, 1, memory_order_acq_rel);
        acc += atomic_fetch_sub_explicit(&word, 1, memory_order_acq_rel);
    }
    uint64_t t1 = dp_bench_now_ns();
    sink += acc;
    return ns_per(t0, t1, PAIRS);
}

/* One count move of run_floor_cas: +1 or -1 (delta) if the word's generation is 1. */
static inline uint64_t floor_cas_move(_Atomic uint64_t *word, uint64_t delta)
{
    /* Relaxed: the first guess of the CAS, which compares it again (seq_cst, as depot's
     * count CAS). */
    uint64_t w = atomic_load_explicit(word, memory_order_relaxed);
    for (;;) {
        if ((uint32_t)w != 1u)
            return 1;
        /* Relaxed on failure: a failed CAS only refreshes w for the next try. */
        if (atomic_compare_exchange_weak_explicit(word, &w, w + delta, memory_order_seq_cst,
                                                  memory_order_relaxed))
            return 0;
    }
}

/* The floor of a generation-checked count: the same move on one word laid out as a slot word
 * (generation in the low half, count in the high half), done the only way such a word can be
 * moved safely: load, check the generation, CAS. On x86 the load of a line that the previous
 * locked instruction just wrote waits for that write to retire, so this floor is well above
 * the bare fetch_add's; it shows how much of retain + release is the protocol itself. */
static double run_floor_cas(void)
{
    static _Atomic uint64_t word = 1; /* generation 1 (live), count 0 */
    uint64_t bad = 0;
    uint64_t t0 = dp_bench_now_ns();
    for (uint32_t i = 0; i < PAIRS; i++) {
        bad += floor_cas_move(&word, 1ull << 32);
        bad += floor_cas_move(&word, (uint64_t)-(int64_t)(1ll << 32));
    }
    uint64_t t1 = dp_bench_now_ns();
    if (bad)
        fail("floor_cas");
    return ns_per(t0, t1, PAIRS);
}

/* ---- retain + release, 1 thread ------------------------------------------------------------- */

static double run_retain_release(dp_depot *dp, dp_handle h)
{
    uint64_t bad = 0;
    uint64_t t0 = dp_bench_now_ns();
    for (uint32_t i = 0; i < PAIRS; i++) {
        bad += dp_retain(dp, h) != DP_OK;
        bad += dp_release(dp, h) != DP_OK;
    }
    uint64_t t1 = dp_bench_now_ns();
    if (bad)
        fail("retain/release");
    return ns_per(t0, t1, PAIRS);
}

static double run_mr_retain_release(mr_reg *r, mr_node *n)
{
    uint64_t t0 = dp_bench_now_ns();
    for (uint32_t i = 0; i < PAIRS; i++) {
        mr_retain(r, n);
        mr_release(r, n);
    }
    uint64_t t1 = dp_bench_now_ns();
    return ns_per(t0, t1, PAIRS);
}

/* ---- retain + release, 2 threads on one asset ---------------------------------------------- */

typedef struct rr2 {
    dp_depot *dp;
    dp_handle h;
    atomic_int ready, go;
} rr2;

typedef struct rr2_worker {
    pthread_t t;
    rr2 *c;
    uint64_t ns, bad;
} rr2_worker;

static void *rr2_main(void *arg)
{
    rr2_worker *w = arg;
    rr2 *c = w->c;
    /* Relaxed: the start line publishes nothing; the go flag below is the release/acquire pair. */
    atomic_fetch_add_explicit(&c->ready, 1, memory_order_relaxed);
    /* Acquire: pairs with the main thread's release store of go; the setup is visible. */
    while (!atomic_load_explicit(&c->go, memory_order_acquire))
        ;
    uint64_t bad = 0;
    uint64_t t0 = dp_bench_now_ns();
    for (uint32_t i = 0; i < PAIRS_2T; i++) {
        bad += dp_retain(c->dp, c->h) != DP_OK;
        bad += dp_release(c->dp, c->h) != DP_OK;
    }
    w->ns = dp_bench_now_ns() - t0;
    w->bad = bad;
    return NULL;
}

static double run_retain_release_2t(dp_depot *dp, dp_handle h)
{
    rr2 c;
    memset(&c, 0, sizeof c);
    c.dp = dp;
    c.h = h;
    rr2_worker w[2];
    for (int i = 0; i < 2; i++) {
        w[i] = (rr2_worker){.c = &c};
        if (pthread_create(&w[i].t, NULL, rr2_main, &w[i]) != 0)
            fail("pthread_create");
    }
    /* Relaxed: only counts the workers in; nothing is read through it. */
    while (atomic_load_explicit(&c.ready, memory_order_relaxed) < 2)
        ;
    /* Release: pairs with the workers' acquire load of go. */
    atomic_store_explicit(&c.go, 1, memory_order_release);
    for (int i = 0; i < 2; i++)
        pthread_join(w[i].t, NULL);
    if (w[0].bad || w[1].bad)
        fail("retain/release (2 threads)");
    return ((double)w[0].ns + (double)w[1].ns) / 2.0 / PAIRS_2T;
}

/* ---- find ------------------------------------------------------------------------------------ */

/* Lookup order: a fixed random permutation-ish sequence over all keys, so that the probe
 * sequence is not the insertion order. */
static uint32_t *find_order(uint32_t n)
{
    uint32_t *o = malloc(n * sizeof *o);
    if (!o)
        fail("malloc");
    for (uint32_t i = 0; i < n; i++)
        o[i] = i;
    uint64_t seed = 0xF1D5EEDull;
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(dp_bench_rand(&seed) % (i + 1));
        uint32_t t = o[i];
        o[i] = o[j];
        o[j] = t;
    }
    return o;
}

/* out[0]: find+release pair; out[1]: find alone (a pass of n finds timed on its
 * own, the handles kept, then released untimed). */
static void run_find(dp_depot *dp, uint32_t n, char (*keys)[40], const uint32_t *order,
                     dp_handle *got, double out[2])
{
    uint64_t bad = 0, pair_ns = 0, find_ns = 0;
    uint32_t rounds = FIND_OPS / n;
    for (uint32_t r = 0; r < rounds; r++) {
        uint64_t t0 = dp_bench_now_ns();
        for (uint32_t i = 0; i < n; i++) {
            dp_handle h;
            bad += dp_find(dp, keys[order[i]], &h) != DP_OK;
            bad += dp_release(dp, h) != DP_OK;
        }
        uint64_t t1 = dp_bench_now_ns();
        for (uint32_t i = 0; i < n; i++)
            bad += dp_find(dp, keys[order[i]], &got[i]) != DP_OK;
        uint64_t t2 = dp_bench_now_ns();
        for (uint32_t i = 0; i < n; i++)
            bad += dp_release(dp, got[i]) != DP_OK;
        pair_ns += t1 - t0;
        find_ns += t2 - t1;
    }
    if (bad)
        fail("dp_find");
    out[0] = (double)pair_ns / ((double)rounds * n);
    out[1] = (double)find_ns / ((double)rounds * n);
}

static void run_mr_find(mr_reg *reg, uint32_t n, char (*keys)[40], const uint32_t *order,
                        mr_node **got, double out[2])
{
    uint64_t bad = 0, pair_ns = 0, find_ns = 0;
    uint32_t rounds = FIND_OPS / n;
    for (uint32_t r = 0; r < rounds; r++) {
        uint64_t t0 = dp_bench_now_ns();
        for (uint32_t i = 0; i < n; i++) {
            mr_node *m = mr_find(reg, keys[order[i]]);
            bad += !m;
            mr_release(reg, m);
        }
        uint64_t t1 = dp_bench_now_ns();
        for (uint32_t i = 0; i < n; i++)
            bad += !(got[i] = mr_find(reg, keys[order[i]]));
        uint64_t t2 = dp_bench_now_ns();
        for (uint32_t i = 0; i < n; i++)
            mr_release(reg, got[i]);
        pair_ns += t1 - t0;
        find_ns += t2 - t1;
    }
    if (bad)
        fail("mr_find");
    out[0] = (double)pair_ns / ((double)rounds * n);
    out[1] = (double)find_ns / ((double)rounds * n);
}

static void bench_find(uint32_t n, double asset_out[2], double mr_out[2])
{
    char (*keys)[40] = malloc(n * sizeof *keys);
    dp_handle *held = malloc(n * sizeof *held);
    dp_handle *got = malloc(n * sizeof *got);
    mr_node **mheld = malloc(n * sizeof *mheld);
    mr_node **mgot = malloc(n * sizeof *mgot);
    if (!keys || !held || !got || !mheld || !mgot)
        fail("malloc");
    uint32_t *order = find_order(n);
    dp_type_id type;
    dp_depot *dp = make_depot(&type);
    mr_reg *reg = mr_create(mr_nop_destroy);
    if (!reg)
        fail("mr_create");
    for (uint32_t i = 0; i < n; i++) {
        make_key(keys[i], sizeof keys[i], i);
        if (dp_add(dp, type, &dummy_data, 1, keys[i], &held[i]) != DP_OK)
            fail("dp_add");
        if (!(mheld[i] = mr_add(reg, &dummy_data, keys[i])))
            fail("mr_add");
    }
    dp_update(dp); /* settle creation: the timed loops see a steady registry */
    double a[REPS][2], m[REPS][2], pa[REPS], fa[REPS], pm[REPS], fm[REPS];
    run_find(dp, n, keys, order, got, a[0]); /* warm up */
    run_mr_find(reg, n, keys, order, mgot, m[0]);
    for (int i = 0; i < REPS; i++) {
        run_find(dp, n, keys, order, got, a[i]);
        run_mr_find(reg, n, keys, order, mgot, m[i]);
        pa[i] = a[i][0];
        fa[i] = a[i][1];
        pm[i] = m[i][0];
        fm[i] = m[i][1];
    }
    asset_out[0] = median(pa, REPS);
    asset_out[1] = median(fa, REPS);
    mr_out[0] = median(pm, REPS);
    mr_out[1] = median(fm, REPS);
    for (uint32_t i = 0; i < n; i++) {
        dp_release(dp, held[i]);
        mr_release(reg, mheld[i]);
    }
    dp_update(dp);
    mr_update(reg);
    end_depot(dp);
    mr_destroy(reg);
    free(order);
    free(keys);
    free(held);
    free(got);
    free(mheld);
    free(mgot);
}

/* ---- add + release + update ------------------------------------------------------------------ */

/* batch = assets added (then released) per dp_update. keyed: each asset gets a unique key. */
static double run_add(dp_depot *dp, dp_type_id type, uint32_t total, uint32_t batch,
                      dp_handle *hs, char (*keys)[40])
{
    uint64_t bad = 0;
    uint64_t t0 = dp_bench_now_ns();
    for (uint32_t done = 0; done < total; done += batch) {
        for (uint32_t i = 0; i < batch; i++)
            bad += dp_add(dp, type, &dummy_data, 1, keys ? keys[i] : NULL, &hs[i]) != DP_OK;
        for (uint32_t i = 0; i < batch; i++)
            bad += dp_release(dp, hs[i]) != DP_OK;
        bad += dp_update(dp) != DP_OK;
    }
    uint64_t t1 = dp_bench_now_ns();
    if (bad)
        fail("add/release/update");
    return ns_per(t0, t1, total);
}

static double run_mr_add(mr_reg *reg, uint32_t total, uint32_t batch, mr_node **ns,
                         char (*keys)[40])
{
    uint64_t bad = 0, freed = 0;
    uint64_t t0 = dp_bench_now_ns();
    for (uint32_t done = 0; done < total; done += batch) {
        for (uint32_t i = 0; i < batch; i++)
            bad += !(ns[i] = mr_add(reg, &dummy_data, keys ? keys[i] : NULL));
        for (uint32_t i = 0; i < batch; i++)
            mr_release(reg, ns[i]);
        freed += mr_update(reg);
    }
    uint64_t t1 = dp_bench_now_ns();
    if (bad || freed != total)
        fail("mutexreg add/release/update");
    return ns_per(t0, t1, total);
}

/* out: [0] batched, [1] one per update, [2] batched keyed; mr likewise. */
static void bench_add(double out[3], double mr[3])
{
    dp_handle *hs = malloc(ADD_BATCH * sizeof *hs);
    mr_node **ns = malloc(ADD_BATCH * sizeof *ns);
    char (*keys)[40] = malloc(ADD_BATCH * sizeof *keys);
    if (!hs || !ns || !keys)
        fail("malloc");
    for (uint32_t i = 0; i < ADD_BATCH; i++)
        make_key(keys[i], sizeof keys[i], i);
    dp_type_id type;
    dp_depot *dp = make_depot(&type);
    mr_reg *reg = mr_create(mr_nop_destroy);
    if (!reg)
        fail("mr_create");
    enum { R = 5 };
    double v[6][R];
    run_add(dp, type, ADD_TOTAL / 10, ADD_BATCH, hs, NULL); /* warm up */
    run_mr_add(reg, ADD_TOTAL / 10, ADD_BATCH, ns, NULL);
    for (int i = 0; i < R; i++) {
        v[0][i] = run_add(dp, type, ADD_TOTAL, ADD_BATCH, hs, NULL);
        v[1][i] = run_add(dp, type, ADD_SINGLE, 1, hs, NULL);
        v[2][i] = run_add(dp, type, ADD_TOTAL / 4, ADD_BATCH, hs, keys);
        v[3][i] = run_mr_add(reg, ADD_TOTAL, ADD_BATCH, ns, NULL);
        v[4][i] = run_mr_add(reg, ADD_SINGLE, 1, ns, NULL);
        v[5][i] = run_mr_add(reg, ADD_TOTAL / 4, ADD_BATCH, ns, keys);
    }
    for (int k = 0; k < 3; k++) {
        out[k] = median(v[k], R);
        mr[k] = median(v[3 + k], R);
    }
    end_depot(dp);
    mr_destroy(reg);
    free(hs);
    free(ns);
    free(keys);
}

/* ---- cascade free ---------------------------------------------------------------------------- */

/* A layered DAG of n assets: asset i depends on 2i+1 and 2i+2 (a binary tree) and, when i
 * is a multiple of 3, also on 2i+3, which is then shared with its neighbour i+1. So inner
 * assets have 1 to 3 children and a third of the next layer has two parents. Only the root
 * is held by the caller when this returns; candidates from building are already collected.
 * Returns the number of edges. */
static size_t build_dag(dp_depot *dp, dp_type_id type, uint32_t n, dp_handle *hs)
{
    size_t edges = 0;
    for (uint32_t i = 0; i < n; i++)
        if (dp_add(dp, type, &dummy_data, 1, NULL, &hs[i]) != DP_OK)
            fail("dp_add (dag)");
    for (uint32_t i = 0; i < n; i++) {
        uint64_t kids[3] = {2ull * i + 1, 2ull * i + 2, 2ull * i + 3};
        int nk = (i % 3 == 0) ? 3 : 2;
        for (int k = 0; k < nk; k++) {
            if (kids[k] >= n)
                break;
            if (dp_depend(dp, hs[i], hs[kids[k]]) != DP_OK)
                fail("dp_depend");
            edges++;
        }
    }
    dp_update(dp);
    for (uint32_t i = 1; i < n; i++)
        if (dp_release(dp, hs[i]) != DP_OK)
            fail("dp_release (dag)");
    /* Releasing to a non-zero count makes cycle candidates; clear them now, untimed. */
    dp_collect_cycles(dp);
    dp_update(dp);
    return edges;
}

static double run_cascade(uint32_t n, dp_handle *hs)
{
    dp_type_id type;
    dp_depot *dp = make_depot(&type);
    build_dag(dp, type, n, hs);
    dp_handle last = hs[n - 1];
    if (dp_count(dp, last) == 0)
        fail("dag build");
    uint64_t t0 = dp_bench_now_ns();
    if (dp_release(dp, hs[0]) != DP_OK || dp_update(dp) != DP_OK)
        fail("cascade");
    uint64_t t1 = dp_bench_now_ns();
    if (dp_count(dp, last) != 0 || dp_type_of(dp, last) != 0)
        fail("cascade (not everything freed)");
    end_depot(dp);
    return ns_per(t0, t1, n);
}

/* ---- cycle collection ------------------------------------------------------------------------ */

/* n assets in rings of RING (each depends on the next, the last on the first); every
 * external reference released; times dp_collect_cycles, which frees them all. */
static double run_collect(uint32_t n, dp_handle *hs)
{
    dp_type_id type;
    dp_depot *dp = make_depot(&type);
    for (uint32_t i = 0; i < n; i++)
        if (dp_add(dp, type, &dummy_data, 1, NULL, &hs[i]) != DP_OK)
            fail("dp_add (rings)");
    for (uint32_t base = 0; base < n; base += RING)
        for (uint32_t k = 0; k < RING; k++)
            if (dp_depend(dp, hs[base + k], hs[base + (k + 1) % RING]) != DP_OK)
                fail("dp_depend (rings)");
    dp_update(dp); /* creation settled, untimed */
    for (uint32_t i = 0; i < n; i++)
        if (dp_release(dp, hs[i]) != DP_OK)
            fail("dp_release (rings)");
    uint64_t t0 = dp_bench_now_ns();
    if (dp_collect_cycles(dp) != DP_OK)
        fail("dp_collect_cycles");
    uint64_t t1 = dp_bench_now_ns();
    dp_update(dp);
    if (dp_type_of(dp, hs[0]) != 0 || dp_type_of(dp, hs[n - 1]) != 0)
        fail("collect (garbage left)");
    end_depot(dp);
    return ns_per(t0, t1, n);
}

/* ---- memory per live asset ------------------------------------------------------------------ */

/* A counting allocator: a 16-byte header before each block holds its size, so the live byte
 * count is exact (what depot asked for, without malloc's own overhead). */
static _Atomic size_t counted_bytes;

static void *count_alloc(size_t size, void *user)
{
    (void)user;
    size_t *p = malloc(size + 16);
    if (!p)
        return NULL;
    *p = size;
    /* Relaxed: a byte counter; nothing is published through it, and here the only thread
     * that allocates is the one that reads it. */
    atomic_fetch_add_explicit(&counted_bytes, size, memory_order_relaxed);
    return (char *)p + 16;
}

static void count_free(void *ptr, void *user)
{
    (void)user;
    size_t *p = (size_t *)(void *)((char *)ptr - 16);
    /* Relaxed: a byte counter; nothing is published through it, and here the only thread
     * that allocates is the one that reads it. */
    atomic_fetch_sub_explicit(&counted_bytes, *p, memory_order_relaxed);
    free(p);
}

/* The full cost of a live keyed asset with one edge: BYTES_N keyed assets in a chain (each
 * depends on the one before; the first on one keyless leaf), settled by an update, then
 * one more update (a frame later: the burst's events and scratch are over); the growth of
 * the allocator's live byte count from just before the first add, divided by BYTES_N.
 * That is slot word + record + key-table entry + key bytes + edge storage, with each
 * table's spare capacity at that size. The counter sees what depot asked for, not
 * malloc's own overhead per block. Keys are 30 characters + NUL (the _key_part line).
 * _settling is the same count right after the settling update (its 3 x 10^5 events still
 * published). _keyless and _bare (no key, no edge) show where the bytes go; the
 * bytes_part_ lines split the full cost by part (dp__mem_parts, each part's growth over
 * the same span): _other is what the parts do not name. */
#define BYTES_N 100000u

/* Growth of each part of m1 over m0, per asset. */
static void mem_delta(const dp__mem *m0, const dp__mem *m1, double grown)
{
    double n = BYTES_N;
    double slots = (double)(m1->slots - m0->slots) / n;
    double table = (double)(m1->key_table - m0->key_table) / n;
    double keys = (double)(m1->key_strings - m0->key_strings) / n;
    double edges = (double)(m1->edges - m0->edges) / n;
    double events = (double)(m1->events - m0->events) / n;
    double lists = (double)(m1->lists - m0->lists) / n;
    double ext = (double)(m1->ext - m0->ext) / n;
    dp_bench_report("asset.bytes_record_size", (double)m1->record, "bytes");
    dp_bench_report("asset.bytes_slot_capacity_per_asset", (double)m1->slot_capacity / n,
                    "slots");
    dp_bench_report("asset.bytes_part_slots", slots, "bytes");
    dp_bench_report("asset.bytes_part_key_table", table, "bytes");
    dp_bench_report("asset.bytes_part_key_strings", keys, "bytes");
    dp_bench_report("asset.bytes_part_edges", edges, "bytes");
    dp_bench_report("asset.bytes_part_events", events, "bytes");
    dp_bench_report("asset.bytes_part_lists", lists, "bytes");
    dp_bench_report("asset.bytes_part_ext", ext, "bytes");
    dp_bench_report("asset.bytes_part_other",
                    grown / n - slots - table - keys - edges - events - lists - ext, "bytes");
}

/* Bytes per asset for BYTES_N assets, keyed or not, chained by edges or not; with `parts`,
 * also the bytes_part_ lines and the _settling line. */
static double bytes_per(bool keyed, bool edged, bool parts)
{
    static const dp_allocator counting = {count_alloc, count_free, NULL};
    dp_desc d = {.allocator = &counting};
    dp_depot *dp;
    dp_type_id type;
    dp_type t = {.name = "bench", .destroy = nop_destroy};
    if (dp_create(&d, &dp) != DP_OK || dp_register_type(dp, &t, &type) != DP_OK)
        fail("dp_create (counting)");
    dp_update(dp);
    dp__mem m0, m1;
    dp__mem_parts(dp, &m0);
    size_t before = atomic_load(&counted_bytes);
    dp_handle *hs = malloc((BYTES_N + 1) * sizeof *hs);
    if (!hs || dp_add(dp, type, &dummy_data, 1, NULL, &hs[0]) != DP_OK)
        fail("dp_add (leaf)");
    char key[64];
    for (uint32_t i = 1; i <= BYTES_N; i++) {
        snprintf(key, sizeof key, "textures/tiles/tile_%06u.png", i);
        if (dp_add(dp, type, &dummy_data, 1, keyed ? key : NULL, &hs[i]) != DP_OK ||
            (edged && dp_depend(dp, hs[i], hs[i - 1]) != DP_OK))
            fail("dp_add (chain)");
    }
    dp_update(dp);
    size_t settling = atomic_load(&counted_bytes) - before;
    dp_update(dp);
    size_t grown = atomic_load(&counted_bytes) - before;
    dp__mem_parts(dp, &m1);
    if (parts) {
        mem_delta(&m0, &m1, (double)grown);
        dp_bench_report("asset.bytes_per_asset_settling", (double)settling / BYTES_N, "bytes");
    }
    for (uint32_t i = 0; i <= BYTES_N; i++)
        dp_release(dp, hs[i]);
    dp_update(dp);
    end_depot(dp);
    free(hs);
    return (double)grown / BYTES_N;
}

static void bench_bytes(void)
{
    dp_bench_report("asset.bytes_per_asset", bytes_per(true, true, true), "bytes");
    dp_bench_report("asset.bytes_per_asset_key_part", 31, "bytes");
    dp_bench_report("asset.bytes_per_asset_keyless", bytes_per(false, true, false), "bytes");
    dp_bench_report("asset.bytes_per_asset_bare", bytes_per(false, false, false), "bytes");
}

/* ---- main ------------------------------------------------------------------------------------ */

int dp_bench_asset(void)
{
    bench_bytes();

    /* retain + release: one asset, 1 thread; the baseline and the floor interleaved. */
    dp_type_id type;
    dp_depot *dp = make_depot(&type);
    dp_handle h;
    if (dp_add(dp, type, &dummy_data, 1, "bench/one", &h) != DP_OK)
        fail("dp_add");
    dp_update(dp);
    mr_reg *reg = mr_create(mr_nop_destroy);
    mr_node *mn = reg ? mr_add(reg, &dummy_data, "bench/one") : NULL;
    if (!mn)
        fail("mutexreg");
    run_retain_release(dp, h); /* warm up */
    run_mr_retain_release(reg, mn);
    run_floor();
    run_floor_cas();
    double rr[REPS], mrr[REPS], fl[REPS], flc[REPS], rr2t[REPS];
    for (int i = 0; i < REPS; i++) {
        rr[i] = run_retain_release(dp, h);
        mrr[i] = run_mr_retain_release(reg, mn);
        fl[i] = run_floor();
        flc[i] = run_floor_cas();
    }
    for (int i = 0; i < REPS; i++)
        rr2t[i] = run_retain_release_2t(dp, h);
    double v_rr = median(rr, REPS), v_mrr = median(mrr, REPS), v_fl = median(fl, REPS);
    double v_flc = median(flc, REPS);
    double v_rr2 = median(rr2t, REPS);
    dp_release(dp, h);
    dp_update(dp);
    end_depot(dp);
    mr_release(reg, mn);
    mr_update(reg);
    mr_destroy(reg);
    dp_bench_report("floor.atomic_inc_dec", v_fl, "ns");
    dp_bench_report("asset.retain_release", v_rr, "ns");
    dp_bench_report("asset.retain_release_2t", v_rr2, "ns");
    dp_bench_report("mutexreg.retain_release", v_mrr, "ns");
    dp_bench_report("floor.cas_inc_dec", v_flc, "ns");
    dp_bench_report("asset.retain_release_ratio_vs_floor", v_rr / v_fl, "x");
    dp_bench_report("floor.cas_ratio_vs_floor", v_flc / v_fl, "x");
    dp_bench_report("asset.retain_release_ratio_vs_cas_floor", v_rr / v_flc, "x");

    /* find: n keyed assets ("textures/tiles/tile_000042.png", 30 characters), looked up in
     * a shuffled order. find_hit is dp_find + dp_release; find_only times a pass of finds
     * alone (handles kept, released after the clock stops). _hot100: 100 keys, all in L1/L2. */
    double fa[2], fm[2], fh[2], fhm[2];
    bench_find(FIND_KEYS, fa, fm);
    bench_find(FIND_HOT, fh, fhm);
    dp_bench_report("asset.find_hit", fa[0], "ns");
    dp_bench_report("asset.find_hit_find_only", fa[1], "ns");
    dp_bench_report("mutexreg.find_hit", fm[0], "ns");
    dp_bench_report("mutexreg.find_hit_find_only", fm[1], "ns");
    dp_bench_report("asset.find_hit_hot100", fh[0], "ns");
    dp_bench_report("asset.find_hit_hot100_find_only", fh[1], "ns");
    dp_bench_report("mutexreg.find_hit_hot100", fhm[0], "ns");
    dp_bench_report("asset.find_hit_ratio_vs_mutexreg", fa[0] / fm[0], "x");

    double aa[3], am[3];
    bench_add(aa, am);
    dp_bench_report("asset.add_release_update", aa[0], "ns");
    dp_bench_report("asset.add_release_update_1per", aa[1], "ns");
    dp_bench_report("asset.add_release_update_keyed", aa[2], "ns");
    dp_bench_report("mutexreg.add_release_update", am[0], "ns");
    dp_bench_report("mutexreg.add_release_update_1per", am[1], "ns");
    dp_bench_report("mutexreg.add_release_update_keyed", am[2], "ns");

    dp_handle *hs = malloc(1000000 * sizeof *hs);
    if (!hs)
        fail("malloc");
    static const struct {
        uint32_t n;
        int reps;
        const char *cascade, *collect;
    } sizes[3] = {{10000, 7, "asset.cascade_1e4", "asset.collect_1e4"},
                  {100000, 5, "asset.cascade_1e5", "asset.collect_1e5"},
                  {1000000, 3, "asset.cascade_1e6", "asset.collect_1e6"}};
    double cas[3], col[3];
    run_cascade(10000, hs); /* warm up */
    run_collect(10000, hs);
    for (int s = 0; s < 3; s++) {
        double c1[7], c2[7];
        for (int i = 0; i < sizes[s].reps; i++) {
            c1[i] = run_cascade(sizes[s].n, hs);
            c2[i] = run_collect(sizes[s].n, hs);
        }
        cas[s] = median(c1, sizes[s].reps);
        col[s] = median(c2, sizes[s].reps);
        dp_bench_report(sizes[s].cascade, cas[s], "ns");
        dp_bench_report(sizes[s].collect, col[s], "ns");
    }
    free(hs);
    dp_bench_report("asset.cascade_1e6_vs_1e4", cas[2] / cas[0], "x");
    dp_bench_report("asset.collect_1e6_vs_1e4", col[2] / col[0], "x");
    dp_bench_report("asset.retain_release_speedup_vs_mutexreg", v_mrr / v_rr, "x");
    dp_bench_report("asset.find_hit_speedup_vs_mutexreg", fm[0] / fa[0], "x");
    return 0;
}
