/* agentmap.h -- the processor's cache of agent states, by agent id.
 *
 * A chained hash table over cp_agent.next that doubles as it fills. The
 * map owns its agents: removing one frees it. */
#ifndef CALLPULSE_AGENTMAP_H
#define CALLPULSE_AGENTMAP_H

#include <stddef.h>

#include "agent.h"

typedef struct cp_agentmap {
    cp_agent **table;
    size_t size; /* slots, a power of two */
    size_t count;
} cp_agentmap;

void cp_agentmap_init(cp_agentmap *m);
cp_agent *cp_agentmap_find(const cp_agentmap *m, const char *id, size_t len);
/* The agent, created (not loaded) when missing; NULL on out of memory. */
cp_agent *cp_agentmap_get(cp_agentmap *m, const char *id, size_t len);
void cp_agentmap_remove(cp_agentmap *m, cp_agent *a);
/* Remove and free every agent. */
void cp_agentmap_clear(cp_agentmap *m);
void cp_agentmap_free(cp_agentmap *m);

/* Iterate: for (cp_agent *a = cp_agentmap_first(m, &it); a; a = cp_agentmap_next(m, &it)).
 * The current agent may be removed during iteration. */
typedef struct cp_agentmap_iter {
    size_t slot;
    cp_agent *next;
} cp_agentmap_iter;
cp_agent *cp_agentmap_first(const cp_agentmap *m, cp_agentmap_iter *it);
cp_agent *cp_agentmap_next(const cp_agentmap *m, cp_agentmap_iter *it);

#endif
