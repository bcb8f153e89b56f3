/* test_realkafka.c -- what only a real Apache Kafka can show (issue 12):
 *
 *   broker_restart  one broker, killed -9 mid-stream and started again on
 *                   its data: the processor rides through;
 *   leader_killed   three brokers (replication 3, min.insync.replicas 2):
 *                   the leader of call-events partition 0 killed -9
 *                   mid-stream: the processor goes on with the new leader;
 *   compaction      leaderboard-updates with segment.ms, segment.bytes and
 *                   min.cleanable.dirty.ratio lowered: once the cleaner has
 *                   run, each board keeps one view, the last published;
 *   lag             the release's kafka-consumer-groups (ConsumerGroupCommand)
 *                   reports the group's lag 0 while the processor runs;
 *                   with it stopped, exactly the events produced since,
 *                   rising as more come; 0 again once it is back.
 *
 * After a broker fault: the processor never died and caught up; every KPI
 * hash and board equals the oracle's; every alert and reward is on its
 * topic exactly once, with the ids and fields (buddy aside) of the same
 * stream processed without a fault by the embedded broker.
 *
 * Real Kafka only: without CALLPULSE_KAFKA_SH naming deploy/kafka.sh every
 * case fails at once (ctest runs this suite only with it). */
#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checks.h"
#include "harness.h"
#include "outputs.h"
#include "stream.h"

#define PARTS       4
#define AGENTS      30
#define QUIET       5
#define EVENTS      6000
#define CHUNKS      12
#define FAULT_CHUNK 5 /* the fault comes while this chunk is being processed */
#define PACE_MS     200
#define DOWN_MS     3000 /* a restarted broker stays down this long */
#define GROUP       "callpulse"
#define LB_TOPIC    "leaderboard-updates"
#define GROUPS_TOOL "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"
#define CONFIG_TOOL "kafka.admin.ConfigCommand"

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The processor's config: idle_s 0, so the outputs are a function of the
 * input and a run can be compared with a reference run. */
static void write_config(stream *s, int batch_max, int publish_ms) {
    snprintf(s->config, sizeof(s->config),
             "{\"windows\":{\"day_offset_min\":%d,\"idle_s\":0},\"kafka\":{"
             "\"commit_interval_ms\":500,\"properties\":{\"session.timeout.ms\":\"6000\","
             "\"heartbeat.interval.ms\":\"500\"}},\"processor\":{\"batch_max\":%d},"
             "\"leaderboard\":{\"publish_interval_ms\":%d}}",
             s->day_offset_min, batch_max, publish_ms);
}

static void start_processor(h_env *e, h_proc *run, const stream *s, const char *tag) {
    h_run_start(e, run, h_write_config(e, "c.json", s->config), GROUP, tag);
    ck_assert_msg(h_wait_log(run, "assigned", 60000) == 0, "no partitions (see %s)", run->log);
}

static void stop_processor(h_proc *run) {
    ck_assert_msg(h_alive(run), "the processor died (see %s)", run->log);
    int rc = h_stop(run, SIGTERM, 15000);
    ck_assert_msg(rc == 0, "the processor exited %d on SIGTERM (see %s)", rc, run->log);
}

/* ---- outputs against a reference run ---------------------------------------------- */

typedef struct outs {
    json_t *alerts, *rewards; /* id -> message */
    size_t alert_copies, reward_copies;
} outs;

static void outs_read(const h_env *e, outs *o) {
    int differ = 0;
    o->alerts = json_object();
    o->rewards = json_object();
    o->alert_copies = out_read(e, "agent-alerts", "alert_id", o->alerts, &differ);
    o->reward_copies = out_read(e, "agent-rewards", "reward_id", o->rewards, &differ);
    ck_assert_msg(!differ, "copies of one output differ (see stderr)");
}

static void outs_free(outs *o) {
    json_decref(o->alerts);
    json_decref(o->rewards);
}

/* The same stream as one backlog on the embedded broker: the outputs a run
 * without any fault gives. Every event must land where it did in the run
 * under test (placed[]), else the two are not comparable. */
