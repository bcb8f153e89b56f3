/* ruleeval.h -- applying alert and reward rules to one agent (contract
 * section 5): the per-agent state the rules keep, and what they emit.
 *
 * The engine calls cp_rules_after_event() after each event it applies to
 * an agent, with the agent's windows at that event's clock, and
 * cp_rules_after_slide() when the agent's windows move without an event.
 * Evaluation is pure: it changes only the state given and appends
 * emissions; the engine stores both in the same atomic Redis step as the
 * KPI state that caused them.
 *
 * When rules are evaluated:
 *   threshold  after every event of the agent and when its windows slide;
 *              fires on the edge into the condition once (with min_samples
 *              samples), resolves when the value is back past
 *              clear_threshold (or the condition no longer holds when there
 *              is none) or the window has no value at all (fewer samples
 *              alone do not resolve it, so it does not flap); fires
 *              again only after resolving and cooldown_s of event time
 *              since it last fired
 *   streak     on every event of its type, in partition order
 *   long call  opens on call_answered, fires when the agent's clock passes
 *              answered + max_s, resolves on that call's call_ended
 *   event      on every event of its type matching the condition
 *   goal       like threshold, granted once per agent per calendar day */
#ifndef CALLPULSE_RULEEVAL_H
#define CALLPULSE_RULEEVAL_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "rules.h"
#include "window.h"

#define CP_OPEN_CALLS_MAX 8
#define CP_POINT_DAYS                                                                              \
    8 /* days of points kept for the daily cap; a step granting on more loses the oldest day field \
       */

/* One rule's state for one agent. */
typedef struct cp_rule_state {
    uint8_t firing;
    uint32_t seq;     /* threshold: how many times it fired */
    int64_t fired_at; /* threshold: as_of of the last firing */
    uint32_t streak;  /* streak: matches in a row */
    int64_t goal_day; /* goal: the day it was last granted; CP_NO_DAY */
} cp_rule_state;

typedef struct cp_call {
    char call_id[CP_CALL_ID_MAX + 1];
    int64_t ts;     /* answered (open calls) or ended (recently ended ones) */
    uint64_t fired; /* long-call rules (bit per rule index) that fired */
} cp_call;

typedef struct cp_points {
    int64_t total;
    struct {
        int64_t day; /* CP_NO_DAY when unused */
        int64_t points;
    } days[CP_POINT_DAYS];
    cp_ledger_span stored; /* day fields in Redis, pruned when written (ledger.h) */
} cp_points;

/* Everything the rules keep for one agent. */
typedef struct cp_agent_rules {
    cp_rule_state *state; /* one per rule, in rule order */
    int nstate;
    cp_call open[CP_OPEN_CALLS_MAX];
    int nopen;
    cp_call ended[CP_OPEN_CALLS_MAX]; /* ended calls, in case answered comes late */
    int nended;
    cp_points points;
    /* what changed since the last store */
    uint64_t dirty_rules; /* bit per rule (the first 64) */
    int calls_dirty, points_dirty;
    int64_t points_days_dirty[CP_POINT_DAYS];
} cp_agent_rules;

typedef enum { CP_EMIT_ALERT = 0, CP_EMIT_REWARD } cp_emit_kind;

/* An alert or a reward, before it becomes a message. */
typedef struct cp_emit {
    cp_emit_kind kind;
    const cp_rule *rule;
    char id[256];
    int firing;     /* alerts: firing (1) or resolved (0) */
    int no_samples; /* resolved because the window has no value any more */
    double value, threshold;
    int has_value, has_threshold;
    int64_t samples; /* -1: not applicable */
    int64_t as_of;
    char event_id[CP_EVENT_ID_MAX + 1]; /* empty: none */
    char call_id[CP_CALL_ID_MAX + 1];   /* long call */
    int64_t call_ts;                    /* long call: answered */
    int points, asked_points;           /* rewards: granted and before the cap */
    int64_t balance;
    char day[11];                   /* rewards: the day the points count for */
    char team[CP_AGENT_ID_MAX + 1]; /* the agent's team when it was emitted */
    char buddy[CP_AGENT_ID_MAX + 1];
    double buddy_score;
    int has_buddy;
} cp_emit;

