/* test_ops.c -- the operations endpoint (contract 7): /metrics scraped
 * during a run and parsed, its counters moving and agreeing with the
 * events sent (by type and by invalid reason), lag per partition, latency
 * and batch-size histograms; /healthz 200, 503 while Redis is stopped, 200
 * again after. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "oracle.h"

#define TOPIC  "call-events"
#define EVENTS 3000
#define PARTS  4

/* The value of the sample whose name and labels are exactly `sample`, or
 * -1 when absent. */
static double sample(const char *body, const char *name) {
    size_t n = strlen(name);
    for (const char *line = body; line && *line;
         line = strchr(line, '\n'), line = line ? line + 1 : NULL)
        if (strncmp(line, name, n) == 0 && line[n] == ' ')
            return strtod(line + n + 1, NULL);
    return -1;
}

/* Sum of every sample of a metric family with labels. */
static double family_sum(const char *body, const char *name) {
    size_t n = strlen(name);
    double sum = 0;
    for (const char *line = body; line && *line;
         line = strchr(line, '\n'), line = line ? line + 1 : NULL)
        if (strncmp(line, name, n) == 0 && line[n] == '{')
            sum += strtod(strchr(line, '}') + 2, NULL);
    return sum;
}

static const char *scrape(int port) {
    const char *body;
    int status = h_http_get(port, "/metrics", &body);
    ck_assert_msg(status == 200, "/metrics answered %d", status);
    return body;
}

static int wait_health(int port, int want, int timeout_ms) {
    const char *body = "";
    int status = -1;
    for (int waited = 0; waited <= timeout_ms; waited += 200) {
        status = h_http_get(port, "/healthz", &body);
        if (status == want)
            return status;
        h_sleep_ms(200);
    }
    ck_abort_msg("/healthz stayed %d (%s), expected %d", status, body, want);
    return status;
}

static const char *bad_events[] = {
    "{not json",
    "{\"event_id\":\"b1\",\"type\":\"coffee_break\",\"agent_id\":\"a1\",\"ts\":1}",
    "[]",
    "{\"event_id\":\"b2\",\"type\":\"survey\",\"agent_id\":\"a1\",\"ts\":1795392000000,"
    "\"call_id\":\"c\",\"csat\":9}",
};
static const char *bad_reasons[] = {"invalid_json", "unknown_type", "not_object", "bad_value"};
#define NBAD 4

