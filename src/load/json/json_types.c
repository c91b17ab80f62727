/* json_types.c — the "sprite" type (a rectangle of an image) and the "bundle" type (a
 * manifest whose members are its dependencies), both JSON, parsed on a worker thread. */
#include "load/json/json_formats.h"
#include "load/loader.h"

static dp_status sprite_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                             size_t *asset_bytes)
{
    const dp_allocator *a = dp_ctx_allocator(ctx);
    dp__sprite_desc d;
    char why[DP__LOG_MAX];
    dp_status st = dp__sprite_parse(a, bytes, len, &d, why, sizeof why);
    if (st == DP_ERR_FORMAT)
        return dp_ctx_fail(ctx, st, "%s", why);
    if (st != DP_OK)
        return st;
    dp_sprite *s = dp__calloc(a, 1, sizeof *s);
    if (!s) {
        dp__sprite_desc_free(a, &d);
        return DP_ERR_NOMEM;
    }
    st = dp_ctx_load_dep(ctx, d.image_key, &s->image);
    if (st != DP_OK && st != DP_ERR_NOMEM)
        dp_ctx_fail(ctx, DP_ERR_FORMAT, "image \"%s\": %s", d.image_key, dp_status_str(st));
    s->x = d.x;
    s->y = d.y;
    s->w = d.w;
    s->h = d.h;
    dp__sprite_desc_free(a, &d);
    if (st != DP_OK) {
        dp__free(a, s);
        return st == DP_ERR_NOMEM ? st : DP_ERR_FORMAT;
    }
    *asset = s;
    *asset_bytes = sizeof *s;
    return DP_OK;
}

static dp_status bundle_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                             size_t *asset_bytes)
{
    const dp_allocator *a = dp_ctx_allocator(ctx);
    dp__bundle_desc d;
    char why[DP__LOG_MAX];
    dp_status st = dp__bundle_parse(a, bytes, len, &d, why, sizeof why);
    if (st == DP_ERR_FORMAT)
        return dp_ctx_fail(ctx, st, "%s", why);
    if (st != DP_OK)
        return st;
    dp_bundle *b = dp__calloc(a, 1, sizeof *b + d.count * sizeof(dp_handle));
    if (!b) {
        dp__bundle_desc_free(a, &d);
        return DP_ERR_NOMEM;
    }
    b->members = (dp_handle *)(b + 1);
    for (size_t i = 0; i < d.count && st == DP_OK; i++) {
        st = dp_ctx_load_dep(ctx, d.keys[i], &b->members[i]);
        if (st == DP_OK)
            b->count++;
        else if (st != DP_ERR_NOMEM) /* a key dp_load refuses: an escaping path, no type */
            dp_ctx_fail(ctx, DP_ERR_FORMAT, "member %zu \"%s\": %s", i, d.keys[i],
                        dp_status_str(st));
    }
    dp__bundle_desc_free(a, &d);
    if (st != DP_OK) {
        /* The members acquired so far are the job's; they are released with the result. */
        dp__free(a, b);
        return st == DP_ERR_NOMEM ? st : DP_ERR_FORMAT;
    }
    *asset = b;
    *asset_bytes = sizeof *b + b->count * sizeof(dp_handle);
    return DP_OK;
}

static void free_with_allocator(void *asset, void *user)
{
    dp__free(user, asset);
}

dp_status dp__json_types_register(dp__loader *L, dp_type_id *sprite, dp_type_id *bundle)
{
    static const char *const sprite_ext[] = {"sprite", "sprite.json", NULL};
    static const char *const bundle_ext[] = {"bundle", "bundle.json", NULL};
    dp_type s = {.name = "sprite", .extensions = sprite_ext, .load = sprite_load,
                 .destroy = free_with_allocator, .user = (void *)L->alloc};
    dp_type b = {.name = "bundle", .extensions = bundle_ext, .load = bundle_load,
                 .destroy = free_with_allocator, .user = (void *)L->alloc};
    dp_status st = dp_register_type(L->dp, &s, sprite);
    if (st != DP_OK && st != DP_ERR_EXISTS)
        return st;
    return dp_register_type(L->dp, &b, bundle);
}
