/* test_window.c -- bucket and window arithmetic, the day window at a UTC
 * offset, late and future events, duplicates and replays (contract 3). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "agentlayout.h"
#include "config.h"
#include "keyset.h"
#include "kpi.h"
#include "suites.h"
#include "timefmt.h"
#include "window.h"

#define MIN 60000LL
/* 2026-11-23T00:00:00Z, a multiple of a minute */
#define DAY0 1795392000000LL

static cp_windows make_windows(int offset_min) {
    cp_config cfg;
    cp_windows ws;
    cp_config_defaults(&cfg);
    cfg.day_offset_min = offset_min;
    cp_windows_from_config(&ws, &cfg);
    cp_config_free(&cfg);
    return ws;
}

static cp_event offered(const char *id, int64_t ts) {
    cp_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = CP_EV_CALL_OFFERED;
    ev.ts_ms = ts;
    snprintf(ev.event_id, sizeof(ev.event_id), "%s", id);
    ev.event_id_len = (uint8_t)strlen(ev.event_id);
    snprintf(ev.agent_id, sizeof(ev.agent_id), "a1");
    ev.agent_id_len = 2;
    return ev;
}

/* offered count of window i at T after adding one offer at each ts */
static int64_t offered_in(const cp_windows *ws, int i, int64_t T, const int64_t *ts, size_t n) {
    cp_wstore w;
    cp_sums one, out;
    int oom;
    memset(&one, 0, sizeof(one));
    one.v[CP_S_OFFERED] = 1;
    cp_wstore_init(&w);
    for (size_t k = 0; k < n; k++)
        cp_wstore_add(&w, ws, ts[k], T, &one, &oom);
    cp_wstore_window(&w, ws, i, T, &out);
    cp_wstore_free(&w);
    return out.v[CP_S_OFFERED];
}

START_TEST(test_bucket_edges) {
    cp_windows ws = make_windows(0);
    ck_assert_int_eq(cp_bucket_of(&ws, 0), 0);
    ck_assert_int_eq(cp_bucket_of(&ws, MIN - 1), 0);
    ck_assert_int_eq(cp_bucket_of(&ws, MIN), 1);
    ck_assert_int_eq(cp_bucket_of(&ws, -1), -1);
    ck_assert_int_eq(ws.n, 3);
    ck_assert_str_eq(ws.w[0].name, "15m");
    ck_assert_int_eq(ws.w[0].buckets, 15);
    ck_assert_int_eq(ws.w[1].buckets, 60);
    ck_assert_int_eq(ws.w[2].buckets, 0);
    ck_assert_int_eq(ws.reach, 60);
}
END_TEST

/* The 15m window at T covers buckets b(T)-14 .. b(T), whole buckets. */
static const struct {
    const char *name;
    int64_t ts_offset; /* from T's bucket start */
    int64_t want;
} edge_cases[] = {
    {"same bucket, before T", 0, 1},
    {"same bucket, after T (still T's bucket)", MIN - 1, 1},
    {"first bucket of the window", -14 * MIN, 1},
    {"last ms before the window", -14 * MIN - 1, 0},
    {"next bucket (future)", MIN, 0},
};

START_TEST(test_sliding_edges) {
    cp_windows ws = make_windows(0);
    int64_t T = DAY0 + 10 * 3600000 + 30000; /* 10:00:30 */
    int64_t bstart = DAY0 + 10 * 3600000;
    int64_t ts = bstart + edge_cases[_i].ts_offset;
    ck_assert_msg(offered_in(&ws, 0, T, &ts, 1) == edge_cases[_i].want, "%s", edge_cases[_i].name);
}
END_TEST

/* At +08:00 local midnight is 16:00Z: the day window resets there, not at
 * 00:00Z. */
