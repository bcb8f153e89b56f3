/* keyset.h -- a set of byte-string keys, each with a 64-bit tag: open
 * addressing with linear probing, FNV-1a hashes, at most half full.
 *
 * The one hash set of the processor: an agent's event ids inside the
 * lateness horizon (agent.h; tag: the event's time, pruned by it), the
 * (agent, message id) pairs a process holds from its outbox (outbox.h; tag
 * unused) and the agents whose outbox drained (agentstore.h).
 * Keys up to CP_KEYSET_INLINE bytes live in the slot itself (most event
 * ids do), longer ones in one allocation the set owns. Every stored key is
 * followed by a '\0', so a key made of C strings joined by '\0' reads back
 * as those strings. */
#ifndef CALLPULSE_KEYSET_H
#define CALLPULSE_KEYSET_H

#include <stddef.h>
#include <stdint.h>

#define CP_KEYSET_INLINE  37 /* bytes of a key kept in its slot */
#define CP_KEYSET_KEY_MAX 65535

typedef struct cp_keyslot {
    uint64_t hash; /* 0: empty */
    int64_t tag;
    uint16_t len;
    char inl[CP_KEYSET_INLINE + 1];
    char *heap; /* the key when longer than CP_KEYSET_INLINE */
} cp_keyslot;

typedef struct cp_keyset {
    cp_keyslot *slots;
    size_t cap, n;   /* cap: 0 or a power of two */
    int64_t min_tag; /* no tag is smaller (INT64_MAX when empty) */
} cp_keyset;

/* Add key with tag; a key already there gets the new tag. Returns 1 when
 * added, 0 when it was there, -1 on out of memory or a key longer than
 * CP_KEYSET_KEY_MAX (the set is unchanged then). */
int cp_keyset_put(cp_keyset *s, const void *key, size_t len, int64_t tag);

/* 1 and its tag in *tag (when tag is not NULL) if key is there, else 0. */
int cp_keyset_get(const cp_keyset *s, const void *key, size_t len, int64_t *tag);

/* 1 removed, 0 not there. */
int cp_keyset_remove(cp_keyset *s, const void *key, size_t len);

/* Remove every key whose tag is below min_tag; returns how many. Costs
 * nothing when no tag is that small. */
size_t cp_keyset_prune(cp_keyset *s, int64_t min_tag);

/* Iterate: *at starts at 0; 0 at the end. The set must not change while
 * iterating. key is '\0'-terminated; len or tag may be NULL. */
int cp_keyset_next(const cp_keyset *s, size_t *at, const char **key, size_t *len, int64_t *tag);

void cp_keyset_clear(cp_keyset *s); /* empty, keeping the table */
void cp_keyset_free(cp_keyset *s);

#endif
