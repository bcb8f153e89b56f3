/* outbox.h -- alerts and rewards between their commit and the broker's
 * acknowledgement (contract section 5: at least once across crashes).
 *
 * An alert or reward is written to the agent's outbox hash in the same
 * atomic Redis step as the state change that caused it:
 *   P outbox:{A}   hash  message id -> "A<json>" (alert) or "R<json>" (reward)
 *   P outbox:pN    set   agents of partition N whose outbox may hold messages
 * (the index is added before the step, so it never misses an entry). After
 * the step the message is produced; when the broker acknowledges it, the
 * entry is deleted. A process that takes partition N over re-produces what
 * the outboxes of N's agents still hold, with the same ids: consumers
 * de-duplicate on them. So does any process that reads an agent's state
 * again (agentstore.h: a write whose reply was lost may have committed
 * messages that nothing else would produce).
 *
 * This module is the in-memory list of messages to produce or to delete,
 * and the set of messages a process holds (cp_msgset_*), so that reading an
 * outbox again never queues a message twice in one process: a tracking
 * list (cp_outbox_track) holds the (agent, id) of every message pushed
 * into it from the push until cp_outbox_release(), which the engine calls
 * when the broker acknowledged it and its deletion goes to Redis. The
 * Redis commands live in agentstore.c. */
#ifndef CALLPULSE_OUTBOX_H
#define CALLPULSE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "decoder.h"
#include "keyset.h"
#include "ruleeval.h"

typedef struct cp_outmsg {
    cp_emit_kind kind;
    char agent[CP_AGENT_ID_MAX + 1];
    char id[256];
    char *json;     /* owned */
    int64_t due_ms; /* not before (monotonic ms; 0: now) */
} cp_outmsg;

/* A set of (agent, message id) pairs is a cp_keyset (keyset.h) whose keys
 * are "agent\0id" (tags unused): cp_keyset_next gives a key whose first C
 * string is the agent and the id after its '\0'; cp_keyset_clear and
 * cp_keyset_free empty and free it. */

/* 1 added, 0 already there, -1 out of memory (or a pair longer than
 * CP_KEYSET_KEY_MAX bytes). */
int cp_msgset_add(cp_keyset *s, const char *agent, const char *id);
int cp_msgset_has(const cp_keyset *s, const char *agent, const char *id);
/* 1 removed, 0 not there. */
int cp_msgset_remove(cp_keyset *s, const char *agent, const char *id);

typedef struct cp_outbox {
    cp_outmsg *v;
    size_t n, cap;
    int tracking;   /* cp_outbox_track() was called */
    cp_keyset held; /* when tracking: (agent, id) pushed and not yet released */
} cp_outbox;

/* Append (takes ownership of json, also on failure). 0 appended; 1 not
 * appended because a tracking list holds that (agent, id) already (json
 * freed); -1 on out of memory. */
int cp_outbox_push(cp_outbox *o, cp_emit_kind kind, const char *agent, const char *id, char *json);
/* Move every message of `from` to the end of `to` (those `to` holds
 * already are dropped). -1 when one was lost to out of memory. */
int cp_outbox_move(cp_outbox *to, cp_outbox *from);
/* Empty the list; a tracking list keeps holding what it held. */
void cp_outbox_clear(cp_outbox *o);
void cp_outbox_free(cp_outbox *o);

/* Make o a tracking list: it de-duplicates by (agent, id) from now on. */
void cp_outbox_track(cp_outbox *o);
/* The message is done (acknowledged, its deletion sent): a later push of
 * the same (agent, id) is queued again. */
void cp_outbox_release(cp_outbox *o, const char *agent, const char *id);

/* The Redis value of a message, and back. */
char *cp_outbox_value(cp_emit_kind kind, const char *json);
int cp_outbox_parse(const char *value, size_t len, cp_emit_kind *kind, char **json);

#endif
