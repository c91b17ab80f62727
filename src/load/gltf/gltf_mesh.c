/* gltf_mesh.c — glTF accessors and meshes. An accessor is checked against its bufferView
 * (offset aligned to its component, stride at least an element, the last element inside
 * the view) with 64-bit arithmetic, so a hostile count or offset cannot wrap; a mesh's
 * primitives may name only accessors, materials and modes that exist. */
#include <string.h>

#include <cjson/cJSON.h>

#include "load/gltf/gltf.h"
#include "load/json/json_formats.h"

/* Bytes of one component of a componentType; 0 for an unknown one. */
static uint32_t component_bytes(uint32_t type)
{
    switch (type) {
    case 5120: /* BYTE */
    case 5121: /* UNSIGNED_BYTE */
        return 1;
    case 5122: /* SHORT */
    case 5123: /* UNSIGNED_SHORT */
        return 2;
    case 5125: /* UNSIGNED_INT */
    case 5126: /* FLOAT */
        return 4;
    default:
        return 0;
    }
}

/* Components and matrix columns of an element type ("VEC3": 3, 0); false if unknown. */
static bool element_type(const char *s, uint32_t *components, uint32_t *columns)
{
    static const struct {
        const char *name;
        uint32_t components, columns;
    } types[] = {{"SCALAR", 1, 0}, {"VEC2", 2, 0}, {"VEC3", 3, 0}, {"VEC4", 4, 0},
                 {"MAT2", 4, 2},   {"MAT3", 9, 3}, {"MAT4", 16, 4}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(s, types[i].name) == 0) {
            *components = types[i].components;
            *columns = types[i].columns;
            return true;
        }
    return false;
}

/* Reads the fields of accessor i (not yet its place in the view). */
static dp_status accessor_fields(dp__gltf_parser *p, const cJSON *a, uint32_t i,
                                 dp_gltf_accessor *acc, uint32_t *columns, uint64_t *offset)
{
    if (cJSON_GetObjectItemCaseSensitive(a, "sparse"))
        return dp__gltf_fail(p, DP_ERR_UNSUPPORTED, "glTF: accessor %u is sparse", i);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(a, "type");
    const cJSON *off = cJSON_GetObjectItemCaseSensitive(a, "byteOffset");
    uint32_t off32 = 0;
    if (!dp__json_u32(cJSON_GetObjectItemCaseSensitive(a, "componentType"),
                      &acc->component_type) ||
        component_bytes(acc->component_type) == 0 || !cJSON_IsString(type) ||
        !element_type(type->valuestring, &acc->components, columns) ||
        !dp__json_u32(cJSON_GetObjectItemCaseSensitive(a, "count"), &acc->count) ||
        acc->count == 0 || (off && !dp__json_u32(off, &off32)))
        return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: accessor %u: componentType, type, count "
                             "or byteOffset missing or invalid", i);
    uint32_t cb = component_bytes(acc->component_type);
    if (off32 % cb)
        return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: accessor %u: byteOffset %u is not a "
                             "multiple of its component size %u", i, off32, cb);
    acc->normalized = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "normalized"));
    /* Matrix columns start on 4-byte boundaries (MAT2 of bytes: 2 columns of 4 bytes). */
    if (*columns)
        acc->element_bytes = *columns * ((*columns * cb + 3u) & ~3u);
    else
        acc->element_bytes = acc->components * cb;
    *offset = off32;
    return DP_OK;
}

static dp_status parse_accessor(dp__gltf_parser *p, const cJSON *a, uint32_t i)
{
    dp__gltf_doc *d = p->doc;
    dp__gltf_accessor *acc = &d->accessors[i];
    int32_t view_i;
    dp_status st = dp__gltf_index(p, a, "bufferView", d->nviews, "accessor", i, &view_i);
    if (st != DP_OK)
        return st;
    if (view_i < 0)
        return dp__gltf_fail(p, DP_ERR_UNSUPPORTED, "glTF: accessor %u has no bufferView", i);
    uint32_t columns = 0;
    uint64_t offset = 0;
    st = accessor_fields(p, a, i, &acc->pub, &columns, &offset);
    if (st != DP_OK)
        return st;
    const dp__gltf_view *view = &d->views[view_i];
    uint32_t stride = view->stride ? view->stride : acc->pub.element_bytes;
    if (stride < acc->pub.element_bytes)
        return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: accessor %u: elements of %u bytes in "
                             "bufferView %d with byteStride %u", i, acc->pub.element_bytes,
                             view_i, stride);
    /* At most 2^32 * 252 + 2^32: no 64-bit wrap. */
    uint64_t end = offset + (uint64_t)(acc->pub.count - 1) * stride + acc->pub.element_bytes;
    if (end > view->length)
        return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: accessor %u: %u elements from byte %llu "
                             "need %llu bytes, bufferView %d has %llu", i, acc->pub.count,
                             (unsigned long long)offset, (unsigned long long)end, view_i,
                             (unsigned long long)view->length);
    acc->pub.stride = stride;
    acc->pub.offset = view->offset + offset;
    acc->buffer = view->buffer;
    return DP_OK;
}