static void reference_outputs(stream *s, const h_out *placed, outs *ref) {
    h_env e;
    h_proc run;
    memset(&run, 0, sizeof(run));
    h_env_start_embedded(&e, PARTS);
    rd_kafka_t *prod = h_producer(&e);
    for (int c = 0; c < s->chunks; c++)
        stream_produce_chunk(s, prod, c);
    for (size_t i = 0; i < s->n; i++)
        ck_assert_msg(s->out[i].partition == placed[i].partition &&
                          s->out[i].offset == placed[i].offset,
                      "event %zu at %d/%lld in the reference, at %d/%lld on Kafka", i,
                      (int)s->out[i].partition, (long long)s->out[i].offset,
                      (int)placed[i].partition, (long long)placed[i].offset);
    start_processor(&e, &run, s, "reference");
    h_wait_caught_up(&e, GROUP, STREAM_TOPIC, &run, 60);
    h_wait_outboxes_empty(&e, "cp:", 30000);
    outs_read(&e, ref);
    stop_processor(&run);
    rd_kafka_destroy(prod);
    h_env_stop(&e);
}

/* Every output once (no second copy) and the reference's ids and fields. */
static void check_outputs(const char *label, const outs *got, const outs *ref) {
    fprintf(stderr, "%s: %zu alerts (%zu messages), %zu rewards (%zu); reference %zu and %zu\n",
            label, json_object_size(got->alerts), got->alert_copies, json_object_size(got->rewards),
            got->reward_copies, json_object_size(ref->alerts), json_object_size(ref->rewards));
    ck_assert_msg(json_object_size(ref->alerts) >= 20 && json_object_size(ref->rewards) >= 20,
                  "the stream gives too few outputs to check: %zu alerts, %zu rewards",
                  json_object_size(ref->alerts), json_object_size(ref->rewards));
    ck_assert_msg(got->alert_copies == json_object_size(got->alerts),
                  "%s: %zu alert messages for %zu alert ids", label, got->alert_copies,
                  json_object_size(got->alerts));
    ck_assert_msg(got->reward_copies == json_object_size(got->rewards),
                  "%s: %zu reward messages for %zu reward ids", label, got->reward_copies,
                  json_object_size(got->rewards));
    size_t da = out_compare(label, ref->alerts, got->alerts, 5);
    size_t dr = out_compare(label, ref->rewards, got->rewards, 5);
    ck_assert_msg(da + dr == 0, "%s: %zu alerts and %zu rewards differ from the reference", label,
                  da, dr);
}

/* ---- riding through a broker fault -------------------------------------------------- */

typedef struct ride {
    const char *label;
    stream s;
    h_env e;
    h_proc run;
    rd_kafka_t *prod;
} ride;

typedef void (*fault_fn)(ride *r);

/* Node 1 (the only one) killed -9, down DOWN_MS, started on its data. */
static void restart_broker(ride *r) {
    int64_t t0 = mono_ms();
    h_kafka_node_stop(&r->e, 1, SIGKILL);
    h_sleep_ms(DOWN_MS);
    h_kafka_node_start(&r->e, 1);
    h_kafka_wait_leaders(&r->e, STREAM_TOPIC, 0, 60000);
    fprintf(stderr, "%s: broker killed -9 and back in %.1f s\n", r->label,
            (double)(mono_ms() - t0) / 1000);
}

/* The leader of call-events partition 0 killed -9; another takes over. */
static void kill_leader(ride *r) {
    int64_t t0 = mono_ms();
    int leader = h_kafka_leader(&r->e, STREAM_TOPIC, 0);
    ck_assert_msg(leader >= 1 && leader <= r->e.kafka_nodes, "no leader of %s [0]: %d",
                  STREAM_TOPIC, leader);
    h_kafka_node_stop(&r->e, leader, SIGKILL);
    int now = h_kafka_wait_leaders(&r->e, STREAM_TOPIC, leader, 60000);
    ck_assert_msg(now >= 1 && now != leader, "leader of %s [0] still %d", STREAM_TOPIC, now);
    fprintf(stderr, "%s: leader %d of %s [0] killed -9, node %d leads after %.1f s\n", r->label,
            leader, STREAM_TOPIC, now, (double)(mono_ms() - t0) / 1000);
}

/* The stream in chunks while the processor runs; the fault while chunk
 * FAULT_CHUNK is in hand (the processor caught up on the earlier ones,
 * so it is connected and has committed); then the checks, and the same
 * stream once more without a fault for the outputs. */
