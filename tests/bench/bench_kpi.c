/* bench_kpi.c -- throughput of the KPI engine on a backlog, against a bare
 * consume + parse loop over the same topic in the same run.
 *
 *   bench_kpi BROKERS REDIS_URL [EVENTS] [AGENTS] [ROUNDS]
 *
 * Produces a stream of AGENTS agents (default 1000) to the input topic:
 * with BENCH_PROFILE unset or "sim", EVENTS events (default 1,000,000) of
 * `callpulse simulate`'s model (the profile of the earlier figures); with
 * BENCH_PROFILE=floor, a whole shift of a floor (floorgen.h, BENCH_FLOOR_HOURS
 * hours, default 12), cut at EVENTS events (default 1,000,000: what the
 * embedded broker keeps on 64 partitions). Then ROUNDS times (default 3):
 *   1. baseline: one consumer reads every message and parses it with
 *      jansson (json_loadb), nothing else;
 *   2. callpulse: the real consumer loop and engine (in this process, a
 *      fresh group, an empty Redis) until every event is stored in Redis;
 *   3. when BENCH_PEER_CMD names the Kafka Streams peer's command
 *      (tests/bench/peers/kstreams, set by run.sh with BENCH_KAFKA=1): the
 *      peer from scratch (a fresh application id, empty state) until every
 *      event is reflected in Redis, then its sums checked against
 *      callpulse's (kpipeer.h; sim profile only);
 *   4. when BENCH_DIY_CMD names a do-it-yourself consumer (tests/bench/
 *      peers/diy_python, set by run.sh): the same way, without the check;
 * and prints events/s of each per round, the median ratios, Redis round
 * trips and commands per event, agent writes per event, Redis CPU (INFO cpu,
 * user + sys) per event and bytes per agent in Redis. The machine is shared and noisy: each round
 * pairs a baseline with the processors measured right after it. BENCH_DECODE_THREADS,
 * BENCH_BATCH_MAX and BENCH_WRITE_BEHIND_S set processor.decode_threads, batch_max and
 * write_behind_s. */
#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_ZERO_STATS /* no valgrind headers: BENCH_CALLGRIND counts nothing */
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(what) ((void)(what))
#endif
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "consumer.h"
#include "floorgen.h"
#include "kafka_io.h"
#include "kpipeer.h"
#include "metrics.h"
#include "runtime.h"
#include "simmodel.h"

#define TOPIC "call-events"

static void die(const char *what) {
    fprintf(stderr, "bench_kpi: %s\n", what);
    exit(1);
}

static rd_kafka_conf_t *conf_for(const char *brokers) {
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof(err)))
        die(err);
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    return conf;
}

/* The end of the shift: one agent_state event per partition (its own
 * agent, sent to that partition) END_STEP_MS after the last simulated one,
 * so every partition's clock moves on and every agent's 15m and 60m
 * windows end with a slide (each keeps part of its buckets): the peer's
 * sums are checked after it. */
#define END_STEP_MS (10 * 60 * 1000)

static int partitions_of(rd_kafka_t *rk) {
    const struct rd_kafka_metadata *md;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, TOPIC, NULL);
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) || md->topic_cnt != 1)
        die("metadata");
    int parts = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    return parts;
}

static long produce_end(rd_kafka_t *rk, int64_t ts) {
    char key[32], value[256];
    int parts = partitions_of(rk);
    for (int p = 0; p < parts; p++) {
        snprintf(key, sizeof(key), "end-%d", p);
        int len = snprintf(value, sizeof(value),
                           "{\"event_id\":\"%s\",\"type\":\"agent_state\",\"agent_id\":\"%s\","
                           "\"ts\":%lld,\"state\":\"offline\"}",
                           key, key, (long long)ts);
        if (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_PARTITION(p),
                              RD_KAFKA_V_KEY(key, strlen(key)),
                              RD_KAFKA_V_VALUE(value, (size_t)len),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END))
            die("produce");
    }
    return parts;
}