typedef struct cp_emits {
    cp_emit *v;
    size_t n, cap;
} cp_emits;

/* What the rules need to know about the agent and its configuration. */
typedef struct cp_rule_ctx {
    const cp_rules *rules;
    const cp_windows *ws;
    int daily_cap; /* 0: no cap */
    int64_t lateness_ms;
    const char *agent_id;
    const char *team; /* last known; "" when none */
    cp_agent_rules *ar;
    cp_emits *out;
    /* A deadline is evaluated at its own instant T (the rule state, the
     * windows), but what it emits carries the clock of the point where the
     * partition passed it (contract 3): `stamp`, or T when CP_NO_STAMP. */
    int64_t stamp;
    /* the agent's own event at that point, applied right after: what the
     * deadline emits names it as event_id; NULL when the point is another
     * agent's */
    const cp_event *next_event;
} cp_rule_ctx;

#define CP_NO_STAMP INT64_MIN

int cp_agent_rules_init(cp_agent_rules *ar, int nrules);
void cp_agent_rules_free(cp_agent_rules *ar);
void cp_agent_rules_clean(cp_agent_rules *ar); /* forget what changed */

/* After an event applied at clock T with the agent's windows win[] at T.
 * Returns -1 on out of memory. */
int cp_rules_after_event(cp_rule_ctx *c, const cp_event *ev, int64_t T, const cp_sums *win);

/* After the windows moved to T without an event. */
int cp_rules_after_slide(cp_rule_ctx *c, int64_t T, const cp_sums *win);

/* The earliest rule deadline after T (epoch ms; CP_NEVER when none): a
 * long call reaching max_s, a threshold's cooldown ending. The engine
 * evaluates the agent when its partition clock first reaches it
 * (contract 3: time-driven rules at the partition clock). */
int64_t cp_rules_next_deadline(const cp_rules *rules, const cp_agent_rules *ar, int64_t T);

/* Grant points for a reward on `day` under the daily cap; returns the
 * points granted (0: nothing remains today). */
int cp_points_grant(cp_points *p, int64_t day, int points, int daily_cap, int64_t *changed_day);

void cp_emits_clear(cp_emits *e);
void cp_emits_free(cp_emits *e);

/* The rule kinds, called by the two functions above (alerts.c, rewards.c).
 * win is the agent's windows at T; ev is NULL after a slide. */
int cp_alert_threshold(cp_rule_ctx *c, int r, int64_t T, const cp_sums *win, const cp_event *ev);
int cp_alert_streak(cp_rule_ctx *c, int r, const cp_event *ev, int64_t T);
int cp_alert_long_call_event(cp_rule_ctx *c, int r, const cp_event *ev, int64_t T);
int cp_alert_long_call_due(cp_rule_ctx *c, int r, int64_t T, const cp_event *ev);
int cp_reward_event(cp_rule_ctx *c, int r, const cp_event *ev, int64_t T);
int cp_reward_streak(cp_rule_ctx *c, int r, const cp_event *ev, int64_t T);
int cp_reward_goal(cp_rule_ctx *c, int r, int64_t T, const cp_sums *win, const cp_event *ev);

/* A new emission for rule r at T (zeroed but for kind, rule, as_of and the
 * event id); NULL on out of memory. */
cp_emit *cp_emit_new(cp_rule_ctx *c, int r, int64_t T, const cp_event *ev);

/* Codec of a rule state in the agent's state hash ("f1q3a...k2g..."). */
size_t cp_rule_state_encode(const cp_rule_state *s, char *buf, size_t size);
int cp_rule_state_decode(const char *text, size_t len, cp_rule_state *s);

#endif
