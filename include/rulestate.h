/* rulestate.h -- what the rules keep for one agent and what they emit
 * (contract section 5), shared by every rule kind: the per-rule state,
 * each kind's own state (kindstate.h), the calls answered and not ended
 * (long calls), the points (daily cap), the emissions, and the context a
 * kind is run with. The engine stores the state and the emissions in the
 * same atomic Redis step as the KPI state that caused them; `dirty_rules`,
 * `kinds_dirty`, `calls_dirty`, `points_dirty` and `points_days_dirty` say
 * what that step must write. */
#ifndef CALLPULSE_RULESTATE_H
#define CALLPULSE_RULESTATE_H

#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "ruledef.h"
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

struct cp_rule_kind_ops;

/* A kind's own state for this agent (kindstate.h). */
typedef struct cp_kind_slot {
    const struct cp_rule_kind_ops *kind;
    void *state; /* kind->state->size bytes, owned by the slot */
} cp_kind_slot;

/* Everything the rules keep for one agent. */
typedef struct cp_agent_rules {
    cp_rule_state *state; /* one per rule, in rule order */
    int nstate;
    cp_call open[CP_OPEN_CALLS_MAX];
    int nopen;
    cp_call ended[CP_OPEN_CALLS_MAX]; /* ended calls, in case answered comes late */
    int nended;
    cp_points points;
    cp_kind_slot *kinds; /* kinds with state, made on first use (kindstate.h) */
    size_t nkinds, kinds_cap;
    /* what changed since the last store */
    uint64_t dirty_rules; /* bit per rule (the first 64) */
    uint32_t kinds_dirty; /* bit per slot of kinds */
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

/* Rule r's state changed: the next store writes it. */
void cp_rule_state_changed(cp_agent_rules *ar, int r);

/* A new emission for rule r at T (zeroed but for kind, rule, as_of, team
 * and the event id: ev's, or the context's next_event when ev is NULL);
 * NULL on out of memory. */
cp_emit *cp_emit_new(cp_rule_ctx *c, int r, int64_t T, const cp_event *ev);

void cp_emits_clear(cp_emits *e);
void cp_emits_free(cp_emits *e);

/* The calls of the agent answered and not ended, kept for every long-call
 * rule; ended calls are remembered a while in case their call_answered
 * arrives late (it then never opens the call). At most CP_OPEN_CALLS_MAX
 * of each: past that the oldest open call is forgotten. */
void cp_calls_answered(cp_agent_rules *ar, const cp_event *ev);
void cp_calls_ended(cp_agent_rules *ar, const cp_event *ev);

/* Open calls a day old at T and ended calls past the lateness horizon go. */
void cp_calls_prune(cp_agent_rules *ar, int64_t T, int64_t lateness_ms);

/* The open call of that id, or NULL. */
cp_call *cp_calls_open(cp_agent_rules *ar, const char *call_id);

#endif