START_TEST(test_metrics_and_health) {
    h_env e;
    h_proc run;
    char config[512];
    const char *types[] = {"call_offered", "call_answered", "call_missed", "call_ended",
                           "wrapup_ended", "survey",        "qa_scored",   "agent_state"};
    int64_t now = h_now_ms();
    o_params op = {.agents = 12,
                   .events = EVENTS,
                   .start_ms = now - 3600000,
                   .end_ms = now - 60000,
                   .seed = 77};
    size_t n;
    o_event *evs = o_generate(&op, &n);
    long per_type[8] = {0};
    h_env_start(&e, PARTS);
    int port = h_free_port();
    snprintf(config, sizeof(config),
             "{\"http\":{\"listen\":\"127.0.0.1:%d\"},\"kafka\":{\"properties\":{"
             "\"session.timeout.ms\":\"6000\",\"heartbeat.interval.ms\":\"500\"}}}",
             port);
    h_run_start(&e, &run, h_write_config(&e, "c.json", config), "ops", "run");
    ck_assert(h_wait_log(&run, "assigned", 30000) == 0);
    ck_assert_int_eq(wait_health(port, 200, 10000), 200);

    rd_kafka_t *p = h_producer(&e);
    for (size_t i = 0; i < n / 2; i++)
        h_produce_nowait(p, TOPIC, evs[i].agent, strlen(evs[i].agent), evs[i].json,
                         evs[i].json_len);
    h_flush(p);
    h_wait_caught_up(&e, "ops", TOPIC, &run, 60);
    h_sleep_ms(1500); /* counters are published after each batch, lags every second */
    double first = sample(scrape(port), "callpulse_messages_consumed_total");
    ck_assert_msg(first >= (double)(n / 2), "consumed %f after %zu", first, n / 2);

    for (size_t i = n / 2; i < n; i++)
        h_produce_nowait(p, TOPIC, evs[i].agent, strlen(evs[i].agent), evs[i].json,
                         evs[i].json_len);
    for (int i = 0; i < NBAD; i++)
        h_produce_nowait(p, TOPIC, "a1", 2, bad_events[i], strlen(bad_events[i]));
    h_flush(p);
    h_wait_caught_up(&e, "ops", TOPIC, &run, 60);
    h_sleep_ms(1500);
    const char *m = scrape(port);
    for (size_t i = 0; i < n; i++)
        per_type[evs[i].type]++;

    ck_assert_msg(sample(m, "callpulse_messages_consumed_total") == (double)(n + NBAD),
                  "consumed %f, sent %zu", sample(m, "callpulse_messages_consumed_total"),
                  n + NBAD);
    ck_assert(sample(m, "callpulse_messages_consumed_total") > first); /* it moved */
    for (int t = 0; t < 8; t++) {
        char name[128];
        snprintf(name, sizeof(name), "callpulse_events_total{type=\"%s\"}", types[t]);
        ck_assert_msg(sample(m, name) == (double)per_type[t], "%s = %f, sent %ld", name,
                      sample(m, name), per_type[t]);
    }
    for (int b = 0; b < NBAD; b++) {
        char name[128];
        snprintf(name, sizeof(name), "callpulse_invalid_events_total{reason=\"%s\"}",
                 bad_reasons[b]);
        ck_assert_msg(sample(m, name) == 1, "%s = %f", name, sample(m, name));
    }
    ck_assert(family_sum(m, "callpulse_invalid_events_total") == NBAD);
    ck_assert(sample(m, "callpulse_dead_letters_acked_total") == NBAD);
    for (int part = 0; part < PARTS; part++) {
        char name[128];
        snprintf(name, sizeof(name),
                 "callpulse_consumer_lag_messages{topic=\"call-events\",partition=\"%d\"}", part);
        ck_assert_msg(sample(m, name) == 0, "%s = %f", name, sample(m, name));
    }
    ck_assert(sample(m, "callpulse_end_to_end_latency_seconds_count") == (double)(n + NBAD));
    ck_assert(sample(m, "callpulse_end_to_end_latency_seconds_bucket{le=\"+Inf\"}") ==
              (double)(n + NBAD));
    ck_assert(sample(m, "callpulse_batch_size_messages_sum") == (double)(n + NBAD));
    ck_assert(sample(m, "callpulse_batch_size_messages_count") ==
              sample(m, "callpulse_batch_size_messages_bucket{le=\"+Inf\"}"));
    ck_assert(sample(m, "callpulse_redis_roundtrips_total") > 0);
    ck_assert(sample(m, "callpulse_rebalances_total") >= 1);
    ck_assert(sample(m, "callpulse_board_publishes_total") > 0);
    ck_assert(sample(m, "callpulse_rewards_total") >= 0);

    h_redis_stop(&e);
    ck_assert_int_eq(wait_health(port, 503, 10000), 503);
    h_redis_start(&e);
    ck_assert_int_eq(wait_health(port, 200, 10000), 200);

    ck_assert_int_eq(h_stop(&run, SIGTERM, 10000), 0);
    ck_assert_int_eq(h_summary_int(&run, "consumed"), (long long)(n + NBAD));
    rd_kafka_destroy(p);
    free(evs);
    h_env_stop(&e);
}
END_TEST

/* Another writer that keeps changing agent a1's version: every write of
 * a1 this processor sends is refused as stale. Its commands stream
 * without pause (replies are drained by a second thread), so Redis runs
 * some of them between any two commands of the processor. */
typedef struct rival {
    int fd;
    volatile int stop;
    long writes;
} rival;

static void *rival_drain(void *arg) {
    rival *r = arg;
    char buf[65536];
    while (read(r->fd, buf, sizeof(buf)) > 0)
        ;
    return NULL;
}

static void *rival_write(void *arg) {
    static const char cmd[] = "HINCRBY cp:st:{a1} v 1\r\n";
    char buf[256 * (sizeof(cmd) - 1)];
    rival *r = arg;
    for (size_t i = 0; i < 256; i++)
        memcpy(buf + i * (sizeof(cmd) - 1), cmd, sizeof(cmd) - 1);
    while (!r->stop && write(r->fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf))
        r->writes += 256;
    shutdown(r->fd, SHUT_WR); /* the drain sees the end of the replies */
    return NULL;
}

