/* test_outputs.c -- "outputs are a function of the input" (contract
 * sections 3 and 5, issue 10):
 *
 *   long_call    a long call in a backlog fires at the partition clock
 *                that passes its deadline, as a backlog, with batch_max 1
 *                and live one event at a time: the same two messages;
 *   property     one generated stream (120 agents, 2 hours, 8 partitions,
 *                every behaviour the default rules react to) run as a
 *                backlog with batch_max 5000, 1 and 7, as paced live
 *                traffic, across kill -9 and across a Redis restart: the
 *                same alert and reward ids with the same fields (buddy
 *                aside), every long call alerted at its clock;
 *   quiet_floor  one agent alone: with windows.idle_s its long call fires
 *                and its short window empties with no other event;
 *   comparison   the collector and comparison the others rely on (no
 *                services).
 *
 * Every run but quiet_floor sets windows.idle_s 0, so the wall clock never
 * steps in and the outputs are a pure function of the input. */
#include <check.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "outputs.h"

#define MIN_MS 60000LL

/* Append one line to a failure report (cut when full). */
static void note(char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void note(char *why, size_t whysz, const char *fmt, ...) {
    size_t len = strlen(why);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why + len, whysz - len, fmt, ap);
    va_end(ap);
}

/* ---- long calls in a backlog (issue 10, item 1) ----------------------------- */

static void add_event(out_event *v, size_t *n, const char *id, const char *agent, const char *type,
                      int64_t ts, const char *call, out_kind kind, const char *extra) {
    out_event *e = &v[(*n)++];
    memset(e, 0, sizeof(*e));
    snprintf(e->id, sizeof(e->id), "%s", id);
    snprintf(e->agent, sizeof(e->agent), "%s", agent);
    snprintf(e->call, sizeof(e->call), "%s", call ? call : "");
    e->kind = kind;
    e->ts = e->send = ts;
    char callf[64] = "";
    if (call)
        snprintf(callf, sizeof(callf), ",\"call_id\":\"%s\"", call);
    int len = snprintf(e->json, sizeof(e->json),
                       "{\"event_id\":\"%s\",\"type\":\"%s\",\"agent_id\":\"%s\",\"team_id\":"
                       "\"tL\",\"ts\":%lld%s%s}",
                       id, type, agent, (long long)ts, callf, extra);
    e->json_len = (size_t)len;
}

/* A answers at T; B sends one event a minute from T+1m to T+20m; A's call
 * ends at T+20m. T is about 30 minutes ago. */
static void long_call_stream(out_stream *s, int64_t T) {
    out_event *v = calloc(32, sizeof(*v));
    size_t n = 0;
    char id[32];
    ck_assert_ptr_nonnull(v);
    add_event(v, &n, "lc-a-answer", "lc-A", "call_answered", T, "lc-call", OUT_EV_ANSWERED,
              ",\"ring_s\":3");
    for (int m = 1; m <= 20; m++) {
        snprintf(id, sizeof(id), "lc-b-%d", m);
        add_event(v, &n, id, "lc-B", "agent_state", T + m * MIN_MS, NULL, OUT_EV_OTHER,
                  ",\"state\":\"available\"");
    }
    add_event(v, &n, "lc-a-end", "lc-A", "call_ended", T + 20 * MIN_MS, "lc-call", OUT_EV_ENDED,
              ",\"talk_s\":1200");
    out_stream_from_events(s, v, n, 0);
}

static int field_is(json_t *m, const char *key, const char *want) {
    const char *v = json_string_value(json_object_get(m, key));
    return v && strcmp(v, want) == 0;
}