START_TEST(test_day_window_at_offset) {
    cp_windows ws = make_windows(480);
    int64_t local_midnight = DAY0 + 16 * 3600000; /* 2026-11-24T00:00+08:00 */
    int64_t ts[] = {local_midnight - 2 * MIN, local_midnight - 1, local_midnight,
                    local_midnight + MIN};
    /* at 16:05Z the day holds only the two events after local midnight */
    ck_assert_int_eq(offered_in(&ws, 2, local_midnight + 5 * MIN, ts, 4), 2);
    /* at 15:59:59.999Z all events of the old day up to T, and none after */
    ck_assert_int_eq(offered_in(&ws, 2, local_midnight - 1, ts, 2), 2);
    /* the UTC day (offset 0) would count all four at 16:05Z */
    cp_windows utc = make_windows(0);
    ck_assert_int_eq(offered_in(&utc, 2, local_midnight + 5 * MIN, ts, 4), 4);
}
END_TEST

/* Late events inside the lateness horizon update past buckets; older ones
 * are outside every sliding window but still count for their day. */
START_TEST(test_late_events) {
    cp_windows ws = make_windows(0);
    int64_t T = DAY0 + 12 * 3600000;
    int64_t ts_late = T - 9 * MIN;   /* inside 15m and 60m */
    int64_t ts_older = T - 61 * MIN; /* outside 60m */
    int64_t both[] = {ts_late, ts_older};
    ck_assert_int_eq(offered_in(&ws, 0, T, both, 2), 1);
    ck_assert_int_eq(offered_in(&ws, 1, T, both, 2), 1);
    ck_assert_int_eq(offered_in(&ws, 2, T, both, 2), 2);
}
END_TEST

START_TEST(test_prune_and_slide) {
    cp_windows ws = make_windows(0);
    cp_wstore w;
    cp_sums one, out;
    int oom;
    int64_t dropped[8];
    memset(&one, 0, sizeof(one));
    one.v[CP_S_MISSED] = 1;
    cp_wstore_init(&w);
    int64_t T = DAY0 + 3600000;
    cp_wstore_add(&w, &ws, T, T, &one, &oom);
    ck_assert_int_eq(w.n, 1);
    /* the 15m window holds it for 15 minutes, then it leaves */
    ck_assert_int_eq(cp_wstore_next_change(&w, &ws, T), T + 15 * MIN);
    cp_wstore_window(&w, &ws, 0, T + 15 * MIN, &out);
    ck_assert_int_eq(out.v[CP_S_MISSED], 0);
    cp_wstore_window(&w, &ws, 1, T + 15 * MIN, &out);
    ck_assert_int_eq(out.v[CP_S_MISSED], 1);
    /* after 60 minutes no sliding window reaches it: pruned */
    ck_assert_uint_eq(cp_wstore_prune(&w, &ws, T + 59 * MIN, dropped, 8), 0);
    ck_assert_uint_eq(cp_wstore_prune(&w, &ws, T + 60 * MIN, dropped, 8), 1);
    ck_assert_int_eq(dropped[0], cp_bucket_of(&ws, T));
    ck_assert_int_eq(w.n, 0);
    /* the day keeps it until the day ends */
    cp_wstore_window(&w, &ws, 2, T + 60 * MIN, &out);
    ck_assert_int_eq(out.v[CP_S_MISSED], 1);
    ck_assert_int_eq(cp_wstore_next_change(&w, &ws, T + 60 * MIN), DAY0 + 86400000);
    cp_wstore_window(&w, &ws, 2, DAY0 + 86400000, &out);
    ck_assert_int_eq(out.v[CP_S_MISSED], 0);
    cp_wstore_free(&w);
}
END_TEST

/* The next instant a window changes: where the engine wakes a quiet agent
 * (agentstep.h). At every instant before it, every window equals its value
 * at T; at it, one differs. */
