/* pack.c — `depot pack`: builds a pack file (docs/pack-format.md) from a folder, or from
 * the closure of some keys (only what they reach), and lists or verifies a pack. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tool.h"

static void usage(FILE *f)
{
    fputs("usage: depot pack FOLDER OUT.dpk [KEY...] [--level N] [--store]\n"
          "                  [--catalog OUT.catalog [--previous OLD.catalog]]\n"
          "       depot pack --list PACK\n"
          "       depot pack --verify PACK\n"
          "       depot pack --extract PACK DIR\n"
          "\n"
          "Builds a pack from every regular file under FOLDER (keys are the paths relative\n"
          "to it, such as img/a.png), or, with KEYs, from only the files those keys reach:\n"
          "each KEY (a bundle, a sprite, an image) is loaded from FOLDER with everything it\n"
          "depends on, and the files of that closure are packed. Each entry is compressed\n"
          "with zstd when that saves at least 1/32 of it, else stored. The same input gives\n"
          "the same bytes.\n"
          "\n"
          "  --level N   zstd level to try, 1..19 (default 9)\n"
          "  --store     store every entry uncompressed\n"
          "  --catalog   also write the folder's catalog (stable ids; see depot catalog)\n"
          "  --list      print each entry: codec, size, packed size, key\n"
          "  --verify    read every entry and check its checksum\n"
          "  --extract   write every entry to DIR/KEY (folders made as needed)\n"
          "\n"
          "Exit codes: 0 done (verify: every entry good), 1 a key failed to load or an entry\n"
          "is corrupt, 2 usage error, 3 a file could not be read or written.\n",
          f);
}

/* ---- building --------------------------------------------------------------------------- */

typedef struct build {
    dp_pack_writer *w;
    int level;
    size_t files, bytes;
    char err[4200];
} build;

static bool add_file(build *b, const char *path, const char *key)
{
    size_t len;
    char *data = tool_read_file(path, &len);
    if (!data) {
        snprintf(b->err, sizeof b->err, "%.4000s: %s", path, strerror(errno));
        return false;
    }
    dp_status st = dp_pack_writer_add(b->w, key, data, len, b->level);
    free(data);
    if (st != DP_OK) {
        snprintf(b->err, sizeof b->err, "%.4000s: %s", key, dp_status_str(st));
        return false;
    }
    b->files++;
    b->bytes += len;
    return true;
}

/* Adds every regular file under dir/rel (symlinks and other files are skipped). */
static bool add_tree(build *b, const char *dir, const char *rel)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s%s%s", dir, rel[0] ? "/" : "", rel) >= (int)sizeof path) {
        snprintf(b->err, sizeof b->err, "%.4000s: path too long", rel);
        return false;
    }
    DIR *d = opendir(path);
    if (!d) {
        snprintf(b->err, sizeof b->err, "%.4000s: %s", path, strerror(errno));
        return false;
    }
    bool ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char sub[4096], full[4096];
        if (snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name) >= (int)sizeof sub ||
            snprintf(full, sizeof full, "%s/%s", dir, sub) >= (int)sizeof full) {
            snprintf(b->err, sizeof b->err, "%.4000s: path too long", rel);
            ok = false;
            break;
        }
        struct stat st;
        if (lstat(full, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            ok = add_tree(b, dir, sub);
        else if (S_ISREG(st.st_mode))
            ok = add_file(b, full, sub);
    }
    closedir(d);
    return ok;
}

/* Loads the keys from the folder, walks what they reach, and adds each file-source asset
 * of that closure (labels "file#part" add their file). */
static int add_closure(build *b, const char *dir, char **keys, int nkeys)
{
    dp_depot *dp;
    if (dp_create(&(dp_desc){.root = dir}, &dp) != DP_OK) {
        snprintf(b->err, sizeof b->err, "cannot create a depot on %.4000s", dir);
        return TOOL_EXIT_IO;
    }
    tool_hvec roots = {0};
    int rc = TOOL_EXIT_OK;
    for (int i = 0; i < nkeys && rc == TOOL_EXIT_OK; i++) {
        dp_handle h;
        dp_status st = dp_load(dp, keys[i], &h);
        if (st != DP_OK || !tool_hvec_push(&roots, h)) {
            snprintf(b->err, sizeof b->err, "%.4000s: %s", keys[i], dp_status_str(st));
            rc = TOOL_EXIT_FOUND;
        } else if (dp_wait(dp, h, 60000) != DP_OK) {
            tool_failure_line(dp, h, b->err, sizeof b->err);
            rc = TOOL_EXIT_FOUND;
        }
    }
    tool_graph g = {0};
    if (rc == TOOL_EXIT_OK && tg_build(&g, dp, roots.v, roots.n) != DP_OK) {
        snprintf(b->err, sizeof b->err, "out of memory");
        rc = TOOL_EXIT_IO;
    }
    for (size_t i = 0; rc == TOOL_EXIT_OK && i < g.n; i++) {
        const char *key = g.nodes[i].key;
        if (strstr(key, "://") || key[0] == '#' || strchr(key, '#'))
            continue; /* other sources; labels are inside their file */
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, key) >= (int)sizeof path)
            snprintf(path, sizeof path, "(path too long)");
        if (!add_file(b, path, key))
            rc = TOOL_EXIT_IO;
    }
    tg_free(&g);
    for (size_t i = 0; i < roots.n; i++)
        dp_release(dp, roots.v[i]);
    tool_hvec_free(&roots);
    dp_destroy(dp);
    return rc;
}