/* The two messages the contract gives; appends what is wrong to why. */
static void check_long_call(const char *label, const out_result *r, int64_t T, char *why,
                            size_t whysz) {
    static const struct {
        const char *id, *state, *event_id;
        int64_t at_min;
        double value;
    } want[] = {{"long-call:lc-A:lc-call:firing", "firing", NULL, 15, 900},
                {"long-call:lc-A:lc-call:resolved", "resolved", "lc-a-end", 20, 1200}};
    for (size_t i = 0; i < 2; i++) {
        json_t *m = json_object_get(r->alerts, want[i].id);
        json_t *ev = m ? json_object_get(m, "event_id") : NULL;
        int ok = m && field_is(m, "state", want[i].state) && field_is(m, "rule_id", "long-call") &&
                 field_is(m, "severity", "info") && field_is(m, "agent_id", "lc-A") &&
                 json_integer_value(json_object_get(m, "as_of")) == T + want[i].at_min * MIN_MS &&
                 fabs(json_number_value(json_object_get(m, "value")) - want[i].value) < 1e-9 &&
                 fabs(json_number_value(json_object_get(m, "threshold")) - 900) < 1e-9 && ev &&
                 (want[i].event_id ? field_is(m, "event_id", want[i].event_id) : json_is_null(ev));
        if (ok)
            continue;
        char *t = m ? json_dumps(m, JSON_COMPACT) : NULL;
        note(why, whysz, "%s: %s: want as_of T+%lldm value %.0f event_id %s, got %s\n", label,
             want[i].id, (long long)want[i].at_min, want[i].value,
             want[i].event_id ? want[i].event_id : "null", t ? t : "nothing");
        free(t);
    }
    if (json_object_size(r->alerts) != 2 || json_object_size(r->rewards) != 0)
        note(why, whysz, "%s: %zu alerts and %zu rewards, want exactly 2 and 0\n", label,
             json_object_size(r->alerts), json_object_size(r->rewards));
}

START_TEST(test_long_call_in_backlog) {
    static const out_run runs[] = {{"lc-backlog-5000", OUT_BACKLOG, 5000},
                                   {"lc-backlog-1", OUT_BACKLOG, 1},
                                   {"lc-live", OUT_ONE_BY_ONE, 5000}};
    out_stream s;
    out_result res[3];
    char why[4096] = "", one[256];
    int64_t T = (h_now_ms() - 30 * MIN_MS) / 1000 * 1000;
    long_call_stream(&s, T);
    for (int i = 0; i < 3; i++) {
        if (out_run_stream(&s, &runs[i], 1, &res[i], one, sizeof(one)) != 0)
            note(why, sizeof(why), "%s: %s\n", runs[i].name, one);
        fprintf(stderr, "long_call %s: %zu alert and %zu reward messages in %.1f s\n", runs[i].name,
                res[i].alert_msgs, res[i].reward_msgs, res[i].seconds);
        check_long_call(runs[i].name, &res[i], T, why, sizeof(why));
        if (res[i].copies_differ)
            note(why, sizeof(why), "%s: copies differ\n", runs[i].name);
        if (i > 0 && out_compare(runs[i].name, res[0].alerts, res[i].alerts, 5) +
                         out_compare(runs[i].name, res[0].rewards, res[i].rewards, 5))
            note(why, sizeof(why), "%s: differs from %s\n", runs[i].name, runs[0].name);
    }
    for (int i = 0; i < 3; i++)
        out_result_free(&res[i]);
    out_stream_free(&s);
    ck_assert_msg(why[0] == '\0', "\n%s", why);
}
END_TEST

/* ---- the property test (issue 10, "what must hold") ------------------------ */

#define P_SEED   1010
#define P_AGENTS 120
#define P_PARTS  8
#define P_RUNS   6

/* The contract's default rules that this stream must exercise. */
static const char *const threshold_rules[] = {"aht-high", "csat-low", "answer-rate-low"};
static const struct {
    const char *id;
    int points;
} reward_rules[] = {
    {"csat-5", 10}, {"complaint-resolved", 50}, {"fcr-streak", 25}, {"answer-rate-goal", 100}};

static size_t count(json_t *msgs, const char *rule, const char *state, int null_event) {
    const char *id;
    json_t *m;
    size_t n = 0;
    json_object_foreach(msgs, id, m) {
        if (!field_is(m, "rule_id", rule) || (state && !field_is(m, "state", state)))
            continue;
        if (null_event && !json_is_null(json_object_get(m, "event_id")))
            continue;
        n++;
    }
    return n;
}

/* Rewards of rule clipped by the daily cap (fewer points than the rule's). */
static size_t clipped(json_t *rewards, const char *rule, int points) {
    const char *id;
    json_t *m;
    size_t n = 0;
    json_object_foreach(rewards, id, m) {
        if (field_is(m, "rule_id", rule) &&
            json_integer_value(json_object_get(m, "points")) < points)
            n++;
    }
    return n;
}

/* The reference run must hold every kind of output, else the comparison
 * proves little. Appends what is missing to why. */
