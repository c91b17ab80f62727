/* fuzz_registry.c — libFuzzer target for the asset registry.
 *
 * The input is a program: byte 0 picks the depot settings (unused cache, holder tracking,
 * collector budget), then each operation is one opcode byte followed by argument bytes.
 * Operations address a small table of handles (live, released, evicted: whatever they
 * are now) and a list of the strong references the program owns.
 *
 * Checked, with abort() on any violation so that the fuzzer reports it:
 *  - every call returns one of the statuses its contract allows;
 *  - an evicted handle stays stale; a handle the program holds gives its data;
 *  - dp_check == DP_OK after every dp_update;
 *  - after releasing everything and collecting, nothing is left alive;
 *  - after dp_destroy no allocation is live, and the type's destroy ran exactly once for
 *    every piece of data handed to the depot (dp_add, dp_replace).
 * Also compiled into tests/asset/test_fuzz_corpus.c, which replays the committed corpus
 * in the gcc sanitizer builds. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "depot/depot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_HANDLES 16
#define FZ_GROUPS 4
#define FZ_REFS 1024
#define FZ_OBJS 2048

typedef struct fz_obj {
    uint32_t magic;
    int id;
} fz_obj;

typedef struct fz {
    atomic_long live;
    dp_depot *dp;
    dp_type_id type;
    dp_handle h[FZ_HANDLES];
    bool evicted[FZ_HANDLES];
    dp_group g[FZ_GROUPS];
    dp_handle refs[FZ_REFS];
    size_t nrefs;
    unsigned char destroyed[FZ_OBJS];
    unsigned char handed[FZ_OBJS]; /* 1 when the depot owns object id */
    int nobjs;
    const uint8_t *p, *end;
} fz;

#define FZ_CHECK(cond)                                                                     \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "fuzz_registry: %s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                                \
            abort();                                                                       \
        }                                                                                  \
    } while (0)

static void *fz_alloc(size_t size, void *user)
{
    fz *z = user;
    unsigned char *p = malloc(size + 16);
    if (!p)
        return NULL;
    atomic_fetch_add(&z->live, 1);
    return p + 16;
}

static void fz_free(void *ptr, void *user)
{
    fz *z = user;
    atomic_fetch_sub(&z->live, 1);
    free((unsigned char *)ptr - 16);
}

static void fz_destroy(void *asset, void *user)
{
    fz *z = user;
    fz_obj *o = asset;
    FZ_CHECK(o->magic == 0x0b1ec7u);
    FZ_CHECK(o->id >= 0 && o->id < z->nobjs);
    FZ_CHECK(z->handed[o->id]);
    FZ_CHECK(z->destroyed[o->id] == 0);
    z->destroyed[o->id] = 1;
    o->magic = 0;
    free(o);
}

static uint8_t next(fz *z)
{
    return z->p < z->end ? *z->p++ : 0;
}

static fz_obj *new_obj(fz *z)
{
    if (z->nobjs >= FZ_OBJS)
        return NULL;
    fz_obj *o = malloc(sizeof *o);
    o->magic = 0x0b1ec7u;
    o->id = z->nobjs++;
    return o;
}

/* The depot refused the object: it stays ours. */
static void drop_obj(fz *z, fz_obj *o)
{
    (void)z;
    o->magic = 0;
    free(o);
}

static void push_ref(fz *z, dp_handle h)
{
    if (z->nrefs < FZ_REFS) {
        z->refs[z->nrefs++] = h;
        return;
    }
    FZ_CHECK(dp_release(z->dp, h) == DP_OK); /* no room to remember it: give it back */
}

static bool is_evicted(fz *z, dp_handle h)
{
    for (int i = 0; i < FZ_HANDLES; i++)
        if (z->evicted[i] && dp_handle_eq(z->h[i], h))
            return true;
    return false;
}

static void remember(fz *z, uint8_t slot, dp_handle h)
{
    slot %= FZ_HANDLES;
    z->h[slot] = h;
    z->evicted[slot] = false;
}

static const char *key_of(uint8_t b)
{
    static const char *keys[] = {"a.png", "b.png", "tex/c", "d#1", "e", "f", "g", "h"};
    return keys[b % 8];
}

static void op_add(fz *z, bool keyed)
{
    uint8_t slot = next(z), kb = next(z), size = next(z);
    fz_obj *o = new_obj(z);
    if (!o)
        return;
    dp_handle h;
    dp_status st = dp_add(z->dp, z->type, o, size, keyed ? key_of(kb) : NULL, &h);
    if (st == DP_OK) {
        z->handed[o->id] = 1;
        FZ_CHECK(dp_get(z->dp, h) == o);
        FZ_CHECK(dp_count(z->dp, h) == 1);
        push_ref(z, h);
        remember(z, slot, h);
    } else if (st == DP_ERR_EXISTS) {
        FZ_CHECK(keyed);
        FZ_CHECK(dp_get(z->dp, h) != NULL);
        drop_obj(z, o);
        push_ref(z, h);
        remember(z, slot, h);
    } else {
        FZ_CHECK(0 && "dp_add failed");
    }
}