bool tool_pack_folder(const char *dir, const char *out, int level, size_t *files, char *err,
                      size_t errcap)
{
    build b = {.level = level};
    *files = 0;
    if (dp_pack_writer_new(NULL, &b.w) != DP_OK) {
        snprintf(err, errcap, "this depot was built without pack support");
        return false;
    }
    bool ok = add_tree(&b, dir, "");
    dp_status st = DP_OK;
    if (ok && (st = dp_pack_writer_save(b.w, out)) != DP_OK) {
        snprintf(b.err, sizeof b.err, "%.4000s: %s", out, dp_status_str(st));
        ok = false;
    }
    dp_pack_writer_free(b.w);
    if (!ok)
        snprintf(err, errcap, "%s", b.err);
    *files = b.files;
    return ok;
}

static int cmd_build(const char *dir, const char *out, char **keys, int nkeys, int level)
{
    if (!tool_is_dir(dir)) {
        fprintf(stderr, "depot pack: %s is not a folder\n", dir);
        return TOOL_EXIT_IO;
    }
    build b = {.level = level};
    if (dp_pack_writer_new(NULL, &b.w) != DP_OK) {
        fprintf(stderr, "depot pack: this depot was built without pack support\n");
        return TOOL_EXIT_IO;
    }
    int rc = nkeys ? add_closure(&b, dir, keys, nkeys)
                   : add_tree(&b, dir, "") ? TOOL_EXIT_OK : TOOL_EXIT_IO;
    dp_status st = DP_OK;
    if (rc == TOOL_EXIT_OK && (st = dp_pack_writer_save(b.w, out)) != DP_OK) {
        snprintf(b.err, sizeof b.err, "%.4000s: %s", out, dp_status_str(st));
        rc = TOOL_EXIT_IO;
    }
    dp_pack_writer_free(b.w);
    if (rc != TOOL_EXIT_OK) {
        fprintf(stderr, "depot pack: %s\n", b.err);
        return rc;
    }
    struct stat s;
    char b1[32], b2[32];
    size_t packed = stat(out, &s) == 0 ? (size_t)s.st_size : 0;
    printf("depot pack: %s: %zu files, %s loose, %s packed\n", out, b.files,
           tool_bytes(b.bytes, b1), tool_bytes(packed, b2));
    return TOOL_EXIT_OK;
}

/* ---- list, verify, extract ---------------------------------------------------------------- */

/* Writes bytes to dir/key, making the folders on the way. */
static bool write_entry(const char *dir, const char *key, const void *bytes, size_t len)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, key) >= (int)sizeof path)
        return false;
    for (char *s = path + strlen(dir) + 1; (s = strchr(s, '/')) != NULL; s++) {
        *s = 0;
        bool ok = mkdir(path, 0777) == 0 || errno == EEXIST;
        *s = '/';
        if (!ok)
            return false;
    }
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(bytes, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = false;
    return ok;
}

static int cmd_extract(const char *path, const char *dir)
{
    dp_pack *p;
    dp_status st = dp_pack_open(path, NULL, &p);
    if (st != DP_OK) {
        fprintf(stderr, "depot pack: %s: %s\n", path, dp_status_str(st));
        return st == DP_ERR_FORMAT ? TOOL_EXIT_FOUND : TOOL_EXIT_IO;
    }
    int rc = TOOL_EXIT_OK;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "depot pack: %s: %s\n", dir, strerror(errno));
        rc = TOOL_EXIT_IO;
    }
    for (size_t i = 0; i < dp_pack_count(p) && rc == TOOL_EXIT_OK; i++) {
        dp_pack_entry e;
        void *bytes;
        size_t len;
        dp_pack_entry_at(p, i, &e);
        st = dp_pack_read(p, i, &bytes, &len);
        if (st != DP_OK) {
            fprintf(stderr, "depot pack: %s: %s\n", e.key, dp_status_str(st));
            rc = TOOL_EXIT_FOUND;
        } else if (!write_entry(dir, e.key, bytes, len)) {
            fprintf(stderr, "depot pack: %s/%s: %s\n", dir, e.key, strerror(errno));
            rc = TOOL_EXIT_IO;
        }
        dp_pack_free(p, bytes);
    }
    dp_pack_close(p);
    return rc;
}


