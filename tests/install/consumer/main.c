/* A program outside the depot tree, built against an installed depot. */
#include <stdio.h>
#include <depot/depot.h>

int main(void)
{
    dp_pool *pool = NULL;
    dp_handle h;
    if (dp_pool_create(&(dp_pool_desc){0}, &pool) != DP_OK)
        return 1;
    if (dp_pool_alloc(pool, &h) != DP_OK || !dp_pool_alive(pool, h))
        return 1;
    if (dp_pool_free(pool, h) != DP_OK || dp_pool_alive(pool, h))
        return 1;
    dp_pool_destroy(pool);
    printf("consumer ok (%s)\n", dp_status_str(DP_ERR_STALE));
    return 0;
}