static void op_acquire(fz *z, bool upgrade)
{
    int i = next(z) % FZ_HANDLES;
    dp_handle h = z->h[i];
    dp_status st = upgrade ? dp_upgrade(z->dp, h) : dp_retain(z->dp, h);
    if (z->evicted[i] || dp_handle_is_null(h))
        FZ_CHECK(st == DP_ERR_STALE);
    if (st == DP_OK) {
        FZ_CHECK(dp_get(z->dp, h) != NULL);
        FZ_CHECK(dp_count(z->dp, h) >= 1);
        push_ref(z, h);
    } else {
        FZ_CHECK(st == DP_ERR_STALE);
        FZ_CHECK(dp_get(z->dp, h) == NULL);
    }
}

static void op_release(fz *z, bool twice)
{
    if (!z->nrefs)
        return;
    size_t k = next(z) % z->nrefs;
    dp_handle h = z->refs[k];
    z->refs[k] = z->refs[--z->nrefs];
    dp_status st = dp_release(z->dp, h);
    if (is_evicted(z, h))
        FZ_CHECK(st == DP_ERR_STALE);
    FZ_CHECK(st == DP_OK || st == DP_ERR_STALE);
    if (twice && dp_count(z->dp, h) == 0) {
        /* A release without a matching acquire changes nothing. */
        st = dp_release(z->dp, h);
        FZ_CHECK(st == DP_ERR_UNDERFLOW || st == DP_ERR_STALE);
    }
}

static void op_depend(fz *z, bool add)
{
    dp_handle a = z->h[next(z) % FZ_HANDLES], b = z->h[next(z) % FZ_HANDLES];
    if (add) {
        dp_status st = dp_depend(z->dp, a, b);
        FZ_CHECK(st == DP_OK || st == DP_ERR_STALE || st == DP_ERR_EXISTS);
        if (st == DP_OK)
            FZ_CHECK(dp_count(z->dp, b) >= 1);
    } else {
        dp_status st = dp_undepend(z->dp, a, b);
        FZ_CHECK(st == DP_OK || st == DP_ERR_STALE || st == DP_ERR_NOT_FOUND);
    }
}

static void op_group(fz *z)
{
    uint8_t what = next(z) % 5;
    int gi = next(z) % FZ_GROUPS;
    dp_handle h = z->h[next(z) % FZ_HANDLES];
    dp_group g = z->g[gi];
    dp_status st;
    switch (what) {
    case 0:
        if (g.bits)
            FZ_CHECK(dp_group_destroy(z->dp, g) == DP_OK);
        FZ_CHECK(dp_group_create(z->dp, "g", &z->g[gi]) == DP_OK);
        FZ_CHECK(dp_group_size(z->dp, z->g[gi]) == 0);
        break;
    case 1:
        st = dp_group_add(z->dp, g, h);
        FZ_CHECK(st == DP_OK || st == DP_ERR_STALE || st == DP_ERR_EXISTS);
        if (!g.bits)
            FZ_CHECK(st == DP_ERR_STALE);
        break;
    case 2:
        st = dp_group_remove(z->dp, g, h);
        FZ_CHECK(st == DP_OK || st == DP_ERR_STALE || st == DP_ERR_NOT_FOUND);
        break;
    case 3:
        st = dp_group_release(z->dp, g);
        FZ_CHECK(st == (g.bits ? DP_OK : DP_ERR_STALE));
        if (g.bits)
            FZ_CHECK(dp_group_size(z->dp, g) == 0);
        break;
    default:
        st = dp_group_destroy(z->dp, g);
        FZ_CHECK(st == (g.bits ? DP_OK : DP_ERR_STALE));
        if (g.bits)
            FZ_CHECK(dp_group_destroy(z->dp, g) == DP_ERR_STALE);
        z->g[gi] = (dp_group){0};
        break;
    }
}

static void op_evict(fz *z)
{
    int i = next(z) % FZ_HANDLES;
    dp_status st = dp_evict(z->dp, z->h[i]);
    FZ_CHECK(st == DP_OK || st == DP_ERR_STALE);
    if (st == DP_OK) {
        FZ_CHECK(dp_get(z->dp, z->h[i]) == NULL);
        FZ_CHECK(dp_count(z->dp, z->h[i]) == 0);
        z->evicted[i] = true;
    }
}

static void update_and_check(fz *z)
{
    FZ_CHECK(dp_update(z->dp) == DP_OK);
    FZ_CHECK(dp_check(z->dp) == DP_OK);
    const dp_event *ev;
    size_t n = dp_events(z->dp, &ev);
    for (size_t i = 0; i < n; i++)
        FZ_CHECK(ev[i].kind <= DP_EV_FREED && ev[i].handle.bits != 0);
}

