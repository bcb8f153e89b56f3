/* messages.h -- the values of the agent-alerts and agent-rewards topics
 * (contract section 5): JSON objects with every field of the contract and
 * a `message` sentence a supervisor or an agent understands at a glance,
 * written by the rule's kind (rulekind.h). */
#ifndef CALLPULSE_MESSAGES_H
#define CALLPULSE_MESSAGES_H

#include "ruleeval.h"
#include "sentence.h"

/* The JSON value of an emission (malloc'd, caller frees); NULL on out of
 * memory. */
char *cp_message_json(const cp_message_ctx *c, const cp_emit *m);

/* The sentence alone (for tests and logs). */
void cp_message_text(const cp_message_ctx *c, const cp_emit *m, char *buf, size_t size);

/* The window whose team board (P lb:team:TEAM:WINDOW) names the buddy of a
 * firing alert of rule r: the rule's own window when it tests a KPI over
 * one, else the first configured window. */
const char *cp_rule_buddy_window(const cp_rule *r, const cp_windows *ws);

#endif
