/* rulekind.h -- what a rule kind is: a table of operations, one per kind,
 * each in its own file (processor/rules/kind_*.c), listed once in the
 * registry (rulekinds.h). Everything that differs between kinds is here;
 * parsing the fields every rule has, dispatching events and slides, and
 * the JSON of the messages go through the table (contract section 5).
 *
 * To add a kind: a value of cp_rule_kind (ruledef.h), a file defining its
 * table (declared below), and its line in the registry (rulekinds.c). A
 * kind that keeps state of its own per agent, shared by all its rules
 * (beyond each rule's cp_rule_state), gives `state` below and reads it with
 * kindstate.h: it is stored as field k:<kind name> of P st:{A} with no
 * change outside the kind's file. */
#ifndef CALLPULSE_RULEKIND_H
#define CALLPULSE_RULEKIND_H

#include <stddef.h>
#include <stdint.h>

#include "ruleparse.h"
#include "rulestate.h"
#include "sentence.h"

/* The families a kind may be used in (bits of cp_rule_kind_ops.families);
 * a rule's family bit is 1u << rule->reward. */
#define CP_FAMILY_ALERTS  (1u << 0)
#define CP_FAMILY_REWARDS (1u << 1)

/* A kind's own state for one agent, shared by every rule of that kind
 * (kindstate.h keeps it; a kind without one has none of this). */
typedef struct cp_kind_state_ops {
    size_t size;               /* bytes of the state */
    void (*init)(void *state); /* a new agent's (the state comes zeroed) */
    /* Event ev, once, before any rule of the kind sees it: 1 when the
     * state changed (the next store writes it), 0 when not. NULL: the
     * state changes only in the kind's rules (cp_kind_state_changed). */
    int (*observe)(void *state, const cp_event *ev);
    /* The state as a short text into buf (size bytes: kindstate.h's
     * CP_KIND_STATE_TEXT_MAX): its length as snprintf counts it (size or
     * more: it did not fit; negative: an error). */
    int (*encode)(const void *state, char *buf, size_t size);
    /* The text encode wrote (len bytes, not NUL-terminated) into state: 0,
     * or -1 when it is not one (the agent's state is malformed). */
    int (*decode)(const char *text, size_t len, void *state);
} cp_kind_state_ops;

/* Evaluate rule r at clock T with the agent's windows win[] at T; ev is
 * the event just applied, or NULL (see on_clock below). */
typedef int cp_rule_eval_fn(cp_rule_ctx *c, int r, int64_t T, const cp_sums *win,
                            const cp_event *ev);

typedef struct cp_rule_kind_ops {
    const char *name;  /* as written in a rule's "kind" */
    unsigned families; /* CP_FAMILY_* */
    /* 1: the rule tests a KPI over one of the windows (kpi, window): its
     * window is resolved against windows.list, its alerts carry kpi and
     * window, and their buddy is looked up on that window's board. 0: its
     * alerts have null kpi and window, and the first window's board. */
    int uses_window;
    /* Read the kind's own fields from rd's object into r (the common ones,
     * id, description, kind and the family's, are read by rules.c). */
    void (*parse)(cp_rule_reader *rd, cp_rule *r);
    /* After event ev was applied at clock T with the agent's windows win[]
     * at T: evaluate rule r, updating c->ar and appending to c->out.
     * 0, or -1 on out of memory. */
    cp_rule_eval_fn *on_event;
    /* After the windows moved to T without an event (a slide, a deadline),
     * called with ev NULL; NULL: the kind waits for events. A kind that
     * does the same at both gives one function for both. */
    cp_rule_eval_fn *on_clock;
    /* The earliest instant after T at which on_clock may emit for rule r
     * although no window changes, or CP_NEVER; NULL: never. */
    int64_t (*next_deadline)(const cp_rule *rule, int r, const cp_agent_rules *ar, int64_t T);
    /* The `message` sentence of an emission of a rule of this kind. */
    void (*message)(const cp_message_ctx *c, const cp_emit *m, char *buf, size_t size);
    /* The kind's own state per agent (every operation given), or NULL:
     * none, nothing kept or written. */
    const cp_kind_state_ops *state;
} cp_rule_kind_ops;

extern const cp_rule_kind_ops cp_kind_threshold; /* kind_threshold.c */
extern const cp_rule_kind_ops cp_kind_event;     /* kind_event.c */
extern const cp_rule_kind_ops cp_kind_streak;    /* kind_streak.c */
extern const cp_rule_kind_ops cp_kind_long_call; /* kind_long_call.c */
extern const cp_rule_kind_ops cp_kind_goal;      /* kind_goal.c */

#endif
