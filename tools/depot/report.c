/* report.c — the HTML report of `depot demo` and `depot inspect`: one self-contained file
 * (inline CSS and SVG, no network). The dependency graph is laid out by
 * Graphviz (`dot -Tsvg`, run as a subprocess on the output of dp_write_dot) when it is
 * installed, else shown as a nested list; the chart is an SVG drawn here.
 *
 * Stable ids and classes for tests and styling: <svg id="graph"> whose <g class="node ...">
 * carry t-<type>, shared, root, failed and cycle; <ul id="graph-list"> (no Graphviz);
 * <svg id="chart"> with <polyline class="series ...">; <table id="biggest">. The inspect
 * page is explore.c's. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool.h"

extern char **environ;

void report_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* Colours per built-in type; the legend and the graph's CSS use the same table. */
static const struct {
    const char *type, *fill;
} type_colors[] = {
    {"bundle", "#ffd59e"}, {"sprite", "#b8e0b0"}, {"image", "#a9cdf0"},
    {"blob", "#e0e0e0"},   {"atlas_page", "#d7b8f0"}, {"atlas_region", "#f0c0dc"},
};

/* A CSS class name for a type: letters, digits, '-' and '_' kept, the rest '_'. */
static void put_type_class(FILE *f, const char *type)
{
    fputs("t-", f);
    for (; *type; type++) {
        char c = *type;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
        fputc(ok ? c : '_', f);
    }
}

static void put_node_classes(FILE *f, const tg_node *n, bool root)
{
    fputs("node ", f);
    put_type_class(f, n->type);
    if (n->nreach > 1 || n->parents > 1)
        fputs(" shared", f);
    if (root)
        fputs(" root", f);
    if (n->state == DP_STATE_FAILED)
        fputs(" failed", f);
    if (n->scc >= 0)
        fputs(" cycle", f);
}

void report_begin(FILE *f, const char *title, const char *subtitle)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
    report_escape(f, title);
    fputs("</title>\n<style>\n"
          "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;"
          "margin:0;background:#f4f5f7;color:#1d2330}\n"
          "header{background:#1d2330;color:#fff;padding:18px 32px}\n"
          "header h1{margin:0;font-size:22px;font-weight:600}\n"
          "header p{margin:4px 0 0;color:#aab3c5}\n"
          "main{padding:20px 32px;max-width:1200px}\n"
          "section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);"
          "padding:16px 20px;margin:0 0 20px}\n"
          "h2{font-size:16px;margin:0 0 12px;color:#33405a}\n"
          ".stats{display:flex;flex-wrap:wrap;gap:12px}\n"
          ".stat{background:#f4f6fa;border-radius:6px;padding:8px 14px;min-width:110px}\n"
          ".stat b{display:block;font-size:20px}.stat span{color:#66708a;font-size:12px}\n"
          ".stat.bad b{color:#c0392b}.stat.good b{color:#1e8449}\n"
          "table{border-collapse:collapse;width:100%}\n"
          "th,td{text-align:left;padding:4px 10px;border-bottom:1px solid #e6e8ee}\n"
          "th{background:#f4f6fa;font-weight:600;color:#33405a}\n"
          "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}\n"
          "tr.root-row th{background:#e8ecf5;font-size:13px}\n"
          ".bar{display:inline-block;height:8px;background:#5b8def;border-radius:4px;"
          "vertical-align:middle;margin-right:6px}\n"
          "code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}\n"
          ".legend{display:flex;flex-wrap:wrap;gap:14px;margin:0 0 10px;font-size:12px;"
          "color:#4a556e}\n"
          ".sw{display:inline-block;width:12px;height:12px;border-radius:3px;"
          "border:1px solid #555;vertical-align:-2px;margin-right:4px}\n"
          ".graph-wrap{overflow:auto;border:1px solid #e6e8ee;"
          "border-radius:6px;background:#fff}\n"
          "#graph{display:block;margin:0 auto;max-width:100%;height:auto}\n"
          "#graph .node.shared path,#graph .node.shared polygon{stroke:#d35400;"
          "stroke-width:3px}\n"
          "#graph .node.root path,#graph .node.root polygon{stroke:#1d2330;stroke-width:2.5px}\n"
          "#graph text{font-family:system-ui,Helvetica,Arial,sans-serif}\n"
          "#graph .node.failed path,#graph .node.failed polygon{fill:#f5b7b1;"
          "stroke:#c0392b;stroke-dasharray:4 2}\n"
          "#graph .node.cycle path,#graph .node.cycle polygon{stroke:#8e44ad;"
          "stroke-width:3px}\n",
          f);
    for (size_t i = 0; i < sizeof type_colors / sizeof type_colors[0]; i++)
        fprintf(f, "#graph .node.t-%s path,#graph .node.t-%s polygon{fill:%s}\n",
                type_colors[i].type, type_colors[i].type, type_colors[i].fill);
    fputs("#graph-list li{margin:2px 0}#graph-list .meta{color:#66708a;font-size:12px}\n"
          "#graph-list .shared>code{border-bottom:3px solid #d35400}\n"
          "#chart{width:100%;height:auto;display:block}\n"
          "#chart .series{fill:none;stroke-width:2.2;stroke-linejoin:round}\n"
          "#chart .held{stroke:#2e6fd8}#chart .assets{stroke:#e67e22}"
          "#chart .gpu{stroke:#27ae60;stroke-dasharray:6 3}\n"
          "#chart .grid{stroke:#e6e8ee}#chart .axis{font-size:11px;fill:#66708a}\n"
          "#chart .mark{stroke:#9aa3b5;stroke-dasharray:3 3}"
          "#chart .mark-label{font-size:11px;fill:#33405a}\n"
          ".ok{color:#1e8449}.bad{color:#c0392b}\n"
          "footer{color:#8a93a8;font-size:12px;padding:0 32px 24px}\n"
          "</style>\n</head>\n<body>\n<header><h1>",
          f);
    report_escape(f, title);
    fputs("</h1><p>", f);
    report_escape(f, subtitle);
    fputs("</p></header>\n<main>\n", f);
}

