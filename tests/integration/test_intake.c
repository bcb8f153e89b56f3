/* test_intake.c -- event intake end to end: the embedded broker, a real
 * redis-server and `callpulse run` as a separate process; input produced by
 * a Kafka client; dead letters, committed offsets, restarts, rebalances and
 * shutdown checked from the outside. */
#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "simmodel.h"

#define TOPIC "call-events"
#define DLQ   "call-events-dlq"

static const char *CONFIG = "{\"kafka\":{\"properties\":{\"session.timeout.ms\":\"6000\","
                            "\"heartbeat.interval.ms\":\"500\"}}}";

/* A time-ordered stream of valid simulated events (20 agents) whose last
 * event is about a minute old, produced in parts. */
typedef struct valid_stream {
    cp_sim *sim;
} valid_stream;

static void stream_open(valid_stream *vs, int total, uint64_t seed) {
    cp_sim_params sp = {.agents = 20,
                        .teams = 4,
                        .seed = seed,
                        .start_ms = 0,
                        .degrade_at_ms = INT64_MAX,
                        .jitter_ms = 500};
    sp.start_ms = h_now_ms() - cp_sim_span_ms(&sp, (uint64_t)total) - 60000;
    vs->sim = cp_sim_new(&sp);
}

static void stream_produce(valid_stream *vs, rd_kafka_t *p, int n) {
    char key[32], value[2048];
    size_t len;
    for (int i = 0; i < n; i++) {
        cp_sim_next(vs->sim, key, sizeof(key), value, sizeof(value), &len);
        h_produce_nowait(p, TOPIC, key, strlen(key), value, len);
    }
    h_flush(p);
}

static void stream_close(valid_stream *vs) {
    cp_sim_free(vs->sim);
}

static void wait_caught_up(h_env *e, const char *group, const h_proc *proc) {
    h_wait_caught_up(e, group, TOPIC, proc, 60);
}

/* ---- dead letters -------------------------------------------------------- */

typedef struct bad_input {
    const char *key; /* NULL: null key */
    char *value;     /* NULL: null value */
    size_t len;
    const char *want;
    int32_t partition;
    int64_t offset;
} bad_input;

static void add_bad(bad_input *b, size_t *n, const char *key, const char *value, size_t len,
                    const char *want) {
    b[*n].key = key;
    b[*n].value = value ? malloc(len) : NULL;
    if (value)
        memcpy(b[*n].value, value, len);
    b[*n].len = len;
    b[*n].want = want;
    (*n)++;
}

static size_t build_bad_inputs(bad_input *b) {
    size_t n = 0;
    char buf[512];
    long long now = (long long)h_now_ms();
    add_bad(b, &n, "a0001", "{\"event_id\":\"x1\",\"type\":", 25, "invalid_json");
    add_bad(b, &n, "a0002", "{\"event_id\":\"\xff\xfe\"}", 18, "invalid_json");
    add_bad(b, &n, NULL, "not json at all", 15, "invalid_json");
    add_bad(b, &n, "a0003", NULL, 0, "invalid_json");
    add_bad(b, &n, "a0004", "[1,2,3]", 7, "not_object");
    snprintf(buf, sizeof(buf),
             "{\"event_id\":\"x2\",\"type\":\"call_offered\",\"agent_id\":\"a0005\","
             "\"call_id\":\"c\"}");
    add_bad(b, &n, "a0005", buf, strlen(buf), "missing_field");
    snprintf(buf, sizeof(buf),
             "{\"event_id\":\"x3\",\"type\":\"call_offered\",\"agent_id\":\"a0006\",\"ts\":true,"
             "\"call_id\":\"c\"}");
    add_bad(b, &n, "a0006", buf, strlen(buf), "bad_type"); /* a fractional ts is bad_value */
    snprintf(buf, sizeof(buf),
             "{\"event_id\":\"x4\",\"type\":\"survey\",\"agent_id\":\"a0007\",\"ts\":%lld,"
             "\"call_id\":\"c\",\"csat\":9}",
             now - 5000);
    add_bad(b, &n, "a0007", buf, strlen(buf), "bad_value");
    snprintf(buf, sizeof(buf),
             "{\"event_id\":\"x5\",\"type\":\"call_offered\",\"agent_id\":\"a 8\",\"ts\":%lld,"
             "\"call_id\":\"c\"}",
             now - 5000);
    add_bad(b, &n, "a0008", buf, strlen(buf), "bad_id");
    snprintf(buf, sizeof(buf),
             "{\"event_id\":\"x6\",\"type\":\"call_parked\",\"agent_id\":\"a0009\",\"ts\":%lld,"
             "\"call_id\":\"c\"}",
             now - 5000);
    add_bad(b, &n, "a0009", buf, strlen(buf), "unknown_type");
    snprintf(buf, sizeof(buf),
             "{\"event_id\":\"x7\",\"type\":\"call_offered\",\"agent_id\":\"a0010\",\"ts\":%lld,"
             "\"call_id\":\"c\"}",
             now + 3600000);
    add_bad(b, &n, "a0010", buf, strlen(buf), "future_ts");
    char *big = malloc(70000);
    memset(big, ' ', 70000);
    memcpy(big, "{\"event_id\":\"big\"", 17);
    big[69999] = '}';
    add_bad(b, &n, "a0011", big, 70000, "too_large");
    free(big);
    return n;
}

