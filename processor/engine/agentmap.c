/* agentmap.c -- agent cache hash table (agentmap.h). */
#include "agentmap.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *s, size_t len) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

void cp_agentmap_init(cp_agentmap *m) {
    memset(m, 0, sizeof(*m));
}

cp_agent *cp_agentmap_find(const cp_agentmap *m, const char *id, size_t len) {
    if (!m->size)
        return NULL;
    for (cp_agent *a = m->table[hash(id, len) & (m->size - 1)]; a; a = a->next)
        if (strncmp(a->id, id, len) == 0 && a->id[len] == '\0')
            return a;
    return NULL;
}

static int resize(cp_agentmap *m, size_t size) {
    cp_agent **table = calloc(size, sizeof(*table));
    if (!table)
        return -1;
    for (size_t i = 0; i < m->size; i++) {
        cp_agent *a = m->table[i];
        while (a) {
            cp_agent *next = a->next;
            size_t slot = hash(a->id, strlen(a->id)) & (size - 1);
            a->next = table[slot];
            table[slot] = a;
            a = next;
        }
    }
    free(m->table);
    m->table = table;
    m->size = size;
    return 0;
}

cp_agent *cp_agentmap_get(cp_agentmap *m, const char *id, size_t len) {
    cp_agent *a = cp_agentmap_find(m, id, len);
    if (a)
        return a;
    if (m->count + 1 > m->size && resize(m, m->size ? m->size * 2 : 256) != 0)
        return NULL;
    if (!(a = cp_agent_new(id, len)))
        return NULL;
    size_t slot = hash(id, len) & (m->size - 1);
    a->next = m->table[slot];
    m->table[slot] = a;
    m->count++;
    return a;
}

void cp_agentmap_remove(cp_agentmap *m, cp_agent *a) {
    cp_agent **pp = &m->table[hash(a->id, strlen(a->id)) & (m->size - 1)];
    while (*pp && *pp != a)
        pp = &(*pp)->next;
    if (*pp) {
        *pp = a->next;
        m->count--;
        cp_agent_free(a);
    }
}

void cp_agentmap_clear(cp_agentmap *m) {
    for (size_t i = 0; i < m->size; i++) {
        cp_agent *a = m->table[i];
        while (a) {
            cp_agent *next = a->next;
            cp_agent_free(a);
            a = next;
        }
        m->table[i] = NULL;
    }
    m->count = 0;
}

void cp_agentmap_free(cp_agentmap *m) {
    cp_agentmap_clear(m);
    free(m->table);
    cp_agentmap_init(m);
}

/* The first agent at or after slot. */
static cp_agent *scan(const cp_agentmap *m, cp_agentmap_iter *it) {
    while (it->slot < m->size) {
        cp_agent *a = m->table[it->slot++];
        if (a) {
            it->next = a->next;
            return a;
        }
    }
    return NULL;
}

cp_agent *cp_agentmap_first(const cp_agentmap *m, cp_agentmap_iter *it) {
    it->slot = 0;
    it->next = NULL;
    return scan(m, it);
}

cp_agent *cp_agentmap_next(const cp_agentmap *m, cp_agentmap_iter *it) {
    cp_agent *a = it->next;
    if (a) {
        it->next = a->next;
        return a;
    }
    return scan(m, it);
}
