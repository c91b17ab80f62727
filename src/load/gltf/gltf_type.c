/* gltf_type.c — the "gltf" type: a parsed glTF document becomes the scene asset (dp_gltf)
 * and its labelled sub-assets `texture/N`, `material/N` and `mesh/N`, each naming what it
 * reads (images, external buffers) as its own dependencies (dp_ctx_load_dep_for), so a
 * label keeps them alive without the scene file, and a key named twice is one asset.
 * Runs on a worker thread; the destroys run on the owner thread. */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "depot/load.h"
#include "load/gltf/gltf.h"
#include "load/loader.h"

/* A mesh label's data: the public mesh first (dp_get gives a dp_gltf_mesh), then the
 * embedded block it reads, if any (one count on it). */
typedef struct mesh_rec {
    dp_gltf_mesh pub;
    dp__gltf_shared *shared;
    const dp_allocator *alloc;
} mesh_rec;

typedef struct emitter {
    dp_load_ctx *ctx;
    const dp_allocator *a;
    const dp__gltf_doc *d;
    dp_builtin_types types;
    dp_gltf *g;
    dp_handle *meshes, *materials, *textures; /* the scene's label handles, to fill */
    dp_handle *buffer_h; /* the current mesh's handle of each external buffer */
    uint32_t *buffer_seen; /* mesh index + 1 that named it */
    bool shared_counted; /* the embedded block's bytes are in some mesh's size */
} emitter;

/* A dependency of label `label` on `key`: a key that cannot even be loaded (a path out
 * of the root) is the file's fault. */
static dp_status dep(emitter *e, const char *label, const char *key, dp_handle *out)
{
    dp_status st = dp_ctx_load_dep_for(e->ctx, label, key, out);
    if (st == DP_OK || st == DP_ERR_NOMEM || st == DP_ERR_CANCELLED)
        return st;
    return dp_ctx_fail(e->ctx, DP_ERR_FORMAT, "glTF: %s: cannot load \"%s\" (%s)", label, key,
                       dp_status_str(st));
}

static dp_status emit_textures(emitter *e)
{
    for (uint32_t i = 0; i < e->d->ntextures; i++) {
        char label[32];
        snprintf(label, sizeof label, "texture/%u", i);
        dp_gltf_texture *t = dp__alloc(e->a, sizeof *t);
        if (!t)
            return DP_ERR_NOMEM;
        *t = e->d->textures[i].pub;
        dp_status st = dep(e, label, e->d->image_keys[e->d->textures[i].image], &t->image);
        if (st == DP_OK)
            st = dp_ctx_add_labelled(e->ctx, label, e->types.gltf_texture, t, sizeof *t,
                                     &e->textures[i]);
        if (st != DP_OK) {
            dp__free(e->a, t);
            return st;
        }
    }
    return DP_OK;
}

static dp_status emit_material(emitter *e, uint32_t i)
{
    char label[32];
    snprintf(label, sizeof label, "material/%u", i);
    dp_gltf_material *m = dp__alloc(e->a, sizeof *m);
    if (!m)
        return DP_ERR_NOMEM;
    *m = e->d->materials[i];
    dp_gltf_texture_ref *slots[] = {&m->base_color_texture, &m->metallic_roughness_texture,
                                    &m->normal_texture, &m->occlusion_texture,
                                    &m->emissive_texture};
    dp_status st = DP_OK;
    for (size_t s = 0; s < 5 && st == DP_OK; s++) {
        if (slots[s]->texture < 0)
            continue;
        uint32_t image = e->d->textures[slots[s]->texture].image;
        for (size_t k = 0; k < s; k++) /* a slot reusing an image shares its edge */
            if (slots[k]->texture >= 0 && e->d->textures[slots[k]->texture].image == image)
                slots[s]->image = slots[k]->image;
        if (!slots[s]->image.bits)
            st = dep(e, label, e->d->image_keys[image], &slots[s]->image);
    }
    if (st == DP_OK)
        st = dp_ctx_add_labelled(e->ctx, label, e->types.gltf_material, m, sizeof *m,
                                 &e->materials[i]);
    if (st != DP_OK)
        dp__free(e->a, m);
    return st;
}

/* The bytes of mesh i's record: the record, its primitives, attributes and names. */
static size_t mesh_size(const dp__gltf_mesh *m)
{
    size_t n = sizeof(mesh_rec) + m->nprims * sizeof(dp_gltf_primitive);
    for (uint32_t p = 0; p < m->nprims; p++)
        for (uint32_t k = 0; k < m->prims[p].nattrs; k++)
            n += sizeof(dp_gltf_attribute) + strlen(m->prims[p].attrs[k].name) + 1;
    return n;
}

