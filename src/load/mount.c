/* mount.c — see mount.h. (First step: no mounts yet.) */
#include "load/mount.h"

bool dp__mounts_pick(dp__loader *L, const char *path, dp_source *vt,
                     struct dp__mount_set **hold)
{
    (void)L;
    (void)path;
    (void)vt;
    *hold = NULL;
    return false;
}

void dp__mounts_drop(struct dp__mount_set *set)
{
    (void)set;
}
