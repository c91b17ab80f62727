/* gltf.h — depot's glTF 2.0 reader: the parsed document (every index and byte range
 * checked), and the "gltf" type that turns it into a scene asset and labelled sub-assets.
 *
 * dp__gltf_parse is pure (bytes in, document out, no depot): the type calls it on a worker
 * thread and the libFuzzer target fuzz/fuzz_gltf calls it directly. Every allocation of a
 * document comes from one arena (freed at once), except the embedded buffer bytes, which
 * are a counted block that the mesh labels share and outlive the document with. */
#ifndef DEPOT_LOAD_GLTF_H
#define DEPOT_LOAD_GLTF_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "depot/gltf.h"

#define DP__GLTF_MAX_ITEMS 65536u           /* entries per top-level array */
#define DP__GLTF_MAX_BUFFER (1ull << 30)    /* bytes per buffer */
#define DP__GLTF_MAX_ATTRIBUTES 64u         /* attributes per primitive */

/* The embedded buffers (data: URIs decoded, a .glb's BIN chunk), one counted block. */
typedef struct dp__gltf_shared {
    atomic_size_t refs; /* the document's, and one per mesh label that reads it */
    const dp_allocator *alloc;
    size_t len;
    unsigned char bytes[];
} dp__gltf_shared;

typedef struct dp__gltf_buffer {
    char *key;                     /* external: the dependency key; NULL when embedded */
    const unsigned char *embedded; /* into the shared block; NULL when external */
    uint64_t length;               /* byteLength */
} dp__gltf_buffer;

typedef struct dp__gltf_view {
    uint32_t buffer;
    uint64_t offset, length;
    uint32_t stride; /* 0: tightly packed */
} dp__gltf_view;

/* An accessor: the public fields (buffer and embedded left unset) and its buffer's index. */
typedef struct dp__gltf_accessor {
    dp_gltf_accessor pub;
    uint32_t buffer;
} dp__gltf_accessor;

typedef struct dp__gltf_attr {
    const char *name; /* in the arena */
    uint32_t accessor;
} dp__gltf_attr;

typedef struct dp__gltf_prim {
    uint32_t mode;
    int32_t material, indices; /* -1: none */
    uint32_t nattrs;
    dp__gltf_attr *attrs;
} dp__gltf_prim;

typedef struct dp__gltf_mesh {
    uint32_t nprims;
    dp__gltf_prim *prims;
} dp__gltf_mesh;

/* A texture: its image's index and the public sampler fields (image left unset). */
typedef struct dp__gltf_texture {
    uint32_t image;
    dp_gltf_texture pub;
} dp__gltf_texture;

typedef struct dp__gltf_arena_chunk dp__gltf_arena_chunk;

typedef struct dp__gltf_doc {
    const dp_allocator *alloc;
    dp__gltf_arena_chunk *arena;
    dp__gltf_shared *shared; /* NULL when nothing is embedded */
    uint32_t nbuffers, nviews, naccessors, nimages, nsamplers, ntextures, nmaterials,
        nmeshes, nnodes, nroots;
    dp__gltf_buffer *buffers;
    dp__gltf_view *views;
    dp__gltf_accessor *accessors;
    char **image_keys;
    dp__gltf_texture *textures;
    dp_gltf_material *materials; /* texture_ref.image left unset */
    dp__gltf_mesh *meshes;
    dp_gltf_node *nodes;         /* children point into the arena */
    uint32_t *roots;
} dp__gltf_doc;

/* Parses a .gltf (JSON) or .glb (recognised by its magic) file. On failure writes a
 * one-line reason naming the item into `why` (why_cap bytes; NULL/0 for none).
 * DP_OK; DP_ERR_FORMAT (malformed, inconsistent or out-of-range); DP_ERR_UNSUPPORTED
 * (valid glTF depot does not read: embedded images, sparse accessors, ...);
 * DP_ERR_NOMEM. On error *out is NULL and nothing is allocated. */
dp_status dp__gltf_parse(const dp_allocator *a, const void *bytes, size_t len,
                         dp__gltf_doc **out, char *why, size_t why_cap);
void dp__gltf_doc_free(dp__gltf_doc *d);

/* ---- inside the parser (gltf_doc.c, gltf_parse.c, gltf_scene.c) ---- */

struct cJSON;

/* Zeroed memory from the document's arena; NULL when out of memory. */
void *dp__gltf_alloc(dp__gltf_doc *d, size_t n);
/* The dependency key of an external URI: an absolute URI ("http://...") as it is, a
 * relative one percent-decoded and relative to the scene's folder ("./"). NULL with *st
 * DP_ERR_FORMAT (empty, a bad or NUL escape) or DP_ERR_NOMEM. */
char *dp__gltf_key(dp__gltf_doc *d, const char *uri, dp_status *st);
/* One shared block of `len` bytes for the embedded buffers (refs 1: the document's). */
dp_status dp__gltf_shared_new(dp__gltf_doc *d, size_t len);
void dp__gltf_shared_release(dp__gltf_shared *s);

/* The parser's state: the document, the root object, the reason of a failure. */
typedef struct dp__gltf_parser {
    dp__gltf_doc *doc;
    const struct cJSON *root;
    const unsigned char *bin; /* the .glb's BIN chunk, or NULL */
    size_t bin_len;
    char *why;
    size_t why_cap;
} dp__gltf_parser;

/* Writes the reason and returns `st`. */
dp_status dp__gltf_fail(dp__gltf_parser *p, dp_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* The array `name` of the root (absent: 0 entries). DP_OK or DP_ERR_FORMAT (not an array,
 * more than DP__GLTF_MAX_ITEMS entries). */
dp_status dp__gltf_array(dp__gltf_parser *p, const char *name, const struct cJSON **arr,
                         uint32_t *n);
/* An optional index member `name` of `obj` below `limit` (absent: -1). */
dp_status dp__gltf_index(dp__gltf_parser *p, const struct cJSON *obj, const char *name,
                         uint32_t limit, const char *what, uint32_t item, int32_t *out);

dp_status dp__gltf_parse_buffers(dp__gltf_parser *p);   /* buffers, bufferViews */
dp_status dp__gltf_parse_accessors(dp__gltf_parser *p);
dp_status dp__gltf_parse_meshes(dp__gltf_parser *p);
dp_status dp__gltf_parse_images(dp__gltf_parser *p);    /* images, samplers, textures */
dp_status dp__gltf_parse_materials(dp__gltf_parser *p);
dp_status dp__gltf_parse_nodes(dp__gltf_parser *p);     /* nodes, scenes */

#endif
