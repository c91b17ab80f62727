/* job.c — what a worker does with a job: read the bytes through the job's source, run the
 * type's load with a context, collect dependencies and labelled sub-assets. And the
 * dp_ctx_* functions a load callback calls. Worker threads. */
#include <string.h>

#include "common/assert.h"
#include "load/loader.h"
#include "load/reader.h"

struct dp_load_ctx {
    dp__loader *L;
    dp__job *job;
    dp__reader *rd; /* the content being loaded */
};

/* The index + 1 of `label` in the job's names, added if new. DP_OK or DP_ERR_NOMEM. */
static dp_status name_index(dp__loader *L, dp__job *job, const char *label, uint32_t *out)
{
    for (size_t i = 0; i < job->nnames; i++) {
        if (!strcmp(job->names[i], label)) {
            *out = (uint32_t)i + 1;
            return DP_OK;
        }
    }
    if (job->nnames >= UINT32_MAX - 1)
        return DP_ERR_OVERFLOW;
    if (job->nnames == job->capnames &&
        dp__grow(L->alloc, (void **)&job->names, &job->capnames, job->nnames + 1,
                 sizeof *job->names) != DP_OK)
        return DP_ERR_NOMEM;
    char *copy = dp__strdup(L->alloc, label);
    if (!copy)
        return DP_ERR_NOMEM;
    job->names[job->nnames++] = copy;
    *out = (uint32_t)job->nnames;
    return DP_OK;
}

static dp_status push_dep(dp__loader *L, dp__job *job, dp_handle h, uint32_t label)
{
    if (job->ndeps == job->capdeps &&
        dp__grow(L->alloc, (void **)&job->deps, &job->capdeps, job->ndeps + 1,
                 sizeof *job->deps) != DP_OK)
        return DP_ERR_NOMEM;
    job->deps[job->ndeps++] = (dp__dep){.h = h, .label = label};
    return DP_OK;
}

void dp__job_run(dp__loader *L, dp__job *job)
{
    dp_depot *dp = L->dp;
    /* Where the source, the codecs and dp_ctx_fail leave a failure message. */
    job->cancel.why = &job->why;
    job->cancel.why_alloc = L->alloc;
    if (dp_cancelled(&job->cancel)) {
        job->status = DP_ERR_CANCELLED;
        return;
    }
    const dp_type *t = dp__type_info(dp, job->type);
    if (!t || !t->load) {
        job->status = DP_ERR_NOT_FOUND;
        return;
    }
    /* The label, if any, is not part of what the source reads. */
    const char *path = job->path;
    char *plain = NULL;
    const char *hash = strchr(path, '#');
    if (hash) {
        size_t n = (size_t)(hash - path);
        plain = dp__alloc(L->alloc, n + 1);
        if (!plain) {
            job->status = DP_ERR_NOMEM;
            return;
        }
        memcpy(plain, path, n);
        plain[n] = 0;
        path = plain;
    }
    dp__reader rd;
    job->status = dp__reader_open(L, job->source, path, dp__type_is_ranged(L, job->type),
                                  &job->cancel, &rd);
    dp__free(L->alloc, plain);
    if (job->status != DP_OK)
        return;
    /* A read that succeeded after all (the http cache's copy after a failed revalidation)
     * leaves no message for the load's own failure. */
    dp__free(L->alloc, job->why);
    job->why = NULL;
    if (dp_cancelled(&job->cancel)) {
        job->status = DP_ERR_CANCELLED;
    } else {
        dp_load_ctx ctx = {.L = L, .job = job, .rd = &rd};
        void *asset = NULL;
        size_t asset_bytes = 0;
        /* A ranged read gets no bytes, only the size: the type reads with dp_ctx_read. */
        job->status = t->load(&ctx, rd.whole, (size_t)rd.size, &asset, &asset_bytes);
        if (job->status == DP_OK && !asset)
            job->status = DP_ERR_FORMAT; /* a loader must produce something */
        if (job->status == DP_OK) {
            job->data = asset;
            job->bytes = asset_bytes;
        } else if (asset) {
            t->destroy(asset, t->user);
        }
    }
    dp__reader_close(&rd);
}

/* ---- the context ------------------------------------------------------------------------------- */

/* Resolves a dependency key: "./x" is relative to the parent's folder (same source),
 * anything else is taken as it is. *out is allocated. */
static dp_status resolve_dep(dp__loader *L, const dp__job *job, const char *key, char **out)
{
    if (strncmp(key, "./", 2) != 0) {
        *out = dp__strdup(L->alloc, key);
        return *out ? DP_OK : DP_ERR_NOMEM;
    }
    const char *base = job->key;
    const char *slash = strrchr(job->path, '/');
    size_t prefix = slash ? (size_t)(slash - base) + 1 : (size_t)(job->path - base);
    size_t rest = strlen(key + 2);
    char *s = dp__alloc(L->alloc, prefix + rest + 1);
    if (!s)
        return DP_ERR_NOMEM;
    memcpy(s, base, prefix);
    memcpy(s + prefix, key + 2, rest + 1);
    *out = s;
    return DP_OK;
}

