/* inspect.c — `depot inspect PATH...`: loads keys or bundle manifests and everything they
 * depend on, waits, and reports the dependency graph: per root the assets it pulls in and
 * their bytes, the assets shared between roots, missing or failed dependencies, cycles.
 * Text on stdout; --json, --dot and --html write files (explore.c writes the JSON and the
 * page). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "tool.h"

static void usage(FILE *f)
{
    fputs("usage: depot inspect PATH... [--root DIR] [--json FILE] [--dot FILE] [--html FILE]\n"
          "                     [--timeout MS]\n"
          "\n"
          "Loads each PATH (a file under the root, an asset key such as img/a.png or\n"
          "scene.bundle, an http(s):// URL, or a folder: every file below it whose extension\n"
          "has a type, others skipped) with everything it depends on, waits until every load\n"
          "has settled, and reports the dependency graph: per root the assets it pulls in\n"
          "and their bytes, the assets shared between roots, missing or failed dependencies\n"
          "(with the status that made them fail), and dependency cycles.\n"
          "\n"
          "  --root DIR     folder keys are relative to (default: the first PATH if it is a\n"
          "                 folder, else its folder); dependencies such as \"img/a.png\"\n"
          "                 resolve against it\n"
          "  --json FILE    the report's data as JSON (format in docs/diagnostics.md)\n"
          "  --dot FILE     the graph in Graphviz dot (dp_write_dot)\n"
          "  --html FILE    the HTML report: summary, size map, asset table, each root's\n"
          "                 closure and sharing, duplicates by content, the selected\n"
          "                 asset's neighbourhood (one file, no network)\n"
          "  --timeout MS   how long to wait, per root (default 30000)\n"
          "\n"
          "Exit codes: 0 everything loaded, 1 a missing or failed asset was found,\n"
          "2 usage error, 3 a file could not be written or the root is not a folder.\n",
          f);
}

/* The PATHs to inspect: those given, and the files found below folders given. */
typedef struct path_item {
    char *path;
    bool folder; /* a folder: loaded with dp_load_folder (files no type claims skipped) */
} path_item;

typedef struct path_list {
    path_item *v;
    size_t n, cap;
} path_list;

static bool list_push(path_list *l, const char *path, bool folder)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        path_item *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return false;
        l->v = v;
        l->cap = cap;
    }
    char *copy = tool_strdup(path);
    if (!copy)
        return false;
    l->v[l->n++] = (path_item){copy, folder};
    return true;
}

static void list_free(path_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].path);
    free(l->v);
}

/* The roots found so far, each held once (a count of ours). */
typedef struct roots {
    dp_handle *v;
    size_t n, cap;
} roots;

/* Adds h, whose count the caller took, or drops that count if h is a root already. False
 * when out of memory (the count is dropped). */
static bool roots_add(roots *r, dp_depot *dp, dp_handle h)
{
    for (size_t i = 0; i < r->n; i++) {
        if (dp_handle_eq(r->v[i], h)) {
            dp_release(dp, h);
            return true;
        }
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        dp_handle *v = realloc(r->v, cap * sizeof *v);
        if (!v) {
            dp_release(dp, h);
            return false;
        }
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n++] = h;
    return true;
}

/* Every file below the folder `key` (dp_load_folder, recursive: hidden names and symbolic
 * links are not listed) becomes a root; files no type claims are counted in *skipped. */
