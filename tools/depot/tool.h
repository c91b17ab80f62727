/* tool.h — shared declarations of the `depot` command-line tool (tools/depot).
 *
 * One file per command (demo.c, inspect.c, bench_cmd.c), the HTML report writer
 * (report.c), the dependency-graph walk both commands use (graph.c) and small helpers
 * (util.c). Everything runs on the main thread, which owns the depot it creates. */
#ifndef DEPOT_TOOL_H
#define DEPOT_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "depot/depot.h"

/* Exit codes of every command (documented in `depot --help`). */
enum {
    TOOL_EXIT_OK = 0,      /* done, nothing wrong found */
    TOOL_EXIT_FOUND = 1,   /* a leak, a failed or missing asset, or a failed step */
    TOOL_EXIT_USAGE = 2,   /* bad command line */
    TOOL_EXIT_IO = 3       /* a file or folder could not be read or written */
};

int tool_demo(int argc, char **argv);
int tool_inspect(int argc, char **argv);
int tool_bench(int argc, char **argv);
int tool_pack(int argc, char **argv);
int tool_catalog(int argc, char **argv);
int tool_trace(int argc, char **argv);

/* ---- pack.c ------------------------------------------------------------------------------- */

/* Packs every regular file under `dir` into the pack `out` (zstd `level`, 0 = store);
 * *files gets how many. On failure returns false and says why in err. */
bool tool_pack_folder(const char *dir, const char *out, int level, size_t *files, char *err,
                      size_t errcap);

/* ---- catalog.c ---------------------------------------------------------------------------- */

/* Writes the catalog of every file under `dir` to `out`; with `previous` (may be NULL) the
 * ids of kept and renamed files are carried over and redirects written. False with err
 * filled on failure. */
bool tool_catalog_write(const char *dir, const char *out, const char *previous, char *err,
                        size_t errcap);

/* ---- util.c ------------------------------------------------------------------------------ */

/* True for "-h" and "--help". */
bool tool_is_help(const char *arg);
/* Human-readable byte count ("12.3 KiB") in buf. */
const char *tool_bytes(size_t n, char buf[32]);
/* strdup that returns NULL for NULL. */
char *tool_strdup(const char *s);
/* Parses a decimal count; false on junk or overflow. */
bool tool_parse_count(const char *s, unsigned long *out);
/* True when path names a directory / a regular file. */
bool tool_is_dir(const char *path);
bool tool_is_file(const char *path);
/* The directory of the running executable into buf; false if unknown. */
bool tool_exe_dir(char *buf, size_t cap);
/* Copies the regular files and folders under `from` into the existing folder `to`.
 * On failure returns false and names the file and the reason in err. */
bool tool_copy_tree(const char *from, const char *to, char *err, size_t errcap);
/* Copies one file; on failure names the file and the reason in err. */
bool tool_copy_file(const char *from, const char *to, char *err, size_t errcap);
/* Removes a folder and everything below it (best effort). */
void tool_remove_tree(const char *path);
/* Reads a whole file (NUL-terminated); NULL with errno set on failure. */
char *tool_read_file(const char *path, size_t *len);
/* Finds a program on PATH; false if not there. */
bool tool_have_program(const char *name);
/* The line `key: STATUS: message (path)` of h's failure (dp_failure_text; a failed
 * dependency is named) into buf, which it returns; `key: STATUS` when dp_failure has no
 * details. Owner thread. */
const char *tool_failure_line(const dp_depot *dp, dp_handle h, char *buf, size_t cap);

/* A growable array of handles. */
typedef struct tool_hvec {
    dp_handle *v;
    size_t n, cap;
} tool_hvec;
bool tool_hvec_push(tool_hvec *a, dp_handle h);
void tool_hvec_free(tool_hvec *a);

/* A hash map from handle to index (open addressing). */
typedef struct tool_hmap {
    uint64_t *keys;
    size_t *vals;
    size_t cap, n;
} tool_hmap;
/* 1 added, 0 already there (value unchanged), -1 out of memory. */
int tool_hmap_put(tool_hmap *m, dp_handle h, size_t val);
bool tool_hmap_get(const tool_hmap *m, dp_handle h, size_t *val);
void tool_hmap_free(tool_hmap *m);

/* ---- graph.c ------------------------------------------------------------------------------ */

