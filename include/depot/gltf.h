/** @file gltf.h
 * @brief The built-in "gltf" type: glTF 2.0 scenes (.gltf JSON, .glb binary) parsed by
 * depot with cJSON, and the labelled sub-assets they emit.
 *
 * A scene file `ship.gltf` becomes one asset (dp_gltf) and labelled sub-assets, each of
 * its own type (dp_builtins(dp).gltf_mesh, gltf_material, gltf_texture):
 *   - `ship.gltf#mesh/N`     dp_gltf_mesh: primitives, their attributes and indices as
 *                            bounds-checked accessors; depends on the external buffer
 *                            files it reads (blobs, `./` relative to the scene);
 *   - `ship.gltf#material/N` dp_gltf_material: PBR factors and texture slots; depends on
 *                            the images of those textures;
 *   - `ship.gltf#texture/N`  dp_gltf_texture: an image and its sampler; depends on the image.
 * Buffers and images are ordinary dependencies loaded by key, so two materials (or two
 * scenes) naming the same image share one image asset, and a label keeps what it reads
 * alive on its own (a mesh outlives its released scene file while held).
 *
 * Buffers: an external `uri` is a blob dependency (its file needs an extension the blob
 * type claims: bin, blob, dat); a `data:` URI (base64) and a .glb's BIN chunk are embedded:
 * decoded once and shared by the meshes that read them. Images: an external `uri` loads as
 * an image (PNG, JPEG, WebP); images stored in a bufferView or a data: URI fail the scene
 * with DP_ERR_UNSUPPORTED, as do sparse accessors and accessors without a bufferView.
 *
 * Validation before anything is allocated for the scene's data: every bufferView lies in
 * its buffer's byteLength, every accessor (offset, stride, count, element size) in its
 * bufferView; component types, element types, indices (unsigned scalar), primitive modes
 * and every index into another array are checked; node trees must be trees (no cycles, one
 * parent each). Anything else fails with DP_ERR_FORMAT and a message naming the item
 * (dp_failure). An embedded buffer shorter than its byteLength is DP_ERR_FORMAT; an
 * external one is checked when read (dp_gltf_accessor_data). At most 65,536 entries per
 * array and 1 GiB per buffer.
 *
 * Thread rules: the data are plain structures, read-only once loaded, readable from any
 * thread while a reference is held (like any asset's data).
 */
#ifndef DEPOT_GLTF_H
#define DEPOT_GLTF_H

#include "depot/asset.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @brief Typed view of a buffer's bytes, bounds-checked at load. */
typedef struct dp_gltf_accessor {
    dp_handle buffer;              /**< weak view of the external buffer's blob; null when
                                        the buffer is embedded */
    const unsigned char *embedded; /**< the embedded buffer's bytes; NULL when external */
    uint64_t offset;        /**< byte offset of the first element in the buffer */
    uint32_t stride;        /**< bytes from one element to the next */
    uint32_t count;         /**< elements (at least 1) */
    uint32_t component_type; /**< the GL enum: 5120 BYTE, 5121 UNSIGNED_BYTE, 5122 SHORT,
                                  5123 UNSIGNED_SHORT, 5125 UNSIGNED_INT, 5126 FLOAT */
    uint32_t components;    /**< 1 SCALAR, 2-4 VEC2-VEC4, 4/9/16 MAT2/MAT3/MAT4 */
    uint32_t element_bytes; /**< bytes of one element (matrix columns padded to 4 bytes) */
    bool normalized;
} dp_gltf_accessor;

/** @brief One vertex attribute of a primitive ("POSITION", "NORMAL", "TEXCOORD_0", ...). */
typedef struct dp_gltf_attribute {
    const char *name;
    dp_gltf_accessor accessor;
} dp_gltf_attribute;

typedef struct dp_gltf_primitive {
    uint32_t mode;     /**< 0 POINTS ... 4 TRIANGLES (default) ... 6 TRIANGLE_FAN */
    int32_t material;  /**< index: load `<scene>#material/N`; -1 for none */
    bool indexed;      /**< `indices` is valid (an unsigned SCALAR accessor) */
    dp_gltf_accessor indices;
    uint32_t attribute_count;
    const dp_gltf_attribute *attributes;
} dp_gltf_primitive;

/** @brief `<scene>#mesh/N`. */
typedef struct dp_gltf_mesh {
    uint32_t primitive_count;
    const dp_gltf_primitive *primitives;
} dp_gltf_mesh;

/** @brief `<scene>#texture/N`: an image (a dependency) and its sampler (GL enums; 0 when
 * the file leaves the filter to the renderer; wraps default to 10497 REPEAT). */
typedef struct dp_gltf_texture {
    dp_handle image; /**< weak view; the texture's edge holds the count */
    uint32_t mag_filter, min_filter, wrap_s, wrap_t;
} dp_gltf_texture;

/** @brief A material's use of a texture. */
typedef struct dp_gltf_texture_ref {
    int32_t texture;  /**< index: `<scene>#texture/N`; -1 when the slot is empty */
    dp_handle image;  /**< weak view of that texture's image (the material's edge holds it) */
    uint32_t texcoord; /**< which TEXCOORD_n the slot reads */
} dp_gltf_texture_ref;

/** @brief `<scene>#material/N` (metallic-roughness PBR, factors defaulted as the spec
 * says). */
typedef struct dp_gltf_material {
    float base_color[4];
    float metallic, roughness;
    float emissive[3];
    float alpha_cutoff;
    uint32_t alpha_mode; /**< 0 OPAQUE, 1 MASK, 2 BLEND */
    bool double_sided;
    dp_gltf_texture_ref base_color_texture, metallic_roughness_texture, normal_texture,
        occlusion_texture, emissive_texture;
} dp_gltf_material;

/** @brief A node of the scene graph: a tree (checked at load). */
typedef struct dp_gltf_node {
    int32_t mesh;     /**< index: `<scene>#mesh/N`; -1 for none */
    int32_t parent;   /**< -1 for a root */
    uint32_t child_count;
    const uint32_t *children;
    float matrix[16]; /**< local transform, column-major (from `matrix`, or T * R * S) */
} dp_gltf_node;

/** @brief The scene file's own data. The labels are its dependencies (weak views below),
 * so the file's deep state waits for every mesh, material and texture and what they read. */
typedef struct dp_gltf {
    uint32_t mesh_count, material_count, texture_count, node_count;
    const dp_handle *meshes, *materials, *textures; /**< weak views of the labels */
    const dp_gltf_node *nodes;
    uint32_t root_count;  /**< the default scene's root nodes (scene 0 if none is named; all
                               parentless nodes when the file has no scenes) */
    const uint32_t *roots;
} dp_gltf;

/** @brief The bytes of an accessor's first element and how many bytes from there belong to
 * the accessor ((count - 1) * stride + element_bytes). For an external buffer the blob
 * must be loaded and held (the mesh holds it while you hold the mesh) and long enough.
 * Any thread.
 * @return DP_OK; DP_ERR_INVALID (NULL); DP_ERR_STALE (the buffer is not loaded);
 * DP_ERR_FORMAT (the buffer file is shorter than the accessor needs). */
dp_status dp_gltf_accessor_data(const dp_depot *dp, const dp_gltf_accessor *a,
                                const unsigned char **data, size_t *bytes);

#ifdef __cplusplus
}
#endif
#endif
