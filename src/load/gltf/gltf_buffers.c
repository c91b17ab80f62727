/* gltf_buffers.c — glTF buffers and buffer views: where the bytes are (an external file,
 * a base64 data: URI, a .glb's BIN chunk) and which ranges of them the views name. Every
 * view must lie inside its buffer's byteLength, and every embedded buffer must hold its
 * byteLength, before anything reads them. */
#include <string.h>

#include <cjson/cJSON.h>

#include "load/gltf/gltf.h"
#include "load/json/json_formats.h"

/* A byte count: an integer in [0, 2^53] (exact in a double). */
static bool get_u64(const cJSON *v, uint64_t *out)
{
    uint32_t small;
    if (dp__json_u32(v, &small)) {
        *out = small;
        return true;
    }
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0.0) || v->valuedouble > 9007199254740992.0 ||
        (double)(uint64_t)v->valuedouble != v->valuedouble)
        return false;
    *out = (uint64_t)v->valuedouble;
    return true;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* The base64 payload of a data: URI and its decoded size; false when it is not one. */
static bool data_uri(const char *uri, const char **payload, size_t *n, size_t *decoded)
{
    const char *comma = strchr(uri, ',');
    if (!comma || comma - uri < 7 || strncmp(comma - 7, ";base64", 7) != 0)
        return false;
    *payload = comma + 1;
    size_t len = strlen(*payload);
    while (len > 0 && (*payload)[len - 1] == '=')
        len--;
    for (size_t i = 0; i < len; i++)
        if (b64_value((unsigned char)(*payload)[i]) < 0)
            return false;
    if (len % 4 == 1)
        return false;
    *n = len;
    *decoded = len / 4 * 3 + (len % 4 ? len % 4 - 1 : 0);
    return true;
}

/* Decodes base64 characters (checked by data_uri) into at most `max` bytes. */
static void b64_decode(const char *s, size_t n, unsigned char *out, size_t max)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t w = 0;
    for (size_t i = 0; i < n && w < max; i++) {
        acc = (acc << 6 | (uint32_t)b64_value((unsigned char)s[i])) & 0xFFFFFFu;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[w++] = (unsigned char)(acc >> bits);
        }
    }
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *dp__gltf_key(dp__gltf_doc *d, const char *uri, dp_status *st)
{
    *st = DP_ERR_FORMAT;
    size_t n = strlen(uri);
    if (n == 0)
        return NULL;
    char *key = dp__gltf_alloc(d, n + 3);
    if (!key) {
        *st = DP_ERR_NOMEM;
        return NULL;
    }
    *st = DP_OK;
    if (strstr(uri, "://")) {
        memcpy(key, uri, n + 1);
        return key;
    }
    char *o = key;
    *o++ = '.';
    *o++ = '/';
    for (const char *s = uri; *s; s++) {
        if (*s != '%') {
            *o++ = *s;
            continue;
        }
        int hi = hex_value(s[1]), lo = hi < 0 ? -1 : hex_value(s[2]);
        if (lo < 0 || (hi == 0 && lo == 0)) {
            *st = DP_ERR_FORMAT;
            return NULL;
        }
        *o++ = (char)(hi << 4 | lo);
        s += 2;
    }
    *o = 0;
    return key;
}

/* What each buffer is, before the embedded bytes are placed: `need` gets their total. */
static dp_status classify_buffer(dp__gltf_parser *p, const cJSON *b, uint32_t i, size_t *need)
{
    dp__gltf_buffer *buf = &p->doc->buffers[i];
    if (!get_u64(cJSON_GetObjectItemCaseSensitive(b, "byteLength"), &buf->length) ||
        buf->length == 0 || buf->length > DP__GLTF_MAX_BUFFER)
        return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: buffer %u: byteLength missing, 0 or "
                             "over 1 GiB", i);
    const cJSON *uri = cJSON_GetObjectItemCaseSensitive(b, "uri");
    if (!uri) {
        if (i != 0 || !p->bin)
            return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: buffer %u has no uri and is not a "
                                 ".glb's first buffer", i);
        if (buf->length > p->bin_len)
            return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: buffer 0: byteLength %llu, the BIN "
                                 "chunk has %zu", (unsigned long long)buf->length, p->bin_len);
        *need += (size_t)buf->length;
        return DP_OK;
    }
    if (!cJSON_IsString(uri))
        return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: buffer %u: uri is not a string", i);
    if (strncmp(uri->valuestring, "data:", 5) == 0) {
        const char *payload;
        size_t n, decoded;
        if (!data_uri(uri->valuestring, &payload, &n, &decoded))
            return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: buffer %u: not a base64 data: URI", i);
        if (decoded < buf->length)
            return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: buffer %u: byteLength %llu, its data: "
                                 "URI holds %zu bytes", i, (unsigned long long)buf->length,
                                 decoded);
        *need += (size_t)buf->length;
        return DP_OK;
    }
    dp_status st;
    buf->key = dp__gltf_key(p->doc, uri->valuestring, &st);
    if (!buf->key && st == DP_ERR_FORMAT)
        return dp__gltf_fail(p, st, "glTF: buffer %u: malformed uri", i);
    return st;
}

