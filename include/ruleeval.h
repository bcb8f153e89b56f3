/* ruleeval.h -- applying alert and reward rules to one agent (contract
 * section 5): every rule of the configuration through its kind's
 * operations (rulekinds.h), and the codec of a rule's state. The state the
 * rules keep and what they emit are rulestate.h; the points, points.h.
 *
 * The engine calls cp_rules_after_event() after each event it applies to
 * an agent, with the agent's windows at that event's clock, and
 * cp_rules_after_slide() when the agent's windows move without an event.
 * Evaluation is pure: it changes only the state given and appends
 * emissions; the engine stores both in the same atomic Redis step as the
 * KPI state that caused them. When each kind fires and resolves is said at
 * the top of its file (processor/rules/kind_*.c). */
#ifndef CALLPULSE_RULEEVAL_H
#define CALLPULSE_RULEEVAL_H

#include <stddef.h>
#include <stdint.h>

#include "points.h"
#include "rules.h"
#include "rulestate.h"
#include "window.h"

/* After an event applied at clock T with the agent's windows win[] at T:
 * the call it opens is opened and the kinds' own states see it
 * (kindstate.h) before the rules see it, the call it ends is closed after.
 * Returns -1 on out of memory. */
int cp_rules_after_event(cp_rule_ctx *c, const cp_event *ev, int64_t T, const cp_sums *win);

/* After the windows moved to T without an event. */
int cp_rules_after_slide(cp_rule_ctx *c, int64_t T, const cp_sums *win);

/* The earliest rule deadline after T (epoch ms; CP_NEVER when none): a
 * long call reaching max_s, a threshold's cooldown ending. The engine
 * evaluates the agent when its partition clock first reaches it
 * (contract 3: time-driven rules at the partition clock). */
int64_t cp_rules_next_deadline(const cp_rules *rules, const cp_agent_rules *ar, int64_t T);

/* Codec of a rule state in the agent's state hash ("f1q3a...k2g..."). */
size_t cp_rule_state_encode(const cp_rule_state *s, char *buf, size_t size);
int cp_rule_state_decode(const char *text, size_t len, cp_rule_state *s);

#endif