static void ride_through(const char *label, int nodes, uint64_t seed, fault_fn fault) {
    static ride r; /* large: off the stack */
    outs got, ref;
    int64_t t0 = mono_ms();
    memset(&r, 0, sizeof(r));
    r.label = label;
    stream_make(&r.s, seed, AGENTS, QUIET, EVENTS, CHUNKS, 500);
    write_config(&r.s, 200, 1000);
    h_env_start_kafka(&r.e, PARTS, nodes);
    fprintf(stderr, "%s: %d broker(s) up after %.1f s\n", label, nodes,
            (double)(mono_ms() - t0) / 1000);
    r.prod = h_producer(&r.e);
    start_processor(&r.e, &r.run, &r.s, "run");
    for (int c = 0; c < CHUNKS; c++) {
        if (c == FAULT_CHUNK)
            h_wait_caught_up(&r.e, GROUP, STREAM_TOPIC, &r.run, 60);
        stream_produce_chunk(&r.s, r.prod, c);
        if (c == FAULT_CHUNK) {
            fprintf(stderr, "%s: the fault comes with %lld events not yet committed\n", label,
                    (long long)h_group_lag(&r.e, GROUP, STREAM_TOPIC));
            fault(&r);
        }
        ck_assert_msg(h_alive(&r.run), "the processor died (see %s)", r.run.log);
        h_sleep_ms(PACE_MS);
    }
    h_wait_caught_up(&r.e, GROUP, STREAM_TOPIC, &r.run, 120);
    h_wait_outboxes_empty(&r.e, "cp:", 60000);
    ck_assert_int_eq(check_kpi_hashes(&r.e, &r.s, AGENTS, QUIET), AGENTS * 3);
    check_boards(&r.e, &r.s, AGENTS, QUIET);
    outs_read(&r.e, &got);
    stop_processor(&r.run);
    rd_kafka_destroy(r.prod);
    h_env_stop(&r.e);
    fprintf(stderr, "%s: the run on Kafka took %.1f s\n", label, (double)(mono_ms() - t0) / 1000);

    h_out *placed = malloc(r.s.n * sizeof(*placed));
    ck_assert_ptr_nonnull(placed);
    memcpy(placed, r.s.out, r.s.n * sizeof(*placed));
    reference_outputs(&r.s, placed, &ref);
    check_outputs(label, &got, &ref);
    free(placed);
    outs_free(&got);
    outs_free(&ref);
    stream_free(&r.s);
    fprintf(stderr, "%s: %.1f s in all\n", label, (double)(mono_ms() - t0) / 1000);
}

START_TEST(test_broker_restart) {
    ride_through("broker_restart", 1, 1201, restart_broker);
}
END_TEST

START_TEST(test_leader_killed) {
    ride_through("leader_killed", 3, 1202, kill_leader);
}
END_TEST

/* ---- compaction of leaderboard-updates ---------------------------------------------- */

/* board id -> {"offset", "value"} of its last message in m. */
static json_t *last_views(const h_msgs *m) {
    json_t *last = json_object();
    for (size_t i = 0; i < m->n; i++) {
        char board[128];
        ck_assert_msg(m->v[i].key && m->v[i].key_len < sizeof(board), "a view without a key");
        snprintf(board, sizeof(board), "%.*s", (int)m->v[i].key_len, (char *)m->v[i].key);
        json_t *v = json_object_get(last, board);
        if (v && json_integer_value(json_object_get(v, "offset")) > m->v[i].offset)
            continue;
        json_object_set_new(last, board,
                            json_pack("{s:I,s:s%}", "offset", (json_int_t)m->v[i].offset, "value",
                                      (char *)m->v[i].value, m->v[i].value_len));
    }
    return last;
}

/* The views a board has in m. */
static size_t views_of(const h_msgs *m, const char *board) {
    size_t n = 0;
    for (size_t i = 0; i < m->n; i++)
        n += m->v[i].key_len == strlen(board) && memcmp(m->v[i].key, board, m->v[i].key_len) == 0;
    return n;
}

/* Whether every board of `before` has exactly one view in m. */
static int one_view_each(const h_msgs *m, json_t *before) {
    const char *board;
    json_t *v;
    json_object_foreach(before, board, v) {
        if (views_of(m, board) != 1)
            return 0;
    }
    return 1;
}

/* Lower the topic's segment.ms, segment.bytes and min.cleanable.dirty.ratio
 * with the release's kafka-configs (ConfigCommand). */
static void make_cleanable(const h_env *e) {
    char *out;
    int rc = h_kafka_tool(e, CONFIG_TOOL,
                          "--alter --entity-type topics --entity-name " LB_TOPIC
                          " --add-config segment.ms=100,segment.bytes=1048576,"
                          "min.cleanable.dirty.ratio=0.01",
                          &out);
    ck_assert_msg(rc == 0 && strstr(out, "Completed"), "%s exited %d: %s (see %s/tools.log)",
                  CONFIG_TOOL, rc, out, e->dir);
    free(out);
}

