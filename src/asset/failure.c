/* failure.c — failure details per asset (dp_failure). A plain array of records on the
 * depot, owner thread only: failed assets are few, and each record is pruned once its asset
 * is dead. */
#include "asset/failure.h"

#include <stdio.h>
#include <string.h>

#include "asset/asset_internal.h"

typedef struct record {
    dp_handle h;
    char *source, *path, *message;
} record;

struct dp__failures {
    record *v;
    size_t n, cap;
};

static void record_clear(const dp_allocator *a, record *r)
{
    dp__free(a, r->source);
    dp__free(a, r->path);
    dp__free(a, r->message);
}

/* Drops the records of assets that died (their strings were valid until then). */
static void prune(dp_depot *dp, dp__failures *f)
{
    size_t keep = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (dp_state_of(dp, f->v[i].h) == DP_STATE_INVALID)
            record_clear(&dp->alloc, &f->v[i]);
        else
            f->v[keep++] = f->v[i];
    }
    f->n = keep;
}

static record *find(const dp__failures *f, dp_handle h)
{
    for (size_t i = 0; f && i < f->n; i++)
        if (dp_handle_eq(f->v[i].h, h))
            return &f->v[i];
    return NULL;
}

static char *dup_or_null(const dp_allocator *a, const char *s, bool *failed)
{
    if (!s)
        return NULL;
    char *c = dp__strdup(a, s);
    if (!c)
        *failed = true;
    return c;
}

static record *slot_for(dp_depot *dp, dp_handle h)
{
    const dp_allocator *a = &dp->alloc;
    if (!dp->failures) {
        dp->failures = dp__calloc(a, 1, sizeof *dp->failures);
        if (!dp->failures)
            return NULL;
    }
    dp__failures *f = dp->failures;
    prune(dp, f);
    record *r = find(f, h);
    if (r) {
        record_clear(a, r);
        return r;
    }
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        record *v = dp__calloc(a, cap, sizeof *v);
        if (!v)
            return NULL;
        if (f->n)
            memcpy(v, f->v, f->n * sizeof *v);
        dp__free(a, f->v);
        f->v = v;
        f->cap = cap;
    }
    r = &f->v[f->n++];
    r->h = h;
    return r;
}

void dp__failure_record(dp_depot *dp, dp_handle h, const char *source, const char *path,
                        const char *message)
{
    record *r = slot_for(dp, h);
    if (!r)
        return; /* out of memory: the status alone remains */
    bool failed = false;
    r->source = dup_or_null(&dp->alloc, source, &failed);
    r->path = dup_or_null(&dp->alloc, path, &failed);
    r->message = dup_or_null(&dp->alloc, message, &failed);
    if (failed) { /* all or nothing: a half record would mislead */
        record_clear(&dp->alloc, r);
        *r = dp->failures->v[--dp->failures->n];
    }
}

void dp__failures_free(dp_depot *dp)
{
    dp__failures *f = dp->failures;
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        record_clear(&dp->alloc, &f->v[i]);
    dp__free(&dp->alloc, f->v);
    dp__free(&dp->alloc, f);
    dp->failures = NULL;
}

/* The first FAILED asset among h's dependencies (depth first, at most `budget` visits,
 * which also bounds a walk around a cycle), or null. */
static dp_handle failed_dependency(const dp_depot *dp, dp_handle h, int *budget)
{
    const dp__asset *rec = dp__rec(dp, h);
    for (uint32_t i = 0; rec && i < rec->nkids && *budget > 0; i++) {
        dp_handle kid = dp__kids(rec)[i];
        (*budget)--;
        if (dp_state_of(dp, kid) == DP_STATE_FAILED)
            return kid;
        dp_handle deeper = failed_dependency(dp, kid, budget);
        if (!dp_handle_is_null(deeper))
            return deeper;
    }
    return DP_NULL_HANDLE;
}

dp_status dp_failure(const dp_depot *dp, dp_handle h, dp_failure_info *out)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!dp || !out)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    if (dp_state_of(dp, h) == DP_STATE_INVALID)
        return DP_ERR_STALE;
    dp_handle failed = h;
    if (dp_state_of(dp, h) != DP_STATE_FAILED) {
        int budget = 4096;
        failed = failed_dependency(dp, h, &budget);
        if (dp_handle_is_null(failed))
            return DP_OK; /* nothing failed (status DP_OK) */
    }
    out->status = dp_failure_of(dp, failed);
    out->key = dp_key_of(dp, h);
    out->failed_key = dp_key_of(dp, failed);
    const record *r = find(dp->failures, failed);
    if (r) {
        out->source = r->source;
        out->path = r->path;
        out->message = r->message;
    }
    return DP_OK;
}

size_t dp_failure_text(const dp_failure_info *info, char *buf, size_t cap)
{
    if (!info) {
        if (buf && cap)
            buf[0] = 0;
        return 0;
    }
    const char *key = info->key ? info->key : "(no key)";
    bool dep = info->failed_key && (!info->key || strcmp(info->failed_key, info->key) != 0);
    int n = snprintf(buf, cap, "%s: %s%s%s%s%s%s%s%s%s", key, dp_status_str(info->status),
                     dep || info->message ? ": " : "", dep ? "dependency " : "",
                     dep ? info->failed_key : "", dep && info->message ? ": " : "",
                     info->message ? info->message : "", info->path ? " (" : "",
                     info->path ? info->path : "", info->path ? ")" : "");
    return n < 0 ? 0 : (size_t)n;
}
