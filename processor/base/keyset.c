/* keyset.c -- a set of byte-string keys with tags (keyset.h). */
#include "keyset.h"

#include <stdlib.h>
#include <string.h>

#define FIRST_CAP 16

static uint64_t hash_key(const void *key, size_t len) {
    const unsigned char *p = key;
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

static const char *slot_key(const cp_keyslot *slot) {
    return slot->len <= CP_KEYSET_INLINE ? slot->inl : slot->heap;
}

static void slot_free(cp_keyslot *slot) {
    if (slot->len > CP_KEYSET_INLINE)
        free(slot->heap);
    slot->heap = NULL;
    slot->hash = 0;
}

/* The slot holding key, or the empty slot where it would go. cap > 0. */
static size_t find_slot(const cp_keyset *s, const void *key, size_t len, uint64_t h) {
    size_t mask = s->cap - 1, i = h & mask;
    while (s->slots[i].hash && (s->slots[i].hash != h || s->slots[i].len != len ||
                                memcmp(slot_key(&s->slots[i]), key, len) != 0))
        i = (i + 1) & mask;
    return i;
}

/* Re-insert every entry into a table of cap slots (a power of two). */
static int rehash(cp_keyset *s, size_t cap) {
    cp_keyslot *slots = calloc(cap, sizeof(*slots)), *old = s->slots;
    if (!slots)
        return -1;
    for (size_t i = 0; i < s->cap; i++) {
        if (!old[i].hash)
            continue;
        size_t k = old[i].hash & (cap - 1);
        while (slots[k].hash)
            k = (k + 1) & (cap - 1);
        slots[k] = old[i];
    }
    free(old);
    s->slots = slots;
    s->cap = cap;
    return 0;
}

int cp_keyset_put(cp_keyset *s, const void *key, size_t len, int64_t tag) {
    if (len > CP_KEYSET_KEY_MAX)
        return -1;
    if (s->n == 0)
        s->min_tag = INT64_MAX;
    if ((s->n + 1) * 2 > s->cap && rehash(s, s->cap ? s->cap * 2 : FIRST_CAP) != 0)
        return -1;
    uint64_t h = hash_key(key, len);
    cp_keyslot *slot = &s->slots[find_slot(s, key, len, h)];
    int added = slot->hash == 0;
    if (added) {
        char *dst = slot->inl;
        if (len > CP_KEYSET_INLINE && !(dst = slot->heap = malloc(len + 1)))
            return -1;
        memcpy(dst, key, len);
        dst[len] = '\0';
        slot->len = (uint16_t)len;
        slot->hash = h;
        s->n++;
    }
    slot->tag = tag;
    if (tag < s->min_tag)
        s->min_tag = tag;
    return added;
}

int cp_keyset_get(const cp_keyset *s, const void *key, size_t len, int64_t *tag) {
    if (s->n == 0)
        return 0;
    const cp_keyslot *slot = &s->slots[find_slot(s, key, len, hash_key(key, len))];
    if (!slot->hash)
        return 0;
    if (tag)
        *tag = slot->tag;
    return 1;
}

/* Empty slot i and move back the entries after it that would no longer be
 * found from their home slot (deletion by backward shift). */
static void remove_at(cp_keyset *s, size_t i) {
    size_t mask = s->cap - 1;
    slot_free(&s->slots[i]);
    s->n--;
    for (size_t j = (i + 1) & mask; s->slots[j].hash; j = (j + 1) & mask) {
        size_t home = s->slots[j].hash & mask;
        int reachable = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (reachable)
            continue;
        s->slots[i] = s->slots[j];
        s->slots[j].hash = 0;
        s->slots[j].heap = NULL;
        i = j;
    }
}

int cp_keyset_remove(cp_keyset *s, const void *key, size_t len) {
    if (s->n == 0)
        return 0;
    size_t i = find_slot(s, key, len, hash_key(key, len));
    if (!s->slots[i].hash)
        return 0;
    remove_at(s, i);
    return 1;
}

size_t cp_keyset_prune(cp_keyset *s, int64_t min_tag) {
    size_t dropped = 0;
    if (s->n == 0 || s->min_tag >= min_tag)
        return 0; /* nothing old enough: no pass */
    s->min_tag = INT64_MAX;
    for (size_t i = 0; i < s->cap;) {
        cp_keyslot *slot = &s->slots[i];
        if (slot->hash && slot->tag < min_tag) {
            remove_at(s, i); /* an entry may have moved into i: look again */
            dropped++;
            continue;
        }
        if (slot->hash && slot->tag < s->min_tag)
            s->min_tag = slot->tag;
        i++;
    }
    return dropped;
}

int cp_keyset_next(const cp_keyset *s, size_t *at, const char **key, size_t *len, int64_t *tag) {
    for (; *at < s->cap; (*at)++) {
        const cp_keyslot *slot = &s->slots[*at];
        if (!slot->hash)
            continue;
        *key = slot_key(slot);
        if (len)
            *len = slot->len;
        if (tag)
            *tag = slot->tag;
        (*at)++;
        return 1;
    }
    return 0;
}

void cp_keyset_clear(cp_keyset *s) {
    for (size_t i = 0; i < s->cap; i++)
        if (s->slots[i].hash)
            slot_free(&s->slots[i]);
    s->n = 0;
    s->min_tag = INT64_MAX;
}

void cp_keyset_free(cp_keyset *s) {
    cp_keyset_clear(s);
    free(s->slots);
    memset(s, 0, sizeof(*s));
}