static void check_not_vacuous(const out_result *r, json_t *long_calls, char *why, size_t whysz) {
    size_t caps = 0;
#define MISSING(...) note(why, whysz, __VA_ARGS__)
    for (size_t i = 0; i < sizeof(threshold_rules) / sizeof(threshold_rules[0]); i++) {
        size_t f = count(r->alerts, threshold_rules[i], "firing", 0);
        size_t c = count(r->alerts, threshold_rules[i], "resolved", 0);
        fprintf(stderr, "reference: %s fired %zu, resolved %zu\n", threshold_rules[i], f, c);
        if (!f || !c)
            MISSING("reference: %s fired %zu and resolved %zu times\n", threshold_rules[i], f, c);
    }
    size_t slid = 0;
    for (size_t i = 0; i < sizeof(threshold_rules) / sizeof(threshold_rules[0]); i++)
        slid += count(r->alerts, threshold_rules[i], "resolved", 1);
    if (!slid)
        MISSING("reference: no threshold resolved by a window sliding (event_id null)\n");
    static const char *const streaks[] = {"csat-streak", "transfer-streak"};
    for (size_t i = 0; i < 2; i++)
        if (!count(r->alerts, streaks[i], "firing", 0))
            MISSING("reference: no %s alert\n", streaks[i]);
    /* the contract's long calls (out_expected_long_calls): fired by another
     * agent's event while the agent is quiet on the line, and one still
     * open at the end */
    size_t due = 0, alone = 0, ended = 0;
    const char *id;
    json_t *m;
    json_object_foreach(long_calls, id, m) {
        int firing = field_is(m, "state", "firing");
        due += firing;
        alone += firing && json_is_null(json_object_get(m, "event_id"));
        ended += !firing;
    }
    fprintf(stderr, "reference: %zu long calls due, %zu with the agent quiet, %zu ended\n", due,
            alone, ended);
    if (due < 10 || !alone || ended == due)
        MISSING("reference: long calls due %zu, with the agent quiet %zu, ended %zu\n", due, alone,
                ended);
    for (size_t i = 0; i < sizeof(reward_rules) / sizeof(reward_rules[0]); i++) {
        size_t n = count(r->rewards, reward_rules[i].id, NULL, 0);
        fprintf(stderr, "reference: %s granted %zu\n", reward_rules[i].id, n);
        if (!n)
            MISSING("reference: no %s reward\n", reward_rules[i].id);
        caps += clipped(r->rewards, reward_rules[i].id, reward_rules[i].points);
    }
    if (!caps)
        MISSING("reference: no reward clipped by the daily cap\n");
    fprintf(stderr, "reference: %zu threshold alerts resolved by a slide, %zu rewards clipped\n",
            slid, caps);
#undef MISSING
}

START_TEST(test_same_outputs_however_processed) {
    /* kill9 and redis-restart take batches of 7 so that the fault lands
     * mid-stream (a backlog of 5000 is done in well under a second) */
    static const out_run runs[P_RUNS] = {{"backlog-5000", OUT_BACKLOG, 5000},
                                         {"backlog-1", OUT_BACKLOG, 1},
                                         {"backlog-7", OUT_BACKLOG, 7},
                                         {"paced", OUT_PACED, 5000},
                                         {"kill9", OUT_KILL9, 7},
                                         {"redis-restart", OUT_REDIS_RESTART, 7}};
    out_stream s;
    out_result ref, res;
    char why[8192] = "", one[512];
    json_t *expected = NULL;
    out_stream_make(&s, P_SEED, P_AGENTS, h_now_ms() - MIN_MS);
    fprintf(stderr, "property: %zu events, day offset %d min\n", s.n, s.day_offset_min);
    for (int i = 0; i < P_RUNS; i++) {
        out_result *r = i == 0 ? &ref : &res;
        if (out_run_stream(&s, &runs[i], P_PARTS, r, one, sizeof(one)) != 0)
            note(why, sizeof(why), "%s: %s\n", runs[i].name, one);
        fprintf(stderr, "property %s: %zu alerts (%zu messages), %zu rewards (%zu) in %.1f s\n",
                runs[i].name, json_object_size(r->alerts), r->alert_msgs,
                json_object_size(r->rewards), r->reward_msgs, r->seconds);
        if (r->copies_differ)
            note(why, sizeof(why), "%s: copies of one id differ\n", runs[i].name);
        if (i == 0) {
            expected = out_expected_long_calls(&s, "long-call", 900000);
            check_not_vacuous(r, expected, why, sizeof(why));
        }
        if (out_check_long_calls(runs[i].name, expected, r->alerts, "long-call", 5))
            note(why, sizeof(why), "%s: long calls not alerted at their clock\n", runs[i].name);
        if (i > 0) {
            size_t da = out_compare(runs[i].name, ref.alerts, r->alerts, 6);
            size_t dr = out_compare(runs[i].name, ref.rewards, r->rewards, 6);
            if (da || dr)
                note(why, sizeof(why), "%s: %zu alerts and %zu rewards differ from %s\n",
                     runs[i].name, da, dr, runs[0].name);
            out_result_free(r);
        }
    }
    json_decref(expected);
    out_result_free(&ref);
    out_stream_free(&s);
    ck_assert_msg(why[0] == '\0', "\n%s", why);
}
END_TEST