static void send_event(rd_kafka_t *rk, const char *key, const char *value, size_t len) {
    while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_KEY(key, strlen(key)),
                             RD_KAFKA_V_VALUE((void *)value, len),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                             RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
        rd_kafka_poll(rk, 10);
    rd_kafka_poll(rk, 0);
}

/* n events of `callpulse simulate`'s model; returns the last ts. */
static int64_t produce_sim(rd_kafka_t *rk, long n, int agents) {
    char key[32], value[2048];
    size_t len;
    cp_sim_params p = {.agents = agents,
                       .teams = agents / 20 + 1,
                       .struggling = agents / 50,
                       .seed = 7,
                       .start_ms = 0,
                       .degrade_at_ms = INT64_MAX,
                       .jitter_ms = 1000};
    int64_t span = cp_sim_span_ms(&p, (uint64_t)n);
    p.start_ms = cp_now_wall_ms() - span - END_STEP_MS - 60000;
    p.degrade_at_ms = p.start_ms + span / 2;
    cp_sim *sim = cp_sim_new(&p);
    int64_t last = p.start_ms;
    for (long i = 0; i < n; i++) {
        int64_t t = cp_sim_next(sim, key, sizeof(key), value, sizeof(value), &len);
        last = t > last ? t : last;
        send_event(rk, key, value, len);
    }
    cp_sim_free(sim);
    return last;
}

static void print_floor(const bench_floor_counts *c, int agents, int64_t first, int64_t last) {
    double hours = (double)(last - first) / 3.6e6;
    printf("floor profile: %.2f h of event time, %ld messages (%.1f per agent-hour), %.0f bytes "
           "each\n",
           hours, c->events, (double)c->events / agents / hours, (double)c->bytes / c->events);
    printf("  duplicates %.2f %%, arrived behind a later ts of their agent %.2f %%, calls %ld, "
           "of them talking >= 15 min %.2f %%\n",
           100.0 * c->duplicates / c->events, 100.0 * c->out_of_order / c->events, c->calls,
           100.0 * c->long_calls / c->calls);
    printf(" ");
    for (int t = 0; t < 8; t++)
        printf(" %s %.1f %%", bench_floor_type_names[t], 100.0 * c->by_type[t] / c->events);
    printf("\n");
}

/* The floor profile, cut at n messages; returns the last ts, *n the count. */
static int64_t produce_floor(rd_kafka_t *rk, long *n, int agents) {
    char key[32], value[2048];
    size_t len;
    int64_t ts, first = INT64_MAX, last = INT64_MIN;
    const char *h = getenv("BENCH_FLOOR_HOURS"), *skip_env = getenv("BENCH_FLOOR_SKIP");
    long skip = skip_env ? atol(skip_env) : 0;
    bench_floor_params p = {.agents = agents, .seed = 13, .hours = h ? atof(h) : 12};
    p.start_ms = cp_now_wall_ms() - (int64_t)(p.hours * 3.6e6) - END_STEP_MS - 60000;
    bench_floor *f = bench_floor_new(&p);
    if (!f)
        die("out of memory");
    long i = 0;
    for (long s = 0;
         s < skip && bench_floor_next(f, key, sizeof(key), value, sizeof(value), &len, &ts); s++)
        ; /* a later part of the shift: the stream starts there */
    bench_floor_counts_reset(f);
    for (; i < *n && bench_floor_next(f, key, sizeof(key), value, sizeof(value), &len, &ts); i++) {
        first = ts < first ? ts : first;
        last = ts > last ? ts : last;
        send_event(rk, key, value, len);
    }
    bench_floor_counts c;
    bench_floor_counts_get(f, &c);
    print_floor(&c, agents, first, last);
    bench_floor_free(f);
    *n = i;
    return last;
}

/* The embedded broker drops the oldest messages of a partition past 5 MB:
 * a stream it cut would never be read whole. */
static void check_kept(rd_kafka_t *rk) {
    int parts = partitions_of(rk);
    for (int p = 0; p < parts; p++) {
        int64_t lo, hi;
        if (rd_kafka_query_watermark_offsets(rk, TOPIC, p, &lo, &hi, 10000))
            die("watermarks");
        if (lo > 0)
            die("the broker dropped the oldest events of a partition: fewer EVENTS or more "
                "BENCH_PARTITIONS");
    }
}

