/* failure_detail.c — what the load layer tells dp_failure: dp_ctx_fail's message, or the
 * one a source or codec left on the job's token (worker thread, kept on the job), and,
 * when the failed result is applied on the owner thread, the source and resolved path or
 * URL beside it (src/asset/failure.c stores them). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "load/loader.h" /* asset/registry.h: the failure records and the log hook */

dp_status dp_ctx_fail(dp_load_ctx *ctx, dp_status status, const char *fmt, ...)
{
    dp__job *job = ctx ? dp__ctx_job(ctx) : NULL;
    if (!job || !fmt)
        return status;
    va_list ap;
    va_start(ap, fmt);
    dp__cancel_vwhy(&job->cancel, fmt, ap); /* the job's token keeps it in job->why */
    va_end(ap);
    return status;
}

void dp__loader_record_failure(dp__loader *L, const dp__job *job)
{
    /* Acquire: pairs with dp__source_add's release of nsources; sources 0..n-1 are complete. */
    int n = atomic_load_explicit(&L->nsources, memory_order_acquire);
    const char *scheme = job->source >= 0 && job->source < n ? L->sources[job->source].scheme
                                                             : NULL;
    char *where = NULL;
    if (scheme && job->path && strcmp(scheme, "file") != 0) {
        where = dp__key_join(L->alloc, scheme, job->path); /* the URL or mem:// name */
    } else if (scheme && job->path && L->root) {
        size_t need = strlen(L->root) + 1 + strlen(job->path) + 1; /* the file tried */
        where = dp__alloc(L->alloc, need);
        if (where)
            snprintf(where, need, "%s/%s", L->root, job->path);
    }
    dp__failure_record(L->dp, job->h, scheme, where, job->why);
    dp__free(L->alloc, where);
}
