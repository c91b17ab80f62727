/* requires: json png */
/* test_gltf.c — the glTF 2.0 type (depot's reader over cJSON): the committed scenes
 * (tests/data, made by make_gltf.py) load with their labels (mesh/N, material/N,
 * texture/N) and dependencies (the image, external buffers), embedded, external and .glb
 * buffers give the triangle's bytes; a shared image is one asset; hostile variants
 * (accessor or view past its range, a count that would wrap, cyclic nodes, truncation,
 * every prefix) fail with DP_ERR_FORMAT and a message; a missing buffer fails the scene
 * naming the buffer; out of memory at any allocation leaks nothing. */
#include "codec_check.h"
#include "depot/depot.h"
#include "load/gltf/gltf.h"

typedef struct fx {
    dp_test_alloc ta;
    dp_depot *dp;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    dp_test_alloc_init(&f->ta);
    dp_desc d = {.allocator = &f->ta.iface, .root = DP_TEST_DATA, .workers = 2};
    assert_int_equal(dp_create(&d, &f->dp), DP_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    assert_int_equal(dp_destroy(f->dp), 0);
    assert_int_equal(atomic_load(&f->ta.live), 0);
    free(f);
    return 0;
}

static dp_handle load_ok(fx *f, const char *key)
{
    dp_handle h;
    assert_int_equal(dp_load(f->dp, key, &h), DP_OK);
    dp_status st = dp_wait(f->dp, h, -1);
    if (st != DP_OK)
        fail_msg("%s: %s", key, dp_status_str(st));
    return h;
}

static const char *message_of(fx *f, dp_handle h, dp_failure_info *info)
{
    assert_int_equal(dp_failure(f->dp, h, info), DP_OK);
    return info->message ? info->message : "";
}

/* The triangle of make_gltf.py: positions (0,0,0) (1,0,0) (0,1,0), indices 0 1 2. */
static void check_triangle(fx *f, const dp_gltf_mesh *m)
{
    assert_int_equal(m->primitive_count, 1);
    const dp_gltf_primitive *p = &m->primitives[0];
    assert_int_equal(p->mode, 4);
    assert_int_equal(p->material, 0);
    assert_int_equal(p->attribute_count, 1);
    assert_string_equal(p->attributes[0].name, "POSITION");
    const dp_gltf_accessor *pos = &p->attributes[0].accessor;
    assert_int_equal(pos->count, 3);
    assert_int_equal(pos->components, 3);
    assert_int_equal(pos->stride, 12);
    const unsigned char *data;
    size_t bytes;
    assert_int_equal(dp_gltf_accessor_data(f->dp, pos, &data, &bytes), DP_OK);
    assert_int_equal(bytes, 36);
    const float want[9] = {0, 0, 0, 1, 0, 0, 0, 1, 0};
    assert_memory_equal(data, want, sizeof want);
    assert_true(p->indexed);
    assert_int_equal(p->indices.component_type, 5123);
    assert_int_equal(dp_gltf_accessor_data(f->dp, &p->indices, &data, &bytes), DP_OK);
    assert_int_equal(bytes, 6);
    const uint16_t idx[3] = {0, 1, 2};
    assert_memory_equal(data, idx, sizeof idx);
}

/* The scene, its labels, its image: what every valid file of make_gltf.py has. */
static void check_scene(fx *f, dp_handle h, const char *key)
{
    dp_builtin_types bt = dp_builtins(f->dp);
    assert_int_equal(dp_type_of(f->dp, h), bt.gltf);
    const dp_gltf *g = dp_get(f->dp, h);
    assert_non_null(g);
    assert_int_equal(g->mesh_count, 1);
    assert_int_equal(g->material_count, 1);
    assert_int_equal(g->texture_count, 1);
    assert_int_equal(g->root_count, 1);
    assert_int_equal(g->nodes[g->roots[0]].mesh, 0);
    char label[256];
    snprintf(label, sizeof label, "%s#mesh/0", key);
    dp_handle mh;
    assert_int_equal(dp_load(f->dp, label, &mh), DP_OK);
    assert_int_equal(mh.bits, g->meshes[0].bits); /* the label the scene emitted */
    assert_int_equal(dp_type_of(f->dp, mh), bt.gltf_mesh);
    check_triangle(f, dp_get(f->dp, mh));
    const dp_gltf_material *mat = dp_get(f->dp, g->materials[0]);
    assert_int_equal(dp_type_of(f->dp, g->materials[0]), bt.gltf_material);
    assert_true(mat->base_color[1] == 0.5f && mat->metallic == 0.0f && mat->roughness == 0.5f);
    assert_int_equal(mat->base_color_texture.texture, 0);
    assert_int_equal(mat->normal_texture.texture, -1);
    const dp_gltf_texture *tex = dp_get(f->dp, g->textures[0]);
    assert_int_equal(tex->mag_filter, 9728);
    assert_int_equal(tex->wrap_s, 10497);
    assert_int_equal(tex->image.bits, mat->base_color_texture.image.bits);
    assert_int_equal(dp_type_of(f->dp, tex->image), bt.image);
    const dp_image *img = dp_get(f->dp, tex->image);
    assert_int_equal(img->width, 4);
    assert_string_equal(dp_key_of(f->dp, tex->image), "rgba_4x4.png");
    dp_release(f->dp, mh);
}

static void test_embedded_scene_loads_with_its_labels_and_image(void **state)
{
    fx *f = *state;
    dp_handle h = load_ok(f, "gltf_embedded.gltf");
    check_scene(f, h, "gltf_embedded.gltf");
    const dp_gltf_mesh *m = dp_get(f->dp, ((const dp_gltf *)dp_get(f->dp, h))->meshes[0]);
    assert_non_null(m->primitives[0].attributes[0].accessor.embedded);
    assert_int_equal(m->primitives[0].attributes[0].accessor.buffer.bits, 0);
    dp_release(f->dp, h);
}

static void test_glb_scene_reads_its_bin_chunk(void **state)
{
    fx *f = *state;
    dp_handle h = load_ok(f, "gltf_scene.glb");
    check_scene(f, h, "gltf_scene.glb");
    dp_release(f->dp, h);
}

static void test_external_buffer_is_a_dependency_that_the_mesh_keeps(void **state)
{
    fx *f = *state;
    dp_handle h = load_ok(f, "gltf_external.gltf");
    check_scene(f, h, "gltf_external.gltf");
    dp_handle mh;
    assert_int_equal(dp_load(f->dp, "gltf_external.gltf#mesh/0", &mh), DP_OK);
    const dp_gltf_mesh *m = dp_get(f->dp, mh);
    dp_handle buf = m->primitives[0].attributes[0].accessor.buffer;
    assert_null(m->primitives[0].attributes[0].accessor.embedded);
    assert_string_equal(dp_key_of(f->dp, buf), "gltf_external.bin");
    assert_int_equal(dp_type_of(f->dp, buf), dp_builtins(f->dp).blob);
    /* The scene goes; the mesh label holds its buffer on its own. */
    dp_release(f->dp, h);
    assert_int_equal(dp_update(f->dp), DP_OK);
    assert_int_equal(dp_update(f->dp), DP_OK);
    assert_int_equal(dp_state_of(f->dp, h), DP_STATE_INVALID);
    assert_int_equal(dp_state_of(f->dp, buf), DP_STATE_LOADED);
    check_triangle(f, dp_get(f->dp, mh));
    dp_release(f->dp, mh);
    assert_int_equal(dp_update(f->dp), DP_OK);
    assert_int_equal(dp_update(f->dp), DP_OK);
    assert_int_equal(dp_state_of(f->dp, buf), DP_STATE_INVALID);
}

static void test_materials_sharing_a_texture_share_one_image(void **state)
{
    fx *f = *state;
    dp_handle h = load_ok(f, "gltf_shared_texture.gltf");
    const dp_gltf *g = dp_get(f->dp, h);
    assert_int_equal(g->material_count, 2);
    assert_int_equal(g->texture_count, 1);
    const dp_gltf_material *a = dp_get(f->dp, g->materials[0]);
    const dp_gltf_material *b = dp_get(f->dp, g->materials[1]);
    assert_int_equal(a->base_color_texture.texture, b->base_color_texture.texture);
    assert_int_equal(a->base_color_texture.image.bits, b->base_color_texture.image.bits);
    assert_int_equal(dp_state_of(f->dp, a->base_color_texture.image), DP_STATE_LOADED);
    dp_release(f->dp, h);
}

static void test_two_textures_of_one_image_file_share_one_image(void **state)
{
    fx *f = *state;
    dp_handle h = load_ok(f, "gltf_two_textures_one_image.gltf");
    const dp_gltf *g = dp_get(f->dp, h);
    assert_int_equal(g->texture_count, 2);
    assert_int_equal(g->mesh_count, 2);
    const dp_gltf_texture *t0 = dp_get(f->dp, g->textures[0]);
    const dp_gltf_texture *t1 = dp_get(f->dp, g->textures[1]);
    assert_int_not_equal(g->textures[0].bits, g->textures[1].bits);
    assert_int_equal(t0->image.bits, t1->image.bits);
    /* Node 0 is the root; node 1 its child, one unit to the right. */
    assert_int_equal(g->nodes[0].child_count, 1);
    assert_int_equal(g->nodes[1].parent, 0);
    assert_true(g->nodes[1].matrix[12] == 1.0f && g->nodes[1].matrix[0] == 1.0f);
    dp_release(f->dp, h);
}

/* Loads a broken file: it fails with `want` and a message containing `says`. */
static void check_scene_refused(fx *f, const char *key, dp_status want, const char *says)
{
    dp_handle h;
    assert_int_equal(dp_load(f->dp, key, &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, -1), want);
    dp_failure_info info;
    const char *msg = message_of(f, h, &info);
    if (!strstr(msg, says))
        fail_msg("%s: message \"%s\" does not say \"%s\"", key, msg, says);
    dp_release(f->dp, h);
}

static void test_accessor_past_its_view_fails_with_format_and_a_message(void **state)
{
    check_scene_refused(*state, "gltf_accessor_past_end.gltf", DP_ERR_FORMAT,
                  "accessor 0: 4 elements from byte 0 need 48 bytes, bufferView 0 has 36");
}

static void test_accessor_count_that_would_wrap_fails_with_format(void **state)
{
    check_scene_refused(*state, "gltf_accessor_huge_count.gltf", DP_ERR_FORMAT, "accessor 0");
}

static void test_view_past_its_buffer_fails_with_format(void **state)
{
    check_scene_refused(*state, "gltf_view_past_buffer.gltf", DP_ERR_FORMAT, "bufferView 1");
}

static void test_cyclic_node_tree_fails_with_format(void **state)
{
    check_scene_refused(*state, "gltf_cyclic_nodes.gltf", DP_ERR_FORMAT, "cycle");
}

static void test_truncated_glb_fails_with_format(void **state)
{
    check_scene_refused(*state, "gltf_truncated.glb", DP_ERR_FORMAT, "glb");
}

static void test_missing_buffer_fails_the_scene_naming_the_buffer(void **state)
{
    fx *f = *state;
    dp_handle h;
    assert_int_equal(dp_load(f->dp, "gltf_missing_buffer.gltf", &h), DP_OK);
    assert_int_equal(dp_wait(f->dp, h, -1), DP_ERR_NOT_FOUND);
    dp_failure_info info;
    assert_int_equal(dp_failure(f->dp, h, &info), DP_OK);
    assert_int_equal(info.status, DP_ERR_NOT_FOUND);
    assert_non_null(info.failed_key);
    assert_string_equal(info.failed_key, "gltf_no_such_buffer.bin");
    dp_release(f->dp, h);
}

static void test_external_buffer_shorter_than_declared_is_refused_when_read(void **state)
{
    fx *f = *state;
    dp_handle h = load_ok(f, "gltf_short_external.gltf");
    const dp_gltf *g = dp_get(f->dp, h);
    const dp_gltf_mesh *m = dp_get(f->dp, g->meshes[0]);
    const unsigned char *data = (const unsigned char *)1;
    size_t bytes = 1;
    assert_int_equal(dp_gltf_accessor_data(f->dp, &m->primitives[0].attributes[0].accessor,
                                           &data, &bytes),
                     DP_ERR_FORMAT);
    assert_null(data);
    assert_int_equal(bytes, 0);
    dp_release(f->dp, h);
}

/* Every prefix of a valid file is refused (never read past, never leaked). */
static void check_prefixes(const char *name)
{
    file_bytes fb = read_data(name);
    dp_test_alloc ta;
    dp_test_alloc_init(&ta);
    for (size_t n = 0; n < fb.len; n++) {
        unsigned char *copy = malloc(n + 1); /* exactly n bytes readable (ASan) */
        memcpy(copy, fb.bytes, n);
        dp__gltf_doc *d = (dp__gltf_doc *)1;
        dp_status st = dp__gltf_parse(&ta.iface, copy, n, &d, NULL, 0);
        if (st != DP_ERR_FORMAT)
            fail_msg("%s: prefix of %zu bytes: %s", name, n, dp_status_str(st));
        assert_null(d);
        free(copy);
    }
    assert_int_equal(atomic_load(&ta.live), 0);
    free(fb.bytes);
}

static void test_every_prefix_fails_with_format(void **state)
{
    (void)state;
    check_prefixes("gltf_scene.glb");
    check_prefixes("gltf_embedded.gltf");
}

static void test_out_of_memory_at_any_allocation_leaks_nothing(void **state)
{
    (void)state;
    file_bytes fb = read_data("gltf_two_textures_one_image.gltf");
    dp_test_alloc ta;
    for (long at = 1;; at++) {
        dp_test_alloc_init(&ta);
        dp_test_alloc_fail_at(&ta, at);
        dp__gltf_doc *d = NULL;
        dp_status st = dp__gltf_parse(&ta.iface, fb.bytes, fb.len, &d, NULL, 0);
        if (st == DP_OK) {
            assert_true(at > 1);
            dp__gltf_doc_free(d);
            assert_int_equal(atomic_load(&ta.live), 0);
            break;
        }
        assert_int_equal(st, DP_ERR_NOMEM);
        assert_null(d);
        assert_int_equal(atomic_load(&ta.live), 0);
    }
    free(fb.bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_embedded_scene_loads_with_its_labels_and_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_glb_scene_reads_its_bin_chunk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_external_buffer_is_a_dependency_that_the_mesh_keeps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_materials_sharing_a_texture_share_one_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_two_textures_of_one_image_file_share_one_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accessor_past_its_view_fails_with_format_and_a_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accessor_count_that_would_wrap_fails_with_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_view_past_its_buffer_fails_with_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cyclic_node_tree_fails_with_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_glb_fails_with_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_buffer_fails_the_scene_naming_the_buffer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_external_buffer_shorter_than_declared_is_refused_when_read, setup, teardown),
        cmocka_unit_test(test_every_prefix_fails_with_format),
        cmocka_unit_test(test_out_of_memory_at_any_allocation_leaks_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
