/* assert.h — DP__ASSERT guards internal invariants: a result the code knows cannot fail, an
 * index the code knows is in range. It never checks user input (bad input gets a status).
 *
 * Active when DP_ASSERTS is defined (CMake defines it for Debug and sanitizer builds): a
 * broken invariant prints where and aborts. In release builds it compiles to nothing, and
 * the expression is not evaluated (sizeof keeps its variables "used", so no warnings). */
#ifndef DEPOT_ASSERT_H
#define DEPOT_ASSERT_H

#ifdef DP_ASSERTS
#include <stdio.h>
#include <stdlib.h>
#define DP__ASSERT(cond)                                                                  \
    ((cond) ? (void)0                                                                     \
            : (fprintf(stderr, "depot: %s:%d: invariant broken: %s\n", __FILE__, __LINE__, \
                       #cond),                                                            \
               abort()))
#else
#define DP__ASSERT(cond) ((void)sizeof(cond))
#endif

#endif
