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

double cp_hist_bound(int i) {
    return 0.25 * pow(1.1, i);
}

void cp_hist_add(cp_hist *h, double ms) {
    int i = 0;
    while (i < CP_HIST_BUCKETS - 1 && ms > cp_hist_bound(i))
        i++;
    h->b[i]++;
    h->count++;
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
