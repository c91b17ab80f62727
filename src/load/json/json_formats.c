/* json_formats.c — the sprite and bundle JSON formats, parsed with cJSON.
 *
 * cJSON builds its tree with malloc (its hooks are process-global and depot leaves them
 * alone); the tree is freed before returning, and only the results are allocated with the
 * depot's allocator. */
#include "load/json/json_formats.h"

#include <math.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "common/alloc.h"
#include "common/why.h"

/* Says where in the text cJSON stopped: line and column (from 1) and the byte offset. */
static void where(const char *text, size_t len, const char *at, const char *what, char *why,
                  size_t cap)
{
    size_t off = at && at >= text && at <= text + len ? (size_t)(at - text) : len;
    size_t line = 1, col = 1;
    for (size_t i = 0; i < off; i++) {
        if (text[i] == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    dp__why(why, cap, "%s at line %zu, column %zu (byte %zu of %zu)", what, line, col, off, len);
}

cJSON *dp__json_parse(const void *bytes, size_t len, char *why, size_t cap)
{
    if (!bytes || len == 0) {
        dp__why(why, cap, "empty file (no JSON)");
        return NULL;
    }
    const char *text = bytes;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        /* cJSON points where it gave up: inside a string that never ends, or at the last
         * byte when the text ran out elsewhere. */
        where(text, len, end, "JSON syntax error", why, cap);
        return NULL;
    }
    if (!end || end < text || end > text + len)
        goto trailing;
    for (const char *p = end; p < text + len; p++) {
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
            end = p;
            goto trailing;
        }
    }
    return root;

trailing:
    where(text, len, end, "text after the JSON value", why, cap);
    cJSON_Delete(root);
    return NULL;
}

bool dp__json_u32(const cJSON *item, uint32_t *out)
{
    if (!cJSON_IsNumber(item))
        return false;
    double v = item->valuedouble;
    if (!isfinite(v) || v < 0.0 || v > 4294967295.0 || floor(v) != v)
        return false;
    *out = (uint32_t)v;
    return true;
}

dp_status dp__sprite_parse(const dp_allocator *a, const void *bytes, size_t len,
                           dp__sprite_desc *out, char *why, size_t why_cap)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!a || !out)
        return DP_ERR_INVALID;
    cJSON *root = dp__json_parse(bytes, len, why, why_cap);
    if (!root)
        return DP_ERR_FORMAT;

    dp_status s = DP_ERR_FORMAT;
    dp__sprite_desc d = {0};
    dp__why(why, why_cap, "a sprite is {\"image\": \"key\", \"rect\": [x, y, w, h]}");
    const cJSON *image = cJSON_GetObjectItemCaseSensitive(root, "image");
    const cJSON *rect = cJSON_GetObjectItemCaseSensitive(root, "rect");
    if (!cJSON_IsObject(root) || !cJSON_IsString(image) || !image->valuestring ||
        !image->valuestring[0] || !cJSON_IsArray(rect) || cJSON_GetArraySize(rect) != 4)
        goto done;
    if (!dp__json_u32(cJSON_GetArrayItem(rect, 0), &d.x) ||
        !dp__json_u32(cJSON_GetArrayItem(rect, 1), &d.y) ||
        !dp__json_u32(cJSON_GetArrayItem(rect, 2), &d.w) ||
        !dp__json_u32(cJSON_GetArrayItem(rect, 3), &d.h) || d.w == 0 || d.h == 0)
        goto done;
    d.image_key = dp__strdup(a, image->valuestring);
    if (!d.image_key) {
        s = DP_ERR_NOMEM;
        goto done;
    }
    *out = d;
    s = DP_OK;

done:
    cJSON_Delete(root);
    return s;
}

void dp__sprite_desc_free(const dp_allocator *a, dp__sprite_desc *d)
{
    if (!a || !d)
        return;
    dp__free(a, d->image_key);
    memset(d, 0, sizeof *d);
}

/* FNV-1a, for the duplicate check. */
static size_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211u;
    }
    return (size_t)h;
}

/* Counts the list's keys before anything is allocated; false (with why) when one is not a
 * non-empty string. */
static bool count_keys(const cJSON *list, size_t *n, char *why, size_t why_cap)
{
    *n = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, list) {
        if (!cJSON_IsString(item) || !item->valuestring || !item->valuestring[0]) {
            dp__why(why, why_cap, "asset %zu of the list is not a non-empty string", *n);
            return false;
        }
        (*n)++;
    }
    return true;
}

/* Copies the n keys of the list into keys[0..*count) in order, each once (the first
 * occurrence wins). DP_OK or DP_ERR_NOMEM; the copies made stay in keys for the caller. */
static dp_status copy_unique(const dp_allocator *a, const cJSON *list, size_t n, char **keys,
                             size_t *count)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    size_t *table = dp__calloc(a, cap, sizeof *table); /* 0 = empty, else index + 1 */
    if (!table)
        return DP_ERR_NOMEM;
    dp_status s = DP_OK;
    const cJSON *item;
    cJSON_ArrayForEach(item, list) {
        const char *k = item->valuestring;
        size_t slot = hash_str(k) & (cap - 1);
        bool dup = false;
        while (table[slot]) {
            if (strcmp(keys[table[slot] - 1], k) == 0) {
                dup = true;
                break;
            }
            slot = (slot + 1) & (cap - 1);
        }
        if (dup)
            continue; /* keep the first occurrence, in order */
        keys[*count] = dp__strdup(a, k);
        if (!keys[*count]) {
            s = DP_ERR_NOMEM;
            break;
        }
        table[slot] = ++*count;
    }
    dp__free(a, table);
    return s;
}

dp_status dp__bundle_parse(const dp_allocator *a, const void *bytes, size_t len,
                           dp__bundle_desc *out, char *why, size_t why_cap)
{
    if (out)
        memset(out, 0, sizeof *out);
    if (!a || !out)
        return DP_ERR_INVALID;
    cJSON *root = dp__json_parse(bytes, len, why, why_cap);
    if (!root)
        return DP_ERR_FORMAT;

    dp_status s = DP_ERR_FORMAT;
    char **keys = NULL;
    size_t count = 0, n;
    const cJSON *list = root;
    if (cJSON_IsObject(root))
        list = cJSON_GetObjectItemCaseSensitive(root, "assets");
    if (!cJSON_IsArray(list)) {
        dp__why(why, why_cap, "a bundle is {\"assets\": [\"key\", ...]} or [\"key\", ...]");
        goto done;
    }
    if (!count_keys(list, &n, why, why_cap))
        goto done;
    if (n == 0) {
        s = DP_OK; /* an empty bundle is valid: count 0, keys NULL */
        goto done;
    }
    keys = dp__calloc(a, n, sizeof *keys);
    s = keys ? copy_unique(a, list, n, keys, &count) : DP_ERR_NOMEM;
    if (s != DP_OK)
        goto done;
    out->keys = keys;
    out->count = count;
    keys = NULL;
    count = 0;

done:
    if (keys) {
        for (size_t i = 0; i < count; i++)
            dp__free(a, keys[i]);
        dp__free(a, keys);
    }
    cJSON_Delete(root);
    return s;
}

void dp__bundle_desc_free(const dp_allocator *a, dp__bundle_desc *d)
{
    if (!a || !d)
        return;
    for (size_t i = 0; i < d->count; i++)
        dp__free(a, d->keys[i]);
    dp__free(a, d->keys);
    memset(d, 0, sizeof *d);
}
