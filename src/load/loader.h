/* loader.h — the load layer's private state: the job queue, worker threads, sources, and
 * what the owner applies at dp_update. It attaches itself to a depot on first use through
 * the registry's subsystem slot (the registry never includes this layer).
 *
 * Jobs: a job holds a weak handle of its asset and never a count. A worker reads the bytes
 * through the job's source, runs the type's load, and queues the result; dependencies named
 * with dp_ctx_load_dep are acquired (one count each, moved to an edge when the result is
 * applied). The owner applies results in dp_update; a result for a dead asset is destroyed
 * and counted. dp_destroy cancels every job (sources may poll dp_cancelled), joins the
 * workers and frees every job and buffer. */
#ifndef DEPOT_LOAD_LOADER_H
#define DEPOT_LOAD_LOADER_H

#include "asset/registry.h"
#include "depot/load.h"
#include "load/cancel.h"
#include "load/queue.h"
#include "os/path_dirs.h"
#include "os/thread.h"
#include "os/watch.h"

#define DP__MAX_SOURCES 16

/* A labelled sub-asset emitted by a loader, applied with its parent. */
typedef struct dp__label {
    dp_handle h;     /* counted when the worker made the asset (the parent's edge takes the
                        count); weak when it found one made by dp_load (a job holds no
                        count on what a caller may release) */
    bool counted;
    uint32_t name;   /* 1 + its index in the job's names */
    dp_type_id type;
    void *data;
    size_t bytes;
} dp__label;

/* A dependency a load named (counted: the edge takes the count). Its edge starts at the
 * asset being loaded, or at one of the labels it emits (dp_ctx_load_dep_for). */
typedef struct dp__dep {
    dp_handle h;
    uint32_t label; /* 0: the asset being loaded; else 1 + an index in the job's names */
} dp__dep;

typedef struct dp__job {
    struct dp__job *next;
    struct dp__job *prev;      /* queued: the neighbour toward its FIFO's head */
    struct dp__job *hnext;     /* queued: the next job in its hash bucket (queue.c) */
    uint64_t seq;              /* queued: arrival order, FIFO within a priority */
    atomic_int level;          /* priority + 1 (0..3): written under lock (queue.c,
                                  priority.c), read by its worker when a dependency
                                  inherits it; relaxed, it publishes nothing else */
    int klass;                 /* concurrency class of its source (queue.c) */
    bool raised;               /* its level rose after it started (set under lock, read
                                  by the owner at apply): its dependencies are raised then
                                  too (priority.c) */
    dp_handle h;               /* weak */
    dp_type_id type;
    char *key;                 /* the asset's key (a copy, in the job's own block) */
    const char *path;          /* points into key: after "scheme://" */
    int source;                /* index in loader->sources */
    bool reload;
    atomic_bool started;
    bool state_marked;         /* owner has set LOADING */
    bool superseded;           /* owner: a newer load of the same asset was started (its
                                  result is discarded: an older read must not win) */
    struct dp_cancel cancel;
    /* result */
    dp_status status;
    void *data;
    size_t bytes;
    dp__dep *deps;
    size_t ndeps, capdeps;
    dp__label *labels;
    size_t nlabels, caplabels;
    char **names;              /* label names the load used (copies) */
    size_t nnames, capnames;
    char *why;                 /* dp_ctx_fail's message, or NULL */
} dp__job;

/* A source slot. */
typedef struct dp__source {
    dp_source vt;
    char scheme[16];
} dp__source;

/* A labelled asset requested before its parent emitted it. */
typedef struct dp__wanted {
    dp_handle label;  /* weak */
    dp_handle parent; /* weak */
    dp_type_id forced; /* the type dp_load_as asked for (0: any), which the parent must emit */
} dp__wanted;

/* The edge label -> file that a dp_load of "file#label" asks for: no job, no worker. The
 * owner adds it at the next dp_update (before that update's results, so that a result that
 * emits the label sees `forced`). The parent's count was taken by the dp_load and moves to
 * the edge; it is no caller's, so dp_destroy drops it before counting leaks. */
typedef struct dp__link {
    dp_handle label;   /* weak */
    dp_handle parent;  /* counted (holder site dp__site_load) */
    dp_type_id forced; /* as in dp__wanted */
} dp__link;

/* A raise the owner spreads over an asset's dependencies at the next dp_update. */
typedef struct dp__boost {
    dp_handle h; /* weak */
    int level;
} dp__boost;

/* An asset's remembered priority level (priority_of.c); h 0 = empty slot. */
typedef struct dp__prio_slot {
    uint64_t h;
    int level;
} dp__prio_slot;

