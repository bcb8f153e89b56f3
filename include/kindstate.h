/* kindstate.h -- a rule kind's own state for one agent (contract section
 * 5): what a kind with `state` operations (rulekind.h) keeps per agent,
 * shared by every rule of that kind, beside each rule's cp_rule_state. It
 * lives in the agent's rule state (cp_agent_rules.kinds), is made on first
 * use, sees each event before the kind's rules do, and is stored as field
 * k:<kind name> of P st:{A} when it changed (agentlayout.h). A kind
 * without state has no slot: nothing is made, observed or written. */
#ifndef CALLPULSE_KINDSTATE_H
#define CALLPULSE_KINDSTATE_H

#include <stddef.h>

#include "rulekind.h"
#include "rules.h"
#include "rulestate.h"

/* Room for a kind state's text (cp_kind_state_ops.encode), NUL included. */
#define CP_KIND_STATE_TEXT_MAX 128

/* kind's state for this agent, made (zeroed, then its init) when it has
 * none yet; NULL on out of memory. kind must have `state`. */
void *cp_kind_state(cp_agent_rules *ar, const cp_rule_kind_ops *kind);

/* kind's state for this agent, or NULL when none was made yet (it would
 * be a new agent's: init's). For readers that may not change the agent,
 * as next_deadline. */
const void *cp_kind_state_find(const cp_agent_rules *ar, const cp_rule_kind_ops *kind);

/* kind's state changed (in one of its rules): the next store writes it. */
void cp_kind_state_changed(cp_agent_rules *ar, const cp_rule_kind_ops *kind);

/* Event ev, before the rules see it: the state of each kind of
 * rules->state_kinds with an `observe` sees it once (made if need be),
 * and is marked changed when it says so. 0, or -1 on out of memory. */
int cp_kind_states_observe(cp_agent_rules *ar, const cp_rules *rules, const cp_event *ev);

/* The kind of rules->state_kinds called `name` (len bytes), or NULL: a
 * kind not configured, or unknown (from another version). */
const cp_rule_kind_ops *cp_state_kind_named(const cp_rules *rules, const char *name, size_t len);

#endif
