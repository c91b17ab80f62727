/* reader.c — see reader.h; and dp_type_ranged. */
#include "load/reader.h"

#include <string.h>

#include "load/mount.h"

static dp_status open_ranged(dp__reader *rd, const char *path)
{
    dp_status st = rd->vt.open(rd->vt.user, path, rd->cancel, &rd->file);
    if (st != DP_OK)
        return st;
    st = rd->vt.size(rd->vt.user, rd->file, &rd->size);
    if (st == DP_OK && rd->size > (uint64_t)SIZE_MAX)
        st = DP_ERR_FORMAT; /* the callback's len could not say it */
    if (st != DP_OK) {
        rd->vt.close(rd->vt.user, rd->file);
        return st;
    }
    rd->opened = true;
    return DP_OK;
}

dp_status dp__reader_open(dp__loader *L, int source, const char *path, bool ranged,
                          const dp_cancel *cancel, dp__reader *rd)
{
    memset(rd, 0, sizeof *rd);
    rd->cancel = cancel;
    /* Keys without a scheme resolve through the mounts, highest priority first; the root
     * folder is the last place they are looked for. */
    if (source != 0 || !dp__mounts_pick(L, path, &rd->vt, &rd->hold))
        rd->vt = L->sources[source].vt;
    dp_status st;
    if (ranged && rd->vt.read_at) {
        st = open_ranged(rd, path);
    } else {
        st = rd->vt.read(rd->vt.user, path, cancel, &rd->whole, &rd->whole_len);
        rd->size = rd->whole_len;
    }
    if (st != DP_OK) {
        dp__mounts_drop(rd->hold);
        memset(rd, 0, sizeof *rd);
    }
    return st;
}

dp_status dp__reader_read(dp__reader *rd, uint64_t offset, size_t len, void *buf)
{
    if (offset > rd->size || len > rd->size - offset)
        return DP_ERR_FORMAT;
    if (len == 0)
        return DP_OK;
    if (dp_cancelled(rd->cancel))
        return DP_ERR_CANCELLED;
    if (rd->opened)
        return rd->vt.read_at(rd->vt.user, rd->file, offset, buf, len, rd->cancel);
    memcpy(buf, (const unsigned char *)rd->whole + offset, len);
    return DP_OK;
}

void dp__reader_close(dp__reader *rd)
{
    if (rd->opened)
        rd->vt.close(rd->vt.user, rd->file);
    else if (rd->whole && rd->vt.free_bytes)
        rd->vt.free_bytes(rd->vt.user, rd->whole);
    dp__mounts_drop(rd->hold);
    memset(rd, 0, sizeof *rd);
}

/* ---- which types read ranges ------------------------------------------------------------- */

bool dp__type_is_ranged(const dp__loader *L, dp_type_id type)
{
    if (type == 0 || type > 255)
        return false;
    /* Relaxed: the flag is a setting; a load that starts right after dp_type_ranged on
     * another thread may see either value, as the header says. */
    uint64_t word = atomic_load_explicit(&L->ranged_types[type / 64], memory_order_relaxed);
    return (word >> (type % 64)) & 1u;
}

dp_status dp_type_ranged(dp_depot *dp, dp_type_id type, bool ranged)
{
    if (!dp || !dp__type_info(dp, type))
        return DP_ERR_INVALID;
    dp__loader *L = dp__loader_get(dp);
    if (!L)
        return DP_ERR_NOMEM;
    uint64_t bit = (uint64_t)1 << (type % 64);
    /* Relaxed: a setting that only the flag itself carries; a load starting at the same moment
     * on another thread may see either value (dp__type_is_ranged). */
    if (ranged)
        atomic_fetch_or_explicit(&L->ranged_types[type / 64], bit, memory_order_relaxed);
    else
        atomic_fetch_and_explicit(&L->ranged_types[type / 64], ~bit, memory_order_relaxed);
    return DP_OK;
}