/* Many views of the few boards, published while the stream comes in
 * chunks (publish_interval_ms 0, small batches), all read back once the
 * processor stopped. Then the topic's segments are made to roll after
 * 100 ms and any dirty part cleanable, and one more record (key
 * compaction-roll) rolls the segment holding the views, so that all of
 * them can be cleaned: the cleaner must leave one view per board, the last
 * one published, byte for byte, at its offset. */
START_TEST(test_compaction) {
    static stream s;
    h_env e;
    h_proc run;
    h_msgs before, after;
    int64_t t0 = mono_ms();
    memset(&run, 0, sizeof(run));
    stream_make(&s, 1203, AGENTS, QUIET, 3000, 15, 500);
    write_config(&s, 100, 0);
    h_env_start_kafka(&e, 1, 1);
    rd_kafka_t *prod = h_producer(&e);
    start_processor(&e, &run, &s, "run");
    for (int c = 0; c < s.chunks; c++) {
        stream_produce_chunk(&s, prod, c);
        h_sleep_ms(PACE_MS);
    }
    h_wait_caught_up(&e, GROUP, STREAM_TOPIC, &run, 60);
    stop_processor(&run);
    h_read_topic(&e, LB_TOPIC, &before);
    json_t *last = last_views(&before);
    size_t boards = json_object_size(last), busy = 0;
    const char *board;
    json_t *v;
    json_object_foreach(last, board, v) busy += views_of(&before, board) >= 5;
    fprintf(stderr, "compaction: %zu views of %zu boards published\n", before.n, boards);
    ck_assert_int_eq((long long)before.n, h_summary_int(&run, "board_publishes"));
    ck_assert_msg(boards >= 9 && busy >= 3,
                  "too few views to compact: %zu of %zu boards, %zu boards with 5 or more",
                  before.n, boards, busy);

    make_cleanable(&e);
    h_sleep_ms(1000); /* past segment.ms: the next record starts a segment */
    h_produce(prod, LB_TOPIC, "compaction-roll", 15, "{}", 2, NULL, NULL);
    int64_t deadline = mono_ms() + 90000;
    for (;;) {
        h_read_topic(&e, LB_TOPIC, &after);
        if (one_view_each(&after, last) || mono_ms() > deadline)
            break;
        h_msgs_free(&after);
        h_sleep_ms(1000);
    }
    fprintf(stderr, "compaction: %zu records left after %.1f s (%zu before)\n", after.n,
            (double)(mono_ms() - deadline + 90000) / 1000, before.n);
    ck_assert_msg(one_view_each(&after, last),
                  "%zu records left of %zu 90 s after the last segment rolled: the cleaner did "
                  "not leave one view per board",
                  after.n, before.n);
    for (size_t i = 0; i < after.n; i++) {
        char key[128];
        snprintf(key, sizeof(key), "%.*s", (int)after.v[i].key_len, (char *)after.v[i].key);
        if (strcmp(key, "compaction-roll") == 0)
            continue;
        json_t *want = json_object_get(last, key);
        ck_assert_msg(want != NULL, "a view of %s, a board never published", key);
        const char *text = json_string_value(json_object_get(want, "value"));
        ck_assert_msg(after.v[i].offset == json_integer_value(json_object_get(want, "offset")) &&
                          after.v[i].value_len == strlen(text) &&
                          memcmp(after.v[i].value, text, after.v[i].value_len) == 0,
                      "%s: the view kept (offset %lld) is not the last one published (%lld)", key,
                      (long long)after.v[i].offset,
                      (long long)json_integer_value(json_object_get(want, "offset")));
    }
    ck_assert_uint_eq(after.n, boards + 1);
    json_decref(last);
    h_msgs_free(&before);
    h_msgs_free(&after);
    rd_kafka_destroy(prod);
    stream_free(&s);
    h_env_stop(&e);
    fprintf(stderr, "compaction: %.1f s in all\n", (double)(mono_ms() - t0) / 1000);
}
END_TEST

/* ---- lag as kafka-consumer-groups reports it ------------------------------------------ */

/* The group's total lag on call-events from ConsumerGroupCommand
 * --describe: the sum of the LAG column over its rows of that topic; -1
 * when the tool fails, the group is unknown, a partition has no row or no
 * lag ("-"). */
