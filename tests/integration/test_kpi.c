/* test_kpi.c -- KPI hashes in Redis against the oracle (contract 3): a
 * generated stream with duplicates, out-of-order and too-late events, both
 * timestamp formats, quiet agents and a day boundary; once as a backlog,
 * once with the processor killed -9 mid-stream and restarted, once with
 * Redis killed and restarted mid-stream, once with a second process
 * joining the group mid-stream. Every KPI hash of every agent must
 * equal the oracle at the hash's as_of. */
#include <check.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "oracle.h"
#include "stream.h"

#define TOPIC  STREAM_TOPIC
#define AGENTS 30
#define QUIET  5
#define EVENTS 20000
#define CHUNKS 20
#define BUCKET STREAM_BUCKET

/* Wait until Redis holds KPI hashes of at least `n` agents. */
static void wait_agents_stored(h_env *e, int n) {
    redisContext *rc = h_redis_connect(e);
    long long seen = 0;
    for (int i = 0; i < 300 && seen < n; i++) {
        redisReply *r = redisCommand(rc, "EVAL %s 0", "return #redis.call('KEYS','cp:st:*')");
        seen = r && r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
        freeReplyObject(r);
        if (seen < n)
            h_sleep_ms(100);
    }
    redisFree(rc);
    ck_assert_msg(seen >= n, "only %lld agents stored", seen);
}

static void wait_caught_up(h_env *e, const char *group, const h_proc *proc) {
    h_wait_caught_up(e, group, TOPIC, proc, 120);
}

/* A quiet agent's sliding window must have slid past its last event that
 * counts (agent_state adds nothing to any sum) without an event of its
 * own: by the end of the stream its window starts after that bucket. */
static int check_slid(const stream *s, const char *agent, int64_t window_s, char **fields, size_t n,
                      char *why, size_t whysz) {
    int64_t last = 0, as_of = -1;
    for (size_t i = 0; i < s->n; i++) /* agent_state adds nothing to slide out */
        if (s->evs[i].accepted == 1 && s->evs[i].type != O_STATE &&
            strcmp(s->evs[i].agent, agent) == 0 && s->evs[i].ts > last)
            last = s->evs[i].ts;
    for (size_t i = 0; i + 1 < n; i += 2)
        if (strcmp(fields[i], "as_of") == 0)
            as_of = strtoll(fields[i + 1], NULL, 10);
    /* the window at as_of starts after the bucket of the last event */
    if (as_of / BUCKET - window_s * 1000 / BUCKET + 1 <= last / BUCKET) {
        snprintf(why, whysz, "quiet %s: window not slid (as_of %lld, last event %lld)", agent,
                 (long long)as_of, (long long)last);
        return -1;
    }
    return 0;
}

/* Every agent with an accepted event has its three hashes, each equal to
 * the oracle at its as_of. Returns how many hashes were compared. */
static int compare_all(h_env *e, stream *s) {
    static const struct {
        const char *name;
        o_window w;
    } windows[] = {{"15m", {900}}, {"60m", {3600}}, {"day", {0}}};
    char why[512];
    int compared = 0;
    stream_accept(s);
    redisContext *rc = h_redis_connect(e);
    for (int a = 0; a < AGENTS; a++) {
        char agent[16];
        snprintf(agent, sizeof(agent), "a%d", a);
        for (size_t k = 0; k < 3; k++) {
            redisReply *r = redisCommand(rc, "HGETALL cp:kpi:{%s}:%s", agent, windows[k].name);
            ck_assert_msg(r && r->type == REDIS_REPLY_ARRAY && r->elements > 0,
                          "no hash cp:kpi:{%s}:%s", agent, windows[k].name);
            char **fields = malloc(r->elements * sizeof(char *));
            for (size_t f = 0; f < r->elements; f++)
                fields[f] = r->element[f]->str;
            int ok = o_check_hash(s->evs, s->n, agent, windows[k].w, BUCKET, s->day_offset_min,
                                  fields, r->elements, why, sizeof(why));
            if (ok == 0 && a >= AGENTS - QUIET && windows[k].w.seconds > 0)
                ok = check_slid(s, agent, windows[k].w.seconds, fields, r->elements, why,
                                sizeof(why));
            free(fields);
            freeReplyObject(r);
            ck_assert_msg(ok == 0, "%s %s: %s", agent, windows[k].name, why);
            compared++;
        }
    }
    redisFree(rc);
    return compared;
}