typedef struct dp__mem_blob {
    struct dp__mem_blob *next;
    uint64_t hash; /* of path */
    char *path;
    void *bytes;
    size_t len;
} dp__mem_blob;

typedef struct dp__loader {
    dp_depot *dp;
    const dp_allocator *alloc;
    dp__mutex lock;
    dp__cond wake;             /* workers wait here for jobs */
    dp__cond idle;             /* the owner waits here: dp_wait_idle until no job is queued
                                  or running, dp_wait until `posted` moves (wait.c) */
    bool owner_waits;          /* under lock: dp_wait_idle is waiting on `idle` */
    bool owner_waits_post;     /* under lock: dp_wait is waiting on `idle` for a post */
    bool owner_woken;          /* under lock: a post that dp_wait waits for was signalled */
    uint64_t owner_waits_for;  /* under lock: the handle (bits) whose own load dp_wait waits
                                  for, so only its post wakes it; 0: any post does */
    uint64_t posted;           /* under lock: what was handed to the owner so far (finished
                                  jobs, links, retries): dp_wait's sequence number */
    dp__queue queue;           /* under lock: queued jobs by priority and class */
    dp__job *done, *done_tail;
    dp__job **running;         /* per worker: the job it runs, or NULL */
    dp__thread *threads;
    void *args;                /* the workers' start arguments */
    int nthreads;
    int nidle;                 /* workers waiting on `wake` (under lock) */
    bool stop;
    atomic_size_t pending;     /* queued + running + done, not yet applied */

    dp__source sources[DP__MAX_SOURCES];
    _Atomic int nsources;
    dp__mutex sources_lock;

    dp__mutex mem_lock;
    dp__mem_blob **mem;        /* hash buckets of blob lists (by path), mem_nbuckets of them */
    size_t mem_nbuckets, mem_count;

    char *root;                /* canonical file root, NULL if it does not exist */
    int root_fd;               /* root open as a folder for the workers' reads, or -1 */
    dp__path_dirs dirs;        /* owner only: folders of the root whose real path was found
                                  inside it since the last dp_update (dp_load's symlink
                                  check, load_api.c) */
    dp_status root_status;
    dp__watch *watch;          /* owner only; NULL without dp_desc.watch */
    dp_http_desc http;
    dp_builtin_types builtins;

    dp__wanted *wanted;        /* owner only */
    size_t nwanted, capwanted;

    _Atomic uint64_t ranged_types[4]; /* a bit per type id: loads read with dp_ctx_read */
    /* mount.c: the overlay of packs and folders; NULL until the first dp_mount, published
     * once by the owner (release) and read by workers (acquire). */
    _Atomic(struct dp__mounts *) mounts;
    /* catalog.c: stable ids and redirects; replaced by the owner (release), read by any
     * thread (acquire); each catalog keeps the one it replaced until dp_destroy. */
    _Atomic(struct dp__catalog *) catalog;
    /* The same for the http cache's remote catalog (dp_http_cache_desc.catalog). */
    _Atomic(struct dp__catalog *) remote_catalog;
    /* http/http_cache.c: the http source's disk cache, or NULL; set once by the owner
     * (release), read by workers (acquire), freed with the http source. */
    _Atomic(struct dp__http_cache *) http_cache;
    dp_handle *retries;        /* under lock: FAILED assets dp_load asked to load again */
    size_t nretries, capretries;
    dp__link *links;           /* under lock; counted in `pending` */
    size_t nlinks, caplinks;
    dp__boost *boosts;         /* under lock: raises for the owner to spread (priority.c) */
    size_t nboosts, capboosts;
    dp__prio_slot *prio;       /* under lock: each asset's priority when not NORMAL
                                  (open addressing, prio_cap a power of two; priority_of.c) */
    size_t prio_cap, prio_n;
    /* Held while a placeholder "file#label" is made and its link queued, and while a worker
     * emits a label: so a worker that finds a placeholder finds its link queued too. */
    dp__mutex label_lock;
} dp__loader;

/* ---- lifecycle (loader.c) ---- */

/* The depot's loader, attached (and started) on first call. NULL on NOMEM. Any thread. */
dp__loader *dp__loader_get(dp_depot *dp);
/* For an owner-only function: the loader in *out. DP_OK; DP_ERR_WRONG_THREAD;
 * DP_ERR_NOMEM. */
dp_status dp__loader_owner(dp_depot *dp, dp__loader **out);

/* ---- worker side (worker.c): jobs, the queue, the worker threads; under L->lock, any
 * thread unless marked; nothing here touches the graph ---- */