static dp_status folder_roots(dp_depot *dp, const char *key, roots *r, size_t *skipped)
{
    dp_folder_result fr;
    dp_status st = dp_load_folder(dp, key, &(dp_folder_opts){.recursive = true}, &fr);
    if (st != DP_OK)
        return st;
    *skipped += fr.skipped;
    size_t m = dp_group_members(dp, fr.group, NULL, 0);
    dp_handle *mem = m ? malloc(m * sizeof *mem) : NULL;
    if (m && !mem)
        st = DP_ERR_NOMEM;
    m = mem ? dp_group_members(dp, fr.group, mem, m) : 0;
    for (size_t i = 0; i < m && st == DP_OK; i++)
        if (dp_retain(dp, mem[i]) == DP_OK && !roots_add(r, dp, mem[i]))
            st = DP_ERR_NOMEM;
    free(mem);
    dp_group_destroy(dp, fr.group); /* our counts keep the roots */
    return st;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Pumps dp_update until no load is in flight and no asset is PENDING or LOADING: a root
 * that failed early (its deep state is FAILED at its first failed dependency) must not
 * make the report show the rest of the graph half-loaded. False when time ran out. */
static bool settle(dp_depot *dp, uint64_t timeout_ms)
{
    uint64_t end = now_ms() + timeout_ms;
    for (;;) {
        dp_update(dp);
        dp_stats st;
        if (dp_get_stats(dp, &st) == DP_OK && st.pending_jobs == 0 &&
            st.assets_by_state[DP_STATE_PENDING] == 0 && st.assets_by_state[DP_STATE_LOADING] == 0)
            return true;
        if (now_ms() >= end)
            return false;
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
}

/* The key of PATH relative to the root (a suffix of path, or a new string in *owned). */
static int key_of(const char *path, const char *root_buf, const char *root_real,
                  const char **key, char **owned)
{
    *owned = NULL;
    if (strstr(path, "://")) {
        *key = path;
        return 0;
    }
    char real[PATH_MAX];
    if (!realpath(path, real)) {
        /* Not a file here: a key relative to the root, written with or without it. */
        size_t bl = strlen(root_buf);
        *key = strncmp(path, root_buf, bl) == 0 && path[bl] == '/' ? path + bl + 1 : path;
        return 0;
    }
    size_t rl = strlen(root_real);
    if (strncmp(real, root_real, rl) == 0 && real[rl] == '/') {
        *owned = tool_strdup(real + rl + 1);
        if (!*owned)
            return -1;
        *key = *owned;
        return 0;
    }
    return 1;
}

/* The key of a folder PATH: "" for the root itself, else as key_of. */
static int folder_key(const char *path, const char *root_buf, const char *root_real,
                      const char **key, char **owned)
{
    char real[PATH_MAX];
    if (realpath(path, real) && !strcmp(real, root_real)) {
        *owned = NULL;
        *key = "";
        return 0;
    }
    return key_of(path, root_buf, root_real, key, owned);
}

/* Root r's section: its line, then every asset it reaches, largest first (idx: room for
 * g->n indices). */
static void print_root(const tool_graph *g, size_t r, size_t *idx)
{
    char b1[32], b2[32];
    const tg_node *root = &g->nodes[g->roots[r]];
    size_t uniq, count, m = 0;
    size_t bytes = tg_root_bytes(g, r, &uniq, &count);
    printf("%s  (%s, %s)  %zu assets, %s; %s only it pulls in\n", root->key, root->type,
           root->state == DP_STATE_LOADED ? "loaded"
           : root->state == DP_STATE_FAILED ? dp_status_str(root->failure) : "not loaded",
           count, tool_bytes(bytes, b1), tool_bytes(uniq, b2));
    for (size_t i = 0; i < g->n; i++)
        if (tg_reaches(g, r, i) && i != g->roots[r])
            idx[m++] = i;
    /* Largest first, then by key. */
    for (size_t a = 1; a < m; a++) {
        size_t v = idx[a], k = a;
        while (k > 0 && (g->nodes[idx[k - 1]].bytes < g->nodes[v].bytes ||
                         (g->nodes[idx[k - 1]].bytes == g->nodes[v].bytes &&
                          strcmp(g->nodes[idx[k - 1]].key, g->nodes[v].key) > 0))) {
            idx[k] = idx[k - 1];
            k--;
        }
        idx[k] = v;
    }
    for (size_t k = 0; k < m; k++) {
        const tg_node *n = &g->nodes[idx[k]];
        bool bad = n->state == DP_STATE_FAILED;
        printf("    %-34s %-12s %10s  %s%s%s\n", n->key, n->type, tool_bytes(n->bytes, b1),
               n->nreach > 1 ? "shared" : "", n->nreach > 1 && bad ? " " : "",
               bad ? dp_status_str(n->failure) : "");
    }
    printf("\n");
}

static void print_text(const tool_graph *g, const char *root_dir)
{
    char b1[32];
    size_t total = 0, shared = 0, failed = 0;
    for (size_t i = 0; i < g->n; i++) {
        total += g->nodes[i].bytes;
        shared += g->nodes[i].nreach > 1;
        failed += g->nodes[i].state == DP_STATE_FAILED;
    }
    printf("depot inspect: root %s: %zu roots, %zu assets, %s\n\n", root_dir, g->nroots, g->n,
           tool_bytes(total, b1));
    size_t *idx = malloc((g->n ? g->n : 1) * sizeof *idx);
    for (size_t r = 0; r < g->nroots && idx; r++)
        print_root(g, r, idx);
    free(idx);
    printf("shared between roots: %zu\n", shared);
    for (size_t i = 0; i < g->n; i++) {
        const tg_node *n = &g->nodes[i];
        if (n->nreach < 2)
            continue;
        printf("    %-34s %-12s %10s  by", n->key, n->type, tool_bytes(n->bytes, b1));
        for (size_t r = 0; r < g->nroots; r++)
            if (tg_reaches(g, r, i))
                printf(" %s", g->nodes[g->roots[r]].key);
        printf("\n");
    }
    printf("missing or failed: %zu\n", failed);
    for (size_t i = 0; i < g->n; i++) {
        const tg_node *n = &g->nodes[i];
        if (n->state != DP_STATE_FAILED)
            continue;
        char line[2048];
        printf("    %s\n        %s, needed by", tg_failure_line(n, line, sizeof line), n->type);
        size_t k = 0;
        for (size_t p = 0; p < g->n; p++)
            for (size_t c = 0; c < g->nodes[p].nkids; c++)
                if (g->nodes[p].kids[c] == i) {
                    printf(" %s", g->nodes[p].key);
                    k++;
                }
        printf("%s\n", k ? "" : " (a root)");
    }
    printf("cycles: %zu\n", g->ncycles);
    for (size_t c = 0; c < g->ncycles; c++) {
        printf("   ");
        size_t k = 0;
        for (size_t i = 0; i < g->n; i++)
            if (g->nodes[i].scc == (int)c)
                printf("%s %s", k++ ? " <->" : "", g->nodes[i].key);
        printf("\n");
    }
}

/* Writes the --json data or the --html page to path. */
static bool write_out(const char *path, bool html, const tool_graph *g, const char *root_dir,
                      const char *root_real, char *err, size_t errcap)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        return false;
    }
    explore_summary s;
    bool ok = html ? explore_write_page(f, g, root_dir, root_real)
                   : (explore_write_data(f, g, root_dir, root_real, &s), !ferror(f));
    if (!ok || ferror(f)) {
        snprintf(err, errcap, "%s: write error or out of memory", path);
        fclose(f);
        return false;
    }
    if (fclose(f) != 0) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        return false;
    }
    return true;
}

