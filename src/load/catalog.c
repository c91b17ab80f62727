/* catalog.c — see catalog.h; dp_catalog_load. The format (docs/loading.md, "Stable ids and
 * redirects") is text, one record a line, fields separated by tabs:
 *
 *   depot-catalog 1
 *   id <TAB> 0x<16 hex id> <TAB> 0x<16 hex content hash> <TAB> key
 *   redirect <TAB> old key <TAB> new key
 *
 * A loaded catalog never changes: dp_catalog_load publishes a new one and keeps the old one
 * until dp_destroy, so a thread that resolved a key with it may still read its strings. */
#include <stdlib.h>
#include <string.h>

#include "load/catalog.h"
#include "os/fs.h"
#include "os/path.h"

#define MAX_HOPS 16

typedef struct cat_id {
    uint64_t id;
    const char *key;
} cat_id;

typedef struct cat_redirect {
    const char *from, *to;
} cat_redirect;

struct dp__catalog {
    struct dp__catalog *older; /* the catalog this one replaced */
    char *text;                /* the file; the strings below point into it */
    cat_id *ids;               /* sorted by id */
    size_t nids;
    cat_redirect *redirects;   /* sorted by `from` */
    size_t nredirects;
};

static void catalog_free(const dp_allocator *a, struct dp__catalog *c)
{
    while (c) {
        struct dp__catalog *older = c->older;
        dp__free(a, c->text);
        dp__free(a, c->ids);
        dp__free(a, c->redirects);
        dp__free(a, c);
        c = older;
    }
}

void dp__catalog_free(dp__loader *L)
{
    catalog_free(L->alloc, atomic_load_explicit(&L->catalog, memory_order_relaxed));
    atomic_store_explicit(&L->catalog, NULL, memory_order_relaxed);
}

/* ---- parsing --------------------------------------------------------------------------- */

static bool parse_hex(const char *s, uint64_t *out)
{
    if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2])
        return false;
    uint64_t v = 0;
    size_t n = 0;
    for (s += 2; *s; s++, n++) {
        int d = *s >= '0' && *s <= '9' ? *s - '0'
              : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
              : *s >= 'A' && *s <= 'F' ? *s - 'A' + 10 : -1;
        if (d < 0 || n == 16)
            return false;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return true;
}

/* Splits a line at tabs in place: up to `max` fields; returns how many. */
static size_t split(char *line, char **f, size_t max)
{
    size_t n = 0;
    f[n++] = line;
    for (char *p = line; *p && n <= max; p++)
        if (*p == '\t') {
            *p = 0;
            if (n == max)
                return max + 1; /* too many fields */
            f[n++] = p + 1;
        }
    return n;
}

static int by_id(const void *a, const void *b)
{
    uint64_t x = ((const cat_id *)a)->id, y = ((const cat_id *)b)->id;
    return x < y ? -1 : x > y;
}

static int by_from(const void *a, const void *b)
{
    return strcmp(((const cat_redirect *)a)->from, ((const cat_redirect *)b)->from);
}

/* Fills c from c->text (len bytes). DP_OK, DP_ERR_FORMAT, DP_ERR_NOMEM. */
static dp_status parse(const dp_allocator *a, struct dp__catalog *c, size_t len)
{
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += c->text[i] == '\n';
    c->ids = dp__calloc(a, lines, sizeof *c->ids);
    c->redirects = dp__calloc(a, lines, sizeof *c->redirects);
    if (!c->ids || !c->redirects)
        return DP_ERR_NOMEM;
    if (memchr(c->text, 0, len))
        return DP_ERR_FORMAT;
    char *line = c->text, *next;
    bool header = false;
    for (; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        char *f[4];
        size_t n = split(line, f, 4);
        uint64_t id, hash;
        if (!header) {
            if (strcmp(line, "depot-catalog 1") != 0)
                return DP_ERR_FORMAT;
            header = true;
        } else if (n == 4 && !strcmp(f[0], "id") && parse_hex(f[1], &id) &&
                   parse_hex(f[2], &hash) && dp__path_check(f[3]) == DP_OK) {
            c->ids[c->nids++] = (cat_id){.id = id, .key = f[3]};
        } else if (n == 3 && !strcmp(f[0], "redirect") && dp__path_check(f[1]) == DP_OK &&
                   dp__path_check(f[2]) == DP_OK) {
            c->redirects[c->nredirects++] = (cat_redirect){.from = f[1], .to = f[2]};
        } else if (line[0] != 0) {
            return DP_ERR_FORMAT;
        }
    }
    if (!header)
        return DP_ERR_FORMAT;
    qsort(c->ids, c->nids, sizeof *c->ids, by_id);
    qsort(c->redirects, c->nredirects, sizeof *c->redirects, by_from);
    for (size_t i = 1; i < c->nids; i++)
        if (c->ids[i].id == c->ids[i - 1].id)
            return DP_ERR_FORMAT; /* an id names one asset */
    for (size_t i = 1; i < c->nredirects; i++)
        if (!strcmp(c->redirects[i].from, c->redirects[i - 1].from))
            return DP_ERR_FORMAT;
    return DP_OK;
}