/* The stream of the profile, then produce_end's; returns their count. */
static long produce(const char *brokers, long n, int agents, int floor) {
    char err[256];
    rd_kafka_conf_t *conf = conf_for(brokers);
    rd_kafka_conf_set(conf, "linger.ms", "20", err, sizeof(err));
    rd_kafka_conf_set(conf, "batch.num.messages", "10000", err, sizeof(err));
    rd_kafka_conf_set(conf, "queue.buffering.max.messages", "1000000", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk)
        die(err);
    int64_t t0 = cp_now_mono_ms();
    int64_t last = floor ? produce_floor(rk, &n, agents) : produce_sim(rk, n, agents);
    long ends = produce_end(rk, last + END_STEP_MS);
    if (rd_kafka_flush(rk, 120000))
        die("flush timed out");
    check_kept(rk);
    printf("produced %ld events of %d agents and %ld end-of-shift events in %.1f s\n", n, agents,
           ends, (double)(cp_now_mono_ms() - t0) / 1000.0);
    rd_kafka_destroy(rk);
    return n + ends;
}

/* Bare loop: assign every partition from the start, poll, json_loadb. */
static double baseline(const char *brokers, long n) {
    char err[256];
    rd_kafka_conf_t *conf = conf_for(brokers);
    rd_kafka_conf_set(conf, "group.id", "bench-baseline", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk)
        die(err);
    int parts = partitions_of(rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts);
    for (int p = 0; p < parts; p++)
        rd_kafka_topic_partition_list_add(l, TOPIC, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    long got = 0, parsed = 0;
    int64_t t0 = 0;
    while (got < n) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 1000);
        if (!m)
            continue;
        if (!m->err) {
            if (!t0)
                t0 = cp_now_mono_ms();
            json_t *j = json_loadb(m->payload, m->len, 0, NULL);
            parsed += j != NULL;
            json_decref(j);
            got++;
        }
        rd_kafka_message_destroy(m);
    }
    double secs = (double)(cp_now_mono_ms() - t0) / 1000.0;
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    if (parsed != n)
        die("baseline parse failures");
    return (double)n / secs;
}

typedef struct run_ctx {
    cp_config cfg;
    cp_metrics metrics;
    char err[CP_ERRBUF];
    int rc;
} run_ctx;

static void *run_thread(void *arg) {
    run_ctx *c = arg;
    c->rc = cp_consumer_run(&c->cfg, &c->metrics, NULL, c->err, sizeof(c->err));
    return NULL;
}

