/* pool.c — the generational handle pool: chunked slot words, an owner-local free batch,
 * and a shared lock-free free list that any thread may pop.
 *
 * Who touches what:
 * - Slot words: any thread reads them (alive); the owner frees (CAS) and pops its local
 *   batch; a thread that popped the shared list or took a fresh index writes the word of
 *   that slot once, to make it live. While a slot is on the shared list its high 32 bits
 *   hold the next free index + 1 (0 = end).
 * - The shared list head: one 64-bit word popped by any thread with a CAS and published to
 *   by the owner only (see publish()).
 * - The local batch and every `o_*` counter: the owner only (other threads read the counters
 *   for stats, so they are atomics written with relaxed load + store, never RMW).
 */
#include <sched.h>
#include <stddef.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/alloc.h"
#include "pool/pool_internal.h"

/* Shared free-list head, one 64-bit word:
 *   bits  0..31  index of the top free slot + 1 (0 = empty)
 *   bits 32..62  ABA tag, bumped by every change of the head: once by each pop, twice by
 *                each publish (busy, then done)
 *   bit  63      "free in progress": the owner is linking a batch onto the list
 * DESIGN.md says the head packs the list's length; it cannot also hold the top index in 64
 * bits. Stats derive the length instead: pops = tag - 2 * publishes (mod 2^31), so the list
 * holds o_pushed - pops slots, and a pop is one CAS with no counter to bump. */
#define HEAD_TOP_MASK 0xFFFFFFFFull
#define HEAD_TAG_SHIFT 32
#define HEAD_TAG_MASK 0x7FFFFFFFull
#define HEAD_BUSY (1ull << 63)

#define LOCAL_CAP 256u          /* owner-local free batch */
#define RETIRED_MARK 0xFFFFFFFFu /* user bits of a slot retired at the wrap (gen 0) */
#define MAX_PAYLOAD 4096u
#define PAGE_SLOTS DP__POOL_FIRST_CHUNK /* slots per payload page; every chunk holds whole pages */
#define HUGE_PAGE ((size_t)2 << 20) /* x86-64 and arm64 (4 KB base pages) transparent huge page */
#define CACHE_LINE 64 /* padding, not _Alignas: the allocator only promises malloc alignment */

static inline uint64_t head_make(uint64_t top1, uint64_t tag, uint64_t busy)
{
    return (top1 & HEAD_TOP_MASK) | ((tag & HEAD_TAG_MASK) << HEAD_TAG_SHIFT) | busy;
}
static inline uint64_t head_top1(uint64_t h) { return h & HEAD_TOP_MASK; }
static inline uint64_t head_tag(uint64_t h) { return (h >> HEAD_TAG_SHIFT) & HEAD_TAG_MASK; }

static inline void cpu_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

struct dp_pool {
    /* The chunk table, first (pool.h's inline dp_pool_alive reads it there); written and
     * read only through chunk_load and table_install. */
    struct dp__pool_chunks table;

    /* Read-mostly: set at create (or by test hooks before other threads run). */
    dp_allocator alloc;
    size_t stride;        /* payload bytes per slot, rounded to 8 or 16; 0 = none */
    uint64_t limit;       /* indices that may be handed out (default 2^32) */
    uint64_t hook_index;  /* test hook: the fresh index that starts at hook_gen */
    uint32_t hook_gen;
    bool hook_armed;

    /* Shared free list. */
    char pad_head[CACHE_LINE]; /* keeps the groups on separate cache lines */
    _Atomic uint64_t head;

    /* Fresh indices. */
    char pad_fresh[CACHE_LINE]; /* keeps the groups on separate cache lines */
    _Atomic uint64_t next_index;
    _Atomic uint64_t skipped;   /* indices jumped over by the test hook, never taken */
    _Atomic uint64_t orphaned;  /* fresh indices lost to a failed chunk allocation race */

    /* Rarely written, any thread. */
    char pad_rare[CACHE_LINE]; /* keeps the groups on separate cache lines */
    _Atomic uint64_t n_chunks;
    _Atomic uint64_t capacity;
    _Atomic uint64_t bytes;