/* True when no job is queued or running (results may wait in `done`). Under L->lock. */
bool dp__loader_idle(const dp__loader *L);
/* Under L->lock, after handing the owner a finished job of h, or a link or retry (h null):
 * counts it in `posted`; true when a sleeping dp_wait waits for it (any post, or one of the
 * handle in owner_waits_for), which the caller then wakes by signalling L->idle after
 * unlocking. */
bool dp__loader_posted(dp__loader *L, dp_handle h);
/* True while something will be handed to the owner without its help: a job queued or
 * running, or a result, link or retry not applied yet. Under L->lock. */
bool dp__loader_in_flight(const dp__loader *L);
/* Queues a job (takes ownership) at job->level. Any thread. */
void dp__loader_enqueue(dp__loader *L, dp__job *job);
/* A new job for an asset (key copied); NULL on NOMEM. */
dp__job *dp__job_new(dp__loader *L, dp_handle h, dp_type_id type, const char *key, int source);
/* Frees a job whose result was applied or discarded (deps and labels already handled). */
void dp__job_free(dp__loader *L, dp__job *job);
/* Gives back a count the library took for a job or a link (holder site dp__site_load).
 * Any thread. */
void dp__give_back(dp_depot *dp, dp_handle h);

/* Queues the link label -> parent (parent counted, the count moves to the queue). Any
 * thread. DP_OK or DP_ERR_NOMEM (then the parent's count is released). */
dp_status dp__loader_link(dp__loader *L, dp_handle label, dp_handle parent, dp_type_id forced);

/* Asks the owner to load the FAILED asset h again at the next dp_update (h weak). Any
 * thread; on NOMEM nothing happens. */
void dp__loader_retry(dp__loader *L, dp_handle h);
/* True while a load, reload or retry of h is queued, running or waiting to be applied.
 * Owner. */
bool dp__loader_busy(dp__loader *L, dp_handle h);
/* True while a job of h is queued or running: it will post. Under L->lock. */
bool dp__loader_will_post(const dp__loader *L, dp_handle h);

/* Owner, before enqueueing a reload of h: marks every earlier job of h superseded. */
void dp__loader_supersede(dp__loader *L, dp_handle h);

/* Starts n workers (L->threads and L->running hold n). DP_OK when at least one runs;
 * DP_ERR_NOMEM. From loader_new. */
dp_status dp__workers_start(dp__loader *L, int n);
/* Stops the workers: cancels queued and running jobs, wakes and joins every worker; a job
 * queued from then on is finished at once as cancelled. Owner, at dp_destroy. */
void dp__workers_stop(dp__loader *L);

/* Runs a job's read and load on the calling (worker) thread, filling its result (job.c). */
void dp__job_run(dp__loader *L, dp__job *job);

/* ---- priorities (priority.c) ---- */

/* Raises the queued jobs of h to `level` now (any thread) and asks the owner to raise its
 * dependencies' (at once on the owner thread, else at the next dp_update). */
void dp__priority_raise(dp__loader *L, dp_handle h, int level);
/* priority_of.c: under lock, remembers h's level for dp_priority_of (raise_only: only if
 * higher than the one remembered). Best effort: on NOMEM h stays at its old level. */
void dp__priority_note(dp__loader *L, dp_handle h, int level, bool raise_only);
/* Owner, in dp_update after results are applied: spreads the queued raises. */
void dp__priority_apply(dp__loader *L);
/* Owner, when a job is applied: a job raised while it ran raises its dependencies. */
void dp__priority_after_apply(dp__loader *L, const dp__job *job);

/* ---- owner side (apply.c, hot_reload.c): inside dp_update, owner thread only ---- */

/* Applies finished jobs, links and retries, marks started jobs LOADING, then polls for
 * changed files (dp__loader_poll_changes). */
void dp__loader_apply(dp__loader *L);
/* Gives back everything a job acquired or produced, for a result that is not applied. */
void dp__job_discard(dp__loader *L, dp__job *job);
/* Hot reload: reloads what the file watcher, mounted folders and custom sources report
 * changed since the last call. */
void dp__loader_poll_changes(dp__loader *L);
/* Hot reload: start watching a file-source asset's path (owner). */
void dp__loader_watch(dp__loader *L, const dp__job *job);

/* ---- entry points and keys (load_api.c) ---- */

/* Splits a key: *source gets the source index (file when no scheme), *path_off the offset
 * of the path, *label_off the offset of the label after '#', or 0. DP_OK, DP_ERR_INVALID
 * (empty, bad path, path escapes), DP_ERR_NOT_FOUND (unknown scheme). */
dp_status dp__key_parse(dp__loader *L, const char *key, int *source, size_t *path_off,
                        size_t *label_off);

/* Loads `key` on behalf of the library (a job's dependency, a label's parent): the count
 * is recorded with the holder site `file`. Any thread. Errors as dp_load. */
