/* dot.c — the dependency graph in Graphviz's dot language. Owner thread. */
#include <stdio.h>

#include "diag/graph.h"

/* Writes s as a dot string body, escaping quotes and backslashes. */
static void put_escaped(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
}

static const char *palette[] = {"#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3",
                                "#fdb462", "#b3de69", "#fccde5", "#d9d9d9", "#bc80bd"};

typedef struct group_ctx {
    FILE *out;
    uint64_t last;
} group_ctx;

static void put_member(void *u, dp_group g, const char *name, dp_handle m)
{
    group_ctx *c = u;
    if (g.bits != c->last) {
        if (c->last)
            fprintf(c->out, "  }\n");
        fprintf(c->out, "  subgraph \"cluster_g%llu\" {\n    label=\"", (unsigned long long)g.bits);
        put_escaped(c->out, name ? name : "group");
        fprintf(c->out, "\"; style=dashed;\n");
        c->last = g.bits;
    }
    fprintf(c->out, "    a%u;\n", dp_handle_index(m));
}

dp_status dp_write_dot(const dp_depot *dp, FILE *out)
{
    if (!dp || !out)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    dp__graph g;
    dp_status st = dp__graph_build(dp, &g);
    if (st != DP_OK)
        return st;
    fprintf(out, "digraph depot {\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", "
                 "fontname=\"Helvetica\", fontsize=10];\n");
    for (uint64_t i = 0; i < g.n; i++) {
        uint32_t count;
        dp_handle h = dp__live_at(dp, (uint32_t)i, &count);
        if (!h.bits)
            continue;
        dp__asset *r = dp__rec_at(dp, (uint32_t)i);
        char buf[32];
        dp_type_id t = atomic_load_explicit(&r->type, memory_order_relaxed);
        const char *tn = dp_type_name(dp, t);
        fprintf(out, "  a%u [label=\"", (unsigned)i);
        put_escaped(out, dp__graph_name(dp, h, buf, sizeof buf));
        fprintf(out, "\\n%s, %zu B, count %u\", fillcolor=\"%s\"%s, tooltip=\"type=%s\"];\n",
                tn ? tn : "?", atomic_load_explicit(&r->bytes, memory_order_relaxed), count,
                palette[t % (sizeof palette / sizeof palette[0])],
                g.incoming[i] > 1 ? ", penwidth=2.5" : "", tn ? tn : "?");
    }
    for (uint64_t i = 0; i < g.n; i++) {
        if (!dp__live_at(dp, (uint32_t)i, NULL).bits)
            continue;
        dp__asset *r = dp__rec_at(dp, (uint32_t)i);
        for (uint32_t k = 0; k < r->nkids; k++) {
            dp_handle c = r->kids[k];
            if (dp__live_at(dp, dp_handle_index(c), NULL).bits == c.bits)
                fprintf(out, "  a%u -> a%u;\n", (unsigned)i, dp_handle_index(c));
        }
    }
    group_ctx gc = {.out = out, .last = 0};
    dp__groups_each(dp, put_member, &gc);
    if (gc.last)
        fprintf(out, "  }\n");
    fprintf(out, "}\n");
    dp__graph_free(dp, &g);
    return ferror(out) ? DP_ERR_IO : DP_OK;
}
