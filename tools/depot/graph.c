/* graph.c — the dependency graph below a set of roots, walked with dp_children (owner
 * thread), with the roots that pull each asset in and the cycles (Tarjan's strongly
 * connected components, iterative so that long chains cannot overflow the stack). */
#include <stdlib.h>
#include <string.h>

#include "tool.h"

typedef struct kids_ctx {
    tool_hvec *out;
    bool nomem;
} kids_ctx;

static void collect_kid(void *user, dp_handle child)
{
    kids_ctx *c = user;
    if (!tool_hvec_push(c->out, child))
        c->nomem = true;
}

/* Adds h as a node if it is new; *idx gets its index. */
static dp_status add_node(tool_graph *g, const dp_depot *dp, dp_handle h, size_t *idx)
{
    if (tool_hmap_get(&g->index, h, idx))
        return DP_OK;
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 32;
        tg_node *nodes = realloc(g->nodes, cap * sizeof *nodes);
        if (!nodes)
            return DP_ERR_NOMEM;
        g->nodes = nodes;
        g->cap = cap;
    }
    tg_node *n = &g->nodes[g->n];
    memset(n, 0, sizeof *n);
    n->h = h;
    n->scc = -1;
    const char *key = dp_key_of(dp, h);
    char buf[32];
    if (!key) {
        snprintf(buf, sizeof buf, "#%u", dp_handle_index(h));
        key = buf;
    }
    n->key = tool_strdup(key);
    if (!n->key)
        return DP_ERR_NOMEM;
    const char *tn = dp_type_name(dp, dp_type_of(dp, h));
    n->type = tool_strdup(tn ? tn : "?");
    if (!n->type) {
        free(n->key);
        return DP_ERR_NOMEM;
    }
    n->bytes = dp_bytes_of(dp, h);
    n->state = dp_state_of(dp, h);
    n->count = dp_count(dp, h);
    n->failure = n->state == DP_STATE_FAILED ? dp_failure_of(dp, h) : DP_OK;
    dp_failure_info info;
    if (n->failure != DP_OK && dp_failure(dp, h, &info) == DP_OK) {
        /* Best effort: NULL leaves them out. */
        n->message = tool_strdup(info.message);
        n->path = tool_strdup(info.path);
    }
    if (tool_hmap_put(&g->index, h, g->n) < 0) {
        free(n->key);
        free(n->type);
        free(n->message);
        free(n->path);
        return DP_ERR_NOMEM;
    }
    *idx = g->n++;
    return DP_OK;
}

/* Finds the strongly connected components; marks those of size > 1 or with a self-edge. */
static dp_status find_cycles(tool_graph *g)
{
    size_t n = g->n;
    if (!n)
        return DP_OK;
    size_t *low = malloc(n * sizeof *low), *num = malloc(n * sizeof *num);
    size_t *stack = malloc(n * sizeof *stack), *call = malloc(n * sizeof *call);
    size_t *pos = malloc(n * sizeof *pos);
    bool *on = calloc(n, sizeof *on);
    if (!low || !num || !stack || !call || !pos || !on) {
        free(low), free(num), free(stack), free(call), free(pos), free(on);
        return DP_ERR_NOMEM;
    }
    const size_t unvisited = (size_t)-1;
    for (size_t i = 0; i < n; i++)
        num[i] = unvisited;
    size_t counter = 0, sp = 0;
    for (size_t start = 0; start < n; start++) {
        if (num[start] != unvisited)
            continue;
        size_t depth = 0;
        call[depth++] = start;
        num[start] = low[start] = counter++;
        pos[start] = 0;
        stack[sp++] = start;
        on[start] = true;
        while (depth) {
            size_t v = call[depth - 1];
            tg_node *nv = &g->nodes[v];
            if (pos[v] < nv->nkids) {
                size_t w = nv->kids[pos[v]++];
                if (num[w] == unvisited) {
                    num[w] = low[w] = counter++;
                    pos[w] = 0;
                    stack[sp++] = w;
                    on[w] = true;
                    call[depth++] = w;
                } else if (on[w] && num[w] < low[v]) {
                    low[v] = num[w];
                }
                continue;
            }
            depth--;
            if (depth && low[v] < low[call[depth - 1]])
                low[call[depth - 1]] = low[v];
            if (low[v] != num[v])
                continue;
            size_t first = sp;
            do {
                first--;
            } while (stack[first] != v);
            size_t size = sp - first;
            bool self = false;
            for (size_t k = 0; k < nv->nkids; k++)
                if (nv->kids[k] == v)
                    self = true;
            int id = -1;
            if (size > 1 || self)
                id = (int)g->ncycles++;
            for (size_t k = first; k < sp; k++) {
                on[stack[k]] = false;
                g->nodes[stack[k]].scc = id;
            }
            sp = first;
        }
    }
    free(low), free(num), free(stack), free(call), free(pos), free(on);
    return DP_OK;
}

