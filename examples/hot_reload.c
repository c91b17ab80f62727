/* hot_reload.c — edit a file while the game runs and see the new data swapped in.
 *
 * With dp_desc.watch set, depot watches (inotify) the folders of the files it loaded from
 * the file source. When one changes, it is read and decoded again on a worker; at a later
 * dp_update the new data replaces the old under the same handle, a MODIFIED event says so,
 * and the old data is destroyed one update after that (so a pointer taken from dp_get in
 * the frame before stays valid until then).
 *
 * The example makes a temporary folder as the depot root, writes greeting.txt, loads it as
 * a blob, rewrites the file, and pumps dp_update until MODIFIED arrives, printing the new
 * text. It fails (exit 1) if nothing arrives within 5 seconds.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, nanosleep */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "depot/depot.h"

static void sleep_ms(long ms)
{
    nanosleep(&(struct timespec){.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L}, NULL);
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

int main(void)
{
    char dir[] = "/tmp/depot-hot-reload-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char file[sizeof dir + 32];
    snprintf(file, sizeof file, "%s/greeting.txt", dir);
    if (write_file(file, "hello, version 1") != 0) {
        perror(file);
        rmdir(dir);
        return 1;
    }

    int rc = 1;
    dp_depot *dp;
    if (dp_create(&(dp_desc){.root = dir, .watch = true, .workers = 1}, &dp) != DP_OK)
        goto out;

    /* "greeting.txt": no scheme, so the file source rooted at `dir`; .txt is a blob. */
    dp_handle h;
    dp_status st = dp_load(dp, "greeting.txt", &h);
    if (st == DP_OK)
        st = dp_wait(dp, h, 2000);
    if (st != DP_OK) {
        fprintf(stderr, "load: %s\n", dp_status_str(st));
        dp_destroy(dp);
        goto out;
    }
    const dp_blob *b = dp_get(dp, h);
    printf("loaded greeting.txt: \"%s\"\n", (const char *)b->bytes);

    /* Edit the file as an editor would. The watch starts when the load is applied, so
     * the write below is seen. */
    if (write_file(file, "hello, version 2 (edited on disk)") != 0) {
        perror(file);
        dp_release(dp, h);
        dp_destroy(dp);
        goto out;
    }
    printf("rewrote %s; pumping dp_update until MODIFIED\n", file);

    /* One "frame" every 5 ms. The watcher reports a file once it has been quiet for 50 ms
     * (debounce), then the reload runs on a worker and is applied in a later update. */
    int frames = 0;
    bool modified = false;
    while (!modified && frames < 1000) {
        dp_update(dp);
        frames++;
        const dp_event *ev;
        size_t n = dp_events(dp, &ev);
        for (size_t i = 0; i < n; i++)
            if (ev[i].kind == DP_EV_MODIFIED && dp_handle_eq(ev[i].handle, h))
                modified = true;
        if (!modified)
            sleep_ms(5);
    }
    if (!modified) {
        fprintf(stderr, "no MODIFIED event within 5 seconds\n");
        dp_release(dp, h);
        dp_destroy(dp);
        goto out;
    }
    /* Same handle, new data. */
    b = dp_get(dp, h);
    printf("MODIFIED after %d frames; same handle #%u now reads \"%s\"\n", frames,
           dp_handle_index(h), (const char *)b->bytes);

    dp_release(dp, h);
    dp_update(dp); /* frees the asset (and the replaced data) */
    size_t leaks = dp_destroy(dp);
    printf("dp_destroy: %zu leaked assets\n", leaks);
    rc = leaks == 0 ? 0 : 1;
out:
    remove(file);
    rmdir(dir);
    return rc;
}
