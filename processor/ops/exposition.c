/* exposition.c -- the metrics in Prometheus's text exposition format
 * (version 0.0.4), for GET /metrics (metrics.h). Pure: a snapshot in, text
 * out. Names follow Prometheus conventions: counters end in _total,
 * latencies are histograms in seconds with cumulative `le` buckets. */
#include "metrics.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"

typedef struct text {
    char *buf;
    size_t len, cap;
    int oom;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...) {
    va_list ap;
    for (int attempt = 0; attempt < 2 && !t->oom; attempt++) {
        va_start(ap, fmt);
        int n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->oom = 1;
        } else if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        } else if (cp_grow(t->buf, t->cap, t->len + (size_t)n + 1) != 0) {
            t->oom = 1;
        }
    }
}

static void head(text *t, const char *name, const char *type, const char *help) {
    put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void counter(text *t, const char *name, const char *help, uint64_t v) {
    head(t, name, "counter", help);
    put(t, "%s %" PRIu64 "\n", name, v);
}

/* Cumulative buckets at fixed bounds (seconds) from the fine millisecond
 * histogram: a bucket counts the observations whose fine bucket's upper
 * bound is within it. */
static void histogram(text *t, const char *name, const char *help, const cp_hist *h) {
    static const double le[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                0.25,  0.5,    1,     2.5,  5,     10,   30};
    head(t, name, "histogram", help);
    int fine = 0;
    uint64_t cum = 0;
    for (size_t i = 0; i < sizeof(le) / sizeof(le[0]); i++) {
        while (fine < CP_HIST_BUCKETS - 1 && cp_hist_bound(fine) <= le[i] * 1000 * (1 + 1e-9))
            cum += h->b[fine++];
        put(t, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name, le[i], cum);
    }
    put(t, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, h->count);
    put(t, "%s_sum %.6f\n%s_count %" PRIu64 "\n", name, h->sum / 1000, name, h->count);
}

static void labelled(text *t, const char *name, const char *label, const char *value, uint64_t v) {
    put(t, "%s{%s=\"%s\"} %" PRIu64 "\n", name, label, value, v);
}

static void batch_sizes(text *t, const cp_metrics_values *v) {
    const char *name = "callpulse_batch_size_messages";
    uint64_t cum = 0;
    head(t, name, "histogram", "Messages per processing batch.");
    for (int i = 0; i < CP_BATCH_SIZE_BUCKETS; i++) {
        cum += v->batch_sizes[i];
        if (i < CP_BATCH_SIZE_BUCKETS - 1)
            put(t, "%s_bucket{le=\"%" PRIu64 "\"} %" PRIu64 "\n", name, cp_batch_size_bound(i),
                cum);
    }
    put(t, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, v->batches);
    put(t, "%s_sum %" PRIu64 "\n%s_count %" PRIu64 "\n", name, v->batch_events, name, v->batches);
}

/* The plain counters: name, help, field. */
static const struct {
    const char *name, *help;
    size_t field;
} counters[] = {
    {"callpulse_commits_total", "Offset commits sent.", offsetof(cp_metrics_values, commits)},
    {"callpulse_commit_failures_total", "Offset commits that failed.",
     offsetof(cp_metrics_values, commit_failures)},
    {"callpulse_rebalances_total", "Partition assignments and revocations.",
     offsetof(cp_metrics_values, rebalances)},
    {"callpulse_events_applied_total", "Events that changed an agent's state.",
     offsetof(cp_metrics_values, applied)},
    {"callpulse_events_duplicate_total", "Events whose event_id was already counted.",
     offsetof(cp_metrics_values, duplicates)},
    {"callpulse_events_replayed_total", "Events skipped: their offset was applied.",
     offsetof(cp_metrics_values, replayed)},
    {"callpulse_agent_writes_total", "Atomic agent state writes to Redis.",
     offsetof(cp_metrics_values, agent_writes)},
    {"callpulse_agent_writes_deferred_total",
     "Agent writes left for a later batch while a backlog lasted (write-behind).",
     offsetof(cp_metrics_values, writes_deferred)},
    {"callpulse_partition_rewinds_total",
     "Times the assigned partitions were read again from their holds (write-behind).",
     offsetof(cp_metrics_values, rewinds)},
    {"callpulse_slides_total", "Writes of quiet agents whose windows slid.",
     offsetof(cp_metrics_values, slides)},
    {"callpulse_stale_writes_total", "Writes refused for a stale state version.",
     offsetof(cp_metrics_values, stale)},
    {"callpulse_redis_roundtrips_total", "Redis round trips of the KPI engine.",
     offsetof(cp_metrics_values, redis_roundtrips)},
    {"callpulse_redis_commands_total", "Redis commands of the KPI engine.",
     offsetof(cp_metrics_values, redis_commands)},
    {"callpulse_redis_failures_total", "Batches that could not be stored in Redis.",
     offsetof(cp_metrics_values, redis_failures)},
    {"callpulse_alerts_total", "Alert messages committed.", offsetof(cp_metrics_values, alerts)},
    {"callpulse_rewards_total", "Reward messages committed.", offsetof(cp_metrics_values, rewards)},
    {"callpulse_outputs_acked_total", "Alerts and rewards acknowledged by the broker.",
     offsetof(cp_metrics_values, outputs_acked)},
    {"callpulse_outputs_failed_total", "Alert and reward deliveries that failed.",
     offsetof(cp_metrics_values, outputs_failed)},
    {"callpulse_board_commands_total", "Leaderboard commands sent to Redis.",
     offsetof(cp_metrics_values, board_ops)},
    {"callpulse_board_publishes_total", "leaderboard-updates messages published.",
     offsetof(cp_metrics_values, board_publishes)},
    {"callpulse_board_unchanged_total", "Board checks that found the top unchanged.",
     offsetof(cp_metrics_values, board_unchanged)},
};

char *cp_metrics_exposition(const cp_metrics_all *a, const char *topic) {
    const cp_metrics_values *v = &a->v;
    text t = {malloc(16384), 0, 16384, 0};
    if (!t.buf)
        return NULL;
    counter(&t, "callpulse_messages_consumed_total", "Messages taken from the input topic.",
            v->consumed);
    head(&t, "callpulse_events_total", "counter", "Valid events accepted, by type.");
    for (int i = 0; i < CP_EV_TYPE_COUNT; i++)
        labelled(&t, "callpulse_events_total", "type", cp_event_type_name((cp_event_type)i),
                 v->events[i]);
    head(&t, "callpulse_invalid_events_total", "counter",
         "Invalid events sent to the dead-letter topic, by reason.");
    for (int i = 1; i < CP_REJ_COUNT; i++)
        labelled(&t, "callpulse_invalid_events_total", "reason", cp_reject_name((cp_reject)i),
                 v->invalid[i]);
    counter(&t, "callpulse_dead_letters_acked_total", "Dead letters acknowledged by the broker.",
            v->dlq_acked);
    batch_sizes(&t, v);
    for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
        counter(&t, counters[i].name, counters[i].help,
                *(const uint64_t *)((const char *)v + counters[i].field));
    head(&t, "callpulse_consumer_lag_messages", "gauge",
         "High watermark minus the first offset not yet handled, per assigned partition.");
    for (size_t i = 0; i < a->nlags; i++)
        put(&t, "callpulse_consumer_lag_messages{topic=\"%s\",partition=\"%d\"} %" PRId64 "\n",
            topic, (int)a->lags[i].partition, a->lags[i].lag);
    histogram(&t, "callpulse_end_to_end_latency_seconds",
              "From a message's append to the input topic to its state stored in Redis.",
              &a->stored_latency);
    histogram(&t, "callpulse_output_latency_seconds",
              "From a batch taken from Kafka to its alerts and rewards acknowledged.",
              &a->output_latency);
    if (t.oom) {
        free(t.buf);
        return NULL;
    }
    return t.buf;
}
