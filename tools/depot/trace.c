/* trace.c — `depot trace FILE`: answers questions from a lifetime trace that dp_trace_write
 * wrote (Chrome trace-event JSON):
 *   --held KEY --at N   who held KEY at the end of update N (call site, thread, since when)
 *   --leaks             assets still held at the end of the trace, each with the update in
 *                       which its count last rose and the call site that raised it (leak
 *                       bisection: where to look first), and its holders as matched
 *   --longest N         the N longest loads
 * Without a question it prints a summary, the five longest loads and the leaks.
 *
 * It replays the count events (create, acquire, release, hold, unhold, free) per handle,
 * matching each release to a holder as depot's holder tracking does: the most recent
 * acquire by the releasing thread, else the most recent one. A trace whose ring wrapped
 * starts mid-way; the tool says so, and counts taken before the first event are unknown. */
#include <stdlib.h>
#include <string.h>

#include "depot/config.h"
#include "tool.h"

#if DP_HAVE_CJSON
#include <cjson/cJSON.h>

typedef struct holder {
    const char *site; /* points into the parsed JSON */
    int tid;
    unsigned update;
    bool internal;    /* an edge or group count */
} holder;

typedef struct asset {
    const char *handle, *key;
    holder *h;
    size_t n, cap;
    holder rise;  /* the last caller acquire (site NULL: none yet) */
    bool freed;
} asset;

typedef struct replay {
    asset *v;
    size_t n, cap;
    unsigned first_update, last_update;
} replay;

static const char *str_of(const cJSON *o, const char *field)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, field);
    return cJSON_IsString(f) ? f->valuestring : NULL;
}

static double num_of(const cJSON *o, const char *field)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, field);
    return cJSON_IsNumber(f) ? f->valuedouble : 0;
}

static asset *asset_of(replay *r, const char *handle, const char *key)
{
    for (size_t i = r->n; i-- > 0;) /* recent first: the usual case */
        if (!strcmp(r->v[i].handle, handle))
            return &r->v[i];
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        asset *v = realloc(r->v, cap * sizeof *v);
        if (!v)
            return NULL;
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n] = (asset){.handle = handle, .key = key};
    return &r->v[r->n++];
}

static void hold(asset *a, const char *site, int tid, unsigned update, bool internal)
{
    if (!internal)
        a->rise = (holder){.site = site, .tid = tid, .update = update};
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 4;
        holder *v = realloc(a->h, cap * sizeof *v);
        if (!v)
            return; /* out of memory: this holder goes unrecorded */
        a->h = v;
        a->cap = cap;
    }
    a->h[a->n++] = (holder){.site = site, .tid = tid, .update = update, .internal = internal};
}

/* Drops the holder a release ends: for a library site, the newest record of that site; for
 * an internal count, the newest internal record; for a caller, the newest by the same
 * thread, else the newest. */
static void unhold(asset *a, const char *site, int tid, bool internal)
{
    size_t pick = a->n;
    for (size_t i = a->n; i-- > 0 && pick == a->n;) {
        const holder *h = &a->h[i];
        if (internal ? h->internal
                     : site ? !h->internal && !strncmp(h->site, site, strlen(site))
                            : !h->internal && h->tid == tid)
            pick = i;
    }
    if (pick == a->n && !internal && !site) {
        for (size_t i = a->n; i-- > 0 && pick == a->n;)
            if (!a->h[i].internal)
                pick = i;
    }
    if (pick == a->n)
        return; /* acquired before the trace began */
    memmove(&a->h[pick], &a->h[pick + 1], (a->n - pick - 1) * sizeof *a->h);
    a->n--;
}

