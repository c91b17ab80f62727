/* explore.c — the data of `depot inspect` as one JSON document (--json, and embedded once
 * in the --html page) and that page: a summary, a navigation bar, and sections that
 * explore.js fills from the data (size map, asset table, neighbourhood, roots, duplicates,
 * findings). The page stays linear in the number of assets: no server-side graph layout.
 *
 * Duplicates are found by content: the file of each key under the root is hashed with the
 * project's hash (common/hash.h, the key table's); equal hash and equal file size
 * make a group, and the group wastes the bytes of every copy but one. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "tool.h"

extern const char tool_explore_js[];
extern const char tool_explore_css[];

/* More roots than this: the pairwise shared bytes are left out (they cost roots^2 * assets). */
#define EXPLORE_MAX_PAIRED_ROOTS 64

static const char *state_name(dp_state s)
{
    static const char *names[] = {"invalid", "pending", "loading", "loaded", "failed"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

/* A JSON string; '<' is written as \u003c so that the text cannot end a <script>. */
static void put_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == '<' || c == 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

typedef struct content {
    uint64_t hash;
    size_t size, node;
} content;

static int by_content(const void *a, const void *b)
{
    const content *x = a, *y = b;
    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    if (x->size != y->size)
        return x->size < y->size ? -1 : 1;
    return x->node < y->node ? -1 : x->node > y->node;
}

/* The content of every asset whose key names a readable file under root_real, sorted so
 * that equal contents are neighbours. NULL (and *n = 0) when out of memory. */
static content *hash_files(const tool_graph *g, const char *root_real, size_t *n)
{
    content *c = malloc((g->n ? g->n : 1) * sizeof *c);
    *n = 0;
    if (!c)
        return NULL;
    for (size_t i = 0; i < g->n; i++) {
        const char *key = g->nodes[i].key;
        char path[PATH_MAX];
        if (strstr(key, "://") || key[0] == '#' ||
            snprintf(path, sizeof path, "%s/%s", root_real, key) >= (int)sizeof path)
            continue;
        size_t len;
        char *bytes = tool_is_file(path) ? tool_read_file(path, &len) : NULL;
        if (!bytes)
            continue;
        c[(*n)++] = (content){dp__hash_bytes(bytes, len), len, i};
        free(bytes);
    }
    qsort(c, *n, sizeof *c, by_content);
    return c;
}

typedef struct dup_group {
    size_t at, end, waste;
} dup_group;

static int by_waste_desc(const void *a, const void *b)
{
    const dup_group *x = a, *y = b;
    if (x->waste != y->waste)
        return x->waste < y->waste ? 1 : -1;
    return x->at < y->at ? -1 : x->at > y->at;
}

/* "duplicates": groups of assets with the same content, most wasted bytes first. */
static void put_duplicates(FILE *f, const tool_graph *g, const char *root_real,
                           size_t *waste_total)
{
    size_t n, ng = 0;
    content *c = hash_files(g, root_real, &n);
    dup_group *grp = malloc((n ? n : 1) * sizeof *grp);
    *waste_total = 0;
    for (size_t a = 0, b; grp && a < n; a = b) {
        for (b = a + 1; b < n && c[b].hash == c[a].hash && c[b].size == c[a].size; b++) {
        }
        if (b - a > 1)
            grp[ng++] = (dup_group){a, b, (b - a - 1) * g->nodes[c[a].node].bytes};
    }
    if (grp)
        qsort(grp, ng, sizeof *grp, by_waste_desc);
    fputs("\"duplicates\":[", f);
    for (size_t k = 0; k < ng; k++) {
        fprintf(f, "%s{\"waste\":%zu,\"file_bytes\":%zu,\"assets\":[", k ? "," : "",
                grp[k].waste, c[grp[k].at].size);
        for (size_t i = grp[k].at; i < grp[k].end; i++)
            fprintf(f, "%s%zu", i > grp[k].at ? "," : "", c[i].node);
        fputs("]}", f);
        *waste_total += grp[k].waste;
    }
    fputs("]", f);
    free(grp);
    free(c);
}

/* "assets": one object per node, in node order (the indices every other list uses). */
static void put_assets(FILE *f, const tool_graph *g)
{
    fputs("\"assets\":[", f);
    for (size_t i = 0; i < g->n; i++) {
        const tg_node *n = &g->nodes[i];
        fputs(i ? ",\n{\"key\":" : "\n{\"key\":", f);
        put_json_str(f, n->key);
        fputs(",\"type\":", f);
        put_json_str(f, n->type);
        fprintf(f, ",\"bytes\":%zu,\"count\":%u,\"state\":\"%s\",\"parents\":%zu,\"cycle\":%d",
                n->bytes, (unsigned)n->count, state_name(n->state), n->parents, n->scc);
        if (n->state == DP_STATE_FAILED) {
            fputs(",\"failure\":", f);
            put_json_str(f, dp_status_str(n->failure));
        }
        if (n->message) {
            fputs(",\"message\":", f);
            put_json_str(f, n->message);
        }
        if (n->path) {
            fputs(",\"path\":", f);
            put_json_str(f, n->path);
        }
        fputs(",\"kids\":[", f);
        for (size_t k = 0; k < n->nkids; k++)
            fprintf(f, "%s%zu", k ? "," : "", n->kids[k]);
        fputs("],\"roots\":[", f);
        for (size_t r = 0, m = 0; r < g->nroots; r++)
            if (tg_reaches(g, r, i))
                fprintf(f, "%s%zu", m++ ? "," : "", r);
        fputs("]}", f);
    }
    fputs("]", f);
}

/* "roots": each root's closure, the bytes only it pulls in, and what it shares with each
 * other root (left empty beyond EXPLORE_MAX_PAIRED_ROOTS roots). */
static void put_roots(FILE *f, const tool_graph *g)
{
    fputs("\"roots\":[", f);
    for (size_t r = 0; r < g->nroots; r++) {
        size_t uniq, count, bytes = tg_root_bytes(g, r, &uniq, &count);
        fprintf(f, "%s\n{\"asset\":%zu,\"key\":", r ? "," : "", g->roots[r]);
        put_json_str(f, g->nodes[g->roots[r]].key);
        fprintf(f, ",\"assets\":%zu,\"bytes\":%zu,\"unique_bytes\":%zu,\"shared_with\":[",
                count, bytes, uniq);
        for (size_t o = 0, m = 0; g->nroots <= EXPLORE_MAX_PAIRED_ROOTS && o < g->nroots; o++) {
            size_t both = 0, nboth = 0;
            for (size_t i = 0; o != r && i < g->n; i++)
                if (tg_reaches(g, r, i) && tg_reaches(g, o, i))
                    both += g->nodes[i].bytes, nboth++;
            if (nboth)
                fprintf(f, "%s{\"root\":%zu,\"assets\":%zu,\"bytes\":%zu}", m++ ? "," : "", o,
                        nboth, both);
        }
        fputs("]}", f);
    }
    fputs("]", f);
}

static void put_cycles(FILE *f, const tool_graph *g)
{
    fputs("\"cycles\":[", f);
    for (size_t c = 0; c < g->ncycles; c++) {
        fputs(c ? ",[" : "[", f);
        for (size_t i = 0, m = 0; i < g->n; i++)
            if (g->nodes[i].scc == (int)c)
                fprintf(f, "%s%zu", m++ ? "," : "", i);
        fputs("]", f);
    }
    fputs("]", f);
}

void explore_totals(const tool_graph *g, explore_summary *s)
{
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < g->n; i++) {
        s->bytes += g->nodes[i].bytes;
        s->shared += g->nodes[i].nreach > 1;
        s->failed += g->nodes[i].state == DP_STATE_FAILED;
    }
}

void explore_write_data(FILE *f, const tool_graph *g, const char *root_dir,
                        const char *root_real, explore_summary *s)
{
    explore_totals(g, s);
    fputs("{\"format\":\"depot-inspect 2\",\"root\":", f);
    put_json_str(f, root_dir);
    fputs(",\n", f);
    put_roots(f, g);
    fputs(",\n", f);
    put_duplicates(f, g, root_real, &s->waste);
    fputs(",\n", f);
    put_cycles(f, g);
    fprintf(f, ",\n\"summary\":{\"roots\":%zu,\"assets\":%zu,\"bytes\":%zu,\"shared\":%zu,"
               "\"failed\":%zu,\"cycles\":%zu,\"duplicate_waste\":%zu},\n",
            g->nroots, g->n, s->bytes, s->shared, s->failed, g->ncycles, s->waste);
    put_assets(f, g);
    fputs("}\n", f);
}

static void put_summary(FILE *f, const tool_graph *g, const explore_summary *s)
{
    char b1[32], b2[32];
    fprintf(f, "<section id=\"summary\"><h2>Summary</h2><div class=\"stats\">"
               "<div class=\"stat\"><b>%zu</b><span>roots</span></div>"
               "<div class=\"stat\"><b>%zu</b><span>assets</span></div>"
               "<div class=\"stat\"><b>%s</b><span>bytes in all</span></div>"
               "<div class=\"stat\"><b>%zu</b><span>shared by several roots</span></div>"
               "<div class=\"stat %s\"><b>%s</b><span>wasted by duplicates</span></div>"
               "<div class=\"stat %s\"><b>%zu</b><span>missing or failed</span></div>"
               "<div class=\"stat %s\"><b>%zu</b><span>cycles</span></div></div>"
               "<noscript><p class=\"bad\">The size map, the table and the neighbourhood "
               "need JavaScript; the data is in the page as JSON.</p></noscript></section>\n",
            g->nroots, g->n, tool_bytes(s->bytes, b1), s->shared, s->waste ? "bad" : "good",
            tool_bytes(s->waste, b2), s->failed ? "bad" : "good", s->failed,
            g->ncycles ? "bad" : "good", g->ncycles);
}

static void put_sections(FILE *f)
{
    fputs("<section id=\"treemap-section\"><h2>Size map</h2><div class=\"tools\">"
          "<button id=\"tm-by-folder\">by folder</button><button id=\"tm-by-type\">by type"
          "</button><span id=\"tm-crumbs\"></span><span>(click a folder or type to drill "
          "down, a file to select it)</span></div><div id=\"treemap-box\"></div></section>\n"
          "<section id=\"assets-section\"><h2>Assets</h2><div class=\"tools\"><input "
          "id=\"filter\" type=\"search\" placeholder=\"filter: key, type, state or failure\">"
          "<span id=\"asset-count\"></span></div><div class=\"scroll\"><table id=\"assets\">"
          "<thead><tr><th data-col=\"key\">key</th><th data-col=\"type\">type</th>"
          "<th data-col=\"bytes\">bytes</th><th data-col=\"count\">count</th>"
          "<th data-col=\"parents\">parents</th><th data-col=\"roots\">roots</th>"
          "<th data-col=\"state\">state</th><th data-col=\"failure\">failure</th></tr></thead>"
          "<tbody id=\"asset-rows\"></tbody></table></div></section>\n"
          "<section id=\"nb-section\"><h2>Neighbourhood</h2><div class=\"tools\"><span "
          "id=\"nb-title\"></span><label>depth <select id=\"nb-depth\"><option>1</option>"
          "<option selected>2</option><option>3</option><option>4</option></select></label>"
          "</div><div class=\"nb-wrap\" id=\"nb-box\"></div></section>\n"
          "<section id=\"roots-section\"><h2>Roots</h2><table id=\"roots\"><thead><tr>"
          "<th>root</th><th class=\"num\">assets</th><th class=\"num\">bytes</th>"
          "<th class=\"num\">only it</th><th>shared with (bytes)</th></tr></thead>"
          "<tbody id=\"roots-rows\"></tbody></table></section>\n"
          "<section id=\"dups-section\"><h2>Duplicates by content</h2><p>The same file "
          "bytes under several keys: all copies but one are wasted.</p><table id=\"dups\">"
          "<thead><tr><th class=\"num\">wasted</th><th class=\"num\">copies</th>"
          "<th>keys</th></tr></thead><tbody id=\"dup-rows\"></tbody></table></section>\n"
          "<section id=\"findings-section\"><h2>Missing or failed</h2><table id=\"failed\">"
          "<thead><tr><th>asset</th><th>status</th><th>needed by</th></tr></thead>"
          "<tbody id=\"failed-rows\"></tbody></table><h2>Cycles</h2><ul id=\"cycle-list\">"
          "</ul></section>\n<pre id=\"selfcheck\"></pre>\n",
          f);
}

bool explore_write_page(FILE *f, const tool_graph *g, const char *root_dir,
                        const char *root_real)
{
    char *data = NULL;
    size_t len = 0;
    explore_summary s;
    FILE *mem = open_memstream(&data, &len);
    if (!mem)
        return false;
    explore_write_data(mem, g, root_dir, root_real, &s);
    if (fclose(mem) != 0 || !data) {
        free(data);
        return false;
    }
    char sub[PATH_MAX + 64];
    snprintf(sub, sizeof sub, "depot inspect of %s", root_dir);
    report_begin(f, "depot inspect", sub);
    fprintf(f, "<style>\n%s</style>\n<nav><a href=\"#summary\">Summary</a>"
               "<a href=\"#treemap-section\">Size map</a><a href=\"#assets-section\">Assets</a>"
               "<a href=\"#nb-section\">Neighbourhood</a><a href=\"#roots-section\">Roots</a>"
               "<a href=\"#dups-section\">Duplicates</a><a href=\"#findings-section\">Missing, "
               "failed, cycles</a></nav>\n",
            tool_explore_css);
    put_summary(f, g, &s);
    put_sections(f);
    fputs("<script type=\"application/json\" id=\"depot-data\">", f);
    fwrite(data, 1, len, f);
    fprintf(f, "</script>\n<script>\n%s</script>\n", tool_explore_js);
    free(data);
    report_end(f);
    return !ferror(f);
}
