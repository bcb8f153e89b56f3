/* grow.c -- growing heap arrays (grow.h). */
#include "grow.h"

#include <stdint.h>
#include <stdlib.h>

#define FIRST_CAP 16

int cp_grow_array(void **array, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : FIRST_CAP;
    while (c < need) {
        if (c > SIZE_MAX / 2)
            return -1;
        c *= 2;
    }
    if (elem && c > SIZE_MAX / elem)
        return -1;
    void *p = realloc(*array, c * elem);
    if (!p)
        return -1;
    *array = p;
    *cap = c;
    return 0;
}
