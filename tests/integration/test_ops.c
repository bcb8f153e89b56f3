/* test_ops.c -- the operations endpoint (contract 7): /metrics scraped
 * during a run and parsed, its counters moving and agreeing with the
 * events sent (by type and by invalid reason), lag per partition, latency
 * and batch-size histograms; /healthz 200, 503 while Redis is stopped, 200
 * again after. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

Suite *ops_suite(void) {
    Suite *s = suite_create("ops");
    TCase *tc = tcase_create("http");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_metrics_and_health);
    suite_add_tcase(s, tc);
    return s;
}