/* The command line: options, and the PATHs in order. */
typedef struct inspect_opts {
    const char *root, *json, *dot, *html;
    unsigned long timeout;
    const char **paths; /* argc + 1 entries, npaths used */
    size_t npaths;
} inspect_opts;

#define INSPECT_GO (-1) /* parse_args: run the inspection */

/* Reads the options and paths into *o (o->paths has room for every argument). INSPECT_GO,
 * or the exit code (--help, a usage error). */
static int parse_args(int argc, char **argv, inspect_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **dest = !strcmp(a, "--root") ? &o->root : !strcmp(a, "--json") ? &o->json
                          : !strcmp(a, "--dot") ? &o->dot : !strcmp(a, "--html") ? &o->html
                          : NULL;
        if (tool_is_help(a)) {
            usage(stdout);
            return TOOL_EXIT_OK;
        } else if (dest || !strcmp(a, "--timeout")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "depot inspect: %s needs a value\n", a);
                return TOOL_EXIT_USAGE;
            }
            if (dest) {
                *dest = argv[++i];
            } else if (!tool_parse_count(argv[++i], &o->timeout) || o->timeout > INT_MAX) {
                fprintf(stderr, "depot inspect: --timeout wants milliseconds, not '%s'\n", argv[i]);
                return TOOL_EXIT_USAGE;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "depot inspect: unknown option '%s'\n", a);
            return TOOL_EXIT_USAGE;
        } else {
            o->paths[o->npaths++] = a;
        }
    }
    if (!o->npaths) {
        fprintf(stderr, "depot inspect: no PATH given\n");
        return TOOL_EXIT_USAGE;
    }
    return INSPECT_GO;
}

/* The root: --root, else the first PATH that is a folder, else the folder of the first
 * file PATH, else the current one. */
