/* grow.h -- growing a heap array to hold at least `need` elements.
 *
 * The one realloc-growth step every growable array of the processor uses:
 * capacity doubles from a first size, so appending n elements costs O(n)
 * copies in all. On failure the array and its capacity are unchanged (the
 * caller still owns the old block). */
#ifndef CALLPULSE_GROW_H
#define CALLPULSE_GROW_H

#include <stddef.h>

/* Make *array (elements of elem bytes, *cap of them allocated) hold at
 * least need elements. Returns 0, or -1 on out of memory or when the size
 * would overflow. */
int cp_grow_array(void **array, size_t *cap, size_t need, size_t elem);

/* cp_grow(arr, cap, need): the same for a typed array `arr` whose capacity
 * is the size_t lvalue `cap`. */
#define cp_grow(arr, cap, need) cp_grow_array((void **)&(arr), &(cap), (need), sizeof(*(arr)))

#endif