/* One asset reachable from the roots of a tool_graph. */
typedef struct tg_node {
    dp_handle h;
    char *key;            /* owned copy; "#<index>" for a keyless asset */
    char *type;           /* owned copy of the type name, or "?" */
    size_t bytes;
    dp_state state;
    dp_status failure;    /* why it failed (DP_OK unless FAILED) */
    char *message;        /* owned copy of dp_failure's message when FAILED, or NULL */
    char *path;           /* owned copy of dp_failure's path (file or URL tried), or NULL */
    uint32_t count;       /* its reference count (dp_count) when the graph was walked */
    size_t *kids;         /* indices into nodes */
    size_t nkids;
    size_t parents;       /* edges into it from nodes of this graph */
    size_t nreach;        /* how many roots pull it in */
    int scc;              /* cycle id (>= 0) when it is on a cycle, else -1 */
} tg_node;

/* The dependency graph below a set of roots, walked with dp_children. */
typedef struct tool_graph {
    tg_node *nodes;
    size_t n, cap;
    size_t *roots;        /* node index of each root */
    size_t nroots;
    unsigned char *reach; /* n * nroots: reach[i * nroots + r] when root r pulls node i in */
    size_t ncycles;       /* strongly connected components of size > 1 or with a self-edge */
    tool_hmap index;      /* handle -> node index */
} tool_graph;

/* Walks everything the roots depend on (owner thread) and finds the cycles.
 * Returns DP_OK or DP_ERR_NOMEM / the error of dp_children (then g is empty). */
dp_status tg_build(tool_graph *g, const dp_depot *dp, const dp_handle *roots, size_t nroots);
void tg_free(tool_graph *g);
/* tool_failure_line for a node of the graph (its stored status, message and path). */
const char *tg_failure_line(const tg_node *n, char *buf, size_t cap);
/* Bytes of root r's closure; `unique` gets the bytes only r pulls in. */
size_t tg_root_bytes(const tool_graph *g, size_t r, size_t *unique, size_t *count);
/* Whether node i is reached by root r. */
static inline bool tg_reaches(const tool_graph *g, size_t r, size_t i)
{
    return g->reach[i * g->nroots + r] != 0;
}

/* ---- report.c ----------------------------------------------------------------------------- */

/* One point of the demo's chart. */
typedef struct report_sample {
    uint64_t frame;
    size_t held_bytes;
    size_t live_assets;
    size_t gpu_live;
} report_sample;

/* A labelled moment on the chart (a scene switch). */
typedef struct report_mark {
    uint64_t frame;
    char label[40];
} report_mark;

/* Writes text with &, <, >, " escaped. */
void report_escape(FILE *f, const char *s);
/* The page head (title, CSS) and its end. */
void report_begin(FILE *f, const char *title, const char *subtitle);
void report_end(FILE *f);
/* The dependency graph: `dot -Tsvg` on dot_text (the output of dp_write_dot) as an inline
 * <svg id="graph"> whose nodes get classes (type, shared, root, failed, cycle) from g; a
 * nested list built from g when Graphviz is not installed or fails. Returns true when the
 * SVG was made; why (if not NULL) then says how, else why not. */
bool report_graph(FILE *f, const char *dot_text, const tool_graph *g, char *why, size_t why_cap);
/* The chart of held bytes, live assets and GPU resources over frames: <svg id="chart">. */
void report_chart(FILE *f, const report_sample *s, size_t n, const report_mark *marks,
                  size_t nmarks);
/* The biggest assets of the first `nroots` roots: <table id="biggest">, at most `top` rows
 * per root. */
void report_biggest(FILE *f, const tool_graph *g, size_t nroots, size_t top);
/* Runs `dot -Tsvg` on dot_text; the SVG text (caller frees) or NULL with why filled. */
char *report_run_dot(const char *dot_text, char *why, size_t why_cap);

/* ---- explore.c ---------------------------------------------------------------------------- */

/* The totals of the summary. */
typedef struct explore_summary {
    size_t bytes, shared, failed;
    size_t waste; /* bytes of all but one copy of each content found under several keys */
} explore_summary;

/* Fills the totals of g (waste stays 0: only explore_write_data hashes files). */
void explore_totals(const tool_graph *g, explore_summary *s);
/* The data of `depot inspect` as one JSON document (format "depot-inspect 2", described in
 * docs/diagnostics.md): roots, duplicates by content (files of the keys under root_real),
 * cycles, summary, assets. Fills s. Write errors show in ferror(f). */
void explore_write_data(FILE *f, const tool_graph *g, const char *root_dir,
                        const char *root_real, explore_summary *s);
/* The whole HTML page of `depot inspect --html`: summary, navigation, the data embedded once
 * and the script that draws the size map, table and neighbourhood. False on a write error
 * or out of memory. */
bool explore_write_page(FILE *f, const tool_graph *g, const char *root_dir,
                        const char *root_real);

#endif
