/* catalog.c — `depot catalog`: writes the catalog of a folder (stable ids and redirects,
 * docs/loading.md "Stable ids and redirects"). With --previous, ids survive renames: a file
 * whose key is new but whose content hash matches a file of the previous catalog that is
 * gone keeps that file's id, and the old key redirects to the new one. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "depot/config.h"
#include "tool.h"

#if DP_HAVE_PACK
#include <xxhash.h>

typedef struct item {
    char *key;
    uint64_t id, hash;
    bool claimed; /* previous entries: its id went to a file */
} item;

typedef struct list {
    item *v;
    size_t n, cap;
} list;

typedef struct redirect {
    char *from, *to;
} redirect;

static bool push(list *l, const char *key, uint64_t id, uint64_t hash)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        item *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return false;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n] = (item){.key = tool_strdup(key), .id = id, .hash = hash};
    return l->v[l->n++].key != NULL;
}

static void list_free(list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].key);
    free(l->v);
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const item *)a)->key, ((const item *)b)->key);
}

static item *find_key(list *l, const char *key)
{
    item probe = {.key = (char *)key};
    return l->n ? bsearch(&probe, l->v, l->n, sizeof *l->v, by_key) : NULL;
}

/* Every regular file under dir/rel with its content hash. */
static bool walk(list *l, const char *dir, const char *rel, char *err, size_t errcap)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s%s%s", dir, rel[0] ? "/" : "", rel) >= (int)sizeof path)
        return false;
    DIR *d = opendir(path);
    if (!d) {
        snprintf(err, errcap, "%.4000s: %s", path, strerror(errno));
        return false;
    }
    bool ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d)) != NULL) {
        char sub[4096], full[4096];
        struct stat st;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
            snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name) >= (int)sizeof sub ||
            snprintf(full, sizeof full, "%s/%s", dir, sub) >= (int)sizeof full || lstat(full, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            ok = walk(l, dir, sub, err, errcap);
        } else if (S_ISREG(st.st_mode)) {
            size_t len;
            char *data = tool_read_file(full, &len);
            ok = data && push(l, sub, 0, XXH3_64bits(data, len));
            if (!ok)
                snprintf(err, errcap, "%.4000s: %s", full, strerror(errno));
            free(data);
        }
    }
    closedir(d);
    return ok;
}

/* The previous catalog's ids and redirects (a missing file is an error). */
static bool read_previous(const char *path, list *ids, redirect **rd, size_t *nrd, char *err,
                          size_t errcap)
{
    size_t len;
    char *text = tool_read_file(path, &len);
    if (!text || strncmp(text, "depot-catalog 1\n", 16) != 0) {
        snprintf(err, errcap, "%.4000s: %s", path, text ? "not a catalog" : strerror(errno));
        free(text);
        return false;
    }
    *rd = calloc(len + 1, sizeof **rd);
    bool ok = *rd != NULL;
    for (char *line = strtok(text + 16, "\n"); ok && line; line = strtok(NULL, "\n")) {
        char *f[4] = {0};
        size_t n = 0;
        for (char *p = line; n < 4 && p; n++) {
            f[n] = p;
            p = strchr(p, '\t');
            if (p)
                *p++ = 0;
        }
        if (n == 4 && !strcmp(f[0], "id"))
            ok = push(ids, f[3], strtoull(f[1], NULL, 16), strtoull(f[2], NULL, 16));
        else if (n == 3 && !strcmp(f[0], "redirect"))
            (*rd)[(*nrd)++] = (redirect){tool_strdup(f[1]), tool_strdup(f[2])};
    }
    free(text);
    return ok;
}

static bool id_used(const list *l, uint64_t id)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].id == id)
            return true;
    return false;
}

static int by_from(const void *a, const void *b)
{
    return strcmp(((const redirect *)a)->from, ((const redirect *)b)->from);
}

/* Gives every current file its id (kept, inherited through a rename, or new) and collects
 * the redirects. */
static bool assign(list *cur, list *prev, redirect **rd, size_t *nrd, size_t cap)
{
    for (size_t i = 0; i < cur->n; i++) {
        item *p = find_key(prev, cur->v[i].key);
        if (p) {
            cur->v[i].id = p->id;
            p->claimed = true;
        }
    }
    for (size_t i = 0; i < cur->n; i++) {
        if (cur->v[i].id)
            continue;
        for (size_t k = 0; k < prev->n && !cur->v[i].id; k++) {
            item *p = &prev->v[k];
            if (!p->claimed && p->hash == cur->v[i].hash && !find_key(cur, p->key)) {
                cur->v[i].id = p->id;
                p->claimed = true;
                /* Earlier redirects to the old key now lead to the new one. */
                for (size_t r = 0; r < *nrd; r++)
                    if (!strcmp((*rd)[r].to, p->key)) {
                        free((*rd)[r].to);
                        (*rd)[r].to = tool_strdup(cur->v[i].key);
                    }
                if (*nrd == cap)
                    return false;
                (*rd)[(*nrd)++] = (redirect){tool_strdup(p->key), tool_strdup(cur->v[i].key)};
            }
        }
    }
    for (size_t i = 0; i < cur->n; i++) {
        if (cur->v[i].id)
            continue;
        uint64_t id = XXH3_64bits(cur->v[i].key, strlen(cur->v[i].key));
        while (id == 0 || id_used(cur, id) || id_used(prev, id))
            id++;
        cur->v[i].id = id;
    }
    return true;
}

