/* bench_latency.c -- how fast rewards reach their topic, at a steady rate,
 * beside a bare produce-to-consume hop measured in the same run.
 *
 *   bench_latency BROKERS REDIS_URL [RATE] [SECONDS]
 *
 *   1. bare hop: a producer sends RATE messages/s (default 2000) for SECONDS
 *      (default 15) to a scratch topic; a consumer reads them; latency is
 *      read time minus send time;
 *   2. callpulse: the same producer sends RATE call events/s to the input
 *      topic (a quarter of them 5-star surveys, each worth a reward); the
 *      processor runs in this process; a consumer reads agent-rewards.
 *      (a) inside the processor: batch taken from Kafka -> the broker's
 *          acknowledgement of the reward (the processor's histogram);
 *      (b) end to end: event produced -> reward read by the consumer (the
 *          send time travels in the event_id).
 * Prints p50/p99 of each and the goals: (a) p99 < 10 ms; (b) p99 <= two
 * bare hops + 10 ms.
 *
 * The embedded broker (librdkafka's mock) holds every fetch for the
 * consumer's whole fetch.wait.max.ms (librdkafka's default 500 ms) even
 * when data is there, so events reach a consumer in bursts; real Kafka
 * answers as soon as data arrives. Both the bare hop's consumer and the
 * processor therefore use fetch.wait.max.ms=5 here (BENCH_FETCH_WAIT_MS
 * overrides it, e.g. 500 to see the bursts). */
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "consumer.h"
#include "kafka_io.h"
#include "metrics.h"
#include "runtime.h"

static void die(const char *what) {
    fprintf(stderr, "bench_latency: %s\n", what);
    exit(1);
}

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const char *fetch_wait(void) {
    const char *v = getenv("BENCH_FETCH_WAIT_MS");
    return v ? v : "5";
}

static rd_kafka_t *client(rd_kafka_type_t type, const char *brokers, const char *group) {
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof(err));
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    if (type == RD_KAFKA_PRODUCER)
        rd_kafka_conf_set(conf, "linger.ms", "0", err, sizeof(err));
    if (group)
        rd_kafka_conf_set(conf, "group.id", group, err, sizeof(err));
    rd_kafka_conf_set(conf, "fetch.wait.max.ms", fetch_wait(), err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof(err));
    if (!rk)
        die(err);
    return rk;
}

/* Assign every partition of topic at its end. */
static void assign_end(rd_kafka_t *rk, const char *topic) {
    const struct rd_kafka_metadata *md;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000))
        die("metadata");
    int n = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(n);
    for (int p = 0; p < n; p++)
        rd_kafka_topic_partition_list_add(l, topic, p)->offset = RD_KAFKA_OFFSET_END;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
}

/* ---- samples ------------------------------------------------------------------ */

typedef struct samples {
    double *v;
    size_t n, cap;
    pthread_mutex_t lock;
} samples;

static void sample(samples *s, double ms) {
    pthread_mutex_lock(&s->lock);
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4096;
        s->v = realloc(s->v, s->cap * sizeof(double));
    }
    s->v[s->n++] = ms;
    pthread_mutex_unlock(&s->lock);
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(samples *s, double q) {
    if (s->n == 0)
        return 0;
    qsort(s->v, s->n, sizeof(double), cmp);
    size_t i = (size_t)(q * (double)(s->n - 1) + 0.5);
    return s->v[i];
}

/* ---- reader thread -------------------------------------------------------------- */

typedef struct reader {
    const char *brokers, *topic;
    samples *out;
    volatile int stop, ready;
    int from_event_id; /* 1: send time is in "event_id":"lat-<us>-<n>" */
} reader;