static void choose_root(const inspect_opts *o, char *root_buf, size_t cap)
{
    snprintf(root_buf, cap, ".");
    if (o->root) {
        snprintf(root_buf, cap, "%s", o->root);
        return;
    }
    for (size_t i = 0; i < o->npaths; i++) {
        const char *p = o->paths[i];
        if (strstr(p, "://"))
            continue;
        if (tool_is_dir(p)) {
            snprintf(root_buf, cap, "%s", p);
            break;
        }
        const char *slash = strrchr(p, '/');
        if (slash && slash > p)
            snprintf(root_buf, cap, "%.*s", (int)(slash - p), p);
        else if (slash)
            snprintf(root_buf, cap, "/");
        break;
    }
}

/* Loads every path of the list as a root, a folder's files each as a root (a duplicate is
 * dropped, a folder's file no type claims skipped) into *rs. Returns the exit code so far;
 * *stop says the run cannot go on. */
static int load_roots(dp_depot *dp, const path_list *list, const char *root_buf,
                      const char *root_real, roots *rs, char **owned, bool *stop)
{
    int rc = TOOL_EXIT_OK;
    size_t skipped = 0;
    *stop = false;
    for (size_t i = 0; i < list->n; i++) {
        const char *key;
        const char *path = list->v[i].path;
        int k = list->v[i].folder ? folder_key(path, root_buf, root_real, &key, &owned[i])
                                  : key_of(path, root_buf, root_real, &key, &owned[i]);
        if (k < 0) {
            fprintf(stderr, "depot inspect: out of memory\n");
            *stop = true;
            return TOOL_EXIT_FOUND;
        }
        if (k > 0) {
            fprintf(stderr, "depot inspect: %s: outside the root %s (pass --root)\n", path,
                    root_buf);
            *stop = true;
            return TOOL_EXIT_USAGE;
        }
        if (list->v[i].folder) {
            dp_status st = folder_roots(dp, key, rs, &skipped);
            if (st != DP_OK) {
                fprintf(stderr, "depot inspect: %s: cannot load the folder: %s\n", path,
                        dp_status_str(st));
                rc = TOOL_EXIT_FOUND;
            }
            continue;
        }
        dp_handle h;
        dp_status st = dp_load(dp, key, &h);
        if (st != DP_OK) {
            fprintf(stderr, "depot inspect: %s: cannot load key '%s': %s%s\n", path, key,
                    dp_status_str(st),
                    st == DP_ERR_NOT_FOUND ? " (no type for its extension, or no source for "
                                             "its scheme)" : "");
            rc = TOOL_EXIT_FOUND;
            continue;
        }
        if (!roots_add(rs, dp, h)) {
            fprintf(stderr, "depot inspect: out of memory\n");
            *stop = true;
            return TOOL_EXIT_FOUND;
        }
    }
    if (skipped)
        fprintf(stderr, "depot inspect: skipped %zu files that no type loads\n", skipped);
    return rc;
}

/* Writes the --dot graph (dp_write_dot) to its file. Returns rc, or the exit code of a
 * failure. */
static int write_dot(dp_depot *dp, const char *dot, int rc)
{
    char *dot_text = NULL;
    size_t dot_len = 0;
    FILE *mem = open_memstream(&dot_text, &dot_len);
    if (!mem || dp_write_dot(dp, mem) != DP_OK) {
        fprintf(stderr, "depot inspect: writing the dot graph failed\n");
        rc = TOOL_EXIT_FOUND;
    }
    if (mem)
        fclose(mem);
    if (dot_text) {
        FILE *f = fopen(dot, "w");
        if (!f || fputs(dot_text, f) < 0) {
            fprintf(stderr, "depot inspect: %s: %s\n", dot, strerror(errno));
            rc = TOOL_EXIT_IO;
        }
        if (f && fclose(f) != 0) {
            fprintf(stderr, "depot inspect: %s: %s\n", dot, strerror(errno));
            rc = TOOL_EXIT_IO;
        }
    }
    free(dot_text);
    return rc;
}

/* Waits for the loads, walks the graph and reports it: text, then the files asked for.
 * Returns the exit code (rc so far, or worse). */
