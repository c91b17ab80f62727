/* gets.c — dp_get without a count (dp_desc.track_holders): the misuse behind most stale
 * pointers is reading an asset the calling thread holds no count on ("someone else holds it,
 * so it will be there"), which works until that someone lets go. With holder tracking on,
 * dp_get (a macro passing __FILE__/__LINE__ to dp_get_at) checks whether the calling thread
 * has a recorded acquire of the asset; the owner thread also counts as holding an asset
 * whose count is above its recorded acquires (an edge or a group, which the owner manages).
 * A get that fails the check is remembered per call site (calls, first and last update, one
 * key, owner or not), the first one of each site is logged at DP_LOG_WARN, and
 * dp_report_unheld_gets lists them. Without tracking, dp_get_at is dp_get. */
#include <stdio.h>
#include <string.h>

#include "asset/asset_internal.h"

#define MAX_SITES 256u

typedef struct get_site {
    const char *file; /* static string from __FILE__ */
    int line;
    uint64_t calls;
    uint64_t first, last; /* update numbers */
    char key[96];         /* the asset of the first call (cut; owner calls only), or "" */
    uint32_t index;       /* its slot index */
    bool owner;           /* the first call came from the owner thread */
} get_site;

struct dp__gets {
    dp__mutex lock;
    get_site v[MAX_SITES];
    size_t n;
    uint64_t lost; /* calls at sites beyond MAX_SITES */
};

dp_status dp__gets_create(dp_depot *dp)
{
    dp->gets = dp__calloc(&dp->alloc, 1, sizeof *dp->gets);
    if (!dp->gets)
        return DP_ERR_NOMEM;
    dp__mutex_init(&dp->gets->lock);
    return DP_OK;
}

void dp__gets_free(dp_depot *dp)
{
    if (!dp->gets)
        return;
    dp__mutex_destroy(&dp->gets->lock);
    dp__free(&dp->alloc, dp->gets);
    dp->gets = NULL;
}

/* True if the calling thread holds a count on h as far as the records say. */
static bool held_here(const dp_depot *dp, dp_handle h)
{
    if (dp__holder_by_thread(dp, h, dp__thread_tag()))
        return true;
    return dp__is_owner(dp) && dp_count(dp, h) > dp__holders_total(dp, h);
}

/* Records one unheld get; true if it is the first at its site. Under g->lock. */
static bool note(const dp_depot *dp, struct dp__gets *g, dp_handle h, const char *file,
                 int line)
{
    uint64_t now = dp__update_number(dp);
    for (size_t i = 0; i < g->n; i++) {
        if (g->v[i].line == line && g->v[i].file == file) {
            g->v[i].calls++;
            g->v[i].last = now;
            return false;
        }
    }
    if (g->n == MAX_SITES) {
        g->lost++;
        return false;
    }
    get_site *s = &g->v[g->n++];
    *s = (get_site){.file = file, .line = line, .calls = 1, .first = now, .last = now,
                    .owner = dp__is_owner(dp), .index = dp_handle_index(h)};
    const dp__asset *r = dp__rec_live(dp, h);
    const char *key = r && dp__is_owner(dp) ? dp__rec_key(r) : NULL;
    snprintf(s->key, sizeof s->key, "%s", key ? key : "");
    return true;
}

void *dp_get_at(const dp_depot *dp, dp_handle h, const char *file, int line)
{
    void *data = (dp_get)(dp, h);
    if (!data || !dp->gets || held_here(dp, h))
        return data;
    file = file ? file : "(unknown)";
    dp__mutex_lock(&dp->gets->lock);
    bool first = note(dp, dp->gets, h, file, line);
    dp__mutex_unlock(&dp->gets->lock);
    if (first)
        dp__log(dp, DP_LOG_WARN, "dp_get at %s:%d on asset #%u without a count held by the "
                "calling thread (update %llu): the pointer lives only as long as someone "
                "else's count", file, line, dp_handle_index(h),
                (unsigned long long)dp__update_number(dp));
    return data;
}

size_t dp_report_unheld_gets(const dp_depot *dp, FILE *out)
{
    if (!dp || !out || !dp__is_owner(dp))
        return 0;
    struct dp__gets *g = dp->gets;
    if (!g)
        return 0;
    dp__mutex_lock(&g->lock);
    size_t n = g->n;
    for (size_t i = 0; i < n; i++) {
        const get_site *s = &g->v[i];
        fprintf(out, "%s:%d: %llu dp_get call%s without a count held by the calling thread "
                "(updates %llu..%llu, %s thread)", s->file, s->line,
                (unsigned long long)s->calls, s->calls == 1 ? "" : "s",
                (unsigned long long)s->first, (unsigned long long)s->last,
                s->owner ? "owner" : "another");
        if (s->key[0])
            fprintf(out, ", first on \"%s\"", s->key);
        else
            fprintf(out, ", first on asset #%u", s->index);
        fputc('\n', out);
    }
    if (g->lost)
        fprintf(out, "(%llu more calls at sites beyond the first %u)\n",
                (unsigned long long)g->lost, MAX_SITES);
    dp__mutex_unlock(&g->lock);
    return n;
}
