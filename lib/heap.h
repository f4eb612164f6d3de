/*
 * heap: the sift-down of a binary heap kept in an array, written once and
 * instantiated per element type so the comparison stays inline (the top-k
 * of a search and the impact lists' build are hot loops; a qsort-style
 * callback would cost a call per comparison).  Layer: lib/, depends on
 * nothing; no state, no allocation.
 *
 * HEAP_SIFT_DOWN(name, type, worse) defines
 *     static void name(type *h, size_t n, size_t i)
 * which restores the heap property below node i of the n-element heap h,
 * whose root is the element that `worse(a, b)` (an expression over two
 * `const type *`, true when a must sit above b) puts first.
 */
#ifndef KW_HEAP_H
#define KW_HEAP_H

#include <stddef.h>

#define HEAP_SIFT_DOWN(name, type, worse)                                      \
    static void name(type *h, size_t n, size_t i)                              \
    {                                                                          \
        for (;;) {                                                             \
            size_t l = 2 * i + 1, w = i;                                       \
            type t;                                                            \
                                                                               \
            if (l < n && (worse(&h[l], &h[w]))) {                              \
                w = l;                                                         \
            }                                                                  \
            if (l + 1 < n && (worse(&h[l + 1], &h[w]))) {                      \
                w = l + 1;                                                     \
            }                                                                  \
            if (w == i) {                                                      \
                return;                                                        \
            }                                                                  \
            t = h[i];                                                          \
            h[i] = h[w];                                                       \
            h[w] = t;                                                          \
            i = w;                                                             \
        }                                                                      \
    }

#endif
