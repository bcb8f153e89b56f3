/* metrics.c -- counters of the processor (metrics.h). */
#include "metrics.h"

#include <math.h>
#include <string.h>

void cp_metrics_init(cp_metrics *m) {
    memset(m, 0, sizeof(*m));
    pthread_mutex_init(&m->lock, NULL);
}

void cp_metrics_destroy(cp_metrics *m) {
    pthread_mutex_destroy(&m->lock);
}

void cp_metrics_snapshot(cp_metrics *m, cp_metrics_values *out) {
    pthread_mutex_lock(&m->lock);
    *out = m->v;
    pthread_mutex_unlock(&m->lock);
}

/* The bucket bounds, computed once: cp_hist_add runs for every message. */
static double hist_bounds[CP_HIST_BUCKETS];
static pthread_once_t hist_bounds_once = PTHREAD_ONCE_INIT;

static void init_hist_bounds(void) {
    for (int i = 0; i < CP_HIST_BUCKETS; i++)
        hist_bounds[i] = 0.25 * pow(1.1, i);
}

double cp_hist_bound(int i) {
    pthread_once(&hist_bounds_once, init_hist_bounds);
    return hist_bounds[i];
}

/* The first bucket whose bound holds ms, by binary search; NaN and values
 * past the last bound go to the last bucket (NaN adds nothing to the sum). */
void cp_hist_add(cp_hist *h, double ms) {
    int lo = 0, hi = CP_HIST_BUCKETS - 1;
    pthread_once(&hist_bounds_once, init_hist_bounds);
    if (isnan(ms))
        lo = hi;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (ms > hist_bounds[mid])
            lo = mid + 1;
        else
            hi = mid;
    }
    h->b[lo]++;
    h->count++;
    if (!isnan(ms))
        h->sum += ms;
}

double cp_hist_quantile(const cp_hist *h, double q) {
    uint64_t seen = 0, want = (uint64_t)ceil(q * (double)h->count);
    if (h->count == 0)
        return 0;
    for (int i = 0; i < CP_HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen >= want && seen > 0)
            return cp_hist_bound(i);
    }
    return cp_hist_bound(CP_HIST_BUCKETS - 1);
}

void cp_hist_merge(cp_hist *into, const cp_hist *h) {
    into->count += h->count;
    into->sum += h->sum;
    for (int i = 0; i < CP_HIST_BUCKETS; i++)
        into->b[i] += h->b[i];
}

uint64_t cp_batch_size_bound(int i) {
    static const uint64_t bounds[CP_BATCH_SIZE_BUCKETS] = {1, 10, 100, 1000, 10000, UINT64_MAX};
    return bounds[i];
}

int cp_batch_size_bucket(uint64_t n) {
    int i = 0;
    while (i < CP_BATCH_SIZE_BUCKETS - 1 && n > cp_batch_size_bound(i))
        i++;
    return i;
}

void cp_metrics_add_stored_latency(cp_metrics *m, const cp_hist *h) {
    pthread_mutex_lock(&m->lock);
    cp_hist_merge(&m->stored_latency, h);
    pthread_mutex_unlock(&m->lock);
}

void cp_metrics_set_lags(cp_metrics *m, const cp_lag *lags, size_t n) {
    pthread_mutex_lock(&m->lock);
    m->nlags = n < CP_LAG_MAX ? n : CP_LAG_MAX;
    if (m->nlags)
        memcpy(m->lags, lags, m->nlags * sizeof(*lags));
    pthread_mutex_unlock(&m->lock);
}

void cp_metrics_snapshot_all(cp_metrics *m, cp_metrics_all *out) {
    pthread_mutex_lock(&m->lock);
    out->v = m->v;
    out->output_latency = m->output_latency;
    out->stored_latency = m->stored_latency;
    out->nlags = m->nlags;
    memcpy(out->lags, m->lags, m->nlags * sizeof(m->lags[0]));
    pthread_mutex_unlock(&m->lock);
}

void cp_metrics_output_latency(cp_metrics *m, double ms) {
    pthread_mutex_lock(&m->lock);
    cp_hist_add(&m->output_latency, ms);
    pthread_mutex_unlock(&m->lock);
}

void cp_metrics_latency_snapshot(cp_metrics *m, cp_hist *out) {
    pthread_mutex_lock(&m->lock);
    *out = m->output_latency;
    pthread_mutex_unlock(&m->lock);
}

void cp_metrics_add(cp_metrics *m, const cp_metrics_values *d) {
    const uint64_t *src = (const uint64_t *)d;
    uint64_t *dst = (uint64_t *)&m->v;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < sizeof(*d) / sizeof(uint64_t); i++)
        dst[i] += src[i];
    pthread_mutex_unlock(&m->lock);
}

uint64_t cp_metrics_invalid_total(const cp_metrics_values *v) {
    uint64_t n = 0;
    for (int i = 0; i < CP_REJ_COUNT; i++)
        n += v->invalid[i];
    return n;
}

uint64_t cp_metrics_events_total(const cp_metrics_values *v) {
    uint64_t n = 0;
    for (int i = 0; i < CP_EV_TYPE_COUNT; i++)
        n += v->events[i];
    return n;
}

void cp_metrics_summary(const cp_metrics_values *v, char *buf, size_t size) {
    const struct {
        const char *name;
        uint64_t value;
    } fields[] = {{"consumed", v->consumed},
                  {"valid", cp_metrics_events_total(v)},
                  {"dead_letters", cp_metrics_invalid_total(v)},
                  {"dlq_acked", v->dlq_acked},
                  {"batches", v->batches},
                  {"commits", v->commits},
                  {"rebalances", v->rebalances},
                  {"applied", v->applied},
                  {"duplicates", v->duplicates},
                  {"replayed", v->replayed},
                  {"agent_writes", v->agent_writes},
                  {"slides", v->slides},
                  {"writes_deferred", v->writes_deferred},
                  {"rewinds", v->rewinds},
                  {"stale", v->stale},
                  {"redis_roundtrips", v->redis_roundtrips},
                  {"redis_commands", v->redis_commands},
                  {"redis_failures", v->redis_failures},
                  {"alerts", v->alerts},
                  {"rewards", v->rewards},
                  {"outputs_acked", v->outputs_acked},
                  {"outputs_failed", v->outputs_failed},
                  {"board_ops", v->board_ops},
                  {"board_publishes", v->board_publishes},
                  {"board_unchanged", v->board_unchanged}};
    size_t off = 0;
    int n = snprintf(buf, size, "{");
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]) && n > 0 && (size_t)n < size - off;
         i++) {
        off += (size_t)n;
        n = snprintf(buf + off, size - off, "\"%s\":%llu,", fields[i].name,
                     (unsigned long long)fields[i].value);
    }
    for (int i = 1; i < CP_REJ_COUNT && n > 0 && (size_t)n < size - off; i++) {
        off += (size_t)n;
        n = snprintf(buf + off, size - off, "%s\"%s\":%llu", i > 1 ? "," : "\"invalid\":{",
                     cp_reject_name((cp_reject)i), (unsigned long long)v->invalid[i]);
    }
    if (n > 0 && (size_t)n < size - off) {
        off += (size_t)n;
        snprintf(buf + off, size - off, "}}");
    }
}
