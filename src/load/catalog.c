/* catalog.c — see catalog.h; dp_catalog_load. The format (docs/loading.md, "Stable ids and
 * redirects") is text, one record a line, fields separated by tabs:
 *
 *   depot-catalog 1
 *   id <TAB> 0x<16 hex id> <TAB> 0x<16 hex content hash> <TAB> key
 *   redirect <TAB> old key <TAB> new key
 *
 * A key is a key as dp_load takes it: a path (a mounted or root file) or "scheme://path".
 * A remote catalog (dp_http_cache_desc.catalog) has relative paths only: they name the URLs
 * under its own folder (its prefix, "http://host/content/"), which its ids give and its
 * redirects and content hashes apply to.
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
    uint64_t hash; /* XXH3-64 of the content */
    const char *key;
} cat_id;

typedef struct cat_redirect {
    const char *from, *to;
} cat_redirect;

struct dp__catalog {
    struct dp__catalog *older; /* the catalog this one replaced */
    char *text;                /* the file; the strings below point into it */
    char *prefix;              /* a remote catalog's folder URL ("http://h/c/"), or NULL */
    cat_id *ids;               /* sorted by id */
    cat_id *by_key;            /* the same, sorted by key */
    size_t nids;
    cat_redirect *redirects;   /* sorted by `from` */
    size_t nredirects;
};

static void catalog_free(const dp_allocator *a, struct dp__catalog *c)
{
    while (c) {
        struct dp__catalog *older = c->older;
        dp__free(a, c->text);
        dp__free(a, c->prefix);
        dp__free(a, c->ids);
        dp__free(a, c->by_key);
        dp__free(a, c->redirects);
        dp__free(a, c);
        c = older;
    }
}

void dp__catalog_free(dp__loader *L)
{
    /* Relaxed, here and in the store below: dp_destroy, after the workers were joined. */
    catalog_free(L->alloc, atomic_load_explicit(&L->catalog, memory_order_relaxed));
    atomic_store_explicit(&L->catalog, NULL, memory_order_relaxed);
    catalog_free(L->alloc, atomic_load_explicit(&L->remote_catalog, memory_order_relaxed));
    atomic_store_explicit(&L->remote_catalog, NULL, memory_order_relaxed);
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

static int by_key(const void *a, const void *b)
{
    return strcmp(((const cat_id *)a)->key, ((const cat_id *)b)->key);
}

/* A key a catalog may name: a path that stays in its root, or (not in a remote catalog,
 * whose keys are relative to its URL) "scheme://path" with a plain scheme and a path. */
static bool key_ok(const char *k, bool remote)
{
    const char *sep = strstr(k, "://");
    if (!sep || remote)
        return dp__path_check(k) == DP_OK;
    if (sep == k || !sep[3] || strchr(k, '#'))
        return false;
    for (const char *p = k; p < sep; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.'))
            return false;
    return true;
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
    bool remote = c->prefix != NULL;
    c->ids = dp__calloc(a, lines, sizeof *c->ids);
    c->by_key = dp__calloc(a, lines, sizeof *c->by_key);
    c->redirects = dp__calloc(a, lines, sizeof *c->redirects);
    if (!c->ids || !c->by_key || !c->redirects)
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
                   parse_hex(f[2], &hash) && key_ok(f[3], remote)) {
            c->ids[c->nids++] = (cat_id){.id = id, .hash = hash, .key = f[3]};
        } else if (n == 3 && !strcmp(f[0], "redirect") && key_ok(f[1], remote) &&
                   key_ok(f[2], remote)) {
            c->redirects[c->nredirects++] = (cat_redirect){.from = f[1], .to = f[2]};
        } else if (line[0] != 0) {
            return DP_ERR_FORMAT;
        }
    }
    if (!header)
        return DP_ERR_FORMAT;
    qsort(c->ids, c->nids, sizeof *c->ids, by_id);
    if (c->nids)
        memcpy(c->by_key, c->ids, c->nids * sizeof *c->ids);
    qsort(c->by_key, c->nids, sizeof *c->by_key, by_key);
    qsort(c->redirects, c->nredirects, sizeof *c->redirects, by_from);
    for (size_t i = 1; i < c->nids; i++)
        if (c->ids[i].id == c->ids[i - 1].id || !strcmp(c->by_key[i].key, c->by_key[i - 1].key))
            return DP_ERR_FORMAT; /* an id names one asset, an asset has one id */
    for (size_t i = 1; i < c->nredirects; i++)
        if (!strcmp(c->redirects[i].from, c->redirects[i - 1].from))
            return DP_ERR_FORMAT;
    return DP_OK;
}