static void *read_loop(void *arg) {
    reader *r = arg;
    rd_kafka_t *rk = client(RD_KAFKA_CONSUMER, r->brokers, "bench-latency-reader");
    assign_end(rk, r->topic);
    r->ready = 1;
    while (!r->stop) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (!m->err && m->len > 0) {
            int64_t now = now_us(), sent = 0;
            const char *p = r->from_event_id ? memmem(m->payload, m->len, "\"lat-", 5) : NULL;
            if (r->from_event_id && p)
                sent = strtoll(p + 5, NULL, 10);
            else if (!r->from_event_id)
                sent = strtoll(m->payload, NULL, 10);
            if (sent > 0)
                sample(r->out, (double)(now - sent) / 1000.0);
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return NULL;
}

static void start_reader(reader *r, pthread_t *th) {
    pthread_create(th, NULL, read_loop, r);
    while (!r->ready)
        nanosleep(&(struct timespec){0, 10000000}, NULL);
    nanosleep(&(struct timespec){1, 0}, NULL); /* let the assignment settle */
}

/* Send `rate` messages per second for `secs` seconds; value() fills one. */
static void pace(rd_kafka_t *p, const char *topic, int rate, int secs,
                 size_t (*value)(char *buf, size_t size, long i, char *key)) {
    char buf[512], key[32];
    int64_t t0 = now_us();
    long total = (long)rate * secs;
    for (long i = 0; i < total; i++) {
        int64_t due = t0 + i * 1000000 / rate;
        while (now_us() < due) {
            rd_kafka_poll(p, 0);
            nanosleep(&(struct timespec){0, 200000}, NULL);
        }
        size_t len = value(buf, sizeof(buf), i, key);
        rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, strlen(key)),
                          RD_KAFKA_V_VALUE(buf, len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_END);
        rd_kafka_poll(p, 0);
    }
    rd_kafka_flush(p, 10000);
}

static size_t hop_value(char *buf, size_t size, long i, char *key) {
    snprintf(key, 32, "k%ld", i % 64);
    return (size_t)snprintf(buf, size, "%" PRId64, now_us());
}

/* Events of 200 agents; every fourth a 5-star survey (a reward). */
static size_t event_value(char *buf, size_t size, long i, char *key) {
    int64_t us = now_us();
    snprintf(key, 32, "L%03ld", i % 200);
    if (i % 4 == 0)
        return (size_t)snprintf(buf, size,
                                "{\"event_id\":\"lat-%" PRId64 "-%ld\",\"type\":\"survey\","
                                "\"agent_id\":\"%s\",\"team_id\":\"t%ld\",\"ts\":%" PRId64
                                ",\"call_id\":\"c%ld\",\"csat\":5}",
                                us, i, key, i % 10, us / 1000, i);
    return (size_t)snprintf(buf, size,
                            "{\"event_id\":\"lat-%" PRId64 "-%ld\",\"type\":\"call_offered\","
                            "\"agent_id\":\"%s\",\"team_id\":\"t%ld\",\"ts\":%" PRId64
                            ",\"call_id\":\"c%ld\"}",
                            us, i, key, i % 10, us / 1000, i);
}

/* The same fetch.wait.max.ms for the processor as for the bare hop. */
static int set_fetch_wait(cp_config *cfg, const char *ms) {
    char json[128], err[CP_ERRBUF];
    snprintf(json, sizeof(json),
             "{\"kafka\":{\"properties\":{\"session.timeout.ms\":\"6000\","
             "\"fetch.wait.max.ms\":\"%s\"}}}",
             ms);
    return cp_config_load_string(cfg, json, err, sizeof(err));
}

typedef struct run_ctx {
    cp_config cfg;
    cp_metrics metrics;
    char err[CP_ERRBUF];
} run_ctx;