START_TEST(test_next_change) {
    cp_windows ws = make_windows(480); /* the day starts at 16:00 UTC */
    cp_wstore w;
    cp_sums one, at_T, later;
    int oom;
    memset(&one, 0, sizeof(one));
    one.v[CP_S_MISSED] = 1;
    cp_wstore_init(&w);
    int64_t T = DAY0 + 3600000 + 25000; /* 01:00:25 UTC */
    ck_assert_int_eq(cp_wstore_next_change(&w, &ws, T), CP_NEVER);
    cp_wstore_add(&w, &ws, T - 20 * MIN, T, &one, &oom); /* 00:40: in the 60m window only */
    cp_wstore_add(&w, &ws, T - 5 * MIN, T, &one, &oom);  /* 00:55: in both */
    /* the 00:55 bucket leaves the 15m window when the clock enters 01:10 */
    int64_t next = cp_wstore_next_change(&w, &ws, T);
    ck_assert_int_eq(next, DAY0 + 70 * MIN);
    for (int i = 0; i < ws.n; i++) {
        cp_wstore_window(&w, &ws, i, T, &at_T);
        cp_wstore_window(&w, &ws, i, next - 1, &later);
        ck_assert(memcmp(&at_T, &later, sizeof(at_T)) == 0);
    }
    cp_wstore_window(&w, &ws, 0, next, &later);
    ck_assert_int_eq(later.v[CP_S_MISSED], 0);
    /* then the 00:40 bucket leaves the 60m window at 01:40 */
    ck_assert_int_eq(cp_wstore_next_change(&w, &ws, next), DAY0 + 100 * MIN);
    /* then only the day holds them: it ends at 16:00 UTC (local midnight) */
    ck_assert_int_eq(cp_wstore_next_change(&w, &ws, DAY0 + 2 * 3600000), DAY0 + 16 * 3600000);
    cp_wstore_free(&w);
}
END_TEST

/* ---- the agent: replays, duplicates, team -------------------------------- */

START_TEST(test_duplicates_and_replays) {
    cp_windows ws = make_windows(0);
    cp_agent *a = cp_agent_new("a1", 2);
    cp_agent_delta d;
    cp_sums out;
    int64_t T = DAY0 + 8 * 3600000;
    memset(&d, 0, sizeof(d));
    cp_event e1 = offered("e1", T - MIN), e2 = offered("e2", T), dup = offered("e1", T);
    ck_assert_int_eq(cp_agent_apply(a, &ws, &e1, 0, 10, T, 600000, &d), 0);
    ck_assert_int_eq(cp_agent_apply(a, &ws, &e2, 0, 11, T, 600000, &d), 0);
    ck_assert_int_eq(cp_agent_apply(a, &ws, &dup, 0, 12, T, 600000, &d), 0); /* same id */
    ck_assert_int_eq(cp_agent_apply(a, &ws, &e2, 0, 11, T, 600000, &d), 0);  /* replayed offset */
    ck_assert_int_eq(cp_agent_apply(a, &ws, &e1, 0, 5, T, 600000, &d), 0);   /* older offset */
    ck_assert_int_eq(d.applied, 2);
    ck_assert_int_eq(d.duplicates, 1);
    ck_assert_int_eq(d.skipped, 2);
    ck_assert_int_eq(cp_agent_applied(a, 0), 12);
    ck_assert_int_eq(cp_agent_applied(a, 1), -1);
    cp_wstore_window(&a->w, &ws, 0, T, &out);
    ck_assert_int_eq(out.v[CP_S_OFFERED], 2);
    /* the same offset on another partition is a different message */
    cp_event e3 = offered("e3", T);
    ck_assert_int_eq(cp_agent_apply(a, &ws, &e3, 1, 11, T, 600000, &d), 0);
    ck_assert_int_eq(d.applied, 3);
    cp_agent_delta_free(&d);
    cp_agent_free(a);
}
END_TEST

/* An event id counts once within the lateness horizon: a copy whose first
 * one's ts is older than its clock minus lateness counts again, whether the
 * first one is still in the cache or not (a reload from Redis keeps only ids
 * inside the horizon; a restart must not change what counts). */