static int64_t tool_lag(const h_env *e) {
    char *out, *save = NULL;
    int64_t sum = 0;
    int rows = 0;
    int rc = h_kafka_tool(e, GROUPS_TOOL, "--describe --group " GROUP, &out);
    for (char *line = strtok_r(out, "\n", &save); rc == 0 && line;
         line = strtok_r(NULL, "\n", &save)) {
        char group[128], topic[128], part[16], cur[32], end[32], lag[32];
        if (sscanf(line, "%127s %127s %15s %31s %31s %31s", group, topic, part, cur, end, lag) !=
                6 ||
            strcmp(topic, STREAM_TOPIC) != 0)
            continue;
        if (strcmp(lag, "-") == 0)
            sum = -1;
        else if (sum >= 0)
            sum += strtoll(lag, NULL, 10);
        rows++;
    }
    free(out);
    return rc == 0 && rows == PARTS ? sum : -1;
}

/* Poll the tool until it reports `want` (while run, if given, is alive);
 * the readings so far into seen. */
static int64_t wait_tool_lag(const h_env *e, int64_t want, const h_proc *run, char *seen,
                             size_t size, int timeout_ms) {
    int64_t deadline = mono_ms() + timeout_ms, lag;
    size_t len = strlen(seen);
    do {
        lag = tool_lag(e);
        len += (size_t)snprintf(seen + len, len < size ? size - len : 0, " %lld", (long long)lag);
        if (len >= size)
            len = size - 1;
        ck_assert_msg(!run || h_alive(run), "the processor died (see %s)", run->log);
    } while (lag != want && mono_ms() < deadline);
    return lag;
}

/* Lag 0 while the processor runs; with it stopped (exit 0, offsets
 * committed) exactly the events produced since, rising as a second part
 * comes; 0 again once it runs again. The librdkafka view of the lag
 * (h_group_lag) must agree at each stop. */
START_TEST(test_lag) {
    static stream s;
    h_env e;
    h_proc run;
    char seen[1024] = "";
    int64_t t0 = mono_ms();
    memset(&run, 0, sizeof(run));
    stream_make(&s, 1204, 20, 0, 3000, 3, 500);
    write_config(&s, 200, 1000);
    h_env_start_kafka(&e, PARTS, 1);
    rd_kafka_t *prod = h_producer(&e);
    stream_produce_chunk(&s, prod, 0);
    start_processor(&e, &run, &s, "run1");
    int64_t lag = wait_tool_lag(&e, 0, &run, seen, sizeof(seen), 90000);
    fprintf(stderr, "lag: running:%s\n", seen);
    ck_assert_msg(lag == 0, "%s reports lag %lld, not 0, while the processor runs:%s", GROUPS_TOOL,
                  (long long)lag, seen);
    stop_processor(&run);

    int64_t want = 0;
    for (int c = 1; c < 3; c++) {
        size_t from = s.n * (size_t)c / 3, to = s.n * (size_t)(c + 1) / 3;
        stream_produce_chunk(&s, prod, c);
        want += (int64_t)(to - from);
        seen[0] = '\0';
        lag = wait_tool_lag(&e, want, NULL, seen, sizeof(seen), 30000);
        fprintf(stderr, "lag: stopped, %lld produced since:%s\n", (long long)want, seen);
        ck_assert_msg(
            lag == want,
            "%s reports lag %lld with the processor stopped and %lld events produced since:%s",
            GROUPS_TOOL, (long long)lag, (long long)want, seen);
        ck_assert_int_eq(h_group_lag(&e, GROUP, STREAM_TOPIC), want);
    }

    seen[0] = '\0';
    start_processor(&e, &run, &s, "run2");
    lag = wait_tool_lag(&e, 0, &run, seen, sizeof(seen), 90000);
    fprintf(stderr, "lag: running again:%s\n", seen);
    ck_assert_msg(lag == 0, "%s reports lag %lld, not 0, once the processor runs again:%s",
                  GROUPS_TOOL, (long long)lag, seen);
    stop_processor(&run);
    rd_kafka_destroy(prod);
    stream_free(&s);
    h_env_stop(&e);
    fprintf(stderr, "lag: %.1f s in all\n", (double)(mono_ms() - t0) / 1000);
}
END_TEST

/* One case per test, so CK_RUN_CASE=name runs one. */
static void add_case(Suite *s, const char *name, const TTest *test) {
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test);
    suite_add_tcase(s, tc);
}

Suite *realkafka_suite(void) {
    Suite *s = suite_create("realkafka");
    add_case(s, "broker_restart", test_broker_restart);
    add_case(s, "leader_killed", test_leader_killed);
    add_case(s, "compaction", test_compaction);
    add_case(s, "lag", test_lag);
    return s;
}
