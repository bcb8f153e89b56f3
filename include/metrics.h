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
void cp_hist_merge(cp_hist *into, const cp_hist *h);
/* The upper bound of the bucket holding quantile q (0..1); 0 when empty. */
double cp_hist_quantile(const cp_hist *h, double q);

/* Batch sizes are counted in buckets of up to 1, 10, 100, 1000, 10000 and
 * more messages. */
#define CP_BATCH_SIZE_BUCKETS 6
uint64_t cp_batch_size_bound(int i); /* UINT64_MAX for the last */
int cp_batch_size_bucket(uint64_t n);

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
    uint64_t writes_deferred, rewinds;      /* write-behind (engine.h) */
    uint64_t redis_roundtrips, redis_commands, redis_failures;
    uint64_t alerts, rewards; /* committed by the engine */
    uint64_t outputs_acked, outputs_failed;
    uint64_t board_ops;                          /* leaderboard commands sent */
    uint64_t board_publishes, board_unchanged;   /* boards published; checked and unchanged */
    uint64_t batch_sizes[CP_BATCH_SIZE_BUCKETS]; /* batches of up to cp_batch_size_bound(i) */
} cp_metrics_values;

/* Consumer lag of one input partition: high watermark - first offset not
 * yet handled. */
#define CP_LAG_MAX 1024
typedef struct cp_lag {
    int32_t partition;
    int64_t lag;
} cp_lag;

typedef struct cp_metrics {
    pthread_mutex_t lock;
    cp_metrics_values v;
    cp_hist output_latency; /* batch taken from Kafka -> alert/reward acknowledged */
    cp_hist stored_latency; /* message appended to Kafka -> its state stored in Redis */
    cp_lag lags[CP_LAG_MAX];
    size_t nlags;
} cp_metrics;

/* Everything, copied under the lock (for the HTTP endpoint). */
typedef struct cp_metrics_all {
    cp_metrics_values v;
    cp_hist output_latency, stored_latency;
    cp_lag lags[CP_LAG_MAX];
    size_t nlags;
} cp_metrics_all;
void cp_metrics_snapshot_all(cp_metrics *m, cp_metrics_all *out);

/* Merge a histogram of stored latencies; replace the lags. */
void cp_metrics_add_stored_latency(cp_metrics *m, const cp_hist *h);
void cp_metrics_set_lags(cp_metrics *m, const cp_lag *lags, size_t n);

/* Prometheus text exposition (format 0.0.4) of a snapshot; topic names
 * the input topic in lag labels. Caller frees; NULL on out of memory. */
char *cp_metrics_exposition(const cp_metrics_all *a, const char *topic);

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