/* A catalog over `text` (len bytes, NUL-terminated, from `a`; taken in every case) with
 * `prefix` (copied; NULL for a local catalog). */
static dp_status catalog_new(const dp_allocator *a, void *text, size_t len, const char *prefix,
                             struct dp__catalog **out)
{
    struct dp__catalog *c = dp__calloc(a, 1, sizeof *c);
    if (!c) {
        dp__free(a, text);
        return DP_ERR_NOMEM;
    }
    c->text = text;
    dp_status st = DP_OK;
    if (prefix && !(c->prefix = dp__strdup(a, prefix)))
        st = DP_ERR_NOMEM;
    if (st == DP_OK)
        st = parse(a, c, len);
    if (st != DP_OK) {
        catalog_free(a, c);
        return st;
    }
    *out = c;
    return DP_OK;
}

/* Publishes c in *slot (owner only); the one it replaces stays reachable from it (freed at
 * dp_destroy), so a reader that loaded it just before may keep using it. */
static void publish(_Atomic(struct dp__catalog *) *slot, struct dp__catalog *c)
{
    /* Relaxed: only the owner stores the slot, and this is the owner. */
    c->older = atomic_load_explicit(slot, memory_order_relaxed);
    /* Release: the parsed catalog is complete before another thread can see it. */
    atomic_store_explicit(slot, c, memory_order_release);
}

dp_status dp_catalog_load(dp_depot *dp, const char *path)
{
    if (!dp || !path)
        return DP_ERR_INVALID;
    dp__loader *L;
    dp_status st = dp__loader_owner(dp, &L);
    if (st != DP_OK)
        return st;
    void *bytes;
    size_t len;
    struct dp__catalog *c;
    st = dp__file_read(L->alloc, path, 0, NULL, NULL, &bytes, &len);
    if (st == DP_OK)
        st = catalog_new(L->alloc, bytes, len, NULL, &c);
    if (st == DP_OK)
        publish(&L->catalog, c);
    return st;
}

dp_status dp__catalog_set_remote(dp__loader *L, const char *url, void *text, size_t len)
{
    const char *sep = strstr(url, "://");
    const char *slash = sep ? strrchr(sep + 3, '/') : NULL;
    if (!slash) {
        dp__free(L->alloc, text);
        return DP_ERR_INVALID;
    }
    size_t pl = (size_t)(slash + 1 - url);
    char prefix[4097];
    if (pl >= sizeof prefix) {
        dp__free(L->alloc, text);
        return DP_ERR_INVALID;
    }
    memcpy(prefix, url, pl);
    prefix[pl] = 0;
    struct dp__catalog *c;
    dp_status st = catalog_new(L->alloc, text, len, prefix, &c);
    if (st == DP_OK)
        publish(&L->remote_catalog, c);
    return st;
}

/* ---- resolving --------------------------------------------------------------------------- */

static const cat_id *find_id(const struct dp__catalog *c, uint64_t id)
{
    cat_id probe = {.id = id};
    return c && c->nids ? bsearch(&probe, c->ids, c->nids, sizeof *c->ids, by_id) : NULL;
}

static const cat_id *find_key(const struct dp__catalog *c, const char *key)
{
    cat_id probe = {.key = key};
    return c && c->nids ? bsearch(&probe, c->by_key, c->nids, sizeof *c->by_key, by_key) : NULL;
}