dp_status dp_ctx_load_dep(dp_load_ctx *ctx, const char *key, dp_handle *child)
{
    return dp_ctx_load_dep_for(ctx, NULL, key, child);
}

dp_status dp_ctx_load_dep_for(dp_load_ctx *ctx, const char *label, const char *key,
                              dp_handle *child)
{
    if (child)
        *child = DP_NULL_HANDLE;
    if (!ctx || !key || !child || (label && (!label[0] || strchr(ctx->job->key, '#'))))
        return DP_ERR_INVALID;
    dp__loader *L = ctx->L;
    uint32_t owner = 0;
    dp_status st = label ? name_index(L, ctx->job, label, &owner) : DP_OK;
    if (st != DP_OK)
        return st;
    char *full;
    st = resolve_dep(L, ctx->job, key, &full);
    if (st != DP_OK)
        return st;
    /* Room for the edge first, so a failure leaves no count behind. */
    if (ctx->job->ndeps == ctx->job->capdeps &&
        dp__grow(L->alloc, (void **)&ctx->job->deps, &ctx->job->capdeps, ctx->job->ndeps + 1,
                 sizeof *ctx->job->deps) != DP_OK) {
        dp__free(L->alloc, full);
        return DP_ERR_NOMEM;
    }
    dp_handle h;
    /* The dependency runs at least as soon as the job that wants it. */
    int level = atomic_load_explicit(&ctx->job->level, memory_order_relaxed);
    st = dp__load_leveled(L->dp, full, 0, level, &h, dp__site_load, 0);
    dp__free(L->alloc, full);
    if (st != DP_OK)
        return st;
    st = push_dep(L, ctx->job, h, owner);
    DP__ASSERT(st == DP_OK); /* cannot fail: room was made */
    *child = h;
    return DP_OK;
}

dp_status dp_ctx_add_labelled(dp_load_ctx *ctx, const char *label, dp_type_id type,
                              void *asset, size_t bytes, dp_handle *out)
{
    if (out)
        *out = DP_NULL_HANDLE;
    if (!ctx || !label || !label[0] || !asset || !dp__type_info(ctx->L->dp, type))
        return DP_ERR_INVALID;
    dp__loader *L = ctx->L;
    dp__job *job = ctx->job;
    if (strchr(job->key, '#'))
        return DP_ERR_INVALID; /* labels of labels are not a thing */
    size_t kl = strlen(job->key), ll = strlen(label);
    char *key = dp__alloc(L->alloc, kl + 1 + ll + 1);
    if (!key)
        return DP_ERR_NOMEM;
    memcpy(key, job->key, kl);
    key[kl] = '#';
    memcpy(key + kl + 1, label, ll + 1);
    uint32_t name;
    dp_status st = name_index(L, job, label, &name);
    if (st == DP_OK && job->nlabels == job->caplabels)
        st = dp__grow(L->alloc, (void **)&job->labels, &job->caplabels, job->nlabels + 1,
                      sizeof *job->labels);
    if (st != DP_OK) {
        dp__free(L->alloc, key);
        return st;
    }
    dp_handle h;
    /* Under label_lock: a placeholder this finds has its link (and forced type) queued. */
    dp__mutex_lock(&L->label_lock);
    st = dp__create(L->dp, type, DP_STATE_PENDING, NULL, 0, key, &h, dp__site_load, 0);
    dp__mutex_unlock(&L->label_lock);
    dp__free(L->alloc, key);
    if (st != DP_OK && st != DP_ERR_EXISTS)
        return st;
    if (st == DP_ERR_EXISTS)
        dp__give_back(L->dp, h); /* a dp_load made it: its holders keep it, not this job */
    job->labels[job->nlabels++] =
        (dp__label){.h = h, .counted = st == DP_OK, .name = name, .type = type, .data = asset,
                    .bytes = bytes};
    if (out)
        *out = h;
    return DP_OK;
}

dp__job *dp__ctx_job(dp_load_ctx *ctx)
{
    return ctx->job;
}

dp__loader *dp__ctx_loader(dp_load_ctx *ctx)
{
    return ctx->L;
}

const char *dp_ctx_key(const dp_load_ctx *ctx)
{
    return ctx ? ctx->job->key : NULL;
}

dp_depot *dp_ctx_depot(const dp_load_ctx *ctx)
{
    return ctx ? ctx->L->dp : NULL;
}

const dp_allocator *dp_ctx_allocator(const dp_load_ctx *ctx)
{
    return ctx ? ctx->L->alloc : NULL;
}

bool dp_ctx_cancelled(const dp_load_ctx *ctx)
{
    return ctx ? dp_cancelled(&ctx->job->cancel) : false;
}

dp_status dp_ctx_read(dp_load_ctx *ctx, uint64_t offset, size_t len, void *buf)
{
    if (!ctx || (!buf && len))
        return DP_ERR_INVALID;
    return dp__reader_read(ctx->rd, offset, len, buf);
}

dp_status dp_ctx_size(const dp_load_ctx *ctx, uint64_t *size)
{
    if (!ctx || !size)
        return DP_ERR_INVALID;
    *size = ctx->rd->size;
    return DP_OK;
}