static void op_find(fz *z)
{
    uint8_t slot = next(z), kb = next(z);
    dp_handle h;
    dp_status st = dp_find(z->dp, key_of(kb), &h);
    FZ_CHECK(st == DP_OK || st == DP_ERR_NOT_FOUND);
    if (st == DP_OK) {
        FZ_CHECK(dp_get(z->dp, h) != NULL);
        FZ_CHECK(!strcmp(dp_key_of(z->dp, h), key_of(kb)));
        push_ref(z, h);
        remember(z, slot, h);
    }
}

static void op_replace(fz *z)
{
    int i = next(z) % FZ_HANDLES;
    uint8_t size = next(z);
    fz_obj *o = new_obj(z);
    if (!o)
        return;
    dp_status st = dp_replace(z->dp, z->h[i], o, size);
    FZ_CHECK(st == DP_OK || st == DP_ERR_STALE);
    if (st == DP_OK) {
        z->handed[o->id] = 1;
        FZ_CHECK(dp_get(z->dp, z->h[i]) == o);
    } else {
        drop_obj(z, o);
    }
}

static void op_touch(fz *z)
{
    dp_status st = dp_touch(z->dp, z->h[next(z) % FZ_HANDLES]);
    FZ_CHECK(st == DP_OK || st == DP_ERR_STALE);
}

/* Gives everything back and checks that nothing stays alive. */
static void wind_down(fz *z)
{
    for (int i = 0; i < FZ_GROUPS; i++)
        if (z->g[i].bits)
            FZ_CHECK(dp_group_destroy(z->dp, z->g[i]) == DP_OK);
    while (z->nrefs) {
        dp_status st = dp_release(z->dp, z->refs[--z->nrefs]);
        FZ_CHECK(st == DP_OK || st == DP_ERR_STALE);
    }
    dp_stats s;
    for (int round = 0; round < 64; round++) {
        update_and_check(z);
        FZ_CHECK(dp_collect_cycles(z->dp) == DP_OK);
        FZ_CHECK(dp_release_unused(z->dp) == DP_OK);
        FZ_CHECK(dp_get_stats(z->dp, &s) == DP_OK);
        if (s.live_assets == 0)
            break;
    }
    if (s.live_assets != 0 && getenv("FZ_TRACE"))
        dp_write_dot(z->dp, stderr);
    FZ_CHECK(s.live_assets == 0);
    FZ_CHECK(s.edges == 0);
    FZ_CHECK(dp_check(z->dp) == DP_OK);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz *z = calloc(1, sizeof *z);
    z->p = data;
    z->end = data + size;
    dp_allocator a = {fz_alloc, fz_free, z};
    uint8_t cfg = next(z);
    dp_desc d = {
        .allocator = &a,
        .keep_unused_bytes = (cfg & 1) ? 300 : 0,
        .track_holders = (cfg & 2) != 0,
        .collect_budget = (cfg & 4) ? 2 : 0,
    };
    FZ_CHECK(dp_create(&d, &z->dp) == DP_OK);
    dp_type t = {.name = "obj", .destroy = fz_destroy, .user = z};
    FZ_CHECK(dp_register_type(z->dp, &t, &z->type) == DP_OK);
    bool wound_down = (cfg & 8) != 0;

    bool trace = getenv("FZ_TRACE") != NULL;
    while (z->p < z->end) {
        uint8_t op = next(z) % 18;
        if (trace)
            fprintf(stderr, "op %d at %zu (refs %zu)\n", op, (size_t)(z->p - data), z->nrefs);
        switch (op) {
        case 0: op_add(z, true); break;
        case 1: op_add(z, false); break;
        case 2: op_acquire(z, false); break;
        case 3: op_acquire(z, true); break;
        case 4: op_release(z, false); break;
        case 5: op_release(z, true); break;
        case 6: op_depend(z, true); break;
        case 7: op_depend(z, false); break;
        case 8: op_group(z); break;
        case 9: op_evict(z); break;
        case 10: update_and_check(z); break;
        case 11: FZ_CHECK(dp_collect_cycles(z->dp) == DP_OK); break;
        case 12: FZ_CHECK(dp_release_unused(z->dp) == DP_OK); break;
        case 13: op_find(z); break;
        case 14: op_replace(z); break;
        case 15: op_touch(z); break;
        case 16: op_release(z, false); break;
        default: op_depend(z, true); break;
        }
    }
    if (wound_down) {
        wind_down(z);
        FZ_CHECK(dp_destroy(z->dp) == 0);
    } else {
        update_and_check(z);
        dp_destroy(z->dp); /* with everything still held: destroy frees it all anyway */
    }
    FZ_CHECK(atomic_load(&z->live) == 0);
    for (int i = 0; i < z->nobjs; i++)
        FZ_CHECK(z->destroyed[i] == z->handed[i]);
    free(z);
    return 0;
}
