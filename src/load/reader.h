/* reader.h — the content of one load, as its type's load callback sees it: opened for
 * ranged reads when the type reads with dp_ctx_read and the source can (dp_source.read_at),
 * read whole otherwise. Keys without a scheme are looked up in the mounts first (mount.h).
 * One reader per job, used by the worker running it. */
#ifndef DEPOT_LOAD_READER_H
#define DEPOT_LOAD_READER_H

#include "load/loader.h"

typedef struct dp__reader {
    dp_source vt;              /* the source serving this load (a copy) */
    const dp_cancel *cancel;
    void *file;                /* open handle when `opened` */
    bool opened;
    uint64_t size;             /* content size (whole_len when read whole) */
    void *whole;               /* the whole content when not opened; vt.free_bytes frees it */
    size_t whole_len;
    struct dp__mount_set *hold; /* the mounts kept alive while reading, or NULL */
} dp__reader;

/* Opens `path` (no label) of source `source` for a load of a type that reads ranges or
 * not. On DP_OK the reader must be closed; on error nothing is held. Worker thread. */
dp_status dp__reader_open(dp__loader *L, int source, const char *path, bool ranged,
                          const dp_cancel *cancel, dp__reader *rd);
/* Exactly `len` bytes at `offset`: DP_OK; DP_ERR_FORMAT (past the end); source errors. */
dp_status dp__reader_read(dp__reader *rd, uint64_t offset, size_t len, void *buf);
/* Closes the file or frees the whole content, and drops the mounts it held. */
void dp__reader_close(dp__reader *rd);

/* Whether loads of `type` read with dp_ctx_read (dp_type_ranged). Any thread. */
bool dp__type_is_ranged(const dp__loader *L, dp_type_id type);

#endif
