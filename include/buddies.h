/* buddies.h -- a firing alert's buddy (contract section 5): the
 * best-scored other agent of the alert's team on that team's board of the
 * alert's window (a threshold rule's own window; the first window for the
 * other rules), read from the leaderboards in Redis (boards.h):
 *
 *   ZREVRANGE P lb:team:TEAM:WINDOW 0 1 WITHSCORES
 *
 * The reads are pipelined on the caller's connection, with the batch that
 * fires the alerts (the engine's), so a buddy is what the boards held
 * when that batch was written; alerts are rare next to events. */
#ifndef CALLPULSE_BUDDIES_H
#define CALLPULSE_BUDDIES_H

#include <stddef.h>

#include "redis_io.h"
#include "ruleeval.h"
#include "window.h"

/* An alert that asks for its buddy, and its agent (never its own buddy). */
typedef struct cp_buddy_ask {
    cp_emit *emit;
    const char *agent;
} cp_buddy_ask;

/* Does this emission name a buddy? A firing alert of an agent with a team. */
int cp_buddy_wanted(const cp_emit *m);

/* One pipelined read per ask (prefix: the Redis key prefix); fills each
 * emission's buddy, buddy_score and has_buddy when its board holds another
 * agent, leaves them unset otherwise. 0, or -1 when Redis failed (r->err
 * says why; replies may be left unread: the caller drops the connection). */
int cp_buddies_lookup(cp_redis *r, const char *prefix, const cp_windows *ws,
                      const cp_buddy_ask *asks, size_t n);

#endif
