/* gltf_scene.c — glTF images, samplers, textures, materials, nodes and scenes. Every index
 * into another array is checked; nodes must form trees (one parent each, no cycles: a
 * cyclic "tree" would send any renderer walking it into an endless loop). */
#include <math.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "load/gltf/gltf.h"
#include "load/json/json_formats.h"

/* The first child of an array (cJSON_GetArrayItem walks from the start every time, which
 * would make a loop over 65,536 entries quadratic). */
static const cJSON *first(const cJSON *arr)
{
    return arr ? arr->child : NULL;
}

dp_status dp__gltf_parse_images(dp__gltf_parser *p)
{
    dp__gltf_doc *d = p->doc;
    const cJSON *images, *samplers, *textures;
    uint32_t nsamplers;
    dp_status st = dp__gltf_array(p, "images", &images, &d->nimages);
    if (st == DP_OK)
        st = dp__gltf_array(p, "samplers", &samplers, &nsamplers);
    if (st == DP_OK)
        st = dp__gltf_array(p, "textures", &textures, &d->ntextures);
    if (st != DP_OK)
        return st;
    d->image_keys = dp__gltf_alloc(d, (size_t)d->nimages * sizeof *d->image_keys + 1);
    d->textures = dp__gltf_alloc(d, (size_t)d->ntextures * sizeof *d->textures + 1);
    if (!d->image_keys || !d->textures)
        return DP_ERR_NOMEM;
    uint32_t i = 0;
    for (const cJSON *im = first(images); im; im = im->next, i++) {
        const cJSON *uri = cJSON_GetObjectItemCaseSensitive(im, "uri");
        if (!cJSON_IsString(uri) || strncmp(uri->valuestring, "data:", 5) == 0)
            return dp__gltf_fail(p, DP_ERR_UNSUPPORTED, "glTF: image %u is embedded (a "
                                 "bufferView or data: URI); only external images load", i);
        d->image_keys[i] = dp__gltf_key(d, uri->valuestring, &st);
        if (!d->image_keys[i])
            return st == DP_ERR_NOMEM ? st
                                      : dp__gltf_fail(p, st, "glTF: image %u: malformed uri", i);
    }
    i = 0;
    for (const cJSON *t = first(textures); t; t = t->next, i++) {
        dp__gltf_texture *tex = &d->textures[i];
        int32_t src, smp;
        st = dp__gltf_index(p, t, "source", d->nimages, "texture", i, &src);
        if (st == DP_OK)
            st = dp__gltf_index(p, t, "sampler", nsamplers, "texture", i, &smp);
        if (st != DP_OK)
            return st;
        if (src < 0)
            return dp__gltf_fail(p, DP_ERR_UNSUPPORTED, "glTF: texture %u has no source "
                                 "image", i);
        tex->image = (uint32_t)src;
        tex->pub.wrap_s = tex->pub.wrap_t = 10497; /* REPEAT */
        const cJSON *s = smp >= 0 ? cJSON_GetArrayItem(samplers, smp) : NULL;
        const char *names[] = {"magFilter", "minFilter", "wrapS", "wrapT"};
        uint32_t *fields[] = {&tex->pub.mag_filter, &tex->pub.min_filter, &tex->pub.wrap_s,
                              &tex->pub.wrap_t};
        for (size_t k = 0; s && k < 4; k++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, names[k]);
            if (v && !dp__json_u32(v, fields[k]))
                return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: sampler %d: %s is not a GL "
                                     "enum", smp, names[k]);
        }
    }
    return DP_OK;
}

/* Reads up to `n` floats of the array `name` of obj into out (absent: out unchanged). */
static bool get_floats(const cJSON *obj, const char *name, float *out, int n)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!a)
        return true;
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n)
        return false;
    int i = 0;
    for (const cJSON *v = first(a); v; v = v->next, i++) {
        if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
            return false;
        out[i] = (float)v->valuedouble;
    }
    return true;
}

/* A texture slot ({"index": t, "texCoord": c}) of material mi. */
static dp_status texture_ref(dp__gltf_parser *p, const cJSON *obj, const char *name,
                             uint32_t mi, dp_gltf_texture_ref *out)
{
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(obj, name);
    *out = (dp_gltf_texture_ref){.texture = -1};
    if (!info)
        return DP_OK;
    const cJSON *tc = cJSON_GetObjectItemCaseSensitive(info, "texCoord");
    dp_status st = dp__gltf_index(p, info, "index", p->doc->ntextures, "material", mi,
                                  &out->texture);
    if (st == DP_OK && (out->texture < 0 || (tc && !dp__json_u32(tc, &out->texcoord))))
        st = dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: material %u: %s needs an index and an "
                           "integer texCoord", mi, name);
    return st;
}

