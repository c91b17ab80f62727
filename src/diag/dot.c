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
    dp__view v;
    for (dp__live_iter it = dp__graph_walk(&g); dp__live_next(dp, &it, &v);) {
        uint32_t i = dp_handle_index(v.h);
        char buf[32];
        const char *tn = dp_type_name(dp, v.type);
        fprintf(out, "  a%u [label=\"", (unsigned)i);
        put_escaped(out, dp__graph_name(dp, v.h, buf, sizeof buf));
        fprintf(out, "\\n%s, %zu B, count %u\", fillcolor=\"%s\"%s, tooltip=\"type=%s\"];\n",
                tn ? tn : "?", v.bytes, v.count,
                palette[v.type % (sizeof palette / sizeof palette[0])],
                g.incoming[i] > 1 ? ", penwidth=2.5" : "", tn ? tn : "?");
    }
    for (dp__live_iter it = dp__graph_walk(&g); dp__live_next(dp, &it, &v);) {
        for (uint32_t k = 0; k < v.nkids; k++) {
            dp_handle c = v.kids[k];
            if (dp__alive(dp, c))
                fprintf(out, "  a%u -> a%u;\n", dp_handle_index(v.h), dp_handle_index(c));
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