    /* Owner only (single writer; others read them for stats). */
    char pad_owner[CACHE_LINE]; /* keeps the groups on separate cache lines */
    /* No counter of frees or of allocs from the batch: a freed slot is in the batch, on the
     * shared list or retired, so live = handed out fresh - batch - shared list - retired,
     * and the churn path (free + alloc) updates nothing but the batch size. */
    _Atomic uint64_t o_pushed;   /* slots published to the shared list */
    _Atomic uint64_t o_publishes; /* publishes (each moved the head's tag on by 2) */
    _Atomic uint64_t o_retired;  /* slots retired by a free */
    _Atomic uint32_t o_nlocal;   /* slots in local[] (stats read it too) */
    uint32_t local[LOCAL_CAP];
    _Atomic uint64_t *local_w[LOCAL_CAP]; /* the words of local[], so alloc skips the lookup */
};

_Static_assert(offsetof(struct dp_pool, table) == 0, "pool.h's dp_pool_alive reads the table first");
_Static_assert(sizeof(((struct dp__pool_chunks *)0)->chunk) / sizeof(void *) == DP__POOL_MAX_CHUNKS,
               "one table entry per chunk");

/* ---- chunks ---------------------------------------------------------------------------- */

static inline uint64_t chunk_first(uint32_t k)
{
    return ((uint64_t)DP__POOL_FIRST_CHUNK << k) - DP__POOL_FIRST_CHUNK;
}

/* Slots in chunk k: 512 << k, the last chunk cut so that no index reaches 2^32. */
static inline uint64_t chunk_slots(uint32_t k)
{
    uint64_t n = (uint64_t)DP__POOL_FIRST_CHUNK << k;
    uint64_t room = DP__POOL_MAX_SLOTS - chunk_first(k);
    return n < room ? n : room;
}

/* Chunk k, or NULL if it is not allocated. Any thread. The table is plain pointers accessed
 * with the compiler's atomic builtins (not <stdatomic.h>) because pool.h, which C++ also
 * includes, reads it inline. */
static inline void *chunk_load(const dp_pool *pool, uint32_t k)
{
    /* acquire: pairs with table_install's release CAS: the chunk's words read as zero. */
    return __atomic_load_n(&pool->table.chunk[k], __ATOMIC_ACQUIRE);
}

/* Installs `fresh` in the empty table entry *at (a chunk or a payload page) unless another
 * thread filled it first: true if installed, else *expected is the one that won. Any thread. */
