/* messages.h -- the values of the agent-alerts and agent-rewards topics
 * (contract section 5): JSON objects with every field of the contract and
 * a `message` sentence a supervisor or an agent understands at a glance. */
#ifndef CALLPULSE_MESSAGES_H
#define CALLPULSE_MESSAGES_H

#include "ruleeval.h"

typedef struct cp_message_ctx {
    const char *agent_id;
    const char *team; /* "" when unknown: team_id is null */
    const cp_windows *ws;
    int daily_cap;
} cp_message_ctx;

/* The JSON value of an emission (malloc'd, caller frees); NULL on out of
 * memory. */
char *cp_message_json(const cp_message_ctx *c, const cp_emit *m);

/* The sentence alone (for tests and logs). */
void cp_message_text(const cp_message_ctx *c, const cp_emit *m, char *buf, size_t size);

#endif