/* The processor until every event is stored; fills the final counters. */
static double processor(const char *brokers, const char *redis, long n, int round,
                        cp_metrics_values *out) {
    run_ctx c;
    char err[CP_ERRBUF], group[64];
    pthread_t th;
    cp_config_defaults(&c.cfg);
    snprintf(group, sizeof(group), "bench-callpulse-%d", round);
    /* under callgrind one thread runs at a time, slowly: a 6 s session
     * lets the group coordinator drop the member mid-batch, over and over */
    const char *cfg = getenv("BENCH_CALLGRIND")
                          ? "{\"kafka\":{\"properties\":{\"session.timeout.ms\":\"120000\"}},"
                            "\"log\":{\"level\":\"warn\"}}"
                          : "{\"kafka\":{\"properties\":{\"session.timeout.ms\":\"6000\"}},"
                            "\"log\":{\"level\":\"warn\"}}";
    /* settings a run may change from the environment */
    static const char *const from_env[][2] = {{"BENCH_DECODE_THREADS", "processor.decode_threads"},
                                              {"BENCH_BATCH_MAX", "processor.batch_max"},
                                              {"BENCH_WRITE_BEHIND_S", "processor.write_behind_s"}};
    if (cp_config_load_string(&c.cfg, cfg, err, sizeof(err)) != 0)
        die(err);
    for (size_t i = 0; i < sizeof(from_env) / sizeof(from_env[0]); i++)
        if (getenv(from_env[i][0]) &&
            cp_config_set(&c.cfg, from_env[i][1], getenv(from_env[i][0]), err, sizeof(err)) != 0)
            die(err);
    if (cp_config_set(&c.cfg, "kafka.group_id", group, err, sizeof(err)) != 0 ||
        cp_config_set(&c.cfg, "kafka.brokers", brokers, err, sizeof(err)) != 0 ||
        cp_config_set(&c.cfg, "redis.url", redis, err, sizeof(err)) != 0 ||
        cp_config_validate(&c.cfg, err, sizeof(err)) != 0)
        die(err);
    cp_rt.log_level = CP_LOG_WARN;
    cp_rt.stop = 0;
    cp_metrics_init(&c.metrics);
    pthread_create(&th, NULL, run_thread, &c);
    int64_t t0 = 0, t1 = 0;
    cp_metrics_values v;
    for (;;) {
        cp_metrics_snapshot(&c.metrics, &v);
        if (!t0 && v.consumed > 0)
            t0 = cp_now_mono_ms();
        if ((long)(v.applied + v.duplicates) >= n) {
            t1 = cp_now_mono_ms();
            break;
        }
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    cp_rt.stop = 1;
    pthread_join(th, NULL);
    cp_metrics_snapshot(&c.metrics, out);
    cp_metrics_destroy(&c.metrics);
    cp_config_free(&c.cfg);
    return (double)n / ((double)(t1 - t0) / 1000.0);
}

static redisContext *redis_connect(const char *redis_url) {
    char host[256];
    int port = 6379;
    if (sscanf(redis_url, "redis://%255[^:]:%d", host, &port) < 1)
        die("redis url");
    redisContext *rc = redisConnect(host, port);
    if (!rc || rc->err)
        die("redis connect");
    return rc;
}

static void flush_redis(const char *redis_url) {
    redisContext *rc = redis_connect(redis_url);
    freeReplyObject(redisCommand(rc, "FLUSHALL"));
    redisFree(rc);
}

/* Redis's CPU seconds so far (INFO cpu: used_cpu_user + used_cpu_sys). */
static double redis_cpu(const char *redis_url) {
    static const char *fields[] = {"used_cpu_user:", "used_cpu_sys:"};
    redisContext *rc = redis_connect(redis_url);
    redisReply *r = redisCommand(rc, "INFO cpu");
    double sum = 0;
    for (int i = 0; i < 2 && r && r->type == REDIS_REPLY_STRING; i++) {
        const char *p = strstr(r->str, fields[i]);
        if (p)
            sum += atof(p + strlen(fields[i]));
    }
    freeReplyObject(r);
    redisFree(rc);
    return sum;
}

/* Redis's per-command statistics from here on (CONFIG RESETSTAT). */
static void redis_reset_stats(const char *redis_url) {
    redisContext *rc = redis_connect(redis_url);
    freeReplyObject(redisCommand(rc, "CONFIG RESETSTAT"));
    redisFree(rc);
}

/* INFO commandstats as text (malloc'd; NULL when Redis gave none). */
static char *redis_commandstats(const char *redis_url) {
    redisContext *rc = redis_connect(redis_url);
    redisReply *r = redisCommand(rc, "INFO commandstats");
    char *text = r && r->type == REDIS_REPLY_STRING ? strdup(r->str) : NULL;
    freeReplyObject(r);
    redisFree(rc);
    return text;
}

/* Print Redis's time per command kind in INFO commandstats text `info`
 * (calls, usec) as microseconds per event of n, largest first; commands run
 * inside scripts count under their own name and within evalsha's too. */
typedef struct redis_cmdstat {
    char name[64];
    double calls, usec;
} redis_cmdstat;

/* Largest time first. */
static int cmdstat_order(const void *x, const void *y) {
    const redis_cmdstat *a = x, *b = y;
    return (a->usec < b->usec) - (a->usec > b->usec);
}

static void print_redis_commands(const char *info, size_t n) {
    redis_cmdstat st[64];
    int k = 0;
    for (const char *p = info ? info : ""; k < 64 && (p = strstr(p, "cmdstat_")); p++)
        if (sscanf(p, "cmdstat_%63[^:]:calls=%lf,usec=%lf", st[k].name, &st[k].calls,
                   &st[k].usec) == 3)
            k++;
    qsort(st, (size_t)k, sizeof(st[0]), cmdstat_order);
    printf("\n%-24s %14s %14s %14s\n", "Redis command (last round)", "calls/event", "us/call",
           "us/event");
    for (int i = 0; i < k && i < 12; i++)
        printf("%-24s %14.4f %14.2f %14.2f\n", st[i].name, st[i].calls / (double)n,
               st[i].usec / st[i].calls, st[i].usec / (double)n);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Average MEMORY USAGE of an agent's keys, over every agent. */
static double bytes_per_agent(const char *redis_url, int agents, double *index_bytes) {
    redisContext *rc = redis_connect(redis_url);
    static const char *keys[] = {"st", "ids", "kpi", "kpi", "kpi"};
    static const char *suffix[] = {"", "", ":15m", ":60m", ":day"};
    double total = 0;
    int counted = 0;
    for (int a = 1; a <= agents; a++) {
        long long sum = 0;
        for (int k = 0; k < 5; k++) {
            redisReply *r =
                redisCommand(rc, "MEMORY USAGE cp:%s:{a%04d}%s SAMPLES 0", keys[k], a, suffix[k]);
            if (r && r->type == REDIS_REPLY_INTEGER)
                sum += r->integer;
            freeReplyObject(r);
        }
        if (sum > 0) {
            total += (double)sum;
            counted++;
        }
    }
    long long idx = 0;
    redisReply *r = redisCommand(rc, "KEYS cp:agents:*");
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        redisReply *m = redisCommand(rc, "MEMORY USAGE %s SAMPLES 0", r->element[i]->str);
        if (m && m->type == REDIS_REPLY_INTEGER)
            idx += m->integer;
        freeReplyObject(m);
    }
    freeReplyObject(r);
    redisFree(rc);
    *index_bytes = counted ? (double)idx / counted : 0;
    return counted ? total / counted : 0;
}

/* Step 3 of a round: the peer, then its sums against callpulse's. */
static double peer_round(const char *cmd, char **argv, long n, int r, double *startup,
                         long *differ) {
    char err[512];
    bench_peer_result pr;
    long compared;
    if (bench_peer_run(cmd, argv[1], argv[2], TOPIC, r, n, &pr, err, sizeof(err)) != 0 ||
        bench_peer_compare(argv[2], &compared, differ, err, sizeof(err)) != 0)
        die(err);
    if (compared == 0)
        die("no KPI windows to compare with the peer");
    *startup = pr.startup_s;
    return pr.events_per_s;
}

static void print_peer(double *peer, double *vs_peer, double *startup, long differ, int rounds) {
    double mvs = median(vs_peer, rounds);
    printf("%-46s %12.0f\n", "Kafka Streams peer: first event..stored, ev/s", median(peer, rounds));
    printf("%-46s %12.1f\n", "  its start-up to first event, median s", median(startup, rounds));
    printf("%-46s %12.2f\n", "ratio callpulse / peer, median", mvs);
    printf("%-46s %12s\n", "peer's sums equal callpulse's (every round)", differ ? "NO" : "yes");
    printf("%-46s %12s\n", "goal: callpulse >= 3x Kafka Streams peer",
           mvs >= 3 ? "MET" : "NOT MET");
}

/* BENCH_CALLGRIND=1 under valgrind --tool=callgrind (tests/bench/
 * callgrind.sh): the baseline once and callpulse once, the counts of every
 * thread zeroed before each and dumped under its name after it. */
static void callgrind_pass(char **argv, long n) {
    cp_metrics_values v;
    CALLGRIND_ZERO_STATS;
    double base = baseline(argv[1], n);
    CALLGRIND_DUMP_STATS_AT("baseline");
    flush_redis(argv[2]);
    CALLGRIND_ZERO_STATS;
    double proc = processor(argv[1], argv[2], n, 0, &v);
    CALLGRIND_DUMP_STATS_AT("callpulse");
    printf("callgrind: %ld events; under valgrind baseline %.0f ev/s, callpulse %.0f ev/s\n", n,
           base, proc);
    printf("callgrind: Redis commands per event %.4f, agent writes per event %.4f, "
           "leaderboard commands per event %.4f, events per batch %.1f\n",
           (double)v.redis_commands / n, (double)v.agent_writes / n, (double)v.board_ops / n,
           (double)v.batch_events / (double)v.batches);
}

/* Step 4 of a round: the do-it-yourself consumer, timed like the peer. */
static double diy_round(const char *cmd, char **argv, long n, int r, double *redis_s) {
    char err[512];
    bench_peer_result pr;
    double cpu0 = redis_cpu(argv[2]);
    if (bench_peer_run(cmd, argv[1], argv[2], TOPIC, 100 + r, n, &pr, err, sizeof(err)) != 0)
        die(err);
    *redis_s = redis_cpu(argv[2]) - cpu0;
    return pr.events_per_s;
}

static void print_diy(double *diy, double *vs_diy, double *diy_cpu, long n, int rounds) {
    double mvs = median(vs_diy, rounds);
    printf("%-46s %12.0f\n", "DIY Python consumer: first event..stored, ev/s", median(diy, rounds));
    printf("%-46s %12.2f\n", "  its Redis CPU per event, median us",
           median(diy_cpu, rounds) * 1e6 / n);
    printf("%-46s %12.2f\n", "ratio callpulse / DIY Python, median", mvs);
    printf("%-46s %12s\n", "goal: callpulse >= 5x DIY Python", mvs >= 5 ? "MET" : "NOT MET");
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench_kpi BROKERS REDIS_URL [EVENTS] [AGENTS] [ROUNDS]\n"
                        "  BENCH_PROFILE=sim|floor (default sim), BENCH_FLOOR_HOURS,\n"
                        "  BENCH_PEER_CMD, BENCH_DIY_CMD\n");
        return 2;
    }
    const char *profile = getenv("BENCH_PROFILE") ? getenv("BENCH_PROFILE") : "sim";
    int floor = !strcmp(profile, "floor");
    if (!floor && strcmp(profile, "sim"))
        die("BENCH_PROFILE must be sim or floor");
    long n = argc > 3 ? atol(argv[3]) : 1000000;
    int agents = argc > 4 ? atoi(argv[4]) : 1000;
    int rounds = argc > 5 ? atoi(argv[5]) : 3;
    const char *peer_cmd = getenv("BENCH_PEER_CMD"), *diy_cmd = getenv("BENCH_DIY_CMD");
    double base[16], proc[16], ratio[16], peer[16], vs_peer[16], startup[16], idx;
    double cpu[16], diy[16], vs_diy[16], diy_cpu[16];
    long differ = 0, d;
    char *cmdstats = NULL; /* the last round's INFO commandstats */
    cp_metrics_values v;
    if (rounds < 1 || rounds > 16)
        die("rounds must be 1..16");
    if ((peer_cmd && !*peer_cmd) || floor) /* its sums are checked on the sim profile */
        peer_cmd = NULL;
    if (diy_cmd && !*diy_cmd)
        diy_cmd = NULL;

    printf("profile %s\n", profile);
    n = produce(argv[1], n, agents, floor);
    if (getenv("BENCH_CALLGRIND") && !strcmp(getenv("BENCH_CALLGRIND"), "1")) {
        callgrind_pass(argv, n);
        return 0;
    }
    /* alerts and rewards per round: the same stream must give the same
     * count whatever the batches the fetches made (contract 3) */
    printf("\n%-6s %14s %14s %8s %16s %10s", "round", "baseline ev/s", "callpulse ev/s", "ratio",
           "alerts+rewards", "redis us/ev");
    if (peer_cmd)
        printf(" %14s %10s %10s", "peer ev/s", "cp/peer", "peer diffs");
    if (diy_cmd)
        printf(" %14s %10s", "DIY py ev/s", "cp/DIY");
    printf("\n");
    for (int r = 0; r < rounds; r++) {
        base[r] = baseline(argv[1], n);
        flush_redis(argv[2]);
        double cpu0 = redis_cpu(argv[2]);
        redis_reset_stats(argv[2]);
        proc[r] = processor(argv[1], argv[2], n, r, &v);
        cpu[r] = redis_cpu(argv[2]) - cpu0;
        if (r == rounds - 1)
            cmdstats = redis_commandstats(argv[2]);
        ratio[r] = proc[r] / base[r];
        printf("%-6d %14.0f %14.0f %8.2f %16llu %10.2f", r + 1, base[r], proc[r], ratio[r],
               (unsigned long long)(v.alerts + v.rewards), cpu[r] * 1e6 / n);
        if (peer_cmd) {
            peer[r] = peer_round(peer_cmd, argv, n, r, &startup[r], &d);
            vs_peer[r] = proc[r] / peer[r];
            differ += d;
            printf(" %14.0f %10.2f %10ld", peer[r], vs_peer[r], d);
        }
        if (diy_cmd) {
            diy[r] = diy_round(diy_cmd, argv, n, r, &diy_cpu[r]);
            vs_diy[r] = proc[r] / diy[r];
            printf(" %14.0f %10.2f", diy[r], vs_diy[r]);
        }
        printf("\n");
        fflush(stdout);
    }
    double bytes = bytes_per_agent(argv[2], agents, &idx);
    double mratio = median(ratio, rounds), mproc = median(proc, rounds);

    printf("\n%-46s %12s\n", "measure (last round for counters)", "value");
    printf("%-46s %12.0f\n", "baseline: consume + json_loadb, median ev/s", median(base, rounds));
    printf("%-46s %12.0f\n", "callpulse: consume..stored, median ev/s", mproc);
    printf("%-46s %12.2f\n", "ratio callpulse / baseline, median", mratio);
    printf("%-46s %12.4f\n", "Redis round trips per event", (double)v.redis_roundtrips / n);
    printf("%-46s %12.4f\n", "Redis commands per event", (double)v.redis_commands / n);
    printf("%-46s %12.2f\n", "Redis CPU per event (user+sys), median us",
           median(cpu, rounds) * 1e6 / n);
    printf("%-46s %12.4f\n", "agent writes per event", (double)v.agent_writes / n);
    printf("%-46s %12.4f\n", "  writes left behind per event", (double)v.writes_deferred / n);
    printf("%-46s %12.4f\n", "  of which slides of quiet agents", (double)v.slides / n);
    printf("%-46s %12.4f\n", "alerts and rewards per event", (double)(v.alerts + v.rewards) / n);
    printf("%-46s %12.4f\n", "leaderboard commands per event", (double)v.board_ops / n);
    printf("%-46s %12llu\n", "leaderboard-updates messages (last round)",
           (unsigned long long)v.board_publishes);
    printf("%-46s %12llu\n", "  boards checked and found unchanged",
           (unsigned long long)v.board_unchanged);
    printf("%-46s %12.1f\n", "events per batch", (double)v.batch_events / (double)v.batches);
    printf("%-46s %12.0f\n", "bytes per agent in Redis (5 keys)", bytes);
    printf("%-46s %12.0f\n", "  + partition index, per agent", idx);
    print_redis_commands(cmdstats, (size_t)n);
    free(cmdstats);
    printf("\n%-46s %12s\n", "goal: ratio >= 0.80", mratio >= 0.8 ? "met" : "NOT MET");
    printf("%-46s %12s\n", "goal: >= 100000 events/s", mproc >= 100000 ? "met" : "NOT MET");
    if (peer_cmd)
        print_peer(peer, vs_peer, startup, differ, rounds);
    if (diy_cmd)
        print_diy(diy, vs_diy, diy_cpu, n, rounds);
    if (differ)
        fprintf(stderr,
                "bench_kpi: the peer's sums differ from callpulse's: no valid comparison\n");
    return differ != 0;
}
