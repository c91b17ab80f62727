/* trace_write.c — dp_trace_write: the lifetime recorder's ring as Chrome trace-event JSON
 * (the format chrome://tracing and Perfetto open). Owner thread.
 *
 * Mapping: each dp_update is a "B"/"E" pair on the owner's track (an end whose begin was
 * overwritten is dropped, a begin still open at the end is closed at the last event, so
 * pairs always balance); each load is one "X" (complete) event from the request (the
 * asset created PENDING) to the owner installing the data or the failure; every count change, creation and free is an
 * instant ("i") event. Every event's args carry what `depot trace` needs: key, handle,
 * update, and per kind count, site or reason. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "asset/registry.h"

static const char *const kind_names[DP__T_KINDS] = {
    "create", "acquire", "release", "hold", "unhold", "load_begin", "loaded", "failed",
    "free", "update_begin", "update_end", "edge_add", "edge_remove", "render_create",
    "render_retire", "render_destroy"};

static void put_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static void put_ts(FILE *out, const char *field, uint64_t ns)
{
    fprintf(out, ",\"%s\":%" PRIu64 ".%03u", field, ns / 1000, (unsigned)(ns % 1000));
}

/* The head of an event: phase, name, category, thread, time. */
static void put_head(FILE *out, bool *first, const char *ph, const char *name, const char *cat,
                     uint32_t tid, uint64_t ns)
{
    fputs(*first ? "\n" : ",\n", out);
    *first = false;
    fprintf(out, "{\"ph\":\"%s\",\"name\":", ph);
    put_json_string(out, name);
    fprintf(out, ",\"cat\":\"%s\",\"pid\":1,\"tid\":%u", cat, tid);
    put_ts(out, "ts", ns);
}

/* The args every asset event has: key (if known), handle, update. */
static void put_asset_args(FILE *out, const dp_depot *dp, const dp__tevent *e)
{
    const char *key = dp__trace_key(dp, e->h);
    fputs(",\"args\":{\"key\":", out);
    if (key)
        put_json_string(out, key);
    else
        fputs("null", out);
    fprintf(out, ",\"handle\":\"0x%016" PRIx64 "\",\"update\":%u", e->h.bits, e->update);
}

/* An edge's child (handle and key) or a render event's frame. */
static void put_wide(FILE *out, const dp_depot *dp, const dp__tevent *e)
{
    if (e->kind >= DP__T_RENDER_CREATE) {
        fprintf(out, ",\"frame\":%" PRIu64, e->wide);
        return;
    }
    dp_handle child = {e->wide};
    const char *key = dp__trace_key(dp, child);
    fprintf(out, ",\"child\":\"0x%016" PRIx64 "\",\"child_key\":", child.bits);
    if (key)
        put_json_string(out, key);
    else
        fputs("null", out);
}

static void put_instant(FILE *out, bool *first, const dp_depot *dp, const dp__tevent *e)
{
    bool render = e->kind >= DP__T_RENDER_CREATE;
    put_head(out, first, "i", kind_names[e->kind], render ? "render" : "lifetime", e->thread,
             e->t_ns);
    fputs(",\"s\":\"t\"", out);
    put_asset_args(out, dp, e);
    if (e->kind >= DP__T_EDGE_ADD)
        put_wide(out, dp, e);
    if (e->kind <= DP__T_UNHOLD)
        fprintf(out, ",\"count\":%u", e->arg);
    if (e->kind == DP__T_FREE)
        fprintf(out, ",\"why\":\"%s\"", dp__why_name((uint8_t)e->arg));
    if (e->kind == DP__T_RELEASE || e->kind == DP__T_UNHOLD || e->kind == DP__T_HOLD) {
        fputs(",\"site\":", out);
        put_json_string(out, e->file ? e->file : e->kind == DP__T_RELEASE ? "(caller)"
                                                                          : "(internal)");
    } else if (e->kind <= DP__T_ACQUIRE) {
        char site[512];
        snprintf(site, sizeof site, "%s:%d", e->file ? e->file : "(unknown)", e->line);
        fputs(",\"site\":", out);
        put_json_string(out, site);
    }
    fputs("}}", out);
}

/* The open load of each handle: the index of its LOAD_BEGIN in ev, by open addressing. */
typedef struct open_loads {
    uint64_t *h;
    size_t *at;
    size_t cap;
} open_loads;

static size_t *load_slot(open_loads *m, dp_handle h, bool insert)
{
    for (size_t i = (h.bits * 0x9E3779B97F4A7C15u) >> 20 & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (m->h[i] == h.bits)
            return &m->at[i];
        if (m->h[i] == 0) {
            if (!insert)
                return NULL;
            m->h[i] = h.bits;
            return &m->at[i];
        }
    }
}