static dp_status parse_material(dp__gltf_parser *p, const cJSON *m, uint32_t mi)
{
    dp_gltf_material *mat = &p->doc->materials[mi];
    *mat = (dp_gltf_material){.base_color = {1, 1, 1, 1}, .metallic = 1, .roughness = 1,
                              .alpha_cutoff = 0.5f};
    const cJSON *pbr = cJSON_GetObjectItemCaseSensitive(m, "pbrMetallicRoughness");
    const cJSON *mf = cJSON_GetObjectItemCaseSensitive(pbr, "metallicFactor");
    const cJSON *rf = cJSON_GetObjectItemCaseSensitive(pbr, "roughnessFactor");
    const cJSON *ac = cJSON_GetObjectItemCaseSensitive(m, "alphaCutoff");
    const cJSON *am = cJSON_GetObjectItemCaseSensitive(m, "alphaMode");
    if (!get_floats(pbr, "baseColorFactor", mat->base_color, 4) ||
        !get_floats(m, "emissiveFactor", mat->emissive, 3) || (mf && !cJSON_IsNumber(mf)) ||
        (rf && !cJSON_IsNumber(rf)) || (ac && !cJSON_IsNumber(ac)) ||
        (am && !cJSON_IsString(am)))
        return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: material %u: a factor is malformed", mi);
    mat->metallic = mf ? (float)mf->valuedouble : 1.0f;
    mat->roughness = rf ? (float)rf->valuedouble : 1.0f;
    mat->alpha_cutoff = ac ? (float)ac->valuedouble : 0.5f;
    mat->alpha_mode = !am ? 0 : strcmp(am->valuestring, "MASK") == 0 ? 1
                          : strcmp(am->valuestring, "BLEND") == 0   ? 2 : 0;
    mat->double_sided = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(m, "doubleSided"));
    dp_status st = texture_ref(p, pbr, "baseColorTexture", mi, &mat->base_color_texture);
    if (st == DP_OK)
        st = texture_ref(p, pbr, "metallicRoughnessTexture", mi,
                         &mat->metallic_roughness_texture);
    if (st == DP_OK)
        st = texture_ref(p, m, "normalTexture", mi, &mat->normal_texture);
    if (st == DP_OK)
        st = texture_ref(p, m, "occlusionTexture", mi, &mat->occlusion_texture);
    if (st == DP_OK)
        st = texture_ref(p, m, "emissiveTexture", mi, &mat->emissive_texture);
    return st;
}

dp_status dp__gltf_parse_materials(dp__gltf_parser *p)
{
    dp__gltf_doc *d = p->doc;
    const cJSON *arr;
    dp_status st = dp__gltf_array(p, "materials", &arr, &d->nmaterials);
    if (st != DP_OK)
        return st;
    d->materials = dp__gltf_alloc(d, (size_t)d->nmaterials * sizeof *d->materials + 1);
    if (!d->materials)
        return DP_ERR_NOMEM;
    uint32_t i = 0;
    for (const cJSON *m = first(arr); m && st == DP_OK; m = m->next, i++)
        st = parse_material(p, m, i);
    return st;
}

/* Column-major T * R * S from translation, rotation (a unit quaternion x, y, z, w) and
 * scale. */
static void compose(const float t[3], const float q[4], const float s[3], float m[16])
{
    float x = q[0], y = q[1], z = q[2], w = q[3];
    float r[9] = {1 - 2 * (y * y + z * z), 2 * (x * y + z * w),     2 * (x * z - y * w),
                  2 * (x * y - z * w),     1 - 2 * (x * x + z * z), 2 * (y * z + x * w),
                  2 * (x * z + y * w),     2 * (y * z - x * w),     1 - 2 * (x * x + y * y)};
    for (int c = 0; c < 3; c++)
        for (int k = 0; k < 3; k++)
            m[c * 4 + k] = r[c * 3 + k] * s[c];
    m[3] = m[7] = m[11] = 0;
    m[12] = t[0];
    m[13] = t[1];
    m[14] = t[2];
    m[15] = 1;
}