/* Applies one instant event (events that are not about counts change nothing). */
static void apply(replay *r, const cJSON *e)
{
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(e, "args");
    const char *kind = str_of(e, "name"), *handle = str_of(args, "handle");
    if (!kind || !handle)
        return;
    asset *a = asset_of(r, handle, str_of(args, "key"));
    if (!a)
        return;
    if (!a->key)
        a->key = str_of(args, "key");
    int tid = (int)num_of(e, "tid");
    unsigned update = (unsigned)num_of(args, "update");
    const char *site = str_of(args, "site");
    if (!strcmp(kind, "create") || !strcmp(kind, "acquire"))
        hold(a, site ? site : "(unknown)", tid, update, false);
    else if (!strcmp(kind, "hold"))
        hold(a, "(edge or group)", tid, update, true);
    else if (!strcmp(kind, "release"))
        unhold(a, site && strcmp(site, "(caller)") ? site : NULL, tid, false);
    else if (!strcmp(kind, "unhold"))
        unhold(a, NULL, tid, true);
    else if (!strcmp(kind, "free"))
        a->freed = true, a->n = 0;
}

/* Replays every count event of the trace up to update `until` (UINT_MAX: all). */
static void replay_run(replay *r, const cJSON *events, unsigned until)
{
    bool first = true;
    const cJSON *e;
    cJSON_ArrayForEach(e, events)
    {
        const char *cat = str_of(e, "cat"), *ph = str_of(e, "ph");
        if (!cat || !ph || strcmp(cat, "lifetime") || strcmp(ph, "i"))
            continue;
        unsigned update = (unsigned)num_of(cJSON_GetObjectItemCaseSensitive(e, "args"), "update");
        if (first)
            r->first_update = update, first = false;
        r->last_update = update;
        if (update > until)
            break;
        apply(r, e);
    }
}

static void replay_free(replay *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].h);
    free(r->v);
}

static void print_holder(const holder *h)
{
    printf("    %s (thread %d, since update %u)\n", h->site, h->tid, h->update);
}

static int held_at(const cJSON *events, const char *key, unsigned at)
{
    replay r = {0};
    replay_run(&r, events, at);
    int found = 0;
    for (size_t i = 0; i < r.n; i++) {
        const asset *a = &r.v[i];
        if (!a->key || strcmp(a->key, key) || a->freed)
            continue;
        found++;
        printf("%s (%s) at the end of update %u: %zu holder%s\n", key, a->handle, at, a->n,
               a->n == 1 ? "" : "s");
        for (size_t k = 0; k < a->n; k++)
            print_holder(&a->h[k]);
    }
    if (!found)
        printf("%s: not alive at the end of update %u (or not in the trace)\n", key, at);
    replay_free(&r);
    return found ? TOOL_EXIT_OK : TOOL_EXIT_FOUND;
}

static int leaks(const cJSON *events)
{
    replay r = {0};
    replay_run(&r, events, ~0u);
    size_t n = 0;
    for (size_t i = 0; i < r.n; i++) {
        const asset *a = &r.v[i];
        size_t callers = 0;
        for (size_t k = 0; k < a->n; k++)
            callers += !a->h[k].internal;
        if (a->freed || !callers || !a->rise.site)
            continue;
        n++;
        printf("leak: %s (%s): %zu caller count%s at the end of the trace; count last rose at "
               "update %u from %s (thread %d); holders, best match:\n",
               a->key ? a->key : "(no key)", a->handle, callers, callers == 1 ? "" : "s",
               a->rise.update, a->rise.site, a->rise.tid);
        for (size_t k = 0; k < a->n; k++)
            if (!a->h[k].internal)
                print_holder(&a->h[k]);
    }
    printf("%zu asset%s still held by callers at the end of the trace (updates %u..%u)\n", n,
           n == 1 ? "" : "s", r.first_update, r.last_update);
    replay_free(&r);
    return n ? TOOL_EXIT_FOUND : TOOL_EXIT_OK;
}

typedef struct load {
    const char *key;
    double dur_us;
    unsigned update;
    const char *status;
} load;

static int by_duration(const void *a, const void *b)
{
    double x = ((const load *)a)->dur_us, y = ((const load *)b)->dur_us;
    return x < y ? 1 : x > y ? -1 : 0;
}

