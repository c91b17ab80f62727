/* load_class.c — concurrency classes: which class a source's jobs count against, and the
 * cap of jobs in flight per class that the queue (queue.c) honours when a worker takes a
 * job. */
#include "load/loader.h"

int dp__source_class(const dp__loader *L, int source)
{
    /* The slot was published before the key that names it could parse (nsources). */
    return L->sources[source].vt.load_class;
}

void dp__classes_init(dp__loader *L, int n)
{
    /* The network's default cap leaves half the workers to other classes, so a stalled
     * server never holds every worker while disk loads wait. */
    L->queue.cap[DP_CLASS_NETWORK] = n / 2 > 0 ? n / 2 : 1;
}

dp_status dp_set_class_limit(dp_depot *dp, int load_class, int max_in_flight)
{
    if (!dp || load_class < 0 || load_class >= DP_CLASS_COUNT || max_in_flight < 0)
        return DP_ERR_INVALID;
    dp__loader *L = dp__loader_get(dp);
    if (!L)
        return DP_ERR_NOMEM;
    dp__mutex_lock(&L->lock);
    L->queue.cap[load_class] = max_in_flight;
    dp__mutex_unlock(&L->lock);
    /* A raised cap may make queued jobs takeable: every idle worker looks again. */
    dp__cond_broadcast(&L->wake);
    return DP_OK;
}