static const char *find_redirect(const struct dp__catalog *c, const char *from)
{
    cat_redirect probe = {.from = from};
    const cat_redirect *e = NULL;
    if (c && c->nredirects)
        e = bsearch(&probe, c->redirects, c->nredirects, sizeof *c->redirects, by_from);
    return e ? e->to : NULL;
}

/* prefix (may be NULL) + path + label (may be NULL: "#x" included), allocated. */
static char *joined(const dp_allocator *a, const char *prefix, const char *path,
                    const char *label)
{
    size_t xl = prefix ? strlen(prefix) : 0, pl = strlen(path), ll = label ? strlen(label) : 0;
    char *s = dp__alloc(a, xl + pl + ll + 1);
    if (s) {
        memcpy(s, prefix ? prefix : "", xl);
        memcpy(s + xl, path, pl);
        memcpy(s + xl + pl, label ? label : "", ll);
        s[xl + pl + ll] = 0;
    }
    return s;
}

/* The catalog whose keys `key` is under: the remote one for a URL below its prefix (*rel
 * the rest), else the local one (*rel = key, "file://" dropped). */
static const struct dp__catalog *owner_of(const struct dp__catalog *local,
                                          const struct dp__catalog *remote, const char *key,
                                          const char **rel)
{
    size_t pl = remote ? strlen(remote->prefix) : 0;
    if (pl && !strncmp(key, remote->prefix, pl)) {
        *rel = key + pl;
        return remote;
    }
    *rel = strncmp(key, "file://", 7) == 0 ? key + 7 : key;
    return local;
}

bool dp__catalog_content_hash(dp__loader *L, const char *key, uint64_t *hash)
{
    /* Acquire: pairs with the release in publish. */
    const struct dp__catalog *local = atomic_load_explicit(&L->catalog, memory_order_acquire);
    const struct dp__catalog *remote =
        atomic_load_explicit(&L->remote_catalog, memory_order_acquire);
    const char *rel;
    const struct dp__catalog *c = owner_of(local, remote, key, &rel);
    const cat_id *e = find_key(c, rel);
    if (e)
        *hash = e->hash;
    return e != NULL;
}

static dp_status resolve_id(dp__loader *L, const struct dp__catalog *local,
                            const struct dp__catalog *remote, const char *key, char **out)
{
    uint64_t id;
    if (!parse_hex(key + 3, &id))
        return DP_ERR_INVALID;
    const struct dp__catalog *c = local;
    const cat_id *e = find_id(local, id);
    if (!e && (e = find_id(remote, id)) != NULL)
        c = remote;
    if (!e)
        return DP_ERR_NOT_FOUND;
    *out = joined(L->alloc, c->prefix, e->key, NULL);
    return *out ? DP_OK : DP_ERR_NOMEM;
}

dp_status dp__catalog_resolve(dp__loader *L, const char *key, char **out)
{
    *out = NULL;
    /* Acquire: pairs with the release in publish. */
    const struct dp__catalog *local = atomic_load_explicit(&L->catalog, memory_order_acquire);
    const struct dp__catalog *remote =
        atomic_load_explicit(&L->remote_catalog, memory_order_acquire);
    if (strncmp(key, "id:", 3) == 0)
        return resolve_id(L, local, remote, key, out);
    const char *rel;
    const struct dp__catalog *c = owner_of(local, remote, key, &rel);
    if (!c || !c->nredirects)
        return DP_OK;
    /* The path part is redirected; a label after '#' stays. */
    const char *hash = strchr(rel, '#');
    size_t plen = hash ? (size_t)(hash - rel) : strlen(rel);
    char path[4097];
    if (plen >= sizeof path)
        return DP_OK; /* too long to be a key: dp__key_parse says so */
    memcpy(path, rel, plen);
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
    *out = joined(L->alloc, c->prefix, last, hash);
    return *out ? DP_OK : DP_ERR_NOMEM;
}