static int longest(const cJSON *events, unsigned long top)
{
    size_t n = 0, cap = (size_t)cJSON_GetArraySize(events) + 1;
    load *v = calloc(cap, sizeof *v);
    if (!v)
        return TOOL_EXIT_IO;
    const cJSON *e;
    cJSON_ArrayForEach(e, events)
    {
        const char *cat = str_of(e, "cat"), *ph = str_of(e, "ph");
        if (!cat || !ph || strcmp(cat, "load") || strcmp(ph, "X"))
            continue;
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(e, "args");
        v[n++] = (load){.key = str_of(e, "name"), .dur_us = num_of(e, "dur"),
                        .update = (unsigned)num_of(args, "update_begin"),
                        .status = str_of(args, "status")};
    }
    qsort(v, n, sizeof *v, by_duration);
    printf("%zu load%s in the trace; the longest:\n", n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n && i < top; i++)
        printf("  %10.3f ms  %s (from update %u, %s)\n", v[i].dur_us / 1000.0,
               v[i].key ? v[i].key : "?", v[i].update, v[i].status ? v[i].status : "?");
    free(v);
    return TOOL_EXIT_OK;
}

static cJSON *read_trace(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0, got;
    do {
        if (len + 65536 > cap) {
            char *nb = realloc(buf, cap = (cap + 65536) * 2);
            if (!nb)
                break;
            buf = nb;
        }
        got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
    } while (got > 0);
    fclose(f);
    cJSON *doc = NULL;
    if (buf) {
        buf[len] = 0;
        doc = cJSON_Parse(buf);
    }
    free(buf);
    return doc;
}

static void trace_usage(FILE *f)
{
    fputs("usage: depot trace FILE [--held KEY --at N] [--leaks] [--longest N]\n"
          "\n"
          "Answers questions from a lifetime trace written by dp_trace_write (enable the\n"
          "recorder with dp_desc.trace_events; the file also opens in Perfetto or\n"
          "chrome://tracing):\n"
          "  --held KEY --at N  who held KEY at the end of update N\n"
          "  --leaks            assets still held at the end, with the update in which each\n"
          "                     count last rose and the call site that raised it\n"
          "  --longest N        the N longest loads\n"
          "Without a question: the five longest loads and the leaks.\n"
          "Exit: 0 ok; 1 a leak found (--leaks) or KEY not alive (--held); 2 usage; 3 I/O.\n",
          f);
}

int tool_trace(int argc, char **argv)
{
    const char *path = NULL, *key = NULL;
    unsigned long at = 0, top = 0;
    bool want_leaks = false, have_at = false;
    for (int i = 1; i < argc; i++) {
        if (tool_is_help(argv[i])) {
            trace_usage(stdout);
            return TOOL_EXIT_OK;
        } else if (!strcmp(argv[i], "--held") && i + 1 < argc) {
            key = argv[++i];
        } else if (!strcmp(argv[i], "--at") && i + 1 < argc && tool_parse_count(argv[i + 1], &at)) {
            have_at = true, i++;
        } else if (!strcmp(argv[i], "--leaks")) {
            want_leaks = true;
        } else if (!strcmp(argv[i], "--longest") && i + 1 < argc &&
                   tool_parse_count(argv[i + 1], &top)) {
            i++;
        } else if (argv[i][0] != '-' && !path) {
            path = argv[i];
        } else {
            trace_usage(stderr);
            return TOOL_EXIT_USAGE;
        }
    }
    if (!path || (key && !have_at) || (have_at && !key)) {
        trace_usage(stderr);
        return TOOL_EXIT_USAGE;
    }
    cJSON *doc = read_trace(path);
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(doc, "traceEvents");
    if (!cJSON_IsArray(events)) {
        fprintf(stderr, "depot trace: %s: not a trace-event JSON file with traceEvents\n", path);
        cJSON_Delete(doc);
        return TOOL_EXIT_IO;
    }
    int rc = TOOL_EXIT_OK;
    if (key)
        rc = held_at(events, key, (unsigned)at);
    if (top)
        rc = longest(events, top) ? TOOL_EXIT_IO : rc;
    if (want_leaks)
        rc = leaks(events);
    if (!key && !top && !want_leaks) {
        longest(events, 5);
        rc = leaks(events);
    }
    cJSON_Delete(doc);
    return rc;
}

#else

int tool_trace(int argc, char **argv)
{
    (void)argc, (void)argv;
    fprintf(stderr, "depot trace: this build has no JSON reader (cJSON); install libcjson-dev\n");
    return TOOL_EXIT_USAGE;
}

#endif
