/* why.h — a one-line reason for a failure, written into a caller's buffer: the optional
 * `char *why, size_t why_cap` out-parameter of functions that find hardware (dp_gl_create_ex,
 * dp_vk_headless_create). */
#ifndef DEPOT_WHY_H
#define DEPOT_WHY_H

#include <stddef.h>

/* printf into why (cap bytes, always NUL-terminated); NULL or cap 0 writes nothing. */
void dp__why(char *why, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
