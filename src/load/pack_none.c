/* pack_none.c — the pack functions of a build without libzstd or libxxhash: each says
 * DP_ERR_NOT_FOUND (the part is not built), as dp_http_configure does without libcurl; and
 * no content hash (catalog.h). */
#include "depot/config.h"
#include "depot/pack.h"
#include "load/catalog.h"

#if !DP_HAVE_PACK
dp_status dp_pack_open(const char *path, const dp_allocator *alloc, dp_pack **out)
{
    (void)path;
    (void)alloc;
    if (out)
        *out = NULL;
    return DP_ERR_NOT_FOUND;
}

dp_status dp_pack_open_memory(const void *bytes, size_t len, const dp_allocator *alloc,
                              dp_pack **out)
{
    (void)bytes;
    (void)len;
    return dp_pack_open(NULL, alloc, out);
}

void dp_pack_close(dp_pack *pack)
{
    (void)pack;
}

size_t dp_pack_count(const dp_pack *pack)
{
    (void)pack;
    return 0;
}

dp_status dp_pack_entry_at(const dp_pack *pack, size_t index, dp_pack_entry *out)
{
    (void)pack;
    (void)index;
    (void)out;
    return DP_ERR_NOT_FOUND;
}

dp_status dp_pack_find(const dp_pack *pack, const char *key, size_t *index)
{
    (void)pack;
    (void)key;
    (void)index;
    return DP_ERR_NOT_FOUND;
}

dp_status dp_pack_read(const dp_pack *pack, size_t index, void **bytes, size_t *len)
{
    (void)pack;
    (void)index;
    if (bytes)
        *bytes = NULL;
    if (len)
        *len = 0;
    return DP_ERR_NOT_FOUND;
}

void dp_pack_free(const dp_pack *pack, void *bytes)
{
    (void)pack;
    (void)bytes;
}

dp_status dp_pack_list(const dp_pack *pack, const char *folder,
                       void (*fn)(void *user, const char *key), void *user)
{
    (void)pack;
    (void)folder;
    (void)fn;
    (void)user;
    return DP_ERR_NOT_FOUND;
}

dp_status dp_pack_writer_new(const dp_allocator *alloc, dp_pack_writer **out)
{
    (void)alloc;
    if (out)
        *out = NULL;
    return DP_ERR_NOT_FOUND;
}

dp_status dp_pack_writer_add(dp_pack_writer *w, const char *key, const void *bytes, size_t len,
                             int level)
{
    (void)w;
    (void)key;
    (void)bytes;
    (void)len;
    (void)level;
    return DP_ERR_NOT_FOUND;
}

dp_status dp_pack_writer_save(dp_pack_writer *w, const char *path)
{
    (void)w;
    (void)path;
    return DP_ERR_NOT_FOUND;
}

void dp_pack_writer_free(dp_pack_writer *w)
{
    (void)w;
}

bool dp__content_hash(const void *bytes, size_t len, uint64_t *out)
{
    (void)bytes;
    (void)len;
    *out = 0;
    return false; /* no libxxhash: nothing can be checked against a catalog */
}
#endif