/* The whole stream produced first, then consumed: a backlog. */
START_TEST(test_backlog_equals_oracle) {
    h_env e;
    h_proc run;
    stream s;
    h_env_start(&e, 4);
    stream_make(&s, 101, AGENTS, QUIET, EVENTS, CHUNKS, 1000);
    rd_kafka_t *p = h_producer(&e);
    for (int c = 0; c < CHUNKS; c++)
        stream_produce_chunk(&s, p, c);
    h_run_start(&e, &run, h_write_config(&e, "c.json", s.config), "kpi-backlog", "run");
    wait_caught_up(&e, "kpi-backlog", &run);
    ck_assert_int_eq(compare_all(&e, &s), AGENTS * 3);
    ck_assert_int_eq(h_stop(&run, SIGTERM, 10000), 0);
    ck_assert_int_gt(h_summary_int(&run, "duplicates"), 0);
    ck_assert_int_gt(h_summary_int(&run, "slides"), 0); /* quiet agents slid */
    json_t *j = h_run_summary(&run);
    ck_assert_int_gt(json_integer_value(json_object_get(json_object_get(j, "invalid"), "too_late")),
                     0);
    json_decref(j);
    rd_kafka_destroy(p);
    stream_free(&s);
    h_env_stop(&e);
}
END_TEST

/* kill -9 half-way. The first process never commits (interval 60 s), so
 * everything it applied is consumed again by the second: each replayed
 * event must be recognised by its offset and skipped. */
START_TEST(test_kill9_restart_equals_oracle) {
    h_env e;
    h_proc run1, run2;
    stream s;
    h_env_start(&e, 4);
    stream_make(&s, 202, AGENTS, QUIET, EVENTS, CHUNKS, 60000);
    const char *cfg1 = h_write_config(&e, "c1.json", s.config);
    char cfg1_path[512];
    snprintf(cfg1_path, sizeof(cfg1_path), "%s", cfg1);
    stream_write_config(&s, 1000);
    const char *cfg2 = h_write_config(&e, "c2.json", s.config);
    rd_kafka_t *p = h_producer(&e);
    h_run_start(&e, &run1, cfg1_path, "kpi-kill", "run1");
    ck_assert(h_wait_log(&run1, "assigned", 30000) == 0);
    for (int c = 0; c < CHUNKS / 2; c++) {
        stream_produce_chunk(&s, p, c);
        h_sleep_ms(100);
    }
    wait_agents_stored(&e, AGENTS / 2);
    ck_assert_int_eq(h_stop(&run1, SIGKILL, 5000), 128 + SIGKILL);
    for (int c = CHUNKS / 2; c < CHUNKS; c++)
        stream_produce_chunk(&s, p, c);
    h_run_start(&e, &run2, cfg2, "kpi-kill", "run2");
    wait_caught_up(&e, "kpi-kill", &run2);
    ck_assert_int_eq(compare_all(&e, &s), AGENTS * 3);
    ck_assert_int_eq(h_stop(&run2, SIGTERM, 10000), 0);
    ck_assert_msg(h_summary_int(&run2, "replayed") > 0,
                  "the restart replayed nothing: the test did not exercise the replay path");
    rd_kafka_destroy(p);
    stream_free(&s);
    h_env_stop(&e);
}
END_TEST

/* Redis killed -9 and restarted (from its AOF) mid-stream: the processor
 * pauses, retries, resumes by itself, and nothing is lost or doubled. */
