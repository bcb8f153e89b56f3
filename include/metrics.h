/* metrics.h -- the processor's counters.
 *
 * Plain counters updated by the consumer thread only; readers in other
 * threads (the HTTP endpoint) take a consistent snapshot under the lock. */
#ifndef CALLPULSE_METRICS_H
#define CALLPULSE_METRICS_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include "decoder.h"

/* A latency histogram in milliseconds: bucket i holds values up to
 * 0.25 ms x 1.1^i, about 45 s at the last one, which takes everything above. */
#define CP_HIST_BUCKETS 128
typedef struct cp_hist {
    uint64_t count;
    double sum;
    uint64_t b[CP_HIST_BUCKETS];
} cp_hist;

double cp_hist_bound(int i);
void cp_hist_add(cp_hist *h, double ms);
/* The upper bound of the bucket holding quantile q (0..1); 0 when empty. */
double cp_hist_quantile(const cp_hist *h, double q);

typedef struct cp_metrics_values {
    uint64_t consumed;                      /* messages taken from Kafka */
    uint64_t events[CP_EV_TYPE_COUNT];      /* accepted, by type */
    uint64_t invalid[CP_REJ_COUNT];         /* dead-lettered, by reason */
    uint64_t dlq_acked;                     /* dead letters acknowledged */
    uint64_t batches;                       /* processing batches */
    uint64_t batch_events;                  /* messages over all batches */
    uint64_t commits, commit_failures;      /* offset commits sent / failed */
    uint64_t rebalances;                    /* assignments + revocations */
    uint64_t applied, duplicates, replayed; /* engine: events by outcome */
    uint64_t agent_writes, slides, stale;   /* engine: Redis writes */
    uint64_t redis_roundtrips, redis_commands, redis_failures;
    uint64_t alerts, rewards; /* committed by the engine */
    uint64_t outputs_acked, outputs_failed;
    uint64_t board_ops;                        /* leaderboard commands sent */
    uint64_t board_publishes, board_unchanged; /* boards published; checked and unchanged */
} cp_metrics_values;

typedef struct cp_metrics {
    pthread_mutex_t lock;
    cp_metrics_values v;
    cp_hist output_latency; /* batch taken from Kafka -> alert/reward acknowledged */
} cp_metrics;

/* Record one output latency (under the lock). */
void cp_metrics_output_latency(cp_metrics *m, double ms);
void cp_metrics_latency_snapshot(cp_metrics *m, cp_hist *out);

void cp_metrics_init(cp_metrics *m);
void cp_metrics_destroy(cp_metrics *m);

/* Copy the counters under the lock. */
void cp_metrics_snapshot(cp_metrics *m, cp_metrics_values *out);

/* Publish a batch's local counters (added to the shared ones). */
void cp_metrics_add(cp_metrics *m, const cp_metrics_values *delta);

uint64_t cp_metrics_invalid_total(const cp_metrics_values *v);
uint64_t cp_metrics_events_total(const cp_metrics_values *v);

/* One-line JSON summary: {"consumed":..,"valid":..,"dead_letters":..,...} */
void cp_metrics_summary(const cp_metrics_values *v, char *buf, size_t size);

#endif