dp_status dp_catalog_load(dp_depot *dp, const char *path)
{
    if (!dp || !path)
        return DP_ERR_INVALID;
    dp__loader *L;
    dp_status st = dp__loader_owner(dp, &L);
    if (st != DP_OK)
        return st;
    struct dp__catalog *c = dp__calloc(L->alloc, 1, sizeof *c);
    if (!c)
        return DP_ERR_NOMEM;
    void *bytes;
    size_t len;
    st = dp__file_read(L->alloc, path, 0, NULL, NULL, &bytes, &len);
    if (st == DP_OK) {
        c->text = bytes;
        st = parse(L->alloc, c, len);
    }
    if (st != DP_OK) {
        catalog_free(L->alloc, c);
        return st;
    }
    /* Only the owner replaces the catalog; the old one stays reachable from the new one
     * (freed at dp_destroy), so a reader that loaded it just before may keep using it.
     * Release: the parsed catalog is complete before another thread can see it. */
    c->older = atomic_load_explicit(&L->catalog, memory_order_relaxed);
    atomic_store_explicit(&L->catalog, c, memory_order_release);
    return DP_OK;
}

/* ---- resolving --------------------------------------------------------------------------- */

static const char *find_id(const struct dp__catalog *c, uint64_t id)
{
    cat_id probe = {.id = id};
    const cat_id *e = c ? bsearch(&probe, c->ids, c->nids, sizeof *c->ids, by_id) : NULL;
    return e ? e->key : NULL;
}

static const char *find_redirect(const struct dp__catalog *c, const char *from)
{
    cat_redirect probe = {.from = from};
    const cat_redirect *e = NULL;
    if (c && c->nredirects)
        e = bsearch(&probe, c->redirects, c->nredirects, sizeof *c->redirects, by_from);
    return e ? e->to : NULL;
}

/* path + "#label" (label may be NULL), allocated. */
static char *with_label(const dp_allocator *a, const char *path, const char *label)
{
    size_t pl = strlen(path), ll = label ? strlen(label) : 0;
    char *s = dp__alloc(a, pl + ll + 1);
    if (s) {
        memcpy(s, path, pl);
        if (ll)
            memcpy(s + pl, label, ll);
        s[pl + ll] = 0;
    }
    return s;
}

dp_status dp__catalog_resolve(dp__loader *L, const char *key, char **out)
{
    *out = NULL;
    /* Acquire: pairs with the release in dp_catalog_load. */
    const struct dp__catalog *c = atomic_load_explicit(&L->catalog, memory_order_acquire);
    if (strncmp(key, "id:", 3) == 0) {
        uint64_t id;
        if (!parse_hex(key + 3, &id))
            return DP_ERR_INVALID;
        const char *k = find_id(c, id);
        if (!k)
            return DP_ERR_NOT_FOUND;
        *out = dp__strdup(L->alloc, k);
        return *out ? DP_OK : DP_ERR_NOMEM;
    }
    if (!c || !c->nredirects || strstr(key, "://"))
        return DP_OK;
    /* The path part is redirected; a label after '#' stays. */
    const char *hash = strchr(key, '#');
    size_t plen = hash ? (size_t)(hash - key) : strlen(key);
    char path[4097];
    if (plen >= sizeof path)
        return DP_OK; /* too long to be a key: dp__key_parse says so */
    memcpy(path, key, plen);
    path[plen] = 0;
    const char *to = find_redirect(c, path), *last = NULL;
    for (int hops = 0; to; hops++) {
        if (hops == MAX_HOPS)
            return DP_ERR_INVALID; /* a loop (or a chain nobody should write) */
        last = to;
        to = find_redirect(c, to);
    }
    if (!last)
        return DP_OK;
    *out = with_label(L->alloc, last, hash);
    return *out ? DP_OK : DP_ERR_NOMEM;
}