/* ---- a quiet floor (issue 10, item 3) ---------------------------------------- */

#define Q_MAX_S  20
#define Q_IDLE_S 5
#define Q_WIN_S  30

static const char *Q_CONFIG =
    "{\"alerts\":{\"rules\":[{\"id\":\"long-call\",\"kind\":\"long_call\",\"max_s\":20,"
    "\"severity\":\"info\"}]},"
    "\"windows\":{\"bucket_s\":5,\"list\":\"30s,day\",\"idle_s\":5},"
    "\"kafka\":{\"commit_interval_ms\":100,\"properties\":{\"session.timeout.ms\":\"6000\","
    "\"heartbeat.interval.ms\":\"500\",\"fetch.wait.max.ms\":\"10\"}}}";

static void produce_q(rd_kafka_t *p, const char *id, const char *type, int64_t ts, const char *call,
                      const char *extra) {
    char json[512];
    int n = snprintf(json, sizeof(json),
                     "{\"event_id\":\"%s\",\"type\":\"%s\",\"agent_id\":\"q-A\",\"team_id\":"
                     "\"tQ\",\"ts\":%lld,\"call_id\":\"%s\"%s}",
                     id, type, (long long)ts, call, extra);
    h_produce(p, "call-events", "q-A", 3, json, (size_t)n, NULL, NULL);
}

/* One field of the agent's 30s KPI hash into buf ("" when absent). */
static void kpi_field(redisContext *rc, const char *field, char *buf, size_t size) {
    redisReply *r = redisCommand(rc, "HGET cp:kpi:{q-A}:30s %s", field);
    ck_assert_ptr_nonnull(r);
    snprintf(buf, size, "%s", r->type == REDIS_REPLY_STRING ? r->str : "");
    freeReplyObject(r);
}

/* Poll the alert topic until the long-call firing is there; its message
 * or NULL at the deadline (wall ms). */
static json_t *wait_long_call(h_env *e, int64_t deadline) {
    do {
        h_msgs m;
        h_read_topic(e, "agent-alerts", &m);
        for (size_t i = 0; i < m.n; i++) {
            json_t *j = json_loadb(m.v[i].value, m.v[i].value_len, 0, NULL);
            const char *id = json_string_value(json_object_get(j, "alert_id"));
            if (id && strcmp(id, "long-call:q-A:q-call-2:firing") == 0) {
                h_msgs_free(&m);
                return j;
            }
            json_decref(j);
        }
        h_msgs_free(&m);
        h_sleep_ms(250);
    } while (h_now_ms() < deadline);
    return NULL;
}

/* The long-call firing: alerted in time, at a clock past the deadline and
 * never ahead of the wall clock, its value the call's length then. */
static void check_quiet_long_call(h_env *e, int64_t answered, const char *log, char *why,
                                  size_t whysz) {
    json_t *fired = wait_long_call(e, answered + (Q_MAX_S + Q_IDLE_S + 5) * 1000LL);
    int64_t seen = h_now_ms();
    if (!fired) {
        note(why, whysz, "no long-call alert within %d s of the answer (see %s)\n",
             Q_MAX_S + Q_IDLE_S + 5, log);
        return;
    }
    int64_t as_of = json_integer_value(json_object_get(fired, "as_of"));
    double value = json_number_value(json_object_get(fired, "value"));
    fprintf(stderr,
            "quiet_floor: long call alerted %.1f s after the answer, as_of answer + %.3f s\n",
            (double)(seen - answered) / 1000, (double)(as_of - answered) / 1000);
    if (as_of < answered + Q_MAX_S * 1000LL || as_of > seen)
        note(why, whysz, "long call as_of %lld: before the deadline or ahead of the wall clock\n",
             (long long)as_of);
    else if (fabs(value - (double)(as_of - answered) / 1000.0) > 1e-3)
        note(why, whysz, "long call value %f is not its length at as_of\n", value);
    json_decref(fired);
}