dp_status dp__load_counted(dp_depot *dp, const char *key, dp_type_id type, dp_handle *out,
                           const char *file, int line);
/* As dp__load_counted, at priority level `level` (0..3): a new job is queued there, a
 * queued one of a live key is raised to it. */
dp_status dp__load_leveled(dp_depot *dp, const char *key, dp_type_id type, int level,
                           dp_handle *out, const char *file, int line);
/* group_load.c: dp_load_into with a forced type (0: by extension) and a level. Owner. */
dp_status dp__load_into_group(dp_depot *dp, const char *key, dp_type_id type, int level,
                              dp_group group, dp_handle *out, const char *file, int line);
/* Queues a new load of h's key (a reload keeps the data until the result is applied).
 * Owner. DP_OK; DP_ERR_INVALID (no key, no loader, a label); DP_ERR_NOMEM. */
dp_status dp__loader_restart(dp__loader *L, dp_handle h, bool reload);
/* The registry's residency hooks (dp__subsystem): whether h can be loaded again through its
 * key (a keyed, unlabelled asset of a type that loads), and that load, installed like a
 * reload's. Owner. */
bool dp__loader_reloadable(void *self, dp_depot *dp, dp_handle h);
dp_status dp__loader_reload_lost(void *self, dp_depot *dp, dp_handle h);
/* "scheme://path", allocated with `a`; NULL on NOMEM. */
char *dp__key_join(const dp_allocator *a, const char *scheme, const char *path);

/* ---- sources, types, failure details ---- */

/* Listing a folder (list.c), for folder loads: the keys of the assets directly in the
 * folder key `folder` ("" or "dir" or "dir/" for keys without a scheme, "mem://dir",
 * "file://dir"), or with `recursive` anywhere below it. A key without a scheme lists every
 * mount and the root folder (dp_desc.root); another scheme its source's dp_source.list.
 * The keys are as dp_load takes them ("dir/a.png", "mem://dir/a"), sorted by strcmp, each
 * once. *keys is one block from L->alloc (the n pointers, then the strings they point at):
 * the caller frees it with dp__free(L->alloc, *keys), also when n is 0; NULL on error.
 * DP_OK (also for an empty folder); DP_ERR_NOT_FOUND (no source has the folder, unknown
 * scheme); DP_ERR_INVALID (a malformed folder key, a '#', an escape); DP_ERR_UNSUPPORTED
 * (the source cannot list: http, a custom source without `list`); DP_ERR_IO; DP_ERR_NOMEM.
 * Any thread; it reads the file system (not for a hot path). */
dp_status dp__source_list(dp__loader *L, const char *folder, bool recursive, char ***keys,
                          size_t *n);
/* Whether `path` lies in `folder` ("" = the root): directly, or with `recursive` anywhere
 * below it. */
bool dp__path_in_folder(const char *path, const char *folder, bool recursive);

/* Failure details (failure_detail.c): the job and loader behind a load context (job.c);
 * on the owner thread, hands a failed job's source, path and message to dp_failure. */
dp__job *dp__ctx_job(dp_load_ctx *ctx);
dp__loader *dp__ctx_loader(dp_load_ctx *ctx);
void dp__loader_record_failure(dp__loader *L, const dp__job *job);

/* Built-in sources and types (sources.c, types_builtin.c and the optional folders). */
dp_status dp__sources_init(dp__loader *L);
/* Adds a source (copied). DP_OK, DP_ERR_INVALID, DP_ERR_EXISTS, DP_ERR_OVERFLOW. */
dp_status dp__source_add(dp__loader *L, const dp_source *src);
/* load_class.c: the concurrency class of source `source` (any thread), and the classes'
 * default caps for n workers (loader_new, before the workers start). */
int dp__source_class(const dp__loader *L, int source);
void dp__classes_init(dp__loader *L, int n);
void dp__sources_free(dp__loader *L);
dp_status dp__builtin_types_register(dp__loader *L);
/* image_type.c: "image" and "image_mips", when any image codec is built. */
dp_status dp__image_type_register(dp__loader *L, dp_type_id *image, dp_type_id *image_mips);
dp_status dp__sound_type_register(dp__loader *L, dp_type_id *out);   /* sound/ */
dp_status dp__texture_type_register(dp__loader *L, dp_type_id *out); /* ktx2/ */
dp_status dp__json_types_register(dp__loader *L, dp_type_id *sprite, dp_type_id *bundle);
dp_status dp__gltf_types_register(dp__loader *L, dp_builtin_types *b); /* gltf/ */
dp_status dp__http_sources_register(dp__loader *L);

#endif