static dp_status parse_node(dp__gltf_parser *p, const cJSON *n, uint32_t ni)
{
    dp__gltf_doc *d = p->doc;
    dp_gltf_node *node = &d->nodes[ni];
    dp_status st = dp__gltf_index(p, n, "mesh", d->nmeshes, "node", ni, &node->mesh);
    if (st != DP_OK)
        return st;
    float t[3] = {0, 0, 0}, q[4] = {0, 0, 0, 1}, s[3] = {1, 1, 1};
    if (!get_floats(n, "translation", t, 3) || !get_floats(n, "rotation", q, 4) ||
        !get_floats(n, "scale", s, 3))
        return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: node %u: malformed transform", ni);
    compose(t, q, s, node->matrix);
    if (!get_floats(n, "matrix", node->matrix, 16))
        return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: node %u: matrix is not 16 numbers", ni);
    const cJSON *kids = cJSON_GetObjectItemCaseSensitive(n, "children");
    int nk = cJSON_GetArraySize(kids);
    if (kids && (!cJSON_IsArray(kids) || (unsigned)nk > d->nnodes))
        return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: node %u: children is not an array of "
                             "nodes", ni);
    uint32_t *c = dp__gltf_alloc(d, (size_t)nk * sizeof *c + 1);
    if (!c)
        return DP_ERR_NOMEM;
    for (const cJSON *k = first(kids); k; k = k->next) {
        uint32_t child;
        if (!dp__json_u32(k, &child) || child >= d->nnodes || child == ni)
            return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: node %u: a child is not another "
                                 "node", ni);
        if (d->nodes[child].parent >= 0)
            return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: node %u has two parents (%d and %u)",
                                 child, d->nodes[child].parent, ni);
        d->nodes[child].parent = (int32_t)ni;
        c[node->child_count++] = child;
    }
    node->children = c;
    return DP_OK;
}

/* With one parent each, the nodes are trees unless some parent chain loops. Each chain is
 * walked once: a node met again in the current walk is a cycle; a node a finished walk
 * reached leads to a root. */
static dp_status check_acyclic(dp__gltf_parser *p, uint32_t *walk)
{
    dp__gltf_doc *d = p->doc;
    for (uint32_t start = 0; start < d->nnodes; start++) {
        uint32_t i = start;
        while (walk[i] == 0) {
            walk[i] = start + 1;
            if (d->nodes[i].parent < 0)
                break;
            i = (uint32_t)d->nodes[i].parent;
        }
        if (walk[i] == start + 1 && d->nodes[i].parent >= 0)
            return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: node %u is its own ancestor (the "
                                 "node hierarchy has a cycle)", i);
    }
    return DP_OK;
}

/* The default scene's roots: "scene", else scene 0, else every parentless node. */
static dp_status parse_roots(dp__gltf_parser *p)
{
    dp__gltf_doc *d = p->doc;
    const cJSON *scenes;
    uint32_t nscenes;
    int32_t which;
    dp_status st = dp__gltf_array(p, "scenes", &scenes, &nscenes);
    if (st == DP_OK)
        st = dp__gltf_index(p, p->root, "scene", nscenes, "scene", 0, &which);
    if (st != DP_OK)
        return st;
    d->roots = dp__gltf_alloc(d, (size_t)d->nnodes * sizeof *d->roots + 1);
    if (!d->roots)
        return DP_ERR_NOMEM;
    if (nscenes == 0) {
        for (uint32_t i = 0; i < d->nnodes; i++)
            if (d->nodes[i].parent < 0)
                d->roots[d->nroots++] = i;
        return DP_OK;
    }
    const cJSON *scene = cJSON_GetArrayItem(scenes, which < 0 ? 0 : which);
    const cJSON *nodes = cJSON_GetObjectItemCaseSensitive(scene, "nodes");
    if (nodes && (!cJSON_IsArray(nodes) || (unsigned)cJSON_GetArraySize(nodes) > d->nnodes))
        return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: scene %d: nodes is not an array", which);
    for (const cJSON *k = first(nodes); k; k = k->next) {
        uint32_t n;
        if (!dp__json_u32(k, &n) || n >= d->nnodes || d->nodes[n].parent >= 0)
            return dp__gltf_fail(p, DP_ERR_FORMAT, "glTF: scene %d names a node that is not a "
                                 "root node", which);
        d->roots[d->nroots++] = n;
    }
    return DP_OK;
}

dp_status dp__gltf_parse_nodes(dp__gltf_parser *p)
{
    dp__gltf_doc *d = p->doc;
    const cJSON *arr;
    dp_status st = dp__gltf_array(p, "nodes", &arr, &d->nnodes);
    if (st != DP_OK)
        return st;
    d->nodes = dp__gltf_alloc(d, (size_t)d->nnodes * sizeof *d->nodes + 1);
    uint32_t *walk = dp__gltf_alloc(d, (size_t)d->nnodes * sizeof *walk + 1);
    if (!d->nodes || !walk)
        return DP_ERR_NOMEM;
    for (uint32_t i = 0; i < d->nnodes; i++)
        d->nodes[i].parent = -1;
    uint32_t i = 0;
    for (const cJSON *n = first(arr); n && st == DP_OK; n = n->next, i++)
        st = parse_node(p, n, i);
    if (st == DP_OK)
        st = check_acyclic(p, walk);
    if (st == DP_OK)
        st = parse_roots(p);
    return st;
}
