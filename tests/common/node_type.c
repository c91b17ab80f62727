/* node_type.c — see node_type.h. */
#include "node_type.h"

#include <stdlib.h>
#include <string.h>

#include "testutil.h"

dp_test_gate dp_test_node_gate;

static dp_status node_line(dp_load_ctx *ctx, const char *line, size_t n)
{
    if (n == 4 && memcmp(line, "fail", 4) == 0)
        return DP_ERR_FORMAT;
    if (n == 4 && memcmp(line, "gate", 4) == 0) {
        dp_test_gate_block(&dp_test_node_gate);
        return DP_OK;
    }
    if (n > 4 && memcmp(line, "dep ", 4) == 0) {
        char key[256];
        if (n - 4 >= sizeof key)
            return DP_ERR_FORMAT;
        memcpy(key, line + 4, n - 4);
        key[n - 4] = '\0';
        dp_handle child;
        return dp_ctx_load_dep(ctx, key, &child);
    }
    return DP_OK; /* any other line is data */
}

static dp_status node_load(dp_load_ctx *ctx, const void *bytes, size_t len, void **asset,
                           size_t *asset_bytes)
{
    const char *p = bytes, *end = p + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        dp_status st = node_line(ctx, p, n);
        if (st != DP_OK)
            return st;
        p += n + (nl ? 1 : 0);
    }
    size_t *a = malloc(sizeof *a);
    if (!a)
        return DP_ERR_NOMEM;
    *a = len;
    *asset = a;
    *asset_bytes = len;
    return DP_OK;
}

static void node_destroy(void *asset, void *user)
{
    (void)user;
    free(asset);
}

dp_status dp_test_node_register(dp_depot *dp, dp_type_id *out)
{
    static const char *const exts[] = {"node", NULL};
    atomic_store(&dp_test_node_gate.reached, 0);
    atomic_store(&dp_test_node_gate.open, 0);
    dp_type t = {.name = "node", .extensions = exts, .load = node_load, .destroy = node_destroy};
    return dp_register_type(dp, &t, out);
}

void dp_test_node_put(dp_depot *dp, const char *path, const char *text)
{
    assert_int_equal(dp_mem_add(dp, path, text, strlen(text)), DP_OK);
}