static int rival_connect(int port) {
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

static void produce_event(rd_kafka_t *p, const char *id, int64_t ts) {
    char json[256];
    int n = snprintf(json, sizeof(json),
                     "{\"event_id\":\"%s\",\"type\":\"call_offered\",\"agent_id\":\"a1\","
                     "\"call_id\":\"c-%s\",\"ts\":%lld}",
                     id, id, (long long)ts);
    h_produce(p, TOPIC, "a1", 2, json, (size_t)n, NULL, NULL);
}

/* Writes refused as stale again and again are logged as that (and give
 * /healthz's reason), never as "Redis unavailable", and storing resumes,
 * named the same way, once the other writer stops (issue 11: errors named
 * for what they are). */
START_TEST(test_stale_refusals_named) {
    h_env e;
    h_proc run;
    rival r = {.fd = -1};
    pthread_t t, drain;
    h_env_start(&e, PARTS);
    h_run_start(&e, &run, h_write_config(&e, "c.json", "{}"), "ops-stale", "run");
    ck_assert(h_wait_log(&run, "assigned", 30000) == 0);
    rd_kafka_t *p = h_producer(&e);
    int64_t now = h_now_ms();
    produce_event(p, "s1", now - 2000);
    h_wait_caught_up(&e, "ops-stale", TOPIC, &run, 60);

    r.fd = rival_connect(e.redis_port);
    ck_assert_int_eq(pthread_create(&drain, NULL, rival_drain, &r), 0);
    ck_assert_int_eq(pthread_create(&t, NULL, rival_write, &r), 0);
    while (r.writes == 0)
        h_sleep_ms(10);
    produce_event(p, "s2", now - 1000);
    ck_assert_msg(
        h_wait_log(&run, "writes refused as stale (agent writes kept being refused", 30000) == 0,
        "stale refusals not named");
    ck_assert_msg(h_wait_log(&run, "Redis unavailable", 0) != 0,
                  "stale refusals logged as Redis unavailable");
    r.stop = 1;
    pthread_join(t, NULL);
    pthread_join(drain, NULL);
    close(r.fd);
    ck_assert_int_gt(r.writes, 0);
    ck_assert_msg(
        h_wait_log(&run, "batches are stored again (after: writes refused as stale)", 30000) == 0,
        "did not resume");
    h_wait_caught_up(&e, "ops-stale", TOPIC, &run, 60);
    ck_assert_msg(h_wait_log(&run, "Redis unavailable", 0) != 0,
                  "stale refusals logged as Redis unavailable");
    ck_assert_int_eq(h_stop(&run, SIGTERM, 10000), 0);
    ck_assert_int_gt(h_summary_int(&run, "redis_failures"), 0);
    rd_kafka_destroy(p);
    h_env_stop(&e);
}
END_TEST

/* http.listen with port 0: the system chooses, the log says which port,
 * and /healthz answers there (an operator or a test needs no free-port
 * guess). */
START_TEST(test_http_port_zero_logged) {
    h_env e;
    h_proc run;
    char line[4096] = "";
    const char *said = "serving /metrics and /healthz on 127.0.0.1:0 (port ";
    h_env_start(&e, PARTS);
    h_run_start(&e, &run, h_write_config(&e, "c.json", "{\"http\":{\"listen\":\"127.0.0.1:0\"}}"),
                "ops-port0", "run");
    ck_assert(h_wait_log(&run, said, 30000) == 0);
    FILE *f = fopen(run.log, "r");
    ck_assert(f != NULL);
    while (fgets(line, sizeof(line), f) && !strstr(line, said))
        ;
    fclose(f);
    int port = atoi(strstr(line, said) + strlen(said));
    ck_assert_msg(port > 0 && port < 65536, "logged port %d in: %s", port, line);
    ck_assert_int_eq(wait_health(port, 200, 30000), 200);
    ck_assert_int_eq(h_stop(&run, SIGTERM, 10000), 0);
    h_env_stop(&e);
}
END_TEST

Suite *ops_suite(void) {
    Suite *s = suite_create("ops");
    TCase *tc = tcase_create("http");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_metrics_and_health);
    tcase_add_test(tc, test_stale_refusals_named);
    tcase_add_test(tc, test_http_port_zero_logged);
    suite_add_tcase(s, tc);
    return s;
}