/* The 30s window held the handled call, then empties with no event: its
 * counts 0, its averages absent, its as_of never ahead of the wall clock. */
static void check_quiet_window(h_env *e, int64_t last, char *why, size_t whysz) {
    char handled[32], as_of[32], aht[32];
    redisContext *rc = h_redis_connect(e);
    int held = 0;
    int64_t deadline = last + (Q_WIN_S + Q_IDLE_S + 5) * 1000LL;
    for (;;) {
        kpi_field(rc, "handled", handled, sizeof(handled));
        kpi_field(rc, "as_of", as_of, sizeof(as_of));
        kpi_field(rc, "aht_s", aht, sizeof(aht));
        held |= strcmp(handled, "1") == 0;
        if (held && strcmp(handled, "0") == 0)
            break;
        if (h_now_ms() >= deadline) {
            note(why, whysz,
                 "30s window not empty %d s after the last event: handled '%s', as_of %s "
                 "(the last event + %.1f s)%s\n",
                 Q_WIN_S + Q_IDLE_S + 5, handled, as_of,
                 (double)(strtoll(as_of, NULL, 10) - last) / 1000,
                 held ? "" : "; it never held the handled call");
            redisFree(rc);
            return;
        }
        h_sleep_ms(200);
    }
    int64_t emptied = h_now_ms();
    fprintf(stderr, "quiet_floor: 30s window empty %.1f s after the last event\n",
            (double)(emptied - last) / 1000);
    if (aht[0])
        note(why, whysz, "an empty window still has aht_s %s\n", aht);
    else if (strtoll(as_of, NULL, 10) > emptied)
        note(why, whysz, "as_of %s ahead of the wall clock\n", as_of);
    redisFree(rc);
}

START_TEST(test_quiet_floor_moves) {
    h_env e;
    h_proc run;
    char why[1024] = "";
    h_env_start(&e, 4);
    h_run_start(&e, &run, h_write_config(&e, "c.json", Q_CONFIG), "quiet", "run");
    ck_assert(h_wait_log(&run, "assigned", 30000) == 0);
    rd_kafka_t *p = h_producer(&e);
    int64_t now = h_now_ms();
    /* a handled call just ended, then the next one answered at now */
    produce_q(p, "q-1", "call_answered", now - 15000, "q-call-1", "");
    produce_q(p, "q-2", "call_ended", now - 3000, "q-call-1", ",\"talk_s\":12");
    produce_q(p, "q-3", "call_answered", now, "q-call-2", "");
    int64_t last = h_now_ms(); /* nothing else arrives, on any partition */
    rd_kafka_destroy(p);
    check_quiet_long_call(&e, now, run.log, why, sizeof(why));
    check_quiet_window(&e, last, why, sizeof(why));
    ck_assert_msg(why[0] == '\0', "\n%s", why);
    ck_assert(h_alive(&run));
    ck_assert_int_eq(h_stop(&run, SIGTERM, 10000), 0);
    h_env_stop(&e);
}
END_TEST

/* A quiet floor's wall-clock steps must not outrun events that wait
 * unread while Redis is down: with lateness_s 10 and idle_s 2, Redis
 * frozen for 15 s while an agent sends an event a second; afterwards every
 * event counts and none is too late (issue 10's review, F2). */
START_TEST(test_quiet_floor_waits_out_an_outage) {
    static const char *cfg =
        "{\"windows\":{\"idle_s\":2,\"lateness_s\":10},\"redis\":{\"timeout_ms\":500},"
        "\"kafka\":{\"commit_interval_ms\":100,\"properties\":{\"session.timeout.ms\":"
        "\"6000\",\"heartbeat.interval.ms\":\"500\",\"fetch.wait.max.ms\":\"20\"}}}";
    h_env e;
    h_proc run;
    char id[32];
    int sent = 0;
    h_env_start(&e, 1);
    h_run_start(&e, &run, h_write_config(&e, "c.json", cfg), "outage", "run");
    ck_assert(h_wait_log(&run, "assigned", 30000) == 0);
    rd_kafka_t *p = h_producer(&e);
    for (int i = 0; i < 18; i++) {
        if (i == 3)
            h_redis_freeze(&e);
        snprintf(id, sizeof(id), "o-%d", i);
        produce_q(p, id, "call_offered", h_now_ms(), id, "");
        sent++;
        h_sleep_ms(1000);
    }
    h_redis_thaw(&e);
    rd_kafka_destroy(p);
    h_wait_caught_up(&e, "outage", "call-events", &run, 60);
    h_msgs dlq = {0};
    h_read_topic(&e, "call-events-dlq", &dlq);
    size_t late = dlq.n;
    h_msgs_free(&dlq);
    redisContext *rc = h_redis_connect(&e);
    redisReply *r = redisCommand(rc, "HGET cp:kpi:{q-A}:day offered");
    ck_assert_ptr_nonnull(r);
    long long offered = r->type == REDIS_REPLY_STRING ? atoll(r->str) : -1;
    freeReplyObject(r);
    redisFree(rc);
    ck_assert_msg(late == 0 && offered == sent, "%zu dead letters, %lld of %d events offered", late,
                  offered, sent);
    ck_assert_int_eq(h_stop(&run, SIGTERM, 10000), 0);
    h_env_stop(&e);
}
END_TEST

