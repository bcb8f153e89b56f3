/* errlist.c -- one mistake per line into a bounded buffer (see errlist.h). */
#include "errlist.h"

#include <stdarg.h>
#include <stdio.h>

void cp_errlist_add(cp_errlist *e, const char *fmt, ...) {
    va_list ap;
    if (e->used + 2 >= e->size) {
        e->count++;
        return;
    }
    if (e->count++ > 0)
        e->buf[e->used++] = '\n';
    va_start(ap, fmt);
    int n = vsnprintf(e->buf + e->used, e->size - e->used, fmt, ap);
    va_end(ap);
    if (n > 0)
        e->used += (size_t)n < e->size - e->used ? (size_t)n : e->size - e->used - 1;
}