START_TEST(test_duplicate_past_the_horizon) {
    cp_windows ws = make_windows(0);
    cp_agent *a = cp_agent_new("a1", 2);
    cp_agent_delta d;
    int64_t T = DAY0 + 8 * 3600000;
    memset(&d, 0, sizeof(d));
    cp_event first = offered("X", T), near = offered("X", T + 9 * MIN),
             late = offered("X", T + 25 * MIN), again = offered("X", T + 26 * MIN);
    ck_assert_int_eq(cp_agent_apply(a, &ws, &first, 0, 1, T, 600000, &d), 0);
    ck_assert_int_eq(cp_agent_apply(a, &ws, &near, 0, 2, T + 9 * MIN, 600000, &d), 0);
    ck_assert_int_eq(d.applied, 1); /* inside the horizon: a duplicate */
    ck_assert_int_eq(cp_agent_apply(a, &ws, &late, 0, 3, T + 30 * MIN, 600000, &d), 0);
    ck_assert_int_eq(d.applied, 2); /* the first is 30 min behind: it counts again */
    ck_assert_int_eq(cp_agent_apply(a, &ws, &again, 0, 4, T + 30 * MIN, 600000, &d), 0);
    ck_assert_int_eq(d.applied, 2); /* ... and from its own ts on, once */
    ck_assert_int_eq(d.duplicates, 2);
    cp_agent_delta_free(&d);
    cp_agent_free(a);
}
END_TEST

/* Ids are remembered only inside the lateness horizon of the clock. */
START_TEST(test_ids_pruned_past_lateness) {
    cp_windows ws = make_windows(0);
    cp_agent *a = cp_agent_new("a1", 2);
    cp_agent_delta d;
    int64_t T = DAY0 + 8 * 3600000;
    memset(&d, 0, sizeof(d));
    for (int i = 0; i < 100; i++) {
        char id[16];
        snprintf(id, sizeof(id), "e%d", i);
        cp_event ev = offered(id, T - 20 * MIN + i * 12000);
        ck_assert_int_eq(cp_agent_apply(a, &ws, &ev, 0, i, T, 600000, &d), 0);
    }
    ck_assert_uint_eq(a->ids.n, 100);
    cp_agent_advance(a, &ws, T, 600000, &d); /* lateness 10 min */
    ck_assert_uint_eq(a->ids.n, 50);
    ck_assert(cp_keyset_get(&a->ids, "e99", 3, NULL));
    ck_assert(cp_keyset_get(&a->ids, "e50", 3, NULL));
    ck_assert(!cp_keyset_get(&a->ids, "e49", 3, NULL));
    cp_agent_delta_free(&d);
    cp_agent_free(a);
}
END_TEST

START_TEST(test_last_known_team) {
    cp_windows ws = make_windows(0);
    cp_agent *a = cp_agent_new("a1", 2);
    cp_agent_delta d;
    int64_t T = DAY0;
    memset(&d, 0, sizeof(d));
    cp_event e1 = offered("e1", T), e2 = offered("e2", T), e3 = offered("e3", T);
    snprintf(e1.team_id, sizeof(e1.team_id), "t1");
    e1.team_id_len = 2;
    snprintf(e3.team_id, sizeof(e3.team_id), "t2");
    e3.team_id_len = 2;
    cp_agent_apply(a, &ws, &e1, 0, 1, T, 600000, &d);
    cp_agent_apply(a, &ws, &e2, 0, 2, T, 600000, &d); /* no team: keeps t1 */
    ck_assert_str_eq(a->team, "t1");
    cp_agent_apply(a, &ws, &e3, 0, 3, T, 600000, &d);
    ck_assert_str_eq(a->team, "t2");
    cp_agent_delta_free(&d);
    cp_agent_free(a);
}
END_TEST

/* ---- codec and KPI text -------------------------------------------------- */