/* A valid event at `now` for agent late-1, then one `behind_ms` older on
 * the same key (same partition): too late when behind_ms > lateness. */
static void produce_late_pair(rd_kafka_t *p, bad_input *late, long long behind_ms) {
    char buf[256];
    long long now = (long long)h_now_ms();
    snprintf(buf, sizeof(buf),
             "{\"event_id\":\"late-ok\",\"type\":\"call_offered\",\"agent_id\":\"late-1\","
             "\"ts\":%lld,\"call_id\":\"c\"}",
             now);
    h_produce(p, TOPIC, "late-1", 6, buf, strlen(buf), NULL, NULL);
    snprintf(buf, sizeof(buf),
             "{\"event_id\":\"late-bad\",\"type\":\"call_offered\",\"agent_id\":\"late-1\","
             "\"ts\":%lld,\"call_id\":\"c\"}",
             now - behind_ms);
    size_t n = 0;
    add_bad(late, &n, "late-1", buf, strlen(buf), "too_late");
    h_produce(p, TOPIC, late->key, 6, late->value, late->len, &late->partition, &late->offset);
}

static int bytes_equal(const void *a, size_t alen, const void *b, size_t blen) {
    if (!a || !b)
        return a == b;
    return alen == blen && memcmp(a, b, alen) == 0;
}

START_TEST(test_dead_letters_byte_identical) {
    h_env e;
    h_proc run;
    bad_input bad[16];
    char source[128];
    h_env_start(&e, 4);
    h_run_start(&e, &run, h_write_config(&e, "c.json", CONFIG), "it-dlq", "run");
    rd_kafka_t *p = h_producer(&e);

    valid_stream vs;
    size_t nbad = build_bad_inputs(bad);
    stream_open(&vs, 3000, 11);
    stream_produce(&vs, p, 1500);
    for (size_t i = 0; i < nbad; i++) /* interleaved with valid traffic */
        h_produce(p, TOPIC, bad[i].key, bad[i].key ? strlen(bad[i].key) : 0, bad[i].value,
                  bad[i].len, &bad[i].partition, &bad[i].offset);
    stream_produce(&vs, p, 1500);
    stream_close(&vs);
    produce_late_pair(p, &bad[nbad++], 700000);

    wait_caught_up(&e, "it-dlq", &run);
    ck_assert_msg(h_alive(&run), "processor stopped");

    h_msgs dlq;
    h_read_topic(&e, DLQ, &dlq);
    ck_assert_uint_eq(dlq.n, nbad);
    for (size_t i = 0; i < nbad; i++) {
        snprintf(source, sizeof(source), TOPIC "/%d/%lld", (int)bad[i].partition,
                 (long long)bad[i].offset);
        const h_msg *found = NULL;
        for (size_t j = 0; j < dlq.n && !found; j++)
            if (strcmp(dlq.v[j].source, source) == 0)
                found = &dlq.v[j];
        ck_assert_msg(found != NULL, "no dead letter for %s (%s)", source, bad[i].want);
        ck_assert_str_eq(found->error, bad[i].want);
        ck_assert_msg(found->detail[0] != '\0', "%s: empty detail", source);
        ck_assert_msg(bytes_equal(found->key, found->key_len, bad[i].key,
                                  bad[i].key ? strlen(bad[i].key) : 0),
                      "%s: key differs", source);
        ck_assert_msg(bytes_equal(found->value, found->value_len, bad[i].value, bad[i].len),
                      "%s: value differs (%zu vs %zu bytes)", source, found->value_len, bad[i].len);
    }
    h_msgs_free(&dlq);

    ck_assert_int_eq(h_stop(&run, SIGTERM, 10000), 0);
    ck_assert_int_eq(h_summary_int(&run, "valid"), 3001);
    ck_assert_int_eq(h_summary_int(&run, "dead_letters"), (long long)nbad);
    ck_assert_int_eq(h_summary_int(&run, "consumed"), 3001 + (long long)nbad);
    ck_assert_int_eq(h_group_lag(&e, "it-dlq", TOPIC), 0);

    for (size_t i = 0; i < nbad; i++)
        free(bad[i].value);
    rd_kafka_destroy(p);
    h_env_stop(&e);
}
END_TEST

