/* oracle.h -- expected KPI values computed straight from the contract's
 * definitions, written without any of the engine's code: a generated
 * stream of call events, the acceptance rules (lateness per partition,
 * duplicates counted once per agent) and the window sums and derived
 * values at any clock T. */
#ifndef CALLPULSE_ORACLE_H
#define CALLPULSE_ORACLE_H

#include <stddef.h>
#include <stdint.h>

typedef enum { O_OFFERED, O_ANSWERED, O_MISSED, O_ENDED, O_WRAPUP, O_SURVEY, O_QA, O_STATE } o_type;

typedef struct o_event {
    char id[32];
    char agent[16];
    char team[8]; /* "" when the event carries none */
    o_type type;
    int64_t ts;
    double talk, hold, acw, sale_value, qa;
    int csat, transferred, resolved, complaint, sale;
    /* where it landed, from the producer's delivery report */
    int32_t partition;
    int64_t offset;
    int accepted; /* decided by o_accept() */
    char json[512];
    size_t json_len;
} o_event;

typedef struct o_params {
    int agents;       /* a0..aN-1 */
    int quiet_agents; /* the last ones stop after the first third */
    int events;
    int64_t start_ms, end_ms;
    double dup_ratio;  /* re-sends of a recent event of the same agent */
    double late_ratio; /* events far behind the clock */
    uint64_t seed;
} o_params;

/* Generate a stream (events[0..n) in production order), with JSON. */
o_event *o_generate(const o_params *p, size_t *n);

/* Decide acceptance as the contract says, after the stream was produced
 * (partition and offset known): per partition in offset order, an event
 * more than lateness_ms behind the largest accepted ts is rejected; of the
 * accepted ones only the first of each (agent, event_id) counts. */
void o_accept(o_event *evs, size_t n, int64_t lateness_ms);

typedef struct o_window {
    int64_t seconds; /* 0: the day */
} o_window;

/* Compare one KPI hash (field/value strings) of agent for a window against
 * the oracle at the hash's as_of. Returns 0, or -1 with why. */
int o_check_hash(const o_event *evs, size_t n, const char *agent, o_window w, int64_t bucket_ms,
                 int day_offset_min, char **fields, size_t nfields, char *why, size_t whysz);

/* The contract's default scorecard (section 4) for agent in window w at
 * clock T: 1 with *score when the agent has one there, else 0. */
int o_score(const o_event *evs, size_t n, const char *agent, o_window w, int64_t T,
            int64_t bucket_ms, int day_offset_min, double *score);
/* The default tier of a score. */
const char *o_tier(double score);

/* The agent's last known team: that of its last counted event (in
 * partition order) that carries one; "" when none does. */
const char *o_last_team(const o_event *evs, size_t n, const char *agent);

#endif