START_TEST(test_sums_codec) {
    cp_sums s, back;
    char buf[CP_SUMS_TEXT_MAX];
    memset(&s, 0, sizeof(s));
    s.v[CP_S_OFFERED] = 2;
    s.v[CP_S_TALK_MS] = 185000;
    s.v[CP_S_QA_COUNT] = 1;
    cp_sums_encode(&s, buf);
    ck_assert_str_eq(buf, "a2e185000p1");
    ck_assert_int_eq(cp_sums_decode(buf, strlen(buf), &back), 0);
    ck_assert(memcmp(&s, &back, sizeof(s)) == 0);
    for (int i = 0; i < CP_S_COUNT; i++)
        s.v[i] = INT64_MAX;
    cp_sums_encode(&s, buf);
    ck_assert_int_eq(cp_sums_decode(buf, strlen(buf), &back), 0);
    ck_assert(memcmp(&s, &back, sizeof(s)) == 0);
    ck_assert_int_eq(cp_sums_decode("z1", 2, &back), -1);
    ck_assert_int_eq(cp_sums_decode("a", 1, &back), -1);
    ck_assert_int_eq(cp_sums_decode("a99999999999999999999", 21, &back), -1);
    ck_assert_int_eq(cp_sums_decode("", 0, &back), 0);
}
END_TEST

START_TEST(test_kpi_text) {
    cp_sums s;
    char buf[64];
    double v;
    memset(&s, 0, sizeof(s));
    /* nothing handled: every per-call value is absent */
    cp_metric_format(&s, CP_M_AHT_S, buf, sizeof(buf));
    ck_assert_str_eq(buf, "");
    ck_assert_int_eq(cp_metric_value(&s, CP_M_ANSWER_RATE, &v), -1);
    s.v[CP_S_ANSWERED] = 2;
    s.v[CP_S_MISSED] = 1;
    s.v[CP_S_HANDLED] = 3;
    s.v[CP_S_TALK_MS] = 600500;
    s.v[CP_S_HOLD_MS] = 30000;
    s.v[CP_S_ACW_MS] = 90000;
    s.v[CP_S_RESOLVED] = 2;
    s.v[CP_S_CSAT_SUM] = 9;
    s.v[CP_S_CSAT_COUNT] = 2;
    s.v[CP_S_QA_SUM] = 175500;
    s.v[CP_S_QA_COUNT] = 2;
    cp_metric_format(&s, CP_M_ANSWER_RATE, buf, sizeof(buf));
    ck_assert_str_eq(buf, "0.666667");
    cp_metric_format(&s, CP_M_AHT_S, buf, sizeof(buf));
    ck_assert_str_eq(buf, "240.1667");
    cp_metric_format(&s, CP_M_TALK_S, buf, sizeof(buf));
    ck_assert_str_eq(buf, "600.500");
    cp_metric_format(&s, CP_M_FCR_RATE, buf, sizeof(buf));
    ck_assert_str_eq(buf, "0.666667");
    cp_metric_format(&s, CP_M_CSAT_AVG, buf, sizeof(buf));
    ck_assert_str_eq(buf, "4.5000");
    cp_metric_format(&s, CP_M_QA_AVG, buf, sizeof(buf));
    ck_assert_str_eq(buf, "87.7500");
    cp_metric_format(&s, CP_M_HANDLED, buf, sizeof(buf));
    ck_assert_str_eq(buf, "3");
    cp_metric m;
    ck_assert_int_eq(cp_metric_parse("transfer_rate", &m), 0);
    ck_assert_int_eq(m, CP_M_TRANSFER_RATE);
    ck_assert_int_eq(cp_metric_parse("nope", &m), -1);
}
END_TEST

Suite *window_suite(void) {
    Suite *s = suite_create("window");
    TCase *tc = tcase_create("window");
    tcase_add_test(tc, test_bucket_edges);
    tcase_add_loop_test(tc, test_sliding_edges, 0,
                        (int)(sizeof(edge_cases) / sizeof(edge_cases[0])));
    tcase_add_test(tc, test_day_window_at_offset);
    tcase_add_test(tc, test_late_events);
    tcase_add_test(tc, test_prune_and_slide);
    tcase_add_test(tc, test_next_change);
    tcase_add_test(tc, test_duplicates_and_replays);
    tcase_add_test(tc, test_ids_pruned_past_lateness);
    tcase_add_test(tc, test_duplicate_past_the_horizon);
    tcase_add_test(tc, test_last_known_team);
    tcase_add_test(tc, test_sums_codec);
    tcase_add_test(tc, test_kpi_text);
    suite_add_tcase(s, tc);
    return s;
}
