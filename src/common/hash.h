/* hash.h — the string hash of the key table, shared with the benchmarks' baselines so a
 * ratio between them measures locking and layout, not the hash; the same hash over any
 * bytes finds `depot inspect`'s duplicates by content. */
#ifndef DEPOT_HASH_H
#define DEPOT_HASH_H

#include <stddef.h>
#include <stdint.h>

/* A 64-bit hash of the NUL-terminated string s, never 0 (0 marks an empty table entry).
 * Pure; any thread. Only ever compared within this process. */
uint64_t dp__hash(const char *s);
/* The same hash of n bytes at p (p may be NULL when n is 0); dp__hash(s) is
 * dp__hash_bytes(s, strlen(s)). Pure; any thread. */
uint64_t dp__hash_bytes(const void *p, size_t n);

#endif
