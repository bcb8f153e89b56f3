/* ruledef.h -- one alert or reward rule as configured (contract section
 * 5): its fields, the kinds and severities, and the pure questions every
 * kind asks of a rule (does it apply to this team, what does its KPI read
 * over its window). How a rule is read from the configuration is rules.h;
 * what each kind does with it is rulekind.h. */
#ifndef CALLPULSE_RULEDEF_H
#define CALLPULSE_RULEDEF_H

#include <stdint.h>

#include "decoder.h"
#include "kpi.h"
#include "rulecond.h"

#define CP_RULES_MAX      64
#define CP_RULE_ID_MAX    48
#define CP_RULE_TEAMS_MAX 16

/* The rule kinds: each one's index in the registry (rulekinds.c) that
 * holds what it does. A mistake in a rule's kind lists the kinds of its
 * family in this order. */
typedef enum {
    CP_RULE_THRESHOLD = 0, /* alert: a KPI over a window crosses a threshold */
    CP_RULE_EVENT,         /* reward: an event matching a condition */
    CP_RULE_STREAK,        /* alert or reward: N events in a row matching */
    CP_RULE_LONG_CALL,     /* alert: a call answered and not ended after max_s */
    CP_RULE_GOAL,          /* reward: a KPI goal holds, once per day */
    CP_RULE_KIND_COUNT
} cp_rule_kind;

typedef enum { CP_SEV_INFO = 0, CP_SEV_WARNING, CP_SEV_CRITICAL } cp_severity;

typedef struct cp_rule {
    char id[CP_RULE_ID_MAX];
    cp_rule_kind kind;
    int reward; /* 1: a reward rule, 0: an alert rule */
    char description[128];
    /* threshold, goal */
    cp_metric kpi;
    char window[16];
    int window_index; /* resolved against the windows in force */
    cp_op op;
    double threshold;
    int has_clear;
    double clear_threshold;
    int min_samples;
    int64_t cooldown_ms;
    /* streak, event */
    cp_event_type event;
    cp_cond when;
    int count;
    /* long call */
    int64_t max_ms;
    /* alerts */
    cp_severity severity;
    char teams[CP_RULE_TEAMS_MAX][CP_AGENT_ID_MAX + 1];
    int nteams;
    /* rewards */
    int points;
    char badge[64];
} cp_rule;

/* At most this many kinds with per-agent state (rulekind.h) in one
 * configuration. */
#define CP_STATE_KINDS_MAX 8

struct cp_rule_kind_ops;

typedef struct cp_rules {
    cp_rule v[CP_RULES_MAX];
    int n;
    /* The kinds of these rules that keep per-agent state (their `state`
     * operations), each once, in registry order (rules.c): only theirs is
     * observed, stored and loaded (kindstate.h). */
    const struct cp_rule_kind_ops *state_kinds[CP_STATE_KINDS_MAX];
    int nstate_kinds;
} cp_rules;

/* "info", "warning" or "critical". */
const char *cp_severity_name(cp_severity s);

/* The severity named s: 0, or -1. */
int cp_severity_parse(const char *s, cp_severity *out);

/* Does the rule apply to an agent of this team? (No `teams`: every one.) */
int cp_rule_applies(const cp_rule *rule, const char *team);

/* The rule's KPI over its window, win[window_index]: 0 with *value, or
 * -1 when the window has no value (*value untouched); *samples, the
 * count min_samples is held against, either way. */
int cp_rule_kpi(const cp_rule *rule, const cp_sums *win, double *value, int64_t *samples);

#endif