START_TEST(test_redis_restart_equals_oracle) {
    h_env e;
    h_proc run;
    stream s;
    h_env_start(&e, 4);
    stream_make(&s, 303, AGENTS, QUIET, EVENTS, CHUNKS, 1000);
    rd_kafka_t *p = h_producer(&e);
    h_run_start(&e, &run, h_write_config(&e, "c.json", s.config), "kpi-redis", "run");
    for (int c = 0; c < CHUNKS / 2; c++) {
        stream_produce_chunk(&s, p, c);
        h_sleep_ms(150);
    }
    h_stop(&e.redis, SIGKILL, 5000);
    for (int c = CHUNKS / 2; c < CHUNKS * 3 / 4; c++)
        stream_produce_chunk(&s, p, c);
    ck_assert_msg(h_wait_log(&run, "Redis unavailable", 20000) == 0, "outage not noticed");
    h_sleep_ms(2000);
    ck_assert(h_alive(&run));
    h_redis_start(&e);
    ck_assert_msg(h_wait_log(&run, "Redis is back", 30000) == 0, "did not resume");
    for (int c = CHUNKS * 3 / 4; c < CHUNKS; c++)
        stream_produce_chunk(&s, p, c);
    wait_caught_up(&e, "kpi-redis", &run);
    ck_assert_int_eq(compare_all(&e, &s), AGENTS * 3);
    ck_assert_int_eq(h_stop(&run, SIGTERM, 10000), 0);
    ck_assert_int_gt(h_summary_int(&run, "redis_failures"), 0);
    rd_kafka_destroy(p);
    stream_free(&s);
    h_env_stop(&e);
}
END_TEST

/* A second process joins mid-stream and takes half the partitions: the
 * first finishes and commits before letting go, the second picks up the
 * agents' state from Redis (and keeps sliding the quiet ones). */
START_TEST(test_rebalance_equals_oracle) {
    h_env e;
    h_proc a, b;
    stream s;
    h_env_start(&e, 4);
    stream_make(&s, 404, AGENTS, QUIET, EVENTS, CHUNKS, 1000);
    const char *cfg = h_write_config(&e, "c.json", s.config);
    rd_kafka_t *p = h_producer(&e);
    h_run_start(&e, &a, cfg, "kpi-rebalance", "a");
    ck_assert(h_wait_log(&a, "assigned", 30000) == 0);
    for (int c = 0; c < CHUNKS / 2; c++) {
        stream_produce_chunk(&s, p, c);
        h_sleep_ms(100);
    }
    h_run_start(&e, &b, cfg, "kpi-rebalance", "b");
    ck_assert_msg(h_wait_log(&b, "assigned", 30000) == 0, "second member got no partitions");
    for (int c = CHUNKS / 2; c < CHUNKS; c++)
        stream_produce_chunk(&s, p, c);
    wait_caught_up(&e, "kpi-rebalance", &b);
    ck_assert_int_eq(compare_all(&e, &s), AGENTS * 3);
    ck_assert_int_eq(h_stop(&a, SIGTERM, 10000), 0);
    ck_assert_int_eq(h_stop(&b, SIGTERM, 10000), 0);
    ck_assert_int_gt(h_summary_int(&b, "applied"), 0);
    rd_kafka_destroy(p);
    stream_free(&s);
    h_env_stop(&e);
}
END_TEST

Suite *kpi_suite(void) {
    Suite *s = suite_create("kpi");
    /* a case per test, so that CK_RUN_CASE=kill9 runs one alone */
    struct {
        const char *name;
        const TTest *test;
    } cases[] = {{"backlog", test_backlog_equals_oracle},
                 {"kill9", test_kill9_restart_equals_oracle},
                 {"redis_restart", test_redis_restart_equals_oracle},
                 {"rebalance", test_rebalance_equals_oracle}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, 300);
        _tcase_add_test(tc, cases[i].test, 0, 0, 0, 1);
        suite_add_tcase(s, tc);
    }
    return s;
}