void report_end(FILE *f)
{
    fputs("</main>\n<footer>Written by the depot tool. One self-contained file: no network."
          "</footer>\n</body>\n</html>\n",
          f);
}

/* ---- the graph ---------------------------------------------------------------------------- */

static bool make_temp(char *path, size_t cap, const char *suffix_name, int *fd)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    if (snprintf(path, cap, "%s/depot-%s-XXXXXX", dir, suffix_name) >= (int)cap)
        return false;
    *fd = mkstemp(path);
    return *fd >= 0;
}

char *report_run_dot(const char *dot_text, char *why, size_t why_cap)
{
    char in_path[512], out_path[512];
    int in_fd = -1, out_fd = -1;
    char *svg = NULL;
    if (!tool_have_program("dot")) {
        snprintf(why, why_cap, "Graphviz `dot` is not installed (Debian package graphviz)");
        return NULL;
    }
    if (!make_temp(in_path, sizeof in_path, "dot", &in_fd)) {
        snprintf(why, why_cap, "cannot create a temporary file: %s", strerror(errno));
        return NULL;
    }
    if (!make_temp(out_path, sizeof out_path, "svg", &out_fd)) {
        snprintf(why, why_cap, "cannot create a temporary file: %s", strerror(errno));
        close(in_fd);
        unlink(in_path);
        return NULL;
    }
    size_t len = strlen(dot_text), off = 0;
    while (off < len) {
        ssize_t w = write(in_fd, dot_text + off, len - off);
        if (w <= 0) {
            snprintf(why, why_cap, "%s: %s", in_path, strerror(errno));
            goto done;
        }
        off += (size_t)w;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    char *argv[] = {"dot", "-Tsvg", in_path, NULL};
    pid_t pid;
    int err = posix_spawnp(&pid, "dot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err) {
        snprintf(why, why_cap, "cannot run dot: %s", strerror(err));
        goto done;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(why, why_cap, "dot -Tsvg failed (status %d)", status);
        goto done;
    }
    svg = tool_read_file(out_path, NULL);
    if (!svg)
        snprintf(why, why_cap, "%s: %s", out_path, strerror(errno));
done:
    close(in_fd);
    close(out_fd);
    unlink(in_path);
    unlink(out_path);
    return svg;
}

/* Node index by the handle index Graphviz shows as the node's title ("a<index>"). */
static const tg_node *node_by_index(const tool_graph *g, const tool_hmap *by_index,
                                    unsigned idx, bool *root)
{
    size_t i;
    if (!tool_hmap_get(by_index, (dp_handle){(uint64_t)idx | (1ull << 63)}, &i))
        return NULL;
    *root = false;
    for (size_t r = 0; r < g->nroots; r++)
        if (g->roots[r] == i)
            *root = true;
    return &g->nodes[i];
}

/* Copies the SVG from its <svg tag on, with id="graph" and classes on each node. */
static void put_svg(FILE *f, const char *svg, const tool_graph *g)
{
    tool_hmap by_index = {0};
    for (size_t i = 0; i < g->n; i++)
        tool_hmap_put(&by_index, (dp_handle){(uint64_t)dp_handle_index(g->nodes[i].h) | (1ull << 63)}, i);
    const char *p = strstr(svg, "<svg");
    if (!p)
        p = svg;
    else {
        fputs("<svg id=\"graph\"", f);
        p += 4;
    }
    const char *needle = "class=\"node\"";
    for (;;) {
        const char *c = strstr(p, needle);
        if (!c) {
            fputs(p, f);
            break;
        }
        fwrite(p, 1, (size_t)(c - p), f);
        p = c + strlen(needle);
        const char *t = strstr(p, "<title>");
        unsigned idx;
        bool root = false;
        const tg_node *n = NULL;
        if (t && sscanf(t + 7, "a%u", &idx) == 1)
            n = node_by_index(g, &by_index, idx, &root);
        fputs("class=\"", f);
        if (n)
            put_node_classes(f, n, root);
        else
            fputs("node", f);
        fputs("\"", f);
    }
    tool_hmap_free(&by_index);
}

static void put_legend(FILE *f, const tool_graph *g)
{
    fputs("<div class=\"legend\">", f);
    for (size_t i = 0; i < sizeof type_colors / sizeof type_colors[0]; i++) {
        bool present = false;
        for (size_t k = 0; k < g->n && !present; k++)
            present = !strcmp(g->nodes[k].type, type_colors[i].type);
        if (present)
            fprintf(f, "<span><i class=\"sw\" style=\"background:%s\"></i>%s</span>",
                    type_colors[i].fill, type_colors[i].type);
    }
    fputs("<span><i class=\"sw\" style=\"border:3px solid #d35400\"></i>shared (several "
          "parents or roots)</span>"
          "<span><i class=\"sw\" style=\"background:#f5b7b1;border:2px dashed #c0392b\"></i>"
          "failed or missing</span>"
          "<span><i class=\"sw\" style=\"border:3px solid #8e44ad\"></i>on a cycle</span>"
          "<span><i class=\"sw\" style=\"border:2.5px solid #1d2330\"></i>root</span></div>\n",
          f);
}

static void put_list_node(FILE *f, const tool_graph *g, size_t i, bool *seen, int depth)
{
    const tg_node *n = &g->nodes[i];
    char b[32];
    bool root = false;
    for (size_t r = 0; r < g->nroots; r++)
        root |= g->roots[r] == i;
    fputs("<li class=\"", f);
    put_node_classes(f, n, root);
    fputs("\"><code>", f);
    report_escape(f, n->key);
    fprintf(f, "</code> <span class=\"meta\">%s, %s", n->type, tool_bytes(n->bytes, b));
    if (n->state == DP_STATE_FAILED)
        fprintf(f, ", <span class=\"bad\">%s</span>", dp_status_str(n->failure));
    if (seen[i] && n->nkids) {
        fputs(", listed above</span></li>\n", f);
        return;
    }
    fputs("</span>", f);
    seen[i] = true;
    if (n->nkids && depth < 64) {
        fputs("<ul>\n", f);
        for (size_t k = 0; k < n->nkids; k++)
            put_list_node(f, g, n->kids[k], seen, depth + 1);
        fputs("</ul>", f);
    }
    fputs("</li>\n", f);
}

bool report_graph(FILE *f, const char *dot_text, const tool_graph *g, char *why, size_t why_cap)
{
    char reason[256] = "";
    char *svg = dot_text ? report_run_dot(dot_text, reason, sizeof reason) : NULL;
    if (!dot_text)
        snprintf(reason, sizeof reason, "no graph was written");
    fputs("<section id=\"graph-section\"><h2>Dependency graph</h2>\n", f);
    put_legend(f, g);
    if (svg) {
        fputs("<div class=\"graph-wrap\">\n", f);
        put_svg(f, svg, g);
        fputs("</div>\n", f);
        free(svg);
        if (why)
            snprintf(why, why_cap, "laid out by Graphviz dot");
    } else {
        fputs("<p class=\"meta\">Shown as a list: ", f);
        report_escape(f, reason);
        fputs(".</p>\n<ul id=\"graph-list\">\n", f);
        bool *seen = calloc(g->n ? g->n : 1, sizeof *seen);
        if (seen) {
            for (size_t r = 0; r < g->nroots; r++)
                put_list_node(f, g, g->roots[r], seen, 0);
            free(seen);
        }
        fputs("</ul>\n", f);
        if (why)
            snprintf(why, why_cap, "%s", reason);
    }
    fputs("</section>\n", f);
    return svg != NULL;
}

/* ---- the chart ---------------------------------------------------------------------------- */

static void put_series(FILE *f, const char *cls, const char *name, const report_sample *s,
                       size_t n, int which, double max, double x0, double xs, double y0,
                       double h)
{
    fprintf(f, "<polyline class=\"series %s\" data-series=\"%s\" points=\"", cls, name);
    for (size_t i = 0; i < n; i++) {
        double v = which == 0 ? (double)s[i].held_bytes
                 : which == 1 ? (double)s[i].live_assets : (double)s[i].gpu_live;
        fprintf(f, "%s%.1f,%.1f", i ? " " : "", x0 + (double)(s[i].frame - s[0].frame) * xs,
                y0 + h - (max > 0 ? v / max * h : 0));
    }
    fputs("\"/>\n", f);
}

void report_chart(FILE *f, const report_sample *s, size_t n, const report_mark *marks,
                  size_t nmarks)
{
    const double W = 1000, H = 300, L = 70, R = 60, T = 28, B = 34;
    double pw = W - L - R, ph = H - T - B;
    size_t max_bytes = 1, max_count = 1;
    for (size_t i = 0; i < n; i++) {
        if (s[i].held_bytes > max_bytes)
            max_bytes = s[i].held_bytes;
        if (s[i].live_assets > max_count)
            max_count = s[i].live_assets;
        if (s[i].gpu_live > max_count)
            max_count = s[i].gpu_live;
    }
    max_count += max_count / 8 + 1;
    max_bytes += max_bytes / 8;
    uint64_t frames = n > 1 ? s[n - 1].frame - s[0].frame : 1;
    double xs = pw / (double)(frames ? frames : 1);
    fputs("<section id=\"chart-section\"><h2>Held bytes and live assets over frames</h2>\n"
          "<div class=\"legend\"><span><i class=\"sw\" style=\"background:#2e6fd8\"></i>held "
          "bytes (left axis)</span><span><i class=\"sw\" style=\"background:#e67e22\"></i>live "
          "assets (right axis)</span><span><i class=\"sw\" style=\"background:#27ae60\"></i>GPU "
          "resources live (right axis)</span></div>\n",
          f);
    fprintf(f, "<svg id=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
               "role=\"img\" aria-label=\"held bytes and live assets per frame\">\n", W, H);
    for (int k = 0; k <= 4; k++) {
        double y = T + ph - ph * k / 4.0;
        char b[32];
        fprintf(f, "<line class=\"grid\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>", L, y,
                L + pw, y);
        fprintf(f, "<text class=\"axis\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
                L - 6, y + 4, tool_bytes((size_t)((double)max_bytes * k / 4.0), b));
        fprintf(f, "<text class=\"axis\" x=\"%.0f\" y=\"%.1f\">%.0f</text>\n", L + pw + 6, y + 4,
                (double)max_count * k / 4.0);
    }
    if (n) {
        for (size_t m = 0; m < nmarks; m++) {
            double x = L + (double)(marks[m].frame - s[0].frame) * xs;
            fprintf(f, "<line class=\"mark\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/>"
                       "<text class=\"mark-label\" x=\"%.1f\" y=\"%.0f\">", x, T - 4, x, T + ph,
                    x + 3, m % 2 ? T + 12 : T - 8);
            report_escape(f, marks[m].label);
            fputs("</text>\n", f);
        }
        put_series(f, "held", "held_bytes", s, n, 0, (double)max_bytes, L, xs, T, ph);
        put_series(f, "assets", "live_assets", s, n, 1, (double)max_count, L, xs, T, ph);
        put_series(f, "gpu", "gpu_live", s, n, 2, (double)max_count, L, xs, T, ph);
        fprintf(f, "<text class=\"axis\" x=\"%.0f\" y=\"%.0f\">frame %llu</text>"
                   "<text class=\"axis\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">frame %llu"
                   "</text>\n",
                L, H - 10, (unsigned long long)s[0].frame, L + pw, H - 10,
                (unsigned long long)s[n - 1].frame);
    }
    fputs("</svg>\n</section>\n", f);
}

/* ---- tables ------------------------------------------------------------------------------ */

static int by_bytes_desc(const void *a, const void *b, void *user)
{
    const tool_graph *g = user;
    const tg_node *x = &g->nodes[*(const size_t *)a];
    const tg_node *y = &g->nodes[*(const size_t *)b];
    if (x->bytes != y->bytes)
        return x->bytes < y->bytes ? 1 : -1;
    return strcmp(x->key, y->key);
}

void report_biggest(FILE *f, const tool_graph *g, size_t nroots, size_t top)
{
    size_t *idx = malloc((g->n ? g->n : 1) * sizeof *idx);
    if (!idx)
        return;
    fputs("<section id=\"biggest-section\"><h2>Biggest assets per root</h2>\n"
          "<table id=\"biggest\"><thead><tr><th>asset</th><th>type</th><th class=\"num\">bytes"
          "</th><th>pulled in by</th></tr></thead>\n",
          f);
    for (size_t r = 0; r < g->nroots && r < nroots; r++) {
        size_t m = 0, uniq, count;
        for (size_t i = 0; i < g->n; i++)
            if (tg_reaches(g, r, i))
                idx[m++] = i;
        size_t total = tg_root_bytes(g, r, &uniq, &count);
        qsort_r(idx, m, sizeof *idx, by_bytes_desc, (void *)g);
        char b1[32], b2[32];
        fputs("<tbody><tr class=\"root-row\"><th colspan=\"4\"><code>", f);
        report_escape(f, g->nodes[g->roots[r]].key);
        fprintf(f, "</code> &mdash; %zu assets, %s (%s only this root pulls in)</th></tr>\n",
                count, tool_bytes(total, b1), tool_bytes(uniq, b2));
        size_t biggest = m ? g->nodes[idx[0]].bytes : 1;
        for (size_t k = 0; k < m && k < top; k++) {
            const tg_node *n = &g->nodes[idx[k]];
            fputs("<tr><td><code>", f);
            report_escape(f, n->key);
            fprintf(f, "</code></td><td>%s</td><td class=\"num\"><i class=\"bar\" "
                       "style=\"width:%.0fpx\"></i>%s</td><td>",
                    n->type, biggest ? 80.0 * (double)n->bytes / (double)biggest : 0,
                    tool_bytes(n->bytes, b1));
            if (n->nreach > 1)
                fprintf(f, "%zu roots (shared)", n->nreach);
            else
                fputs("this root only", f);
            fputs("</td></tr>\n", f);
        }
        fputs("</tbody>\n", f);
    }
    fputs("</table></section>\n", f);
    free(idx);
}