dp_status dp__gltf_parse_accessors(dp__gltf_parser *p)
{
    dp__gltf_doc *d = p->doc;
    const cJSON *arr;
    dp_status st = dp__gltf_array(p, "accessors", &arr, &d->naccessors);
    if (st != DP_OK)
        return st;
    d->accessors = dp__gltf_alloc(d, (size_t)d->naccessors * sizeof *d->accessors + 1);
    if (!d->accessors)
        return DP_ERR_NOMEM;
    uint32_t i = 0;
    for (const cJSON *a = arr ? arr->child : NULL; a && st == DP_OK; a = a->next, i++)
        st = parse_accessor(p, a, i);
    return st;
}

/* The attributes object of primitive `pi` of mesh `mi`. */
static dp_status parse_attributes(dp__gltf_parser *p, const cJSON *attrs, uint32_t mi,
                                  uint32_t pi, dp__gltf_prim *prim)
{
    dp__gltf_doc *d = p->doc;
    int n = cJSON_GetArraySize(attrs);
    if (!cJSON_IsObject(attrs) || n < 1 || (unsigned)n > DP__GLTF_MAX_ATTRIBUTES)
        return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: mesh %u primitive %u: attributes must be "
                             "an object of 1 to %u accessors", mi, pi, DP__GLTF_MAX_ATTRIBUTES);
    prim->attrs = dp__gltf_alloc(d, (size_t)n * sizeof *prim->attrs);
    if (!prim->attrs)
        return DP_ERR_NOMEM;
    const cJSON *at;
    cJSON_ArrayForEach(at, attrs)
    {
        uint32_t acc;
        if (!at->string || !dp__json_u32(at, &acc) || acc >= d->naccessors)
            return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: mesh %u primitive %u: attribute %s "
                                 "names no accessor (there are %u)", mi, pi,
                                 at->string ? at->string : "?", d->naccessors);
        size_t len = strlen(at->string);
        char *name = dp__gltf_alloc(d, len + 1);
        if (!name)
            return DP_ERR_NOMEM;
        memcpy(name, at->string, len + 1);
        prim->attrs[prim->nattrs++] = (dp__gltf_attr){.name = name, .accessor = acc};
    }
    return DP_OK;
}

static dp_status parse_primitive(dp__gltf_parser *p, const cJSON *pr, uint32_t mi, uint32_t pi,
                                 dp__gltf_prim *prim)
{
    dp__gltf_doc *d = p->doc;
    const cJSON *mode = cJSON_GetObjectItemCaseSensitive(pr, "mode");
    prim->mode = 4;
    if (mode && (!dp__json_u32(mode, &prim->mode) || prim->mode > 6))
        return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: mesh %u primitive %u: mode is not 0-6",
                             mi, pi);
    dp_status st = dp__gltf_index(p, pr, "material", d->nmaterials, "mesh primitive", mi,
                                  &prim->material);
    if (st == DP_OK)
        st = dp__gltf_index(p, pr, "indices", d->naccessors, "mesh primitive", mi,
                            &prim->indices);
    if (st != DP_OK)
        return st;
    if (prim->indices >= 0) {
        const dp_gltf_accessor *ix = &d->accessors[prim->indices].pub;
        if (ix->components != 1 || ix->component_type == 5120 || ix->component_type == 5122 ||
            ix->component_type == 5126)
            return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: mesh %u primitive %u: indices "
                                 "accessor %d is not an unsigned SCALAR", mi, pi, prim->indices);
    }
    return parse_attributes(p, cJSON_GetObjectItemCaseSensitive(pr, "attributes"), mi, pi, prim);
}

dp_status dp__gltf_parse_meshes(dp__gltf_parser *p)
{
    dp__gltf_doc *d = p->doc;
    const cJSON *arr;
    dp_status st = dp__gltf_array(p, "meshes", &arr, &d->nmeshes);
    if (st != DP_OK)
        return st;
    d->meshes = dp__gltf_alloc(d, (size_t)d->nmeshes * sizeof *d->meshes + 1);
    if (!d->meshes)
        return DP_ERR_NOMEM;
    uint32_t mi = 0;
    for (const cJSON *me = arr ? arr->child : NULL; me; me = me->next, mi++) {
        const cJSON *prims = cJSON_GetObjectItemCaseSensitive(me, "primitives");
        int n = cJSON_GetArraySize(prims);
        if (!cJSON_IsArray(prims) || n < 1 || (unsigned)n > DP__GLTF_MAX_ITEMS)
            return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: mesh %u: primitives must be a "
                                 "non-empty array", mi);
        dp__gltf_mesh *m = &d->meshes[mi];
        m->prims = dp__gltf_alloc(d, (size_t)n * sizeof *m->prims);
        if (!m->prims)
            return DP_ERR_NOMEM;
        m->nprims = (uint32_t)n;
        uint32_t pi = 0;
        for (const cJSON *pr = prims->child; pr; pr = pr->next, pi++) {
            st = parse_primitive(p, pr, mi, pi, &m->prims[pi]);
            if (st != DP_OK)
                return st;
        }
    }
    return DP_OK;
}