/* ---- the comparison itself ----------------------------------------------------- */

/* The collector and comparison the property test relies on, without
 * services: copies may differ in buddy only, a message is keyed by its
 * agent, and every kind of difference is counted. */
START_TEST(test_comparison_finds_differences) {
    static const char a1[] = "{\"alert_id\":\"x:1\",\"rule_id\":\"x\",\"agent_id\":\"a\","
                             "\"as_of\":5,\"value\":1.5,\"buddy\":null}";
    static const char a1_buddy[] = "{\"alert_id\":\"x:1\",\"rule_id\":\"x\",\"agent_id\":\"a\","
                                   "\"as_of\":5,\"value\":1.5,\"buddy\":{\"agent_id\":\"b\","
                                   "\"score\":90}}";
    static const char a1_later[] = "{\"alert_id\":\"x:1\",\"rule_id\":\"x\",\"agent_id\":\"a\","
                                   "\"as_of\":6,\"value\":1.5,\"buddy\":null}";
    static const char a2[] = "{\"alert_id\":\"x:2\",\"rule_id\":\"x\",\"agent_id\":\"a\","
                             "\"as_of\":7,\"value\":2,\"buddy\":null}";
    char why[256];
    json_t *ref = json_object(), *run = json_object();
    ck_assert_int_eq(out_collect(ref, "alert_id", "a", 1, a1, strlen(a1), why, sizeof(why)), 0);
    ck_assert_int_eq(
        out_collect(ref, "alert_id", "a", 1, a1_buddy, strlen(a1_buddy), why, sizeof(why)), 0);
    ck_assert_int_eq(
        out_collect(ref, "alert_id", "a", 1, a1_later, strlen(a1_later), why, sizeof(why)), -1);
    ck_assert_int_eq(out_collect(ref, "alert_id", "b", 1, a2, strlen(a2), why, sizeof(why)), -1);
    ck_assert_int_eq(out_collect(ref, "alert_id", "a", 1, a2, strlen(a2), why, sizeof(why)), 0);
    ck_assert_uint_eq(out_compare("self", ref, ref, 0), 0);
    ck_assert_int_eq(
        out_collect(run, "alert_id", "a", 1, a1_buddy, strlen(a1_buddy), why, sizeof(why)), 0);
    ck_assert_uint_eq(out_compare("buddy only", ref, run, 0), 1);   /* x:2 missing */
    json_object_set_new(run, "x:2", json_loads(a1_later, 0, NULL)); /* changed */
    ck_assert_uint_eq(out_compare("changed", ref, run, 0), 1);
    json_object_set_new(run, "x:3", json_loads(a2, 0, NULL)); /* extra */
    ck_assert_uint_eq(out_compare("extra", ref, run, 0), 2);
    json_decref(ref);
    json_decref(run);
}
END_TEST

Suite *outputs_suite(void) {
    Suite *s = suite_create("outputs");
    struct {
        const char *name;
        const TTest *test;
        int timeout_s;
    } cases[] = {{"comparison", test_comparison_finds_differences, 10},
                 {"long_call", test_long_call_in_backlog, 90},
                 {"property", test_same_outputs_however_processed, 180},
                 {"quiet_floor", test_quiet_floor_moves, 90},
                 {"quiet_outage", test_quiet_floor_waits_out_an_outage, 120}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, cases[i].timeout_s);
        _tcase_add_test(tc, cases[i].test, 0, 0, 0, 1);
        suite_add_tcase(s, tc);
    }
    return s;
}