/* ---- restart ------------------------------------------------------------- */

/* A restarted processor resumes at the committed offsets, and with the
 * partition clock committed beside them: an event too late for the clock
 * before the restart is still too late when it is the first event the new
 * process sees on that partition. */
START_TEST(test_restart_resumes_with_offsets_and_clock) {
    h_env e;
    h_proc run1, run2;
    bad_input late[1];
    valid_stream vs;
    char buf[256];
    const char *cfg;
    h_env_start(&e, 2);
    cfg = h_write_config(&e, "c.json",
                         "{\"windows\":{\"lateness_s\":7200},\"kafka\":{\"properties\":{"
                         "\"session.timeout.ms\":\"6000\",\"heartbeat.interval.ms\":\"500\"}}}");
    rd_kafka_t *p = h_producer(&e);

    h_run_start(&e, &run1, cfg, "it-restart", "run1");
    stream_open(&vs, 800, 21);
    stream_produce(&vs, p, 500);
    produce_late_pair(p, late, 7300000); /* late-1's partition clock = now */
    wait_caught_up(&e, "it-restart", &run1);
    ck_assert_int_eq(h_stop(&run1, SIGTERM, 10000), 0);
    ck_assert_int_eq(h_summary_int(&run1, "consumed"), 502);

    snprintf(buf, sizeof(buf),
             "{\"event_id\":\"late-2\",\"type\":\"call_offered\",\"agent_id\":\"late-1\","
             "\"ts\":%lld,\"call_id\":\"c\"}",
             (long long)h_now_ms() - 7300000);
    h_produce(p, TOPIC, "late-1", 6, buf, strlen(buf), NULL, NULL);
    stream_produce(&vs, p, 300);
    stream_close(&vs);

    h_run_start(&e, &run2, cfg, "it-restart", "run2");
    wait_caught_up(&e, "it-restart", &run2);
    ck_assert_int_eq(h_stop(&run2, SIGTERM, 10000), 0);
    ck_assert_int_eq(h_summary_int(&run2, "consumed"), 301);
    ck_assert_int_eq(h_summary_int(&run2, "valid"), 300);
    json_t *j = h_run_summary(&run2);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "invalid"), "too_late")),
                     1);
    json_decref(j);
    free(late[0].value);
    rd_kafka_destroy(p);
    h_env_stop(&e);
}
END_TEST

/* ---- rebalance ----------------------------------------------------------- */

/* A second member joins mid-stream: the first finishes and commits before
 * giving partitions away, so together they consume every message once. */
START_TEST(test_rebalance_hands_over_exactly) {
    h_env e;
    h_proc a, b;
    const char *cfg;
    h_env_start(&e, 4);
    cfg = h_write_config(&e, "c.json", CONFIG);
    rd_kafka_t *p = h_producer(&e);

    valid_stream vs;
    h_run_start(&e, &a, cfg, "it-rebalance", "a");
    stream_open(&vs, 2000, 31);
    stream_produce(&vs, p, 1000);
    wait_caught_up(&e, "it-rebalance", &a);
    h_run_start(&e, &b, cfg, "it-rebalance", "b");
    ck_assert_msg(h_wait_log(&b, "assigned", 30000) == 0, "second member got no partitions");
    stream_produce(&vs, p, 1000);
    stream_close(&vs);
    wait_caught_up(&e, "it-rebalance", &b);
    ck_assert_int_eq(h_stop(&a, SIGTERM, 10000), 0);
    ck_assert_int_eq(h_stop(&b, SIGTERM, 10000), 0);
    ck_assert_int_gt(h_summary_int(&b, "consumed"), 0);
    ck_assert_int_eq(h_summary_int(&a, "consumed") + h_summary_int(&b, "consumed"), 2000);
    ck_assert_int_eq(h_group_lag(&e, "it-rebalance", TOPIC), 0);
    rd_kafka_destroy(p);
    h_env_stop(&e);
}
END_TEST

Suite *intake_suite(void) {
    Suite *s = suite_create("intake");
    TCase *tc = tcase_create("intake");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, test_dead_letters_byte_identical);
    tcase_add_test(tc, test_restart_resumes_with_offsets_and_clock);
    tcase_add_test(tc, test_rebalance_hands_over_exactly);
    suite_add_tcase(s, tc);
    return s;
}