bool tool_catalog_write(const char *dir, const char *out, const char *previous, char *err,
                        size_t errcap)
{
    list cur = {0}, prev = {0};
    redirect *rd = NULL;
    size_t nrd = 0;
    bool ok = walk(&cur, dir, "", err, errcap) &&
              (!previous || read_previous(previous, &prev, &rd, &nrd, err, errcap));
    size_t cap = (previous ? nrd : 0) + cur.n + prev.n + 1;
    if (ok) {
        redirect *grown = realloc(rd, cap * sizeof *rd);
        ok = grown != NULL;
        rd = grown ? grown : rd;
    }
    if (cur.n)
        qsort(cur.v, cur.n, sizeof *cur.v, by_key);
    if (prev.n)
        qsort(prev.v, prev.n, sizeof *prev.v, by_key);
    if (ok && !assign(&cur, &prev, &rd, &nrd, cap)) {
        snprintf(err, errcap, "out of memory");
        ok = false;
    }
    FILE *f = ok ? fopen(out, "wb") : NULL;
    if (ok && !f)
        snprintf(err, errcap, "%.4000s: %s", out, strerror(errno));
    if (f) {
        fputs("depot-catalog 1\n", f);
        for (size_t i = 0; i < cur.n; i++)
            fprintf(f, "id\t0x%016llx\t0x%016llx\t%s\n", (unsigned long long)cur.v[i].id,
                    (unsigned long long)cur.v[i].hash, cur.v[i].key);
        if (nrd)
            qsort(rd, nrd, sizeof *rd, by_from);
        /* A redirect is kept while its target exists and its source does not. */
        for (size_t r = 0; r < nrd; r++)
            if (rd[r].from && rd[r].to && find_key(&cur, rd[r].to) && !find_key(&cur, rd[r].from) &&
                (r == 0 || strcmp(rd[r].from, rd[r - 1].from) != 0))
                fprintf(f, "redirect\t%s\t%s\n", rd[r].from, rd[r].to);
        if (fclose(f) != 0) {
            snprintf(err, errcap, "%.4000s: %s", out, strerror(errno));
            ok = false;
        }
    }
    for (size_t r = 0; r < nrd; r++) {
        free(rd[r].from);
        free(rd[r].to);
    }
    free(rd);
    list_free(&cur);
    list_free(&prev);
    return ok;
}
#else
bool tool_catalog_write(const char *dir, const char *out, const char *previous, char *err,
                        size_t errcap)
{
    (void)dir;
    (void)out;
    (void)previous;
    snprintf(err, errcap, "this depot was built without libxxhash");
    return false;
}
#endif

int tool_catalog(int argc, char **argv)
{
    const char *pos[2] = {0}, *previous = NULL;
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (tool_is_help(argv[i])) {
            puts("usage: depot catalog FOLDER OUT.catalog [--previous OLD.catalog]\n"
                 "\n"
                 "Writes the catalog of every file under FOLDER: a stable 64-bit id per key\n"
                 "(dp_load(dp, \"id:0x...\")), and, with --previous, the ids of renamed files\n"
                 "kept (matched by content hash) and redirects from their old keys.\n"
                 "Exit codes: 0 written, 2 usage error, 3 a file could not be read or written.");
            return TOOL_EXIT_OK;
        } else if (!strcmp(argv[i], "--previous") && i + 1 < argc) {
            previous = argv[++i];
        } else if (argv[i][0] != '-' && npos < 2) {
            pos[npos++] = argv[i];
        } else {
            fprintf(stderr, "depot catalog: bad argument '%s' (see depot catalog --help)\n", argv[i]);
            return TOOL_EXIT_USAGE;
        }
    }
    if (npos != 2) {
        fprintf(stderr, "usage: depot catalog FOLDER OUT.catalog [--previous OLD.catalog]\n");
        return TOOL_EXIT_USAGE;
    }
    char err[4200];
    if (!tool_catalog_write(pos[0], pos[1], previous, err, sizeof err)) {
        fprintf(stderr, "depot catalog: %s\n", err);
        return TOOL_EXIT_IO;
    }
    printf("depot catalog: %s written\n", pos[1]);
    return TOOL_EXIT_OK;
}
