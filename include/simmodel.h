/* simmodel.h -- a synthetic call centre for `callpulse simulate`.
 *
 * Agents of different skill take calls (offered -> answered or missed ->
 * ended -> wrap-up), customers answer surveys minutes later, QA scores
 * arrive later still, agents change state and take breaks, and a few agents
 * degrade mid-shift (long calls, low CSAT, transfers, missed calls). Events
 * come out in event-time order with a small jitter, keyed by agent, with
 * timestamps in both contract formats. Deterministic for a given seed and
 * start time. Pure: no I/O. */
#ifndef CALLPULSE_SIMMODEL_H
#define CALLPULSE_SIMMODEL_H

#include <stddef.h>
#include <stdint.h>

typedef struct cp_sim cp_sim;

typedef struct cp_sim_params {
    int agents;     /* 1..100000 */
    int teams;      /* 1..agents */
    int struggling; /* agents that degrade at degrade_at_ms */
    uint64_t seed;
    int64_t start_ms;      /* virtual time of the shift's start */
    int64_t degrade_at_ms; /* when the struggling agents degrade */
    double bad_ratio;      /* share of deliberately invalid events */
    double dup_ratio;      /* share of events sent twice (same event_id) */
    int jitter_ms;         /* event-time disorder, 0..60000 */
} cp_sim_params;

/* Typical events per second that one agent produces at natural speed. */
#define CP_SIM_EVENTS_PER_AGENT_S 0.015

cp_sim *cp_sim_new(const cp_sim_params *p);
void cp_sim_free(cp_sim *s);

/* The next event: key (agent id, NUL-terminated) and JSON value. Returns
 * its event time (virtual ms). value is not NUL-terminated; *value_len
 * holds its length. */
int64_t cp_sim_next(cp_sim *s, char *key, size_t key_size, char *value, size_t value_size,
                    size_t *value_len);

/* Event-time span (ms) of the first n events of a model with params p,
 * found by running the model without output; -1 when out of memory. */
int64_t cp_sim_span_ms(const cp_sim_params *p, uint64_t n);

/* Event time of the next event, without taking it. */
int64_t cp_sim_peek_time(const cp_sim *s);

#endif
