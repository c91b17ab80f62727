/* util.c — small helpers of the depot tool: byte formatting, files and folders, a handle
 * vector and a handle-to-index map. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tool.h"

bool tool_is_help(const char *arg)
{
    return arg && (!strcmp(arg, "-h") || !strcmp(arg, "--help"));
}

const char *tool_bytes(size_t n, char buf[32])
{
    if (n < 1024)
        snprintf(buf, 32, "%zu B", n);
    else if (n < 1024 * 1024)
        snprintf(buf, 32, "%.1f KiB", (double)n / 1024.0);
    else
        snprintf(buf, 32, "%.1f MiB", (double)n / (1024.0 * 1024.0));
    return buf;
}

const char *tool_failure_line(const dp_depot *dp, dp_handle h, char *buf, size_t cap)
{
    dp_failure_info info;
    if (dp_failure(dp, h, &info) != DP_OK || info.status == DP_OK) {
        const char *key = dp_key_of(dp, h);
        snprintf(buf, cap, "%s: %s", key ? key : "(no key)", dp_status_str(dp_failure_of(dp, h)));
    } else {
        dp_failure_text(&info, buf, cap);
    }
    return buf;
}

char *tool_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

bool tool_parse_count(const char *s, unsigned long *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || s[0] == '-')
        return false;
    *out = v;
    return true;
}

bool tool_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool tool_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool tool_exe_dir(char *buf, size_t cap)
{
    char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0)
        return false;
    path[n] = 0;
    char *slash = strrchr(path, '/');
    if (!slash)
        return false;
    *slash = 0;
    if (strlen(path) + 1 > cap)
        return false;
    memcpy(buf, path, strlen(path) + 1);
    return true;
}

bool tool_copy_file(const char *from, const char *to, char *err, size_t errcap)
{
    FILE *in = fopen(from, "rb");
    if (!in) {
        snprintf(err, errcap, "%s: %s", from, strerror(errno));
        return false;
    }
    FILE *out = fopen(to, "wb");
    if (!out) {
        snprintf(err, errcap, "%s: %s", to, strerror(errno));
        fclose(in);
        return false;
    }
    char buf[16384];
    size_t n;
    bool ok = true;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        if (fwrite(buf, 1, n, out) != n) {
            snprintf(err, errcap, "%s: %s", to, strerror(errno));
            ok = false;
            break;
        }
    }
    if (ok && ferror(in)) {
        snprintf(err, errcap, "%s: read error", from);
        ok = false;
    }
    fclose(in);
    if (fclose(out) != 0 && ok) {
        snprintf(err, errcap, "%s: %s", to, strerror(errno));
        ok = false;
    }
    return ok;
}

bool tool_copy_tree(const char *from, const char *to, char *err, size_t errcap)
{
    DIR *d = opendir(from);
    if (!d) {
        snprintf(err, errcap, "%s: %s", from, strerror(errno));
        return false;
    }
    bool ok = true;
    struct dirent *e;
    while (ok && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char src[PATH_MAX], dst[PATH_MAX];
        if (snprintf(src, sizeof src, "%s/%s", from, e->d_name) >= (int)sizeof src ||
            snprintf(dst, sizeof dst, "%s/%s", to, e->d_name) >= (int)sizeof dst) {
            snprintf(err, errcap, "%s/%s: path too long", from, e->d_name);
            ok = false;
            break;
        }
        struct stat st;
        if (stat(src, &st) != 0) {
            snprintf(err, errcap, "%s: %s", src, strerror(errno));
            ok = false;
        } else if (S_ISDIR(st.st_mode)) {
            if (mkdir(dst, 0755) != 0 && errno != EEXIST) {
                snprintf(err, errcap, "%s: %s", dst, strerror(errno));
                ok = false;
            } else {
                ok = tool_copy_tree(src, dst, err, errcap);
            }
        } else if (S_ISREG(st.st_mode)) {
            ok = tool_copy_file(src, dst, err, errcap);
        }
    }
    closedir(d);
    return ok;
}

void tool_remove_tree(const char *path)
{
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char sub[PATH_MAX];
            if (snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) >= (int)sizeof sub)
                continue;
            struct stat st;
            if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
                tool_remove_tree(sub);
            else
                unlink(sub);
        }
        closedir(d);
    }
    rmdir(path);
}

char *tool_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (n + 1 >= cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                errno = ENOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            if (ferror(f)) {
                free(buf);
                buf = NULL;
                errno = EIO;
            }
            break;
        }
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        if (len)
            *len = n;
    }
    return buf;
}

bool tool_have_program(const char *name)
{
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        char full[PATH_MAX];
        if (len > 0 && snprintf(full, sizeof full, "%.*s/%s", (int)len, path, name) < (int)sizeof full &&
            access(full, X_OK) == 0)
            return true;
        path += len;
        if (*path == ':')
            path++;
    }
    return false;
}

/* ---- handle vector and map ---------------------------------------------------------------- */

bool tool_hvec_push(tool_hvec *a, dp_handle h)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 16;
        dp_handle *v = realloc(a->v, cap * sizeof *v);
        if (!v)
            return false;
        a->v = v;
        a->cap = cap;
    }
    a->v[a->n++] = h;
    return true;
}

void tool_hvec_free(tool_hvec *a)
{
    free(a->v);
    *a = (tool_hvec){0};
}

static size_t slot_of(uint64_t key, size_t cap)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

static bool hmap_grow(tool_hmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    uint64_t *keys = calloc(cap, sizeof *keys);
    size_t *vals = calloc(cap, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return false;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t s = slot_of(m->keys[i], cap);
        while (keys[s])
            s = (s + 1) & (cap - 1);
        keys[s] = m->keys[i];
        vals[s] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return true;
}

int tool_hmap_put(tool_hmap *m, dp_handle h, size_t val)
{
    if (!h.bits)
        return -1;
    if ((m->n + 1) * 2 > m->cap && !hmap_grow(m))
        return -1;
    size_t s = slot_of(h.bits, m->cap);
    while (m->keys[s]) {
        if (m->keys[s] == h.bits)
            return 0;
        s = (s + 1) & (m->cap - 1);
    }
    m->keys[s] = h.bits;
    m->vals[s] = val;
    m->n++;
    return 1;
}

bool tool_hmap_get(const tool_hmap *m, dp_handle h, size_t *val)
{
    if (!m->cap || !h.bits)
        return false;
    size_t s = slot_of(h.bits, m->cap);
    while (m->keys[s]) {
        if (m->keys[s] == h.bits) {
            if (val)
                *val = m->vals[s];
            return true;
        }
        s = (s + 1) & (m->cap - 1);
    }
    return false;
}

void tool_hmap_free(tool_hmap *m)
{
    free(m->keys);
    free(m->vals);
    *m = (tool_hmap){0};
}