static int report(dp_depot *dp, const inspect_opts *o, const dp_handle *handles,
                  size_t nroots, const char *root_buf, const char *root_real, int rc)
{
    uint64_t wait_ms = (uint64_t)o->timeout * (nroots ? nroots : 1);
    if (!settle(dp, wait_ms)) {
        fprintf(stderr, "depot inspect: loads still running after %llu ms; the report shows "
                        "them unsettled\n", (unsigned long long)wait_ms);
        rc = TOOL_EXIT_FOUND;
    }
    tool_graph g = {0};
    dp_status st = tg_build(&g, dp, handles, nroots);
    if (st != DP_OK) {
        fprintf(stderr, "depot inspect: walking the graph: %s\n", dp_status_str(st));
        return TOOL_EXIT_FOUND;
    }
    for (size_t i = 0; i < g.n; i++)
        if (g.nodes[i].state == DP_STATE_FAILED)
            rc = TOOL_EXIT_FOUND;
    if (nroots)
        print_text(&g, root_buf);
    if (o->dot)
        rc = write_dot(dp, o->dot, rc);
    char err[PATH_MAX + 128];
    if (o->json && !write_out(o->json, false, &g, root_buf, root_real, err, sizeof err)) {
        fprintf(stderr, "depot inspect: %s\n", err);
        rc = TOOL_EXIT_IO;
    }
    if (o->html && !write_out(o->html, true, &g, root_buf, root_real, err, sizeof err)) {
        fprintf(stderr, "depot inspect: %s\n", err);
        rc = TOOL_EXIT_IO;
    }
    tg_free(&g);
    return rc;
}

int tool_inspect(int argc, char **argv)
{
    inspect_opts o = {.timeout = 30000, .paths = calloc((size_t)argc + 1, sizeof(char *))};
    if (!o.paths) {
        fprintf(stderr, "depot inspect: out of memory\n");
        return TOOL_EXIT_FOUND;
    }
    int rc = parse_args(argc, argv, &o);
    if (rc != INSPECT_GO) {
        free(o.paths);
        if (rc == TOOL_EXIT_USAGE)
            fputs("run 'depot inspect --help' for usage\n", stderr);
        return rc;
    }
    char root_buf[PATH_MAX];
    choose_root(&o, root_buf, sizeof root_buf);
    char root_real[PATH_MAX];
    if (!tool_is_dir(root_buf) || !realpath(root_buf, root_real)) {
        fprintf(stderr, "depot inspect: root %s: %s\n", root_buf,
                tool_is_dir(root_buf) ? strerror(errno) : "not a folder");
        free(o.paths);
        return TOOL_EXIT_IO;
    }

    /* Folders are loaded with dp_load_folder (load_roots). */
    path_list list = {0};
    for (size_t i = 0; i < o.npaths; i++) {
        bool dir = !strstr(o.paths[i], "://") && tool_is_dir(o.paths[i]);
        if (!list_push(&list, o.paths[i], dir)) {
            fprintf(stderr, "depot inspect: %s: %s\n", o.paths[i], strerror(errno));
            list_free(&list);
            free(o.paths);
            return TOOL_EXIT_IO;
        }
    }
    free(o.paths);
    size_t npaths = list.n;

    dp_depot *dp = NULL;
    roots rs = {0};
    char **owned = calloc(npaths ? npaths : 1, sizeof *owned);
    rc = TOOL_EXIT_OK;
    if (!owned) {
        fprintf(stderr, "depot inspect: out of memory\n");
        rc = TOOL_EXIT_FOUND;
        goto done;
    }
    dp_status st = dp_create(&(dp_desc){.root = root_real}, &dp);
    if (st != DP_OK) {
        fprintf(stderr, "depot inspect: dp_create: %s\n", dp_status_str(st));
        rc = TOOL_EXIT_FOUND;
        goto done;
    }
    bool stop;
    rc = load_roots(dp, &list, root_buf, root_real, &rs, owned, &stop);
    if (!stop)
        rc = report(dp, &o, rs.v, rs.n, root_buf, root_real, rc);
done:
    if (dp) {
        for (size_t r = 0; r < rs.n; r++)
            dp_release(dp, rs.v[r]);
        dp_update(dp);
        size_t leaked = dp_destroy(dp);
        if (leaked) {
            fprintf(stderr, "depot inspect: %zu assets still held at dp_destroy\n", leaked);
            rc = TOOL_EXIT_FOUND;
        }
    }
    for (size_t i = 0; owned && i < npaths; i++)
        free(owned[i]);
    free(owned);
    free(rs.v);
    list_free(&list);
    return rc;
}
