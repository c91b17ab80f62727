/* gltf_doc.c — the glTF document: its arena, the .glb container, the parse driver and the
 * helpers every part of the parser shares.
 *
 * A .glb is a 12-byte header (magic "glTF", version 2, total length) and chunks of
 * (length, type, data): the first is the JSON, an optional second the BIN buffer. Every
 * length is checked against the bytes there are before it is used. */
#include "load/gltf/gltf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/alloc.h"
#include "load/json/json_formats.h"

#define GLB_MAGIC 0x46546C67u /* "glTF" */
#define GLB_JSON 0x4E4F534Au  /* "JSON" */
#define GLB_BIN 0x004E4942u   /* "BIN\0" */
#define ARENA_CHUNK 16384u

struct dp__gltf_arena_chunk {
    dp__gltf_arena_chunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

void *dp__gltf_alloc(dp__gltf_doc *d, size_t n)
{
    n = (n + 15u) & ~(size_t)15u;
    dp__gltf_arena_chunk *c = d->arena;
    if (!c || c->cap - c->used < n) {
        size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
        c = dp__alloc(d->alloc, sizeof *c + cap);
        if (!c)
            return NULL;
        c->next = d->arena;
        c->used = 0;
        c->cap = cap;
        d->arena = c;
    }
    void *p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

dp_status dp__gltf_shared_new(dp__gltf_doc *d, size_t len)
{
    dp__gltf_shared *s = dp__alloc(d->alloc, sizeof *s + len);
    if (!s)
        return DP_ERR_NOMEM;
    atomic_init(&s->refs, 1);
    s->alloc = d->alloc;
    s->len = len;
    d->shared = s;
    return DP_OK;
}

void dp__gltf_shared_release(dp__gltf_shared *s)
{
    /* acq_rel: the last owner sees every other owner's reads of the bytes finished. */
    if (s && atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) == 1)
        dp__free(s->alloc, s);
}

void dp__gltf_doc_free(dp__gltf_doc *d)
{
    if (!d)
        return;
    dp__gltf_shared_release(d->shared);
    const dp_allocator *a = d->alloc;
    for (dp__gltf_arena_chunk *c = d->arena, *next; c; c = next) {
        next = c->next;
        dp__free(a, c);
    }
    dp__free(a, d);
}

dp_status dp__gltf_fail(dp__gltf_parser *p, dp_status st, const char *fmt, ...)
{
    if (p->why && p->why_cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->why, p->why_cap, fmt, ap);
        va_end(ap);
    }
    return st;
}

dp_status dp__gltf_array(dp__gltf_parser *p, const char *name, const cJSON **arr, uint32_t *n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(p->root, name);
    *arr = a;
    *n = 0;
    if (!a)
        return DP_OK;
    if (!cJSON_IsArray(a))
        return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: \"%s\" is not an array", name);
    int count = cJSON_GetArraySize(a);
    if (count < 0 || (unsigned)count > DP__GLTF_MAX_ITEMS)
        return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: \"%s\" has %d entries (at most %u)",
                             name, count, DP__GLTF_MAX_ITEMS);
    *n = (uint32_t)count;
    return DP_OK;
}

dp_status dp__gltf_index(dp__gltf_parser *p, const cJSON *obj, const char *name,
                         uint32_t limit, const char *what, uint32_t item, int32_t *out)
{
    *out = -1;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!v)
        return DP_OK;
    uint32_t i;
    if (!dp__json_u32(v, &i) || i >= limit)
        return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: %s %u: \"%s\" is not an index below %u",
                             what, item, name, limit);
    *out = (int32_t)i;
    return DP_OK;
}