dp_status tg_build(tool_graph *g, const dp_depot *dp, const dp_handle *roots, size_t nroots)
{
    memset(g, 0, sizeof *g);
    dp_status st = DP_OK;
    tool_hvec kids = {0};
    g->roots = calloc(nroots ? nroots : 1, sizeof *g->roots);
    if (!g->roots) {
        st = DP_ERR_NOMEM;
        goto fail;
    }
    g->nroots = nroots;
    for (size_t r = 0; r < nroots; r++) {
        st = add_node(g, dp, roots[r], &g->roots[r]);
        if (st != DP_OK)
            goto fail;
    }
    /* Breadth first: nodes are expanded in index order, and new ones append. */
    for (size_t i = 0; i < g->n; i++) {
        kids.n = 0;
        kids_ctx c = {.out = &kids};
        st = dp_children(dp, g->nodes[i].h, collect_kid, &c);
        if (st == DP_ERR_STALE)
            st = DP_OK; /* a dead root: no children */
        if (st == DP_OK && c.nomem)
            st = DP_ERR_NOMEM;
        if (st != DP_OK)
            goto fail;
        if (kids.n) {
            size_t *k = malloc(kids.n * sizeof *k);
            if (!k) {
                st = DP_ERR_NOMEM;
                goto fail;
            }
            g->nodes[i].kids = k;
            for (size_t j = 0; j < kids.n; j++) {
                size_t idx;
                st = add_node(g, dp, kids.v[j], &idx);
                if (st != DP_OK)
                    goto fail;
                g->nodes[i].kids[g->nodes[i].nkids++] = idx;
                g->nodes[idx].parents++;
            }
        }
    }
    g->reach = calloc(g->n * (nroots ? nroots : 1), 1);
    size_t *todo = malloc((g->n ? g->n : 1) * sizeof *todo);
    if (!g->reach || !todo) {
        free(todo);
        st = DP_ERR_NOMEM;
        goto fail;
    }
    for (size_t r = 0; r < nroots; r++) {
        size_t top = 0;
        todo[top++] = g->roots[r];
        g->reach[g->roots[r] * nroots + r] = 1;
        while (top) {
            tg_node *v = &g->nodes[todo[--top]];
            for (size_t k = 0; k < v->nkids; k++) {
                size_t w = v->kids[k];
                if (!g->reach[w * nroots + r]) {
                    g->reach[w * nroots + r] = 1;
                    todo[top++] = w;
                }
            }
        }
    }
    free(todo);
    for (size_t i = 0; i < g->n; i++)
        for (size_t r = 0; r < nroots; r++)
            g->nodes[i].nreach += g->reach[i * nroots + r];
    st = find_cycles(g);
    if (st != DP_OK)
        goto fail;
    tool_hvec_free(&kids);
    return DP_OK;
fail:
    tool_hvec_free(&kids);
    tg_free(g);
    return st;
}

const char *tg_failure_line(const tg_node *n, char *buf, size_t cap)
{
    dp_failure_info info = {.status = n->failure, .key = n->key, .failed_key = n->key,
                            .path = n->path, .message = n->message};
    dp_failure_text(&info, buf, cap);
    return buf;
}

void tg_free(tool_graph *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->nodes[i].key);
        free(g->nodes[i].type);
        free(g->nodes[i].message);
        free(g->nodes[i].path);
        free(g->nodes[i].kids);
    }
    free(g->nodes);
    free(g->roots);
    free(g->reach);
    tool_hmap_free(&g->index);
    memset(g, 0, sizeof *g);
}

size_t tg_root_bytes(const tool_graph *g, size_t r, size_t *unique, size_t *count)
{
    size_t total = 0, uniq = 0, c = 0;
    for (size_t i = 0; i < g->n; i++) {
        if (!tg_reaches(g, r, i))
            continue;
        total += g->nodes[i].bytes;
        c++;
        if (g->nodes[i].nreach == 1)
            uniq += g->nodes[i].bytes;
    }
    if (unique)
        *unique = uniq;
    if (count)
        *count = c;
    return total;
}