static void put_load(FILE *out, bool *first, const dp_depot *dp, const dp__tevent *b,
                     const dp__tevent *e)
{
    const char *key = dp__trace_key(dp, e->h);
    char name[64];
    snprintf(name, sizeof name, "#%u", dp_handle_index(e->h));
    put_head(out, first, "X", key ? key : name, "load", b->thread, b->t_ns);
    put_ts(out, "dur", e->t_ns - b->t_ns);
    put_asset_args(out, dp, e);
    fprintf(out, ",\"update_begin\":%u,\"status\":\"%s\"}}", b->update,
            e->kind == DP__T_LOADED ? "loaded" : "failed");
}

/* Writes the events; loads pair through `m`, updates balance through `depth`. */
static void put_events(FILE *out, const dp_depot *dp, const dp__tevent *ev, size_t n,
                       open_loads *m, bool *first)
{
    int depth = 0;
    for (size_t i = 0; i < n; i++) {
        const dp__tevent *e = &ev[i];
        if (e->kind == DP__T_UPDATE_BEGIN || e->kind == DP__T_UPDATE_END) {
            bool begin = e->kind == DP__T_UPDATE_BEGIN;
            if (!begin && depth == 0)
                continue; /* its begin was overwritten */
            depth += begin ? 1 : -1;
            put_head(out, first, begin ? "B" : "E", "dp_update", "update", e->thread, e->t_ns);
            fprintf(out, ",\"args\":{\"update\":%u}}", e->update);
            continue;
        }
        if (e->kind == DP__T_LOAD_BEGIN) {
            *load_slot(m, e->h, true) = i + 1;
            continue;
        }
        if (e->kind == DP__T_LOADED || e->kind == DP__T_FAILED) {
            size_t *at = load_slot(m, e->h, false);
            if (at && *at) {
                put_load(out, first, dp, &ev[*at - 1], e);
                *at = 0;
            }
        }
        put_instant(out, first, dp, e);
    }
    for (; depth > 0; depth--) {
        put_head(out, first, "E", "dp_update", "update", 1, n ? ev[n - 1].t_ns : 0);
        fputs(",\"args\":{}}", out);
    }
}

/* The header: counts, and the clock with its calibration pairs (ticks, CLOCK_MONOTONIC ns),
 * so a reader can check or redo the mapping of ticks to "ts". */
static void put_other_data(FILE *out, const dp_depot *dp, size_t n)
{
    dp__tclock c;
    dp__trace_clock(dp, &c);
    fprintf(out, "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"producer\":\"depot\","
                 "\"recorded\":%zu,\"overwritten\":%" PRIu64 ",\"clock\":\"%s\"",
            n, dp__trace_overwritten(dp), c.source ? c.source : "none");
    if (c.source)
        fprintf(out, ",\"calibration\":[[%" PRIu64 ",%" PRIu64 "],[%" PRIu64 ",%" PRIu64 "]]",
                c.start_ticks, c.start_ns, c.read_ticks, c.read_ns);
    fputs("},\"traceEvents\":[", out);
}

dp_status dp_trace_write(const dp_depot *dp, FILE *out)
{
    if (!dp || !out)
        return DP_ERR_INVALID;
    if (!dp__is_owner(dp))
        return DP_ERR_WRONG_THREAD;
    dp__tevent *ev;
    size_t n;
    if (dp__trace_snapshot(dp, &ev, &n) != DP_OK)
        return DP_ERR_NOMEM;
    const dp_allocator *a = dp__depot_alloc(dp);
    open_loads m = {.cap = 16};
    while (m.cap < 2 * n + 2)
        m.cap <<= 1;
    m.h = dp__calloc(a, m.cap, sizeof *m.h);
    m.at = dp__calloc(a, m.cap, sizeof *m.at);
    dp_status st = DP_ERR_NOMEM;
    if (m.h && m.at) {
        put_other_data(out, dp, n);
        bool first = true;
        put_head(out, &first, "M", "thread_name", "meta", 1, 0);
        fputs(",\"args\":{\"name\":\"owner\"}}", out);
        put_events(out, dp, ev, n, &m, &first);
        fputs("\n]}\n", out);
        st = fflush(out) == 0 && !ferror(out) ? DP_OK : DP_ERR_IO;
    }
    dp__free(a, m.h);
    dp__free(a, m.at);
    dp__free(a, ev);
    return st;
}