/* Accessor ai as mesh mi sees it: its buffer's handle (a dependency of the mesh, named
 * once per mesh) or the embedded bytes (one count on the block per mesh). */
static dp_status resolve(emitter *e, uint32_t mi, mesh_rec *r, uint32_t ai,
                         dp_gltf_accessor *out)
{
    const dp__gltf_accessor *acc = &e->d->accessors[ai];
    const dp__gltf_buffer *buf = &e->d->buffers[acc->buffer];
    *out = acc->pub;
    if (!buf->key) {
        out->embedded = buf->embedded;
        if (!r->shared) {
            r->shared = e->d->shared;
            /* relaxed: the document's own count keeps the block alive meanwhile. */
            atomic_fetch_add_explicit(&r->shared->refs, 1, memory_order_relaxed);
        }
        return DP_OK;
    }
    if (e->buffer_seen[acc->buffer] != mi + 1) {
        char label[32];
        snprintf(label, sizeof label, "mesh/%u", mi);
        dp_status st = dep(e, label, buf->key, &e->buffer_h[acc->buffer]);
        if (st != DP_OK)
            return st;
        e->buffer_seen[acc->buffer] = mi + 1;
    }
    out->buffer = e->buffer_h[acc->buffer];
    return DP_OK;
}

/* Lays out mesh mi's record (primitives, then attributes, then names) and resolves its
 * accessors. */
static dp_status fill_mesh(emitter *e, uint32_t mi, mesh_rec *r)
{
    const dp__gltf_mesh *m = &e->d->meshes[mi];
    dp_gltf_primitive *prims = (dp_gltf_primitive *)(r + 1);
    dp_gltf_attribute *attrs = (dp_gltf_attribute *)(prims + m->nprims);
    size_t nattrs = 0;
    for (uint32_t p = 0; p < m->nprims; p++)
        nattrs += m->prims[p].nattrs;
    char *names = (char *)(attrs + nattrs);
    r->pub = (dp_gltf_mesh){.primitive_count = m->nprims, .primitives = prims};
    dp_status st = DP_OK;
    for (uint32_t p = 0; p < m->nprims && st == DP_OK; p++) {
        const dp__gltf_prim *src = &m->prims[p];
        prims[p] = (dp_gltf_primitive){.mode = src->mode, .material = src->material,
                                       .indexed = src->indices >= 0,
                                       .attribute_count = src->nattrs, .attributes = attrs};
        if (src->indices >= 0)
            st = resolve(e, mi, r, (uint32_t)src->indices, &prims[p].indices);
        for (uint32_t k = 0; k < src->nattrs && st == DP_OK; k++) {
            size_t len = strlen(src->attrs[k].name) + 1;
            memcpy(names, src->attrs[k].name, len);
            attrs->name = names;
            names += len;
            st = resolve(e, mi, r, src->attrs[k].accessor, &attrs->accessor);
            attrs++;
        }
    }
    return st;
}

static void mesh_destroy(void *asset, void *user)
{
    (void)user;
    mesh_rec *r = asset;
    dp__gltf_shared_release(r->shared);
    dp__free(r->alloc, r);
}

static dp_status emit_mesh(emitter *e, uint32_t mi)
{
    size_t bytes = mesh_size(&e->d->meshes[mi]);
    mesh_rec *r = dp__calloc(e->a, 1, bytes);
    if (!r)
        return DP_ERR_NOMEM;
    r->alloc = e->a;
    dp_status st = fill_mesh(e, mi, r);
    if (r->shared && !e->shared_counted) {
        bytes += r->shared->len; /* the embedded bytes count once, in the first mesh */
        e->shared_counted = true;
    }
    char label[32];
    snprintf(label, sizeof label, "mesh/%u", mi);
    if (st == DP_OK)
        st = dp_ctx_add_labelled(e->ctx, label, e->types.gltf_mesh, r, bytes,
                                 &e->meshes[mi]);
    if (st != DP_OK)
        mesh_destroy(r, NULL);
    return st;
}

