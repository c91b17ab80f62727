/* hash.h — the string hash of the key table, shared with the benchmarks' baselines so a
 * ratio between them measures locking and layout, not the hash. */
#ifndef DEPOT_HASH_H
#define DEPOT_HASH_H

#include <stdint.h>

/* A 64-bit hash of the NUL-terminated string s, never 0 (0 marks an empty table entry).
 * Pure; any thread. Only ever compared within this process. */
uint64_t dp__hash(const char *s);

#endif