static inline bool table_install(void **at, void **expected, void *fresh)
{
    /* acq_rel: release publishes the zeroed memory to chunk_load, page_load and
     * dp_pool_alive; acquire (also on failure) makes the winner's zeroed bytes visible. */
    return __atomic_compare_exchange_n(at, expected, fresh, false, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

/* Payload pages: with a payload, chunk k's words are preceded by one pointer per PAGE_SLOTS
 * slots, in reverse (the page of offset `off` at c[-1 - off / PAGE_SLOTS], c being the words),
 * each NULL until that page of payload is first used; so payload memory grows a page at a
 * time while the words keep the doubling chunks that alive indexes. */
static inline uint64_t chunk_pages(uint32_t k)
{
    return chunk_slots(k) / PAGE_SLOTS;
}

/* The table entry of the payload page holding offset `off` of the chunk whose words are c. */
static inline void **page_at(void *c, uint64_t off)
{
    return (void **)c - 1 - off / PAGE_SLOTS;
}

/* That page, or NULL if not yet made. */
static inline unsigned char *page_load(void *c, uint64_t off)
{
    /* acquire: pairs with table_install's release CAS: the page reads as zero. */
    return __atomic_load_n(page_at(c, off), __ATOMIC_ACQUIRE);
}

/* The start of the allocation of the chunk whose words are c (its page table, if any). */
static inline void *chunk_base(const dp_pool *pool, void *c, uint32_t k)
{
    return pool->stride ? (void *)((void **)c - chunk_pages(k)) : c;
}

/* A zeroed chunk of `size` bytes, or NULL. With the malloc/free allocator a chunk of
 * HUGE_PAGE bytes or more starts on a HUGE_PAGE boundary and its whole huge pages are advised
 * as such before it is zeroed (Linux; the advice is only a hint, and the tail past the last
 * whole huge page keeps small pages, so nothing beyond `size` becomes resident): an alive
 * check over a million slots then walks 8 MB of words with few TLB misses. A user's
 * allocator is used as it is. */
static void *chunk_alloc(dp_pool *pool, size_t size)
{
#ifdef MADV_HUGEPAGE
    if (size >= HUGE_PAGE && dp__alloc_is_std(&pool->alloc)) {
        void *p;
        if (posix_memalign(&p, HUGE_PAGE, size) != 0) /* std_free frees it */
            return NULL;
        (void)madvise(p, size & ~(HUGE_PAGE - 1), MADV_HUGEPAGE); /* a refusal: small pages */
        memset(p, 0, size);
        return p;
    }
#endif
    return dp__calloc(&pool->alloc, 1, size);
}

/* A zeroed payload page of `size` bytes, or NULL. With the malloc/free allocator it starts on
 * a cache line, so that a 64-byte payload (the asset layer's record) sits in one line: malloc
 * promises 16 bytes, and 3 records in 4 straddled two lines, which a dp_find hit and a
 * release both read. A page of HUGE_PAGE bytes or more is a chunk_alloc. */
static void *page_alloc(dp_pool *pool, size_t size)
{
    if (size >= HUGE_PAGE || !dp__alloc_is_std(&pool->alloc))
        return chunk_alloc(pool, size);
    void *p;
    if (posix_memalign(&p, CACHE_LINE, size) != 0) /* std_free frees it */
        return NULL;
    memset(p, 0, size);
    return p;
}

/* Chunk k, allocating and installing it if missing; NULL only when the allocation failed.
 * Any thread. */
static void *chunk_get_or_make(dp_pool *pool, uint32_t k)
{
    void *c = chunk_load(pool, k);
    if (c)
        return c;
    uint64_t n = chunk_slots(k);
    uint64_t table = pool->stride ? chunk_pages(k) * sizeof(void *) : 0;
    uint64_t size = table + n * sizeof(uint64_t);
    if (size > SIZE_MAX)
        return NULL;
    unsigned char *base = chunk_alloc(pool, (size_t)size);
    if (!base)
        return NULL;
    void *fresh = base + table, *expected = NULL;
    if (table_install(&pool->table.chunk[k], &expected, fresh)) {
        /* Relaxed: statistics; the chunk itself is published by the CAS above. */
        atomic_fetch_add_explicit(&pool->n_chunks, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&pool->capacity, n, memory_order_relaxed);
        atomic_fetch_add_explicit(&pool->bytes, size, memory_order_relaxed);
        return fresh;
    }
    dp__free(&pool->alloc, base);
    return expected;
}

/* The payload page for offset `off` of chunk k (at c), allocating and installing it if
 * missing; NULL only when the allocation failed. Any thread. */
static void *page_get_or_make(dp_pool *pool, void *c, uint64_t off)
{
    void *page = page_load(c, off);
    if (page)
        return page;
    size_t size = (size_t)PAGE_SLOTS * pool->stride;
    void *fresh = page_alloc(pool, size);
    if (!fresh)
        return NULL;
    void *expected = NULL;
    if (table_install(page_at(c, off), &expected, fresh)) {
        /* Relaxed: a statistic; the page itself is published by the CAS above. */
        atomic_fetch_add_explicit(&pool->bytes, size, memory_order_relaxed);
        return fresh;
    }
    dp__free(&pool->alloc, fresh);
    return expected;
}

/* True if slot `off` of chunk k has its chunk and (with a payload) its payload page, making
 * them if `make`; false if they are missing (or could not be made). Any thread. */
static bool slot_memory(dp_pool *pool, uint32_t k, uint64_t off, bool make)
{
    void *c = make ? chunk_get_or_make(pool, k) : chunk_load(pool, k);
    if (!c || !pool->stride)
        return c != NULL;
    return (make ? page_get_or_make(pool, c, off) : page_load(c, off)) != NULL;
}

/* dp__pool_locate, in fewer instructions for the hot paths: with u = index + 512, chunk k
 * starts at 2^(k+9) - 512, so the top bit of u is bit k + 9 and the offset is u without it. */
static inline _Atomic uint64_t *word_of(const dp_pool *pool, uint32_t index)
{
    uint64_t u = (uint64_t)index + DP__POOL_FIRST_CHUNK;
    uint32_t top = (uint32_t)__builtin_clzll(u) ^ 63u; /* 9 .. 32 */
    void *c = chunk_load(pool, top - 9);
    if (!c)
        return NULL;
    return (_Atomic uint64_t *)c + (u ^ (1ull << top));
}

_Atomic uint64_t *dp__pool_slot(const dp_pool *pool, uint32_t index, void **payload)
{
    uint64_t u = (uint64_t)index + DP__POOL_FIRST_CHUNK;
    uint32_t top = (uint32_t)__builtin_clzll(u) ^ 63u; /* 9 .. 32 */
    uint32_t k = top - 9;
    unsigned char *c = chunk_load(pool, k);
    if (!c)
        return NULL;
    uint64_t off = u ^ (1ull << top);
    unsigned char *page = page_load(c, off);
    if (!page)
        return NULL;
    *payload = page + (size_t)(off % PAGE_SLOTS) * pool->stride;
    return (_Atomic uint64_t *)c + off;
}

_Atomic uint64_t *dp__pool_word(const dp_pool *pool, uint32_t index)
{
    if (!pool)
        return NULL;
    return word_of(pool, index);
}

/* ---- create / destroy ------------------------------------------------------------------ */

dp_status dp_pool_create(const dp_pool_desc *desc, dp_pool **out)
{
    if (!out)
        return DP_ERR_INVALID;
    *out = NULL;
    dp_pool_desc d = desc ? *desc : (dp_pool_desc){0};
    if (d.payload_size > MAX_PAYLOAD)
        return DP_ERR_INVALID;
    dp_allocator a;
    dp__alloc_init(&a, d.allocator);
    dp_pool *pool = dp__alloc(&a, sizeof *pool);
    if (!pool)
        return DP_ERR_NOMEM;
    memset(pool, 0, sizeof *pool);
    pool->alloc = a;
    if (d.payload_size == 0)
        pool->stride = 0;
    else if (d.payload_size <= 8)
        pool->stride = 8;
    else
        pool->stride = (d.payload_size + 15u) & ~(size_t)15u;
    pool->limit = DP__POOL_MAX_SLOTS;
    atomic_init(&pool->head, 0);
    atomic_init(&pool->next_index, 0);
    atomic_init(&pool->skipped, 0);
    atomic_init(&pool->orphaned, 0);
    atomic_init(&pool->n_chunks, 0);
    atomic_init(&pool->capacity, 0);
    atomic_init(&pool->bytes, sizeof *pool);
    atomic_init(&pool->o_pushed, 0);
    atomic_init(&pool->o_publishes, 0);
    atomic_init(&pool->o_retired, 0);
    atomic_init(&pool->o_nlocal, 0);
    *out = pool;
    return DP_OK;
}

void dp_pool_destroy(dp_pool *pool)
{
    if (!pool)
        return;
    /* Plain reads: destroy runs when no other thread uses the pool any more. */
    for (uint32_t k = 0; k < DP__POOL_MAX_CHUNKS; k++) {
        void *c = pool->table.chunk[k];
        if (!c)
            continue;
        for (uint64_t i = 0; pool->stride && i < chunk_pages(k); i++)
            dp__free(&pool->alloc, *page_at(c, i * PAGE_SLOTS));
        dp__free(&pool->alloc, chunk_base(pool, c, k));
    }
    dp_allocator a = pool->alloc;
    dp__free(&a, pool);
}

/* ---- taking a slot --------------------------------------------------------------------- */

/* Owner-only counters: one writer, so a relaxed load + store is enough (no RMW). */
static inline void owner_add(_Atomic uint64_t *c, uint64_t v)
{
    /* Relaxed: the owner is the only writer, and readers (dp_pool_get_stats) only want a number. */
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
                          memory_order_relaxed);
}

/* The owner's local batch size. The owner is its only writer; stats read it too. */
static inline uint32_t local_count(const dp_pool *pool)
{
    /* Relaxed: the owner reads its own writes; dp_pool_get_stats only wants a number. */
    return atomic_load_explicit(&((dp_pool *)pool)->o_nlocal, memory_order_relaxed);
}

static inline void set_local_count(dp_pool *pool, uint32_t n)
{
    /* Relaxed: as local_count; local[] itself is never read by other threads. */
    atomic_store_explicit(&pool->o_nlocal, n, memory_order_relaxed);
}

/* Pops the shared free list. DP_OK with *index set, or DP_ERR_NOT_FOUND when it is empty.
 * Any thread. The only wait is for the owner's publish (a bounded loop of stores). */
static dp_status pop_shared(dp_pool *pool, uint32_t *index, uint32_t *even_gen,
                            _Atomic uint64_t **word)
{
    /* acquire: pairs with publish()'s release store; makes the links of the published
     * slots (their high bits) visible before we read them. */
    uint64_t h = atomic_load_explicit(&pool->head, memory_order_acquire);
    unsigned spins = 0;
    for (;;) {
        if (h & HEAD_BUSY) {
            /* The owner is between two stores; if it was preempted there (more threads
             * than cores), give it the CPU back instead of burning the time slice. */
            if (++spins < 256)
                cpu_pause();
            else
                sched_yield();
            /* acquire: as above. */
            h = atomic_load_explicit(&pool->head, memory_order_acquire);
            continue;
        }
        uint64_t top1 = head_top1(h);
        if (top1 == 0)
            return DP_ERR_NOT_FOUND;
        uint32_t top = (uint32_t)(top1 - 1);
        /* Every slot on the list has a chunk; chunks never go away before destroy. */
        _Atomic uint64_t *w = word_of(pool, top);
        /* relaxed: the slot may be popped and reused meanwhile; then the tag has moved on and
         * the CAS below fails, so a torn view of the list is never acted on. */
        uint64_t wv = atomic_load_explicit(w, memory_order_relaxed);
        uint64_t nh = head_make(dp__word_user(wv), head_tag(h) + 1, 0);
        /* acq_rel: acquire as the load above; release keeps the RMW chain (the release
         * sequence of publish()) intact for the next popper. On failure h is reloaded
         * with acquire for the same reason as the first load. */
        if (atomic_compare_exchange_weak_explicit(&pool->head, &h, nh, memory_order_acq_rel,
                                                  memory_order_acquire)) {
            *index = top;
            *word = w;
            *even_gen = dp__word_gen(wv);
            return DP_OK;
        }
    }
}

/* Takes a fresh index. Any thread. */
static dp_status take_fresh(dp_pool *pool, uint32_t *index, uint32_t *even_gen)
{
    /* relaxed: the counter only has to hand out unique indices; the slot's word store
     * publishes what matters. */
    uint64_t i = atomic_fetch_add_explicit(&pool->next_index, 1, memory_order_relaxed);
    if (i >= pool->limit)
        return DP_ERR_OVERFLOW;
    uint32_t k, off;
    dp__pool_locate((uint32_t)i, &k, &off);
    if (!slot_memory(pool, k, off, true)) {
        /* Give the index back if nobody took a later one; otherwise it is orphaned (never
         * handed out, counted as retired) unless the chunk appeared meanwhile. */
        uint64_t expect = i + 1;
        /* Relaxed: the counter only hands out unique indices (as in the fetch_add above);
         * nothing is published through it. */
        if (atomic_compare_exchange_strong_explicit(&pool->next_index, &expect, i,
                                                    memory_order_relaxed,
                                                    memory_order_relaxed))
            return DP_ERR_NOMEM;
        if (!slot_memory(pool, k, off, false)) {
            /* Relaxed: a statistic. */
            atomic_fetch_add_explicit(&pool->orphaned, 1, memory_order_relaxed);
            return DP_ERR_NOMEM;
        }
    }
    *index = (uint32_t)i;
    *even_gen = (pool->hook_armed && i == pool->hook_index) ? pool->hook_gen : 0;
    return DP_OK;
}

/* Makes slot `index` (word `w`) live with the generation after `even_gen`. */
static inline void make_live(_Atomic uint64_t *w, uint32_t index, uint32_t even_gen,
                             uint32_t user, dp_handle *out)
{
    uint32_t gen = even_gen + 1;
    /* release: publishes the slot as live (and whatever the caller wrote to its payload
     * before) to threads that check it with an acquire load (dp_pool_alive). */
    atomic_store_explicit(w, dp__word_make(gen, user), memory_order_release);
    out->bits = ((uint64_t)gen << 32) | index;
}

dp_status dp__pool_reserve_with(dp_pool *pool, uint32_t user, dp_handle *out)
{
    if (!out)
        return DP_ERR_INVALID;
    *out = DP_NULL_HANDLE;
    if (!pool)
        return DP_ERR_INVALID;
    uint32_t index, even_gen;
    _Atomic uint64_t *w;
    dp_status s = pop_shared(pool, &index, &even_gen, &w);
    if (s == DP_ERR_NOT_FOUND) {
        s = take_fresh(pool, &index, &even_gen);
        if (s != DP_OK)
            return s;
        w = word_of(pool, index);
    }
    make_live(w, index, even_gen, user, out);
    return DP_OK;
}

dp_status dp_pool_reserve(dp_pool *pool, dp_handle *out)
{
    return dp__pool_reserve_with(pool, 0, out);
}

static inline dp_status alloc_with(dp_pool *pool, uint32_t user, dp_handle *out)
{
    uint32_t n = pool && out ? local_count(pool) : 0;
    if (n > 0) {
        uint32_t index = pool->local[n - 1];
        _Atomic uint64_t *w = pool->local_w[n - 1];
        set_local_count(pool, n - 1);
        /* relaxed: the slot is in the owner's batch, nobody else writes its word. */
        uint64_t wv = atomic_load_explicit(w, memory_order_relaxed);
        make_live(w, index, dp__word_gen(wv), user, out);
        return DP_OK;
    }
    return dp__pool_reserve_with(pool, user, out);
}

dp_status dp__pool_alloc_with(dp_pool *pool, uint32_t user, dp_handle *out)
{
    return alloc_with(pool, user, out);
}

dp_status dp_pool_alloc(dp_pool *pool, dp_handle *out)
{
    return alloc_with(pool, 0, out);
}

/* ---- freeing ----------------------------------------------------------------------------- */

static inline void set_link(dp_pool *pool, uint32_t index, uint64_t next1)
{
    _Atomic uint64_t *w = word_of(pool, index);
    /* relaxed: the slot is the owner's until the release store of the head publishes it. */
    uint64_t wv = atomic_load_explicit(w, memory_order_relaxed);
    atomic_store_explicit(w, dp__word_make(dp__word_gen(wv), (uint32_t)next1),
                          memory_order_relaxed);
}

/* Moves local[0 .. n) onto the shared list, keeping the rest of the batch. Owner thread. */
static __attribute__((noinline)) void publish(dp_pool *pool, uint32_t n)
{
    if (n == 0)
        return;
    /* Link local[0] -> local[1] -> ... -> local[n-1] first: these slots are the owner's
     * alone, so only the last link has to be written while poppers wait. */
    for (uint32_t i = 0; i + 1 < n; i++)
        set_link(pool, pool->local[i], (uint64_t)pool->local[i + 1] + 1);
    /* Claim the head: set the in-progress bit (and bump the tag), so poppers wait while the
     * batch's last slot is linked to the current top. */
    uint64_t h = atomic_load_explicit(&pool->head, memory_order_relaxed);
    uint64_t busy;
    do {
        busy = head_make(head_top1(h), head_tag(h) + 1, HEAD_BUSY);
        /* acquire: the pops before ours are complete, so the old top is really free. */
    } while (!atomic_compare_exchange_weak_explicit(&pool->head, &h, busy, memory_order_acquire,
                                                    memory_order_relaxed));
    set_link(pool, pool->local[n - 1], head_top1(h));
    /* release: publishes every link written above to poppers (their acquire head load). */
    atomic_store_explicit(&pool->head,
                          head_make((uint64_t)pool->local[0] + 1, head_tag(busy) + 1, 0),
                          memory_order_release);
    owner_add(&pool->o_pushed, n);
    owner_add(&pool->o_publishes, 1);
    uint32_t rest = local_count(pool) - n;
    memmove(pool->local, pool->local + n, rest * sizeof pool->local[0]);
    memmove(pool->local_w, pool->local_w + n, rest * sizeof pool->local_w[0]);
    set_local_count(pool, rest);
}

/* Keeps a freed slot for reuse in the owner's batch, publishing the older half of a full
 * batch first. */
static inline void batch_push(dp_pool *pool, uint32_t index, _Atomic uint64_t *w)
{
    uint32_t n = local_count(pool);
    if (__builtin_expect(n == LOCAL_CAP, 0)) {
        publish(pool, LOCAL_CAP / 2);
        n = LOCAL_CAP / 2;
    }
    pool->local[n] = index;
    pool->local_w[n] = w;
    set_local_count(pool, n + 1);
}

/* True if the slot must be retired instead of reused: its generation would wrap, or it is
 * index 2^32-1, which the list's "index + 1" links cannot name. */
static inline bool must_retire(uint32_t index, uint32_t gen)
{
    return gen == 0xFFFFFFFFu || index == 0xFFFFFFFFu;
}

/* The word a slot gets when live generation `gen` is freed: the next (even) generation, or
 * generation 0 with the retired mark when `gen` is the last one. */
static inline uint64_t word_after(uint32_t gen)
{
    return gen == 0xFFFFFFFFu ? dp__word_make(0, RETIRED_MARK) : dp__word_make(gen + 1, 0);
}

/* Slot `index` (word `w`) was freed from live generation `gen`: retire it (counted) or keep
 * it in the batch for reuse. */
static inline void freed(dp_pool *pool, uint32_t index, uint32_t gen, _Atomic uint64_t *w)
{
    if (__builtin_expect(must_retire(index, gen), 0))
        owner_add(&pool->o_retired, 1);
    else
        batch_push(pool, index, w);
}

/* The word of the slot a handle to free names: DP_OK with *w set if `h` has a live (odd)
 * generation and its slot exists; DP_ERR_INVALID without a pool; DP_ERR_STALE otherwise. */
static inline dp_status free_word(dp_pool *pool, dp_handle h, _Atomic uint64_t **w)
{
    if (!pool)
        return DP_ERR_INVALID;
    *w = (dp_handle_gen(h) & 1u) ? word_of(pool, dp_handle_index(h)) : NULL;
    return *w ? DP_OK : DP_ERR_STALE;
}

dp_status dp__pool_free_expect(dp_pool *pool, dp_handle h, uint32_t expect_user)
{
    _Atomic uint64_t *w;
    dp_status st = free_word(pool, h, &w);
    if (st != DP_OK)
        return st;
    uint32_t index = dp_handle_index(h), gen = dp_handle_gen(h);
    uint64_t expect = dp__word_make(gen, expect_user);
    /* acq_rel: acquire pairs with the store that made the slot live (its payload is ours
     * now); release publishes the death to alive checks and to upgraders in the asset
     * layer, whose CAS on the same word then fails. */
    if (!atomic_compare_exchange_strong_explicit(w, &expect, word_after(gen),
                                                 memory_order_acq_rel, memory_order_relaxed))
        return dp__word_gen(expect) != gen ? DP_ERR_STALE : DP_ERR_EXISTS;
    freed(pool, index, gen, w);
    return DP_OK;
}

dp_status dp_pool_free(dp_pool *pool, dp_handle h)
{
    _Atomic uint64_t *w;
    dp_status st = free_word(pool, h, &w);
    if (st != DP_OK)
        return st;
    uint32_t index = dp_handle_index(h), gen = dp_handle_gen(h);
    /* acquire: pairs with the release store that made the slot live (make_live, maybe on a
     * reserving thread): its payload is the owner's from here on. */
    uint64_t wv = atomic_load_explicit(w, memory_order_acquire);
    if (wv != dp__word_make(gen, 0))
        return dp__word_gen(wv) != gen ? DP_ERR_STALE : DP_ERR_EXISTS;
    /* release: publishes the death (and the owner's last payload writes) to alive checks.
     * A store, not a CAS, is enough: only the owner writes the word of a live slot (a
     * reserver writes only words of free slots it took), and the layer above that changes
     * user bits from other threads frees with dp__pool_free_expect. */
    atomic_store_explicit(w, word_after(gen), memory_order_release);
    freed(pool, index, gen, w);
    return DP_OK;
}

void dp_pool_flush(dp_pool *pool)
{
    if (pool)
        publish(pool, local_count(pool));
}

/* ---- queries ----------------------------------------------------------------------------- */

/* The one out-of-line definition of pool.h's inline dp_pool_alive (C99 inline rules). */
extern inline bool dp_pool_alive(const dp_pool *pool, dp_handle h);

void *dp_pool_payload(const dp_pool *pool, dp_handle h)
{
    if (!pool || pool->stride == 0)
        return NULL;
    uint32_t k, off;
    dp__pool_locate(dp_handle_index(h), &k, &off);
    unsigned char *c = chunk_load(pool, k);
    unsigned char *page = c ? page_load(c, off) : NULL;
    return page ? page + (size_t)(off % PAGE_SLOTS) * pool->stride : NULL;
}

static inline uint64_t rd(const _Atomic uint64_t *c)
{
    /* Relaxed: statistics; dp_pool_stats promises no snapshot consistent across fields. */
    return atomic_load_explicit((_Atomic uint64_t *)c, memory_order_relaxed);
}

void dp_pool_get_stats(const dp_pool *pool, dp_pool_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!pool)
        return;
    uint64_t next = rd(&pool->next_index);
    uint64_t fresh = (next < pool->limit ? next : pool->limit);
    uint64_t skipped = rd(&pool->skipped);
    fresh = fresh > skipped ? fresh - skipped : 0;
    uint64_t orphaned = rd(&pool->orphaned);
    uint64_t tag = head_tag(rd(&pool->head));
    uint64_t pushed = rd(&pool->o_pushed);
    uint64_t publishes = rd(&pool->o_publishes);
    uint64_t retired = rd(&pool->o_retired);
    uint64_t nlocal = local_count(pool);
    uint64_t handed = fresh - (orphaned < fresh ? orphaned : fresh);
    /* The list's length mod 2^31 (see the head's layout): exact below 2^31 slots; the
     * counters are read one by one while a publish may be half done, so clamp a value that
     * cannot be to 0. */
    uint64_t shared = (pushed - (tag - 2 * publishes)) & HEAD_TAG_MASK;
    out->free_shared = shared <= pushed ? shared : 0;
    /* Every slot handed out fresh is live, in the owner's batch, on the shared list or
     * retired; the counters are read one by one, so clamp a transient negative to 0. */
    uint64_t gone = nlocal + out->free_shared + retired;
    out->live = handed > gone ? handed - gone : 0;
    out->capacity = rd(&pool->capacity);
    out->high_water = fresh;
    out->free_local = nlocal;
    out->retired = retired + orphaned;
    out->chunks = rd(&pool->n_chunks);
    out->bytes = rd(&pool->bytes);
}