static void *run_thread(void *arg) {
    run_ctx *c = arg;
    cp_consumer_run(&c->cfg, &c->metrics, NULL, c->err, sizeof(c->err));
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench_latency BROKERS REDIS_URL [RATE] [SECONDS]\n");
        return 2;
    }
    const char *brokers = argv[1];
    int rate = argc > 3 ? atoi(argv[3]) : 2000, secs = argc > 4 ? atoi(argv[4]) : 15;
    samples hop = {0}, e2e = {0};
    pthread_mutex_init(&hop.lock, NULL);
    pthread_mutex_init(&e2e.lock, NULL);
    pthread_t th;
    rd_kafka_t *p = client(RD_KAFKA_PRODUCER, brokers, NULL);

    /* 1. the bare hop (its topic exists once the producer has sent to it) */
    pace(p, "bench-hop", 10, 1, hop_value);
    reader hr = {brokers, "bench-hop", &hop, 0, 0, 0};
    start_reader(&hr, &th);
    pace(p, "bench-hop", rate, secs, hop_value);
    nanosleep(&(struct timespec){2, 0}, NULL);
    hr.stop = 1;
    pthread_join(th, NULL);

    /* 2. callpulse, in this process */
    run_ctx c;
    char err[CP_ERRBUF];
    pthread_t rt;
    cp_config_defaults(&c.cfg);
    if (cp_config_load_string(&c.cfg,
                              "{\"kafka\":{\"group_id\":\"bench-latency\",\"properties\":{"
                              "\"session.timeout.ms\":\"6000\"}},\"log\":{\"level\":\"warn\"},"
                              "\"alerts\":{\"rules\":[]},\"processor\":{\"batch_max\":256}}",
                              err, sizeof(err)) != 0 ||
        cp_config_set(&c.cfg, "kafka.brokers", brokers, err, sizeof(err)) != 0 ||
        cp_config_set(&c.cfg, "redis.url", argv[2], err, sizeof(err)) != 0 ||
        cp_config_set(&c.cfg, "rewards.daily_cap", "0", err, sizeof(err)) != 0 ||
        set_fetch_wait(&c.cfg, fetch_wait()) != 0 ||
        cp_config_validate(&c.cfg, err, sizeof(err)) != 0)
        die(err);
    cp_rt.log_level = CP_LOG_WARN;
    cp_metrics_init(&c.metrics);
    pthread_create(&rt, NULL, run_thread, &c);
    reader rr = {brokers, "agent-rewards", &e2e, 0, 0, 1};
    start_reader(&rr, &th);
    pace(p, "call-events", 20, 5, event_value); /* warm-up: group join, first loads */
    pace(p, "call-events", rate, secs, event_value);
    nanosleep(&(struct timespec){3, 0}, NULL);
    rr.stop = 1;
    pthread_join(th, NULL);
    cp_hist inside;
    cp_metrics_latency_snapshot(&c.metrics, &inside);
    cp_rt.stop = 1;
    pthread_join(rt, NULL);
    rd_kafka_destroy(p);

    double hop50 = pct(&hop, 0.5), hop99 = pct(&hop, 0.99);
    double in50 = cp_hist_quantile(&inside, 0.5), in99 = cp_hist_quantile(&inside, 0.99);
    double e50 = pct(&e2e, 0.5), e99 = pct(&e2e, 0.99);
    printf("\nrate %d events/s for %d s, fetch.wait.max.ms %s\n", rate, secs, fetch_wait());
    printf("%-52s %10s %10s %8s\n", "latency (ms)", "p50", "p99", "samples");
    printf("%-52s %10.2f %10.2f %8zu\n", "bare hop: produce -> consume", hop50, hop99, hop.n);
    printf("%-52s %10.2f %10.2f %8llu\n", "(a) inside: batch taken -> reward acknowledged", in50,
           in99, (unsigned long long)inside.count);
    printf("%-52s %10.2f %10.2f %8zu\n", "(b) end to end: event produced -> reward read", e50, e99,
           e2e.n);
    printf("(a) is a histogram: each figure is its bucket's upper bound (buckets 10%% apart)\n");
    printf("%-52s %s\n", "goal (a): p99 < 10 ms", in99 < 10 ? "met" : "NOT MET");
    printf("%-52s %s (%.0f ms allowed)\n", "goal (b): p99 <= 2 x bare hop p99 + 10 ms",
           e99 <= 2 * hop99 + 10 ? "met" : "NOT MET", 2 * hop99 + 10);
    cp_metrics_destroy(&c.metrics);
    cp_config_free(&c.cfg);
    return 0;
}
