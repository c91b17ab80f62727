/* mutexreg.h — the "simple way" asset registry, the baseline of the asset benchmark:
 * one global pthread mutex around everything, a malloc'd node per asset, a chained hash
 * map for keys hashed with depot's own dp__hash (so a ratio measures locking and layout,
 * not the hash), counts as plain ints, edges as malloc'd arrays, an iterative free cascade.
 * A handle is the node pointer (no generations: the baseline does not detect stale use). */
#ifndef DP_BENCH_MUTEXREG_H
#define DP_BENCH_MUTEXREG_H

#include <stddef.h>

typedef struct mr_node mr_node;
typedef struct mr_reg mr_reg;

mr_reg *mr_create(void (*destroy)(void *data));
void mr_destroy(mr_reg *r);                     /* frees everything, no destroy calls */
/* New asset with count 1 (NULL on no memory). If `key` is live, takes a count on that one. */
mr_node *mr_add(mr_reg *r, void *data, const char *key);
mr_node *mr_find(mr_reg *r, const char *key);   /* count + 1, or NULL */
void mr_retain(mr_reg *r, mr_node *n);
void mr_release(mr_reg *r, mr_node *n);         /* at 0: queued, freed at mr_update */
int mr_depend(mr_reg *r, mr_node *parent, mr_node *child); /* 0 ok, -1 no memory */
void *mr_get(mr_reg *r, mr_node *n);
/* Frees every asset whose count is 0, cascading through edges. Returns how many. */
size_t mr_update(mr_reg *r);

#endif
