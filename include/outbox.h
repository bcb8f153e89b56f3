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
 * de-duplicate on them. This module is the in-memory list of messages to
 * produce or to delete; the Redis commands live in agentstore.c. */
#ifndef CALLPULSE_OUTBOX_H
#define CALLPULSE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "decoder.h"
#include "ruleeval.h"

typedef struct cp_outmsg {
    cp_emit_kind kind;
    char agent[CP_AGENT_ID_MAX + 1];
    char id[256];
    char *json;     /* owned */
    int64_t due_ms; /* not before (monotonic ms; 0: now) */
} cp_outmsg;

typedef struct cp_outbox {
    cp_outmsg *v;
    size_t n, cap;
} cp_outbox;

/* Append (takes ownership of json, also on failure). -1 on out of memory. */
int cp_outbox_push(cp_outbox *o, cp_emit_kind kind, const char *agent, const char *id, char *json);
/* Move every message of `from` to the end of `to`. */
int cp_outbox_move(cp_outbox *to, cp_outbox *from);
void cp_outbox_clear(cp_outbox *o);
void cp_outbox_free(cp_outbox *o);

/* The Redis value of a message, and back. */
char *cp_outbox_value(cp_emit_kind kind, const char *json);
int cp_outbox_parse(const char *value, size_t len, cp_emit_kind *kind, char **json);

#endif