static uint32_t le32(const unsigned char *b)
{
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Splits a .glb into its JSON and BIN chunks (views into `bytes`). */
static dp_status split_glb(dp__gltf_parser *p, const unsigned char *b, size_t len,
                           const unsigned char **json, size_t *json_len)
{
    if (len < 20)
        return dp__gltf_fail(p, DP_ERR_FORMAT, "glb: %zu bytes, shorter than a header", len);
    uint32_t version = le32(b + 4), total = le32(b + 8);
    if (version != 2)
        return dp__gltf_fail(p, DP_ERR_FORMAT, "glb: version %u (2 expected)", version);
    if (total > len || total < 20)
        return dp__gltf_fail(p, DP_ERR_FORMAT, "glb: header says %u bytes, the file has %zu",
                             total, len);
    size_t at = 12;
    uint32_t clen = le32(b + at), ctype = le32(b + at + 4);
    if (ctype != GLB_JSON || clen > total - at - 8)
        return dp__gltf_fail(p, DP_ERR_FORMAT, "glb: the first chunk is not a JSON chunk "
                             "inside the file");
    *json = b + at + 8;
    *json_len = clen;
    at += 8 + (size_t)clen;
    if (total - at >= 8) {
        clen = le32(b + at);
        ctype = le32(b + at + 4);
        if (ctype == GLB_BIN) {
            if (clen > total - at - 8)
                return dp__gltf_fail(p, DP_ERR_FORMAT, "glb: the BIN chunk (%u bytes) runs "
                                     "past the end of the file", clen);
            p->bin = b + at + 8;
            p->bin_len = clen;
        }
    }
    return DP_OK;
}

/* The asset object must say version 2.x. */
static dp_status check_asset(dp__gltf_parser *p)
{
    const cJSON *asset = cJSON_GetObjectItemCaseSensitive(p->root, "asset");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(asset, "version");
    if (!cJSON_IsString(v) || strncmp(v->valuestring, "2.", 2) != 0)
        return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: no \"asset\": {\"version\": \"2.x\"}");
    return DP_OK;
}

static dp_status parse_all(dp__gltf_parser *p)
{
    dp_status st = check_asset(p);
    if (st == DP_OK)
        st = dp__gltf_parse_buffers(p);
    if (st == DP_OK)
        st = dp__gltf_parse_accessors(p);
    if (st == DP_OK)
        st = dp__gltf_parse_images(p);
    if (st == DP_OK)
        st = dp__gltf_parse_materials(p);
    if (st == DP_OK)
        st = dp__gltf_parse_meshes(p);
    if (st == DP_OK)
        st = dp__gltf_parse_nodes(p);
    return st;
}

dp_status dp__gltf_parse(const dp_allocator *a, const void *bytes, size_t len,
                         dp__gltf_doc **out, char *why, size_t why_cap)
{
    if (why && why_cap)
        why[0] = 0;
    if (!out)
        return DP_ERR_INVALID;
    *out = NULL;
    if (!a || (!bytes && len))
        return DP_ERR_INVALID;
    dp__gltf_parser p = {.why = why, .why_cap = why_cap};
    const unsigned char *json = bytes;
    size_t json_len = len;
    if (len >= 4 && le32(bytes) == GLB_MAGIC) {
        dp_status st = split_glb(&p, bytes, len, &json, &json_len);
        if (st != DP_OK)
            return st;
    }
    cJSON *root = dp__json_parse(json, json_len, why, why_cap);
    if (!root)
        return DP_ERR_FORMAT; /* `why` says where the JSON stopped */
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return dp__gltf_fail(&p, DP_ERR_FORMAT, "glTF: the JSON is not one object");
    }
    dp__gltf_doc *d = dp__calloc(a, 1, sizeof *d);
    if (!d) {
        cJSON_Delete(root);
        return DP_ERR_NOMEM;
    }
    d->alloc = a;
    p.doc = d;
    p.root = root;
    dp_status st = parse_all(&p);
    cJSON_Delete(root);
    if (st != DP_OK) {
        dp__gltf_doc_free(d);
        return st;
    }
    *out = d;
    return DP_OK;
}