/* --list prints in byte order of the keys (a folder's files together). */
static void print_entry(void *user, const char *key)
{
    const dp_pack *p = user;
    size_t i;
    dp_pack_entry e;
    if (dp_pack_find(p, key, &i) != DP_OK || dp_pack_entry_at(p, i, &e) != DP_OK)
        return;
    printf("%-6s %10llu %10llu  %s\n", e.codec == DP_PACK_ZSTD ? "zstd" : "stored",
           (unsigned long long)e.size, (unsigned long long)e.packed_size, e.key);
}

static int cmd_check(const char *path, bool verify)
{
    dp_pack *p;
    dp_status st = dp_pack_open(path, NULL, &p);
    if (st != DP_OK) {
        fprintf(stderr, "depot pack: %s: %s\n", path, dp_status_str(st));
        return st == DP_ERR_FORMAT ? TOOL_EXIT_FOUND : TOOL_EXIT_IO;
    }
    size_t bad = 0, size = 0, packed = 0, n = dp_pack_count(p);
    for (size_t i = 0; i < n; i++) {
        dp_pack_entry e;
        dp_pack_entry_at(p, i, &e);
        size += (size_t)e.size;
        packed += (size_t)e.packed_size;
        if (!verify)
            continue;
        void *bytes;
        size_t len;
        st = dp_pack_read(p, i, &bytes, &len);
        dp_pack_free(p, bytes);
        if (st != DP_OK) {
            printf("BAD    %s: %s\n", e.key, dp_status_str(st));
            bad++;
        }
    }
    if (!verify && dp_pack_list(p, "", print_entry, p) != DP_OK)
        bad++;
    char b1[32], b2[32];
    printf("depot pack: %s: %zu entries, %s unpacked, %s packed%s", path, n,
           tool_bytes(size, b1), tool_bytes(packed, b2), verify ? "" : "\n");
    if (verify)
        printf(", %zu bad\n", bad);
    dp_pack_close(p);
    return bad ? TOOL_EXIT_FOUND : TOOL_EXIT_OK;
}

int tool_pack(int argc, char **argv)
{
    int level = 9;
    const char *list = NULL, *verify = NULL, *catalog = NULL, *previous = NULL;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        unsigned long v;
        if (tool_is_help(argv[i])) {
            usage(stdout);
            free(pos);
            return TOOL_EXIT_OK;
        } else if (!strcmp(argv[i], "--level") && i + 1 < argc &&
                   tool_parse_count(argv[i + 1], &v) && v >= 1 && v <= 19) {
            level = (int)v;
            i++;
        } else if (!strcmp(argv[i], "--catalog") && i + 1 < argc) {
            catalog = argv[++i];
        } else if (!strcmp(argv[i], "--previous") && i + 1 < argc) {
            previous = argv[++i];
        } else if (!strcmp(argv[i], "--store")) {
            level = 0;
        } else if (!strcmp(argv[i], "--list") && i + 1 < argc) {
            list = argv[++i];
        } else if (!strcmp(argv[i], "--verify") && i + 1 < argc) {
            verify = argv[++i];
        } else if (!strcmp(argv[i], "--extract") && i + 2 < argc && !list && !verify) {
            int rc = cmd_extract(argv[i + 1], argv[i + 2]);
            free(pos);
            return rc;
        } else if (argv[i][0] == '-') {
            npos = -1;
            break;
        } else {
            pos[npos++] = argv[i];
        }
    }
    int rc;
    if (npos == 0 && (list || verify) && !(list && verify))
        rc = cmd_check(list ? list : verify, verify != NULL);
    else if (npos >= 2 && !list && !verify) {
        rc = cmd_build(pos[0], pos[1], pos + 2, npos - 2, level);
        char err[4200];
        if (rc == TOOL_EXIT_OK && catalog &&
            !tool_catalog_write(pos[0], catalog, previous, err, sizeof err)) {
            fprintf(stderr, "depot pack: %s\n", err);
            rc = TOOL_EXIT_IO;
        }
    } else {
        usage(stderr);
        rc = TOOL_EXIT_USAGE;
    }
    free(pos);
    return rc;
}