/* ---- test hooks ---------------------------------------------------------------------------- */

void dp__pool_test_set_limit(dp_pool *pool, uint64_t limit)
{
    if (pool)
        pool->limit = limit < DP__POOL_MAX_SLOTS ? limit : DP__POOL_MAX_SLOTS;
}

void dp__pool_test_set_next_index(dp_pool *pool, uint64_t index)
{
    if (!pool)
        return;
    if (index > DP__POOL_MAX_SLOTS)
        index = DP__POOL_MAX_SLOTS;
    /* Relaxed, here and in the store below: a test hook, called while no other thread takes
     * slots. */
    uint64_t cur = atomic_load_explicit(&pool->next_index, memory_order_relaxed);
    if (index > cur)
        owner_add(&pool->skipped, index - cur);
    else
        return; /* never step back: indices below were handed out */
    atomic_store_explicit(&pool->next_index, index, memory_order_relaxed);
    if (pool->hook_armed)
        pool->hook_index = index;
}

void dp__pool_test_set_fresh_gen(dp_pool *pool, uint32_t even_gen)
{
    if (!pool)
        return;
    pool->hook_gen = even_gen & ~1u;
    /* Relaxed: a test hook, called while no other thread takes slots. */
    pool->hook_index = atomic_load_explicit(&pool->next_index, memory_order_relaxed);
    pool->hook_armed = true;
}
