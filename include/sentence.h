/* sentence.h -- the pieces of the `message` sentence of alerts and rewards
 * (contract section 5: "one readable sentence"), shared by the kinds that
 * write them (rulekind.h): who it is about, the window, a KPI's words and
 * a value in the KPI's unit, and the one sentence every reward has.
 * Numbers are rounded for people here; the JSON fields keep them exact. */
#ifndef CALLPULSE_SENTENCE_H
#define CALLPULSE_SENTENCE_H

#include <stddef.h>

#include "rulestate.h"

/* Whom a message is about, and what its sentence may mention. */
typedef struct cp_message_ctx {
    const char *agent_id;
    const char *team; /* "" when unknown: team_id is null */
    const cp_windows *ws;
    int daily_cap;
} cp_message_ctx;

/* "Agent a17 (team t2)", or "Agent a17" without a team. */
void cp_sentence_who(const cp_message_ctx *c, char *buf, size_t size);

/* "today" for the day window, else "over the last 15m". */
void cp_sentence_window(const cp_message_ctx *c, const cp_rule *r, char *buf, size_t size);

/* A KPI's value for people: "512 s", "85.0%", "3.50", "12". */
void cp_sentence_value(cp_metric m, double v, char *buf, size_t size);

/* The sentence of every reward: "a17 earned 50 points and the
 * complaint-crusher badge for turning a complaint into a resolved call
 * (balance 240).", with the cap when it clipped the points. */
void cp_sentence_reward(const cp_message_ctx *c, const cp_emit *m, char *buf, size_t size);

#endif
