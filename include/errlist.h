/* errlist.h -- collect configuration mistakes one per line into a caller's
 * buffer, so a parser can go on and report every mistake at once.
 * The buffer is owned by the caller; text past its size is dropped. */
#ifndef CALLPULSE_ERRLIST_H
#define CALLPULSE_ERRLIST_H

#include <stddef.h>

typedef struct cp_errlist {
    char *buf;
    size_t size, used;
    int count; /* mistakes added, also those that did not fit */
} cp_errlist;

#define CP_ERRLIST(buf, size) ((cp_errlist){(buf), (size), 0, 0})

void cp_errlist_add(cp_errlist *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
