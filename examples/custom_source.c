/* custom_source.c — a source of your own: "gen://", procedural content.
 *
 * A source turns a path into bytes. depot calls its `read` on worker threads, several at
 * once, so it must be thread-safe; whatever it returns is handed to the asset type chosen
 * by the path's extension and given back through `free_bytes`. This one knows two paths:
 *
 *   gen://squares/N.txt   the text "0 1 4 9 ..." with N numbers (type blob, from .txt)
 *   gen://slow/NAME.txt   a generator that takes 3 seconds, polling dp_cancelled() every
 *                         millisecond so that it stops as soon as nobody wants the result
 *
 * The example loads a square list and prints it, then starts a slow load, releases it while
 * the generator runs, and shows the generator noticing the cancellation (the asset died, so
 * its job was cancelled) and returning DP_ERR_CANCELLED within a few milliseconds. The
 * source's `destroy` runs at dp_destroy.
 */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "depot/depot.h"

typedef struct gen_source {
    atomic_int slow_started;   /* the slow generator is running */
    atomic_int slow_cancelled; /* it saw dp_cancelled() and gave up */
    atomic_int reads;
} gen_source;

static void sleep_ms(long ms)
{
    nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L}, NULL);
}

/* Worker threads. On DP_OK *bytes is ours until free_bytes; on an error nothing is
 * allocated. */
static dp_status gen_read(void *user, const char *path, const dp_cancel *cancel, void **bytes,
                          size_t *len)
{
    gen_source *g = user;
    atomic_fetch_add(&g->reads, 1);
    unsigned n;
    if (sscanf(path, "squares/%u.txt", &n) == 1) {
        if (n > 10000)
            return DP_ERR_INVALID;
        size_t cap = (size_t)n * 12 + 1, used = 0;
        char *text = malloc(cap);
        if (!text)
            return DP_ERR_NOMEM;
        text[0] = 0;
        for (unsigned i = 0; i < n; i++)
            used += (size_t)snprintf(text + used, cap - used, i ? " %u" : "%u", i * i);
        *bytes = text;
        *len = used;
        return DP_OK;
    }
    if (strncmp(path, "slow/", 5) == 0) {
        atomic_store(&g->slow_started, 1);
        for (int ms = 0; ms < 3000; ms++) {
            /* A long read polls its token: it is set when the asset dies (its last
             * reference went and the owner freed it) or the depot is destroyed. */
            if (dp_cancelled(cancel)) {
                atomic_store(&g->slow_cancelled, 1);
                return DP_ERR_CANCELLED;
            }
            sleep_ms(1);
        }
        char *text = malloc(6);
        if (!text)
            return DP_ERR_NOMEM;
        memcpy(text, "done!", 6);
        *bytes = text;
        *len = 5;
        return DP_OK;
    }
    return DP_ERR_NOT_FOUND;
}

static void gen_free_bytes(void *user, void *bytes)
{
    (void)user;
    free(bytes);
}

static void gen_destroy(void *user)
{
    gen_source *g = user;
    printf("gen source destroyed at dp_destroy after %d reads\n", atomic_load(&g->reads));
}

int main(void)
{
    dp_depot *dp;
    if (dp_create(&(dp_desc){.workers = 2}, &dp) != DP_OK)
        return 1;

    /* The user pointer stays ours; depot only calls destroy(user) at dp_destroy. */
    static gen_source gen;
    dp_source src = {.scheme = "gen", .read = gen_read, .free_bytes = gen_free_bytes,
                     .destroy = gen_destroy, .user = &gen};
    dp_status st = dp_register_source(dp, &src);
    printf("dp_register_source(\"gen\") -> %s\n", dp_status_str(st));
    if (st != DP_OK)
        return 1;

    /* ---- an ordinary load through the source ---- */
    dp_handle sq;
    st = dp_load(dp, "gen://squares/8.txt", &sq);
    if (st == DP_OK)
        st = dp_wait(dp, sq, 2000);
    if (st != DP_OK) {
        fprintf(stderr, "squares: %s\n", dp_status_str(st));
        return 1;
    }
    const dp_blob *b = dp_get(dp, sq);
    printf("gen://squares/8.txt (%s, %zu bytes): \"%s\"\n", dp_type_name(dp, dp_type_of(dp, sq)),
           b->size, (const char *)b->bytes);

    /* An unknown path fails like a missing file. */
    dp_handle none;
    dp_load(dp, "gen://cubes/3.txt", &none);
    printf("gen://cubes/3.txt -> dp_wait %s\n", dp_status_str(dp_wait(dp, none, 2000)));
    dp_release(dp, none);

    /* ---- cancellation: release a load while its source is still reading ---- */
    dp_handle slow;
    if (dp_load(dp, "gen://slow/terrain.txt", &slow) != DP_OK)
        return 1;
    for (int i = 0; i < 2000 && !atomic_load(&gen.slow_started); i++)
        sleep_ms(1);
    printf("slow generator running; releasing its only handle\n");
    dp_release(dp, slow);
    /* The asset is UNUSED now; this update frees it, which cancels its job. The job held
     * only a weak handle, so it never kept the asset alive. */
    dp_update(dp);
    int waited = 0;
    while (!atomic_load(&gen.slow_cancelled) && waited < 2000) {
        sleep_ms(1);
        waited++;
    }
    if (!atomic_load(&gen.slow_cancelled)) {
        fprintf(stderr, "the slow read never saw its cancellation\n");
        return 1;
    }
    printf("slow generator saw dp_cancelled() %d ms after the update and returned %s\n",
           waited, dp_status_str(DP_ERR_CANCELLED));

    /* Its result reaches the owner at a later update and is dropped there. */
    dp_stats s;
    for (int i = 0; i < 200; i++) {
        dp_update(dp);
        dp_get_stats(dp, &s);
        if (s.pending_jobs == 0)
            break;
        sleep_ms(1);
    }
    printf("pending jobs %zu, results discarded %zu\n", s.pending_jobs, s.results_discarded);

    dp_release(dp, sq);
    size_t leaks = dp_destroy(dp);
    printf("dp_destroy: %zu leaked assets\n", leaks);
    return leaks == 0 ? 0 : 1;
}