/* Copies (or decodes) each embedded buffer into the shared block. */
static void place_embedded(dp__gltf_parser *p, const cJSON *arr)
{
    dp__gltf_doc *d = p->doc;
    size_t at = 0;
    uint32_t i = 0;
    for (const cJSON *b = arr->child; b; b = b->next, i++) {
        dp__gltf_buffer *buf = &d->buffers[i];
        if (buf->key)
            continue;
        unsigned char *dst = d->shared->bytes + at;
        const cJSON *uri = cJSON_GetObjectItemCaseSensitive(b, "uri");
        if (!uri) {
            memcpy(dst, p->bin, (size_t)buf->length);
        } else {
            /* Only byteLength bytes are kept (the payload may hold more). */
            const char *payload;
            size_t n, decoded;
            data_uri(uri->valuestring, &payload, &n, &decoded);
            b64_decode(payload, n, dst, (size_t)buf->length);
        }
        buf->embedded = dst;
        at += (size_t)buf->length;
    }
}

static dp_status parse_views(dp__gltf_parser *p)
{
    dp__gltf_doc *d = p->doc;
    const cJSON *arr;
    dp_status st = dp__gltf_array(p, "bufferViews", &arr, &d->nviews);
    if (st != DP_OK)
        return st;
    d->views = dp__gltf_alloc(d, (size_t)d->nviews * sizeof *d->views + 1);
    if (!d->views)
        return DP_ERR_NOMEM;
    uint32_t i = 0;
    for (const cJSON *v = arr ? arr->child : NULL; v; v = v->next, i++) {
        dp__gltf_view *view = &d->views[i];
        int32_t buffer;
        st = dp__gltf_index(p, v, "buffer", d->nbuffers, "bufferView", i, &buffer);
        if (st != DP_OK)
            return st;
        const cJSON *off = cJSON_GetObjectItemCaseSensitive(v, "byteOffset");
        const cJSON *stride = cJSON_GetObjectItemCaseSensitive(v, "byteStride");
        if (buffer < 0 || !get_u64(cJSON_GetObjectItemCaseSensitive(v, "byteLength"),
                                   &view->length) || view->length == 0 ||
            (off && !get_u64(off, &view->offset)) ||
            (stride && (!dp__json_u32(stride, &view->stride) || view->stride < 4 ||
                        view->stride > 252 || view->stride % 4)))
            return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: bufferView %u: buffer, byteLength, "
                                 "byteOffset or byteStride missing or invalid", i);
        view->buffer = (uint32_t)buffer;
        uint64_t blen = d->buffers[buffer].length;
        if (view->offset > blen || view->length > blen - view->offset)
            return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: bufferView %u: bytes %llu..%llu are "
                                 "past the end of buffer %d (%llu bytes)", i,
                                 (unsigned long long)view->offset,
                                 (unsigned long long)(view->offset + view->length), buffer,
                                 (unsigned long long)blen);
    }
    return DP_OK;
}

dp_status dp__gltf_parse_buffers(dp__gltf_parser *p)
{
    dp__gltf_doc *d = p->doc;
    const cJSON *arr;
    dp_status st = dp__gltf_array(p, "buffers", &arr, &d->nbuffers);
    if (st != DP_OK)
        return st;
    d->buffers = dp__gltf_alloc(d, (size_t)d->nbuffers * sizeof *d->buffers + 1);
    if (!d->buffers)
        return DP_ERR_NOMEM;
    size_t need = 0;
    uint32_t i = 0;
    for (const cJSON *b = arr ? arr->child : NULL; b && st == DP_OK; b = b->next, i++)
        st = classify_buffer(p, b, i, &need);
    if (st != DP_OK)
        return st;
    if (need > 0) {
        /* The embedded bytes came from the file itself, so they are bounded by its size. */
        st = dp__gltf_shared_new(d, need);
        if (st != DP_OK)
            return st;
        place_embedded(p, arr);
    }
    return parse_views(p);
}