/* The scene asset: dp_gltf, the label handles, the nodes, their children, the roots. */
static dp_gltf *scene_new(const dp_allocator *a, const dp__gltf_doc *d, size_t *bytes)
{
    size_t nchildren = 0;
    for (uint32_t i = 0; i < d->nnodes; i++)
        nchildren += d->nodes[i].child_count;
    size_t nh = (size_t)d->nmeshes + d->nmaterials + d->ntextures;
    *bytes = sizeof(dp_gltf) + nh * sizeof(dp_handle) + d->nnodes * sizeof(dp_gltf_node) +
             (nchildren + d->nroots) * sizeof(uint32_t);
    dp_gltf *g = dp__calloc(a, 1, *bytes);
    if (!g)
        return NULL;
    dp_handle *h = (dp_handle *)(g + 1);
    dp_gltf_node *nodes = (dp_gltf_node *)(h + nh);
    uint32_t *u = (uint32_t *)(nodes + d->nnodes);
    *g = (dp_gltf){.mesh_count = d->nmeshes, .material_count = d->nmaterials,
                   .texture_count = d->ntextures, .node_count = d->nnodes,
                   .meshes = h, .materials = h + d->nmeshes,
                   .textures = h + d->nmeshes + d->nmaterials, .nodes = nodes,
                   .root_count = d->nroots};
    for (uint32_t i = 0; i < d->nnodes; i++) {
        nodes[i] = d->nodes[i];
        memcpy(u, d->nodes[i].children, d->nodes[i].child_count * sizeof *u);
        nodes[i].children = u;
        u += d->nodes[i].child_count;
    }
    memcpy(u, d->roots, d->nroots * sizeof *u);
    g->roots = u;
    return g;
}

static dp_status emit_all(emitter *e)
{
    dp_status st = emit_textures(e);
    for (uint32_t i = 0; i < e->d->nmaterials && st == DP_OK; i++)
        st = emit_material(e, i);
    for (uint32_t i = 0; i < e->d->nmeshes && st == DP_OK; i++)
        st = emit_mesh(e, i);
    return st;
}

static dp_status gltf_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                           size_t *asset_bytes)
{
    const dp_allocator *a = dp_ctx_allocator(ctx);
    char why[256];
    dp__gltf_doc *d = NULL;
    dp_status st = dp__gltf_parse(a, bytes, len, &d, why, sizeof why);
    if (st != DP_OK)
        return st == DP_ERR_NOMEM ? st : dp_ctx_fail(ctx, st, "%s", why);
    emitter e = {.ctx = ctx, .a = a, .d = d, .types = dp_builtins(dp_ctx_depot(ctx))};
    size_t gbytes = 0;
    e.g = scene_new(a, d, &gbytes);
    e.buffer_h = dp__calloc(a, d->nbuffers + 1u, sizeof *e.buffer_h);
    e.buffer_seen = dp__calloc(a, d->nbuffers + 1u, sizeof *e.buffer_seen);
    if (e.g) {
        e.meshes = (dp_handle *)(e.g + 1); /* scene_new's layout */
        e.materials = e.meshes + d->nmeshes;
        e.textures = e.materials + d->nmaterials;
    }
    st = e.g && e.buffer_h && e.buffer_seen ? emit_all(&e) : DP_ERR_NOMEM;
    dp__free(a, e.buffer_h);
    dp__free(a, e.buffer_seen);
    dp__gltf_doc_free(d);
    if (st == DP_OK && dp_ctx_cancelled(ctx))
        st = DP_ERR_CANCELLED;
    if (st != DP_OK) {
        /* Labels emitted and dependencies named so far are the job's to drop. */
        dp__free(a, e.g);
        return st;
    }
    *asset = e.g;
    *asset_bytes = gbytes;
    return DP_OK;
}

static void free_with_allocator(void *asset, void *user)
{
    dp__free(user, asset);
}

dp_status dp__gltf_types_register(dp__loader *L, dp_builtin_types *b)
{
    static const char *const ext[] = {"gltf", "glb", NULL};
    const dp_type types[] = {
        {.name = "gltf_texture", .destroy = free_with_allocator, .user = (void *)L->alloc},
        {.name = "gltf_material", .destroy = free_with_allocator, .user = (void *)L->alloc},
        {.name = "gltf_mesh", .destroy = mesh_destroy},
        {.name = "gltf", .extensions = ext, .load = gltf_load, .destroy = free_with_allocator,
         .user = (void *)L->alloc}};
    dp_type_id *ids[] = {&b->gltf_texture, &b->gltf_material, &b->gltf_mesh, &b->gltf};
    for (size_t i = 0; i < 4; i++) {
        dp_status st = dp_register_type(L->dp, &types[i], ids[i]);
        if (st != DP_OK && st != DP_ERR_EXISTS)
            return st;
    }
    return DP_OK;
}
