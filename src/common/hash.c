/* hash.c — the string hash of the key table (see hash.h). */
#include "common/hash.h"

#include <string.h>

uint64_t dp__hash(const char *s)
{
    return dp__hash_bytes(s, strlen(s));
}

uint64_t dp__hash_bytes(const void *p, size_t n)
{
    /* Eight bytes per step (multiply and shift mix), then a final mix so that the low bits
     * used for probing are spread. Only ever compared within this process. */
    const unsigned char *s = p;
    const size_t full = n;
    uint64_t h = 1469598103934665603ull ^ n;
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0x9e3779b97f4a7c15ull;
        h ^= h >> 29;
    }
    /* The last n (< 8) bytes. When the whole input was at least 8 bytes, one load of its
     * last 8 bytes, shifted so that only those n remain, replaces the byte loop (on a
     * little-endian CPU it is the same word). */
    uint64_t w = 0;
    if (n && full >= 8) {
        memcpy(&w, s + n - 8, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w <<= 8 * (8 - n);
#else
        w >>= 8 * (8 - n);
#endif
    } else {
        for (size_t i = 0; i < n; i++)
            w |= (uint64_t)s[i] << (8 * i);
    }
    h = (h ^ w) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 31;
    h *= 0x7fb5d329728ea185ull;
    h ^= h >> 27;
    return h | 1u; /* never 0: 0 marks an empty entry */
}
