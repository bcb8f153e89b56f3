/* rules.h -- alert and reward rules (contract section 5): their
 * definitions, as read from the configuration and validated, and the
 * conditions on events they use. Evaluation lives in alerts.c and
 * rewards.c.
 *
 * Configuration:
 *   "alerts":  {"rules": [ ... ]}
 *   "rewards": {"rules": [ ... ], "daily_cap": 500}
 * A missing "rules" array means the contract's default rules of that
 * family; an empty array means none. */
#ifndef CALLPULSE_RULES_H
#define CALLPULSE_RULES_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "decoder.h"
#include "kpi.h"

#define CP_RULES_MAX      64
#define CP_RULE_ID_MAX    48
#define CP_RULE_TEAMS_MAX 16
#define CP_COND_TERMS_MAX 8

typedef enum {
    CP_RULE_THRESHOLD = 0, /* alert: a KPI over a window crosses a threshold */
    CP_RULE_STREAK,        /* alert or reward: N events in a row matching */
    CP_RULE_LONG_CALL,     /* alert: a call answered and not ended after max_s */
    CP_RULE_EVENT,         /* reward: an event matching a condition */
    CP_RULE_GOAL           /* reward: a KPI goal holds, once per day */
} cp_rule_kind;

typedef enum { CP_OP_LT = 0, CP_OP_LE, CP_OP_GT, CP_OP_GE, CP_OP_EQ, CP_OP_NE } cp_op;

typedef enum { CP_SEV_INFO = 0, CP_SEV_WARNING, CP_SEV_CRITICAL } cp_severity;

/* Event fields a condition may test. */
typedef enum {
    CP_F_RING_S = 0,
    CP_F_TALK_S,
    CP_F_HOLD_S,
    CP_F_ACW_S,
    CP_F_SALE_VALUE,
    CP_F_CSAT,
    CP_F_QA_SCORE,
    CP_F_FLAG_TRANSFERRED,
    CP_F_FLAG_RESOLVED,
    CP_F_FLAG_COMPLAINT,
    CP_F_FLAG_SALE,
    CP_F_FIELD_COUNT
} cp_event_field;

/* A conjunction of terms: `field`, `!field` or `field OP number`. */
typedef struct cp_cond {
    struct {
        cp_event_field field;
        int compare; /* 0: truthiness of the field */
        int negate;
        cp_op op;
        double value;
    } t[CP_COND_TERMS_MAX];
    int n;
    char text[128]; /* as written */
} cp_cond;

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

typedef struct cp_rules {
    cp_rule v[CP_RULES_MAX];
    int n;
} cp_rules;

/* Parse one family ("alerts" or "rewards") from a JSON array, replacing
 * the rules of that family in r. Every mistake is reported on its own line
 * in err ("alerts.rules[1].threshold: ..."). Returns 0 or -1. */
int cp_rules_parse(cp_rules *r, int reward, json_t *array, char *err, size_t errsz);

/* The contract's default rules of a family. */
int cp_rules_defaults(cp_rules *r, int reward);

/* Check rules against the windows in force (names[0..n)); fills
 * window_index. One line per mistake in err. */
int cp_rules_resolve(cp_rules *r, const char (*names)[16], int n, char *err, size_t errsz);

/* Does the condition hold for the event? (An empty condition holds.) */
int cp_cond_eval(const cp_cond *c, const cp_event *ev);

/* Parse a condition for events of `type`. -1 with why. */
int cp_cond_parse(cp_cond *c, const char *text, cp_event_type type, char *why, size_t whysz);

int cp_op_eval(cp_op op, double a, double b);
const char *cp_op_text(cp_op op);
const char *cp_severity_name(cp_severity s);

/* The sample count of a KPI: the denominator it is averaged over
 * (handled calls for per-call values, answered+missed for answer_rate,
 * csat_count, qa_count), or handled calls for a plain sum. */
int64_t cp_kpi_samples(const cp_sums *s, cp_metric kpi);

/* Does the rule apply to an agent of this team? */
int cp_rule_applies(const cp_rule *rule, const char *team);

#endif
