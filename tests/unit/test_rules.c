/* test_rules.c -- rule parsing and every rule kind: threshold edges,
 * hysteresis, cooldown and min_samples; streak breaks and restarts; long
 * calls; event rewards; the daily cap with clipping; goals once a day; a
 * kind's own state seeing each event before the rules. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "kindstate.h"
#include "messages.h"
#include "ruleeval.h"
#include "suites.h"
#include "testkind.h"
#include "timefmt.h"

#define MIN  60000LL
#define DAY0 1795392000000LL /* 2026-11-23T00:00:00Z */

/* ---- fixtures --------------------------------------------------------------- */

typedef struct fixture {
    cp_config cfg;
    cp_windows ws;
    cp_agent_rules ar;
    cp_emits out;
    cp_rule_ctx ctx;
} fixture;

/* Rules from JSON (alerts and rewards arrays), windows 15m,60m,day. */
static void setup(fixture *f, const char *json, int cap) {
    char err[CP_ERRBUF];
    cp_config_defaults(&f->cfg);
    if (json)
        ck_assert_msg(cp_config_load_string(&f->cfg, json, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(cp_config_validate(&f->cfg, err, sizeof(err)) == 0, "%s", err);
    cp_windows_from_config(&f->ws, &f->cfg);
    ck_assert_int_eq(cp_agent_rules_init(&f->ar, f->cfg.rules.n), 0);
    memset(&f->out, 0, sizeof(f->out));
    f->ctx = (cp_rule_ctx){&f->cfg.rules, &f->ws, cap,     600000,      "a1",
                           "t1",          &f->ar, &f->out, CP_NO_STAMP, NULL};
}

static void teardown(fixture *f) {
    cp_agent_rules_free(&f->ar);
    cp_emits_free(&f->out);
    cp_config_free(&f->cfg);
}

static cp_event event(cp_event_type type, const char *id, int64_t ts) {
    cp_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.ts_ms = ts;
    snprintf(ev.event_id, sizeof(ev.event_id), "%s", id);
    ev.event_id_len = (uint8_t)strlen(id);
    snprintf(ev.agent_id, sizeof(ev.agent_id), "a1");
    ev.agent_id_len = 2;
    snprintf(ev.call_id, sizeof(ev.call_id), "c-%s", id);
    ev.call_id_len = (uint8_t)strlen(ev.call_id);
    return ev;
}

/* Windows where window 0 (15m) has `handled` calls of aht_s each. */
static void aht_windows(cp_sums *win, int handled, double aht_s) {
    memset(win, 0, sizeof(cp_sums) * CP_WINDOWS_MAX);
    win[0].v[CP_S_HANDLED] = handled;
    win[0].v[CP_S_TALK_MS] = (int64_t)(aht_s * 1000) * handled;
}

static const char *THRESHOLD_ONLY =
    "{\"alerts\":{\"rules\":[{\"id\":\"aht-high\",\"kind\":\"threshold\",\"kpi\":\"aht_s\","
    "\"window\":\"15m\",\"op\":\">\",\"threshold\":480,\"min_samples\":5,"
    "\"clear_threshold\":420,\"cooldown_s\":600,\"severity\":\"warning\"}]},"
    "\"rewards\":{\"rules\":[]}}";

/* ---- parsing ------------------------------------------------------------------ */

START_TEST(test_default_rules) {
    fixture f;
    setup(&f, NULL, 500);
    const char *ids[] = {
        "aht-high",  "csat-low", "answer-rate-low",    "csat-streak", "transfer-streak",
        "long-call", "csat-5",   "complaint-resolved", "fcr-streak",  "answer-rate-goal"};
    ck_assert_int_eq(f.cfg.rules.n, 10);
    for (int i = 0; i < 10; i++)
        ck_assert_str_eq(f.cfg.rules.v[i].id, ids[i]);
    const cp_rule *aht = &f.cfg.rules.v[0];
    ck_assert_int_eq(aht->kind, CP_RULE_THRESHOLD);
    ck_assert_int_eq(aht->kpi, CP_M_AHT_S);
    ck_assert_int_eq(aht->window_index, 0);
    ck_assert(aht->threshold == 480 && aht->clear_threshold == 420 && aht->has_clear);
    ck_assert_int_eq(aht->cooldown_ms, 600000);
    ck_assert_int_eq(aht->min_samples, 5);
    ck_assert_int_eq(f.cfg.rules.v[1].window_index, 1);
    ck_assert_int_eq(f.cfg.rules.v[1].severity, CP_SEV_CRITICAL);
    ck_assert_int_eq(f.cfg.rules.v[5].max_ms, 900000);
    ck_assert_int_eq(f.cfg.rules.v[5].severity, CP_SEV_INFO);
    ck_assert_int_eq(f.cfg.rules.v[7].points, 50);
    ck_assert_str_eq(f.cfg.rules.v[7].badge, "complaint-crusher");
    ck_assert_int_eq(f.cfg.rules.v[8].count, 5);
    ck_assert_int_eq(f.cfg.rules.v[9].window_index, 2);
    ck_assert_int_eq(f.cfg.daily_cap, 500);
    teardown(&f);
}
END_TEST

/* Each mistake is named on its own line. */
static const struct {
    const char *json;
    const char *want;
} bad_rules[] = {
    {"{\"alerts\":{\"rules\":[{\"id\":\"x\",\"kind\":\"bogus\"}]}}", "alerts.rules[0].kind"},
    {"{\"alerts\":{\"rules\":[{\"id\":\"x\",\"kind\":\"event\",\"event\":\"survey\"}]}}",
     "alerts.rules[0].kind"},
    {"{\"alerts\":{\"rules\":[{\"id\":\"x\",\"kind\":\"threshold\",\"kpi\":\"aht_s\","
     "\"window\":\"15m\",\"op\":\">\"}]}}",
     "alerts.rules[0].threshold: required"},
    {"{\"alerts\":{\"rules\":[{\"id\":\"x\",\"kind\":\"threshold\",\"kpi\":\"speed\","
     "\"window\":\"15m\",\"op\":\">\",\"threshold\":1}]}}",
     "alerts.rules[0].kpi: unknown KPI 'speed'"},
    {"{\"alerts\":{\"rules\":[{\"id\":\"x\",\"kind\":\"threshold\",\"kpi\":\"aht_s\","
     "\"window\":\"15m\",\"op\":\"=>\",\"threshold\":1}]}}",
     "alerts.rules[0].op"},
    {"{\"alerts\":{\"rules\":[{\"id\":\"x\",\"kind\":\"threshold\",\"kpi\":\"aht_s\","
     "\"window\":\"15m\",\"op\":\">\",\"threshold\":480,\"clear_threshold\":500}]}}",
     "alerts.rules[0].clear_threshold"},
    {"{\"alerts\":{\"rules\":[{\"id\":\"x\",\"kind\":\"threshold\",\"kpi\":\"aht_s\","
     "\"window\":\"5m\",\"op\":\">\",\"threshold\":480}]}}",
     "alerts.rules[0].window: '5m' is not in windows.list"},
    {"{\"alerts\":{\"rules\":[{\"id\":\"x\",\"kind\":\"streak\",\"event\":\"survey\","
     "\"when\":\"talk_s > 3\",\"count\":3}]}}",
     "alerts.rules[0].when: survey events have no field 'talk_s'"},
    {"{\"alerts\":{\"rules\":[{\"id\":\"x\",\"kind\":\"streak\",\"event\":\"survey\","
     "\"when\":\"csat\",\"count\":3}]}}",
     "alerts.rules[0].when: 'csat' is a number"},
    {"{\"alerts\":{\"rules\":[{\"id\":\"x\",\"kind\":\"streak\",\"event\":\"survey\","
     "\"when\":\"csat <= 2 || csat == 5\",\"count\":3}]}}",
     "alerts.rules[0].when: expected &&"},
    {"{\"alerts\":{\"rules\":[{\"id\":\"x\",\"kind\":\"streak\",\"event\":\"parked\","
     "\"count\":3}]}}",
     "alerts.rules[0].event: unknown event type"},
    {"{\"alerts\":{\"rules\":[{\"id\":\"x\",\"kind\":\"long_call\",\"max_s\":900,"
     "\"severity\":\"panic\"}]}}",
     "alerts.rules[0].severity"},
    {"{\"alerts\":{\"rules\":[{\"id\":\"x\",\"kind\":\"long_call\",\"max_s\":900,"
     "\"teams\":[\"a b\"]}]}}",
     "alerts.rules[0].teams[0]"},
    {"{\"alerts\":{\"rules\":[{\"id\":\"x\",\"kind\":\"long_call\",\"max_s\":900},"
     "{\"id\":\"x\",\"kind\":\"long_call\",\"max_s\":60}]}}",
     "alerts.rules[1].id: 'x' is used twice"},
    {"{\"alerts\":{\"rules\":[{\"kind\":\"long_call\",\"max_s\":900}]}}",
     "alerts.rules[0].id: required"},
    {"{\"rewards\":{\"rules\":[{\"id\":\"r\",\"kind\":\"event\",\"event\":\"survey\","
     "\"when\":\"csat == 5\"}]}}",
     "rewards.rules[0].points: required"},
    {"{\"rewards\":{\"rules\":[{\"id\":\"r\",\"kind\":\"long_call\",\"max_s\":9,\"points\":1}]}}",
     "rewards.rules[0].kind"},
    {"{\"rewards\":{\"rules\":[{\"id\":\"r\",\"kind\":\"streak\",\"event\":\"call_ended\","
     "\"when\":\"resolved\",\"count\":0,\"points\":5}]}}",
     "rewards.rules[0].count"},
    {"{\"rewards\":{\"rules\":{}}}", "rewards.rules: expected an array"},
    {"{\"rewards\":{\"daily_cap\":-5}}", "rewards.daily_cap"},
};

START_TEST(test_bad_rules_name_the_key) {
    cp_config c;
    char err[CP_ERRBUF];
    cp_config_defaults(&c);
    int rc = cp_config_load_string(&c, bad_rules[_i].json, err, sizeof(err));
    if (rc == 0)
        rc = cp_config_validate(&c, err, sizeof(err));
    ck_assert_msg(rc == -1, "accepted: %s", bad_rules[_i].json);
    ck_assert_msg(strstr(err, bad_rules[_i].want) != NULL, "'%s' lacks '%s'", err,
                  bad_rules[_i].want);
    cp_config_free(&c);
}
END_TEST

START_TEST(test_every_mistake_on_its_own_line) {
    cp_config c;
    char err[CP_ERRBUF];
    cp_config_defaults(&c);
    ck_assert_int_eq(cp_config_load_string(&c,
                                           "{\"alerts\":{\"rules\":[{\"id\":\"x\",\"kind\":"
                                           "\"threshold\",\"kpi\":\"nope\",\"window\":\"15m\","
                                           "\"op\":\"~\",\"threshold\":\"high\"}]}}",
                                           err, sizeof(err)),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "alerts.rules[0].kpi"));
    ck_assert_ptr_nonnull(strstr(err, "\nalerts.rules[0].op"));
    ck_assert_ptr_nonnull(strstr(err, "\nalerts.rules[0].threshold"));
    cp_config_free(&c);
}
END_TEST

/* A mistake is a mistake even when the error buffer is too small to hold its
 * text: before the fix, a full buffer made a bad rule parse as good. */
START_TEST(test_mistake_counts_when_buffer_is_full) {
    static cp_rules r;
    char err[2] = "x";
    json_t *bad = json_loads("[{\"id\":\"x\",\"kind\":\"threshold\",\"kpi\":\"nope\"}]", 0, NULL);
    ck_assert_ptr_nonnull(bad);
    memset(&r, 0, sizeof(r));
    ck_assert_int_eq(cp_rules_parse(&r, 0, bad, err, sizeof(err)), -1);
    json_decref(bad);
}
END_TEST

static const struct {
    const char *when;
    cp_event_type type;
    int csat, flags, want;
} conds[] = {
    {"csat <= 2", CP_EV_SURVEY, 2, 0, 1},
    {"csat <= 2", CP_EV_SURVEY, 3, 0, 0},
    {"csat == 5", CP_EV_SURVEY, 5, 0, 1},
    {"csat != 5", CP_EV_SURVEY, 5, 0, 0},
    {"resolved", CP_EV_CALL_ENDED, 0, CP_F_RESOLVED, 1},
    {"resolved", CP_EV_CALL_ENDED, 0, 0, 0},
    {"!transferred", CP_EV_CALL_ENDED, 0, 0, 1},
    {"complaint && resolved", CP_EV_CALL_ENDED, 0, CP_F_COMPLAINT | CP_F_RESOLVED, 1},
    {"complaint && resolved", CP_EV_CALL_ENDED, 0, CP_F_COMPLAINT, 0},
    {"  complaint&&resolved  ", CP_EV_CALL_ENDED, 0, CP_F_COMPLAINT | CP_F_RESOLVED, 1},
};

START_TEST(test_conditions) {
    cp_cond c;
    char why[128];
    cp_event ev = event(conds[_i].type, "e", 0);
    ev.csat = conds[_i].csat;
    ev.flags = (unsigned)conds[_i].flags;
    ck_assert_msg(cp_cond_parse(&c, conds[_i].when, conds[_i].type, why, sizeof(why)) == 0, "%s",
                  why);
    ck_assert_int_eq(cp_cond_eval(&c, &ev), conds[_i].want);
}
END_TEST

/* ---- threshold ----------------------------------------------------------------- */

START_TEST(test_threshold_edge_hysteresis_cooldown) {
    fixture f;
    cp_sums win[CP_WINDOWS_MAX];
    setup(&f, THRESHOLD_ONLY, 500);
    int64_t T = DAY0 + 8 * 3600000;
    /* 4 calls: not enough samples even far above */
    aht_windows(win, 4, 900);
    cp_rules_after_slide(&f.ctx, T, win);
    ck_assert_uint_eq(f.out.n, 0);
    /* exactly at the threshold: > 480 does not hold */
    aht_windows(win, 5, 480);
    cp_rules_after_slide(&f.ctx, T, win);
    ck_assert_uint_eq(f.out.n, 0);
    /* the edge: fires once */
    aht_windows(win, 5, 480.5);
    cp_rules_after_slide(&f.ctx, T, win);
    ck_assert_uint_eq(f.out.n, 1);
    ck_assert_str_eq(f.out.v[0].id, "aht-high:a1:1:firing");
    ck_assert(f.out.v[0].firing && f.out.v[0].value == 480.5 && f.out.v[0].samples == 5);
    aht_windows(win, 6, 600);
    cp_rules_after_slide(&f.ctx, T + MIN, win); /* still above: no repeat */
    ck_assert_uint_eq(f.out.n, 1);
    /* hysteresis: 450 is below 480 but above the 420 clear threshold */
    aht_windows(win, 6, 450);
    cp_rules_after_slide(&f.ctx, T + 2 * MIN, win);
    ck_assert_uint_eq(f.out.n, 1);
    aht_windows(win, 6, 420);
    cp_rules_after_slide(&f.ctx, T + 3 * MIN, win);
    ck_assert_uint_eq(f.out.n, 2);
    ck_assert_str_eq(f.out.v[1].id, "aht-high:a1:1:resolved");
    ck_assert(!f.out.v[1].firing && f.out.v[1].threshold == 420);
    /* above again within the 600 s cooldown of the firing: silent */
    aht_windows(win, 6, 500);
    cp_rules_after_slide(&f.ctx, T + 9 * MIN, win);
    ck_assert_uint_eq(f.out.n, 2);
    /* once the cooldown has passed, still above: fires again */
    cp_rules_after_slide(&f.ctx, T + 10 * MIN, win);
    ck_assert_uint_eq(f.out.n, 3);
    ck_assert_str_eq(f.out.v[2].id, "aht-high:a1:2:firing");
    /* fewer samples than min_samples but still bad: stays firing (no flap) */
    aht_windows(win, 3, 700);
    cp_rules_after_slide(&f.ctx, T + 11 * MIN, win);
    ck_assert_uint_eq(f.out.n, 3);
    /* the window empties: resolved */
    aht_windows(win, 0, 0);
    cp_rules_after_slide(&f.ctx, T + 30 * MIN, win);
    ck_assert_uint_eq(f.out.n, 4);
    ck_assert(!f.out.v[3].firing && f.out.v[3].no_samples);
    teardown(&f);
}
END_TEST

START_TEST(test_threshold_without_clear_and_team_scope) {
    fixture f;
    cp_sums win[CP_WINDOWS_MAX];
    setup(&f,
          "{\"alerts\":{\"rules\":[{\"id\":\"q\",\"kind\":\"threshold\",\"kpi\":\"aht_s\","
          "\"window\":\"15m\",\"op\":\">=\",\"threshold\":300,\"teams\":[\"t2\"]}]},"
          "\"rewards\":{\"rules\":[]}}",
          500);
    aht_windows(win, 1, 400);
    cp_rules_after_slide(&f.ctx, DAY0, win); /* a1 is in t1: out of scope */
    ck_assert_uint_eq(f.out.n, 0);
    f.ctx.team = "t2";
    cp_rules_after_slide(&f.ctx, DAY0, win);
    ck_assert_uint_eq(f.out.n, 1);
    aht_windows(win, 1, 299); /* no clear threshold: resolves when the condition stops */
    cp_rules_after_slide(&f.ctx, DAY0 + MIN, win);
    ck_assert_uint_eq(f.out.n, 2);
    ck_assert(!f.out.v[1].firing);
    teardown(&f);
}
END_TEST

/* ---- streaks ---------------------------------------------------------------------- */

START_TEST(test_streak_alert) {
    fixture f;
    cp_sums win[CP_WINDOWS_MAX];
    memset(win, 0, sizeof(win));
    setup(&f,
          "{\"alerts\":{\"rules\":[{\"id\":\"csat-streak\",\"kind\":\"streak\",\"event\":"
          "\"survey\",\"when\":\"csat <= 2\",\"count\":3,\"severity\":\"critical\"}]},"
          "\"rewards\":{\"rules\":[]}}",
          500);
    int csats[] = {1, 2, 3, 1, 2, 2, 1, 1, 1};
    size_t fired_at[9];
    size_t nfired = 0;
    for (int i = 0; i < 9; i++) {
        char id[8];
        snprintf(id, sizeof(id), "s%d", i);
        cp_event ev = event(CP_EV_SURVEY, id, DAY0 + i * MIN);
        ev.csat = csats[i];
        size_t before = f.out.n;
        cp_rules_after_event(&f.ctx, &ev, ev.ts_ms, win);
        if (f.out.n > before)
            fired_at[nfired++] = (size_t)i;
        /* another event type never breaks a survey streak */
        cp_event other = event(CP_EV_CALL_OFFERED, "o", ev.ts_ms);
        cp_rules_after_event(&f.ctx, &other, ev.ts_ms, win);
    }
    /* 1,2 then 3 breaks; 1,2,2 fires; 1,1,1 fires (the count restarted) */
    ck_assert_uint_eq(nfired, 2);
    ck_assert_uint_eq(fired_at[0], 5);
    ck_assert_uint_eq(fired_at[1], 8);
    ck_assert_str_eq(f.out.v[0].id, "csat-streak:a1:s5");
    ck_assert(f.out.v[0].firing);
    teardown(&f);
}
END_TEST

START_TEST(test_streak_reward_and_event_reward) {
    fixture f;
    cp_sums win[CP_WINDOWS_MAX];
    memset(win, 0, sizeof(win));
    setup(&f, "{\"alerts\":{\"rules\":[]}}", 500); /* default rewards */
    for (int i = 0; i < 11; i++) {
        char id[8];
        snprintf(id, sizeof(id), "c%d", i);
        cp_event ev = event(CP_EV_CALL_ENDED, id, DAY0 + i * MIN);
        ev.flags = i == 5 ? 0 : CP_F_RESOLVED; /* the 6th breaks the streak */
        if (i == 10)
            ev.flags |= CP_F_COMPLAINT;
        cp_rules_after_event(&f.ctx, &ev, ev.ts_ms, win);
    }
    /* resolved: 0-4 (streak of 5 -> reward), 5 breaks, 6-10 (5 -> reward);
     * call 10 is also a resolved complaint */
    ck_assert_uint_eq(f.out.n, 3);
    ck_assert_str_eq(f.out.v[0].id, "fcr-streak:a1:c4");
    ck_assert_int_eq(f.out.v[0].points, 25);
    ck_assert_int_eq(f.out.v[0].balance, 25);
    ck_assert_str_eq(f.out.v[1].id, "complaint-resolved:a1:c10");
    ck_assert_int_eq(f.out.v[1].points, 50);
    ck_assert_str_eq(f.out.v[2].id, "fcr-streak:a1:c10");
    ck_assert_int_eq(f.out.v[2].balance, 100);
    ck_assert_str_eq(f.out.v[2].day, "2026-11-23");
    teardown(&f);
}
END_TEST

/* ---- long calls -------------------------------------------------------------------- */

START_TEST(test_long_call) {
    fixture f;
    cp_sums win[CP_WINDOWS_MAX];
    memset(win, 0, sizeof(win));
    setup(&f, "{\"rewards\":{\"rules\":[]}}", 500); /* default alerts */
    cp_event ans = event(CP_EV_CALL_ANSWERED, "x", DAY0);
    cp_rules_after_event(&f.ctx, &ans, DAY0, win);
    cp_rules_after_slide(&f.ctx, DAY0 + 899999, win);
    ck_assert_uint_eq(f.out.n, 0);
    /* the deadline the engine waits for, and none once it fired */
    ck_assert_int_eq(cp_rules_next_deadline(&f.cfg.rules, &f.ar, DAY0 + 899999), DAY0 + 900000);
    cp_rules_after_slide(&f.ctx, DAY0 + 900000, win); /* 15 min: assist */
    ck_assert_int_eq(cp_rules_next_deadline(&f.cfg.rules, &f.ar, DAY0 + 900000), CP_NEVER);
    ck_assert_uint_eq(f.out.n, 1);
    ck_assert_str_eq(f.out.v[0].id, "long-call:a1:c-x:firing");
    ck_assert(f.out.v[0].value == 900 && f.out.v[0].threshold == 900);
    cp_rules_after_slide(&f.ctx, DAY0 + 1000000, win); /* once */
    ck_assert_uint_eq(f.out.n, 1);
    cp_event end = event(CP_EV_CALL_ENDED, "x", DAY0 + 1050000);
    end.talk_ms = 1050000;
    cp_rules_after_event(&f.ctx, &end, end.ts_ms, win);
    ck_assert_uint_eq(f.out.n, 2);
    ck_assert_str_eq(f.out.v[1].id, "long-call:a1:c-x:resolved");
    ck_assert(f.out.v[1].value == 1050);
    ck_assert_int_eq(f.ar.nopen, 0);
    teardown(&f);
}
END_TEST

START_TEST(test_long_call_quiet_cases) {
    fixture f;
    cp_sums win[CP_WINDOWS_MAX];
    memset(win, 0, sizeof(win));
    setup(&f, "{\"rewards\":{\"rules\":[]}}", 500);
    /* ended before the deadline: nothing */
    cp_event a1 = event(CP_EV_CALL_ANSWERED, "y", DAY0),
             e1 = event(CP_EV_CALL_ENDED, "y", DAY0 + MIN);
    cp_rules_after_event(&f.ctx, &a1, DAY0, win);
    cp_rules_after_event(&f.ctx, &e1, DAY0 + MIN, win);
    /* call_ended arriving before its call_answered never opens the call */
    cp_event e2 = event(CP_EV_CALL_ENDED, "z", DAY0 + 2 * MIN),
             a2 = event(CP_EV_CALL_ANSWERED, "z", DAY0 + MIN);
    cp_rules_after_event(&f.ctx, &e2, DAY0 + 2 * MIN, win);
    cp_rules_after_event(&f.ctx, &a2, DAY0 + 2 * MIN, win);
    cp_rules_after_slide(&f.ctx, DAY0 + 60 * MIN, win);
    ck_assert_uint_eq(f.out.n, 0);
    ck_assert_int_eq(f.ar.nopen, 0);
    teardown(&f);
}
END_TEST

/* ---- points ------------------------------------------------------------------------- */

START_TEST(test_daily_cap_clips) {
    fixture f;
    cp_sums win[CP_WINDOWS_MAX];
    memset(win, 0, sizeof(win));
    setup(&f, "{\"alerts\":{\"rules\":[]}}", 25); /* cap 25: csat-5 gives 10 */
    for (int i = 0; i < 4; i++) {
        char id[8];
        snprintf(id, sizeof(id), "v%d", i);
        cp_event ev = event(CP_EV_SURVEY, id, DAY0 + 10 * 3600000 + i * MIN);
        ev.csat = 5;
        cp_rules_after_event(&f.ctx, &ev, ev.ts_ms, win);
    }
    /* 10 + 10 + 5 (clipped) ; the fourth is clipped to 0 and not sent */
    ck_assert_uint_eq(f.out.n, 3);
    ck_assert_int_eq(f.out.v[2].points, 5);
    ck_assert_int_eq(f.out.v[2].asked_points, 10);
    ck_assert_int_eq(f.ar.points.total, 25);
    /* the next day starts afresh */
    cp_event ev = event(CP_EV_SURVEY, "next", DAY0 + 86400000 + MIN);
    ev.csat = 5;
    cp_rules_after_event(&f.ctx, &ev, ev.ts_ms, win);
    ck_assert_uint_eq(f.out.n, 4);
    ck_assert_int_eq(f.out.v[3].points, 10);
    ck_assert_int_eq(f.out.v[3].balance, 35);
    ck_assert_str_eq(f.out.v[3].day, "2026-11-24");
    teardown(&f);
}
END_TEST

START_TEST(test_cap_uses_event_day_at_offset) {
    cp_points p;
    int64_t changed;
    memset(&p, 0, sizeof(p));
    for (int i = 0; i < CP_POINT_DAYS; i++)
        p.days[i].day = CP_NO_DAY;
    int64_t d1 = cp_day_number(DAY0 + 15 * 3600000, 480),
            d2 = cp_day_number(DAY0 + 16 * 3600000, 480);
    ck_assert_int_ne(d1, d2); /* 16:00Z is midnight at +08:00 */
    ck_assert_int_eq(cp_points_grant(&p, d1, 400, 500, &changed), 400);
    ck_assert_int_eq(cp_points_grant(&p, d1, 400, 500, &changed), 100);
    ck_assert_int_eq(cp_points_grant(&p, d1, 400, 500, &changed), 0);
    ck_assert_int_eq(cp_points_grant(&p, d2, 400, 500, &changed), 400);
    ck_assert_int_eq(changed, d2);
    /* a late event of the day before still counts against that day */
    ck_assert_int_eq(cp_points_grant(&p, d1, 10, 500, &changed), 0);
    ck_assert_int_eq(p.total, 900);
    /* no cap */
    ck_assert_int_eq(cp_points_grant(&p, d2, 400, 0, &changed), 400);
}
END_TEST

START_TEST(test_goal_once_per_day) {
    fixture f;
    cp_sums win[CP_WINDOWS_MAX];
    setup(&f, "{\"alerts\":{\"rules\":[]}}", 500);
    memset(win, 0, sizeof(win));
    win[2].v[CP_S_ANSWERED] = 18; /* day window: 18/20 = 0.90 with 20 samples */
    win[2].v[CP_S_MISSED] = 2;
    cp_rules_after_slide(&f.ctx, DAY0 + 9 * 3600000, win);
    ck_assert_uint_eq(f.out.n, 1);
    ck_assert_str_eq(f.out.v[0].id, "answer-rate-goal:a1:2026-11-23");
    ck_assert_int_eq(f.out.v[0].points, 100);
    ck_assert(f.out.v[0].value == 0.9);
    cp_rules_after_slide(&f.ctx, DAY0 + 10 * 3600000, win); /* same day: once */
    ck_assert_uint_eq(f.out.n, 1);
    win[2].v[CP_S_MISSED] = 3; /* next day but below 0.90 */
    cp_rules_after_slide(&f.ctx, DAY0 + 86400000 + MIN, win);
    ck_assert_uint_eq(f.out.n, 1);
    win[2].v[CP_S_ANSWERED] = 40;
    cp_rules_after_slide(&f.ctx, DAY0 + 86400000 + 2 * MIN, win);
    ck_assert_uint_eq(f.out.n, 2);
    ck_assert_str_eq(f.out.v[1].id, "answer-rate-goal:a1:2026-11-24");
    /* fewer than min_samples: no goal */
    fixture g;
    setup(&g, "{\"alerts\":{\"rules\":[]}}", 500);
    memset(win, 0, sizeof(win));
    win[2].v[CP_S_ANSWERED] = 19;
    cp_rules_after_slide(&g.ctx, DAY0, win);
    ck_assert_uint_eq(g.out.n, 0);
    teardown(&g);
    teardown(&f);
}
END_TEST

START_TEST(test_rule_state_codec) {
    cp_rule_state s = {1, 7, 1795392000000LL, 3, 20415}, back;
    char buf[128];
    cp_rule_state_encode(&s, buf, sizeof(buf));
    ck_assert_int_eq(cp_rule_state_decode(buf, strlen(buf), &back), 0);
    ck_assert(back.firing == 1 && back.seq == 7 && back.fired_at == 1795392000000LL &&
              back.streak == 3 && back.goal_day == 20415);
    s.goal_day = CP_NO_DAY;
    cp_rule_state_encode(&s, buf, sizeof(buf));
    ck_assert_int_eq(cp_rule_state_decode(buf, strlen(buf), &back), 0);
    ck_assert_int_eq(back.goal_day, CP_NO_DAY);
    ck_assert_int_eq(cp_rule_state_decode("garbage", 7, &back), -1);
}
END_TEST

/* ---- messages ------------------------------------------------------------------------ */

START_TEST(test_alert_message) {
    fixture f;
    cp_sums win[CP_WINDOWS_MAX];
    setup(&f, THRESHOLD_ONLY, 500);
    aht_windows(win, 5, 512.25);
    cp_event ev = event(CP_EV_CALL_ENDED, "e9", DAY0);
    cp_rules_after_event(&f.ctx, &ev, DAY0, win);
    ck_assert_uint_eq(f.out.n, 1);
    snprintf(f.out.v[0].buddy, sizeof(f.out.v[0].buddy), "a8");
    f.out.v[0].buddy_score = 91.25;
    f.out.v[0].has_buddy = 1;
    cp_message_ctx mc = {"a1", "t1", &f.ws, 500};
    char *json = cp_message_json(&mc, &f.out.v[0]);
    ck_assert_str_eq(json,
                     "{\"alert_id\":\"aht-high:a1:1:firing\",\"rule_id\":\"aht-high\","
                     "\"state\":\"firing\",\"severity\":\"warning\",\"agent_id\":\"a1\","
                     "\"team_id\":\"t1\",\"kpi\":\"aht_s\",\"window\":\"15m\",\"value\":512.25,"
                     "\"threshold\":480.0,\"samples\":5,\"as_of\":1795392000000,"
                     "\"event_id\":\"e9\",\"buddy\":{\"agent_id\":\"a8\",\"score\":91.25},"
                     "\"message\":\"Agent a1 (team t1): average handle time over the last 15m is "
                     "512 s, above the limit of 480 s (5 calls).\"}");
    free(json);
    teardown(&f);
}
END_TEST

START_TEST(test_reward_message) {
    fixture f;
    cp_sums win[CP_WINDOWS_MAX];
    memset(win, 0, sizeof(win));
    setup(&f, "{\"alerts\":{\"rules\":[]}}", 500);
    f.ctx.team = "";
    cp_event ev = event(CP_EV_CALL_ENDED, "e7", DAY0);
    ev.flags = CP_F_COMPLAINT | CP_F_RESOLVED;
    cp_rules_after_event(&f.ctx, &ev, DAY0, win);
    ck_assert_uint_eq(f.out.n, 1);
    cp_message_ctx mc = {"a1", "", &f.ws, 500};
    char *json = cp_message_json(&mc, &f.out.v[0]);
    ck_assert_str_eq(json,
                     "{\"reward_id\":\"complaint-resolved:a1:e7\",\"rule_id\":"
                     "\"complaint-resolved\",\"agent_id\":\"a1\",\"team_id\":null,\"points\":50,"
                     "\"badge\":\"complaint-crusher\",\"balance\":50,\"as_of\":1795392000000,"
                     "\"event_id\":\"e7\",\"message\":\"a1 earned 50 points and the "
                     "complaint-crusher badge for turning a complaint into a resolved call "
                     "(balance 50).\"}");
    free(json);
    teardown(&f);
}
END_TEST

/* ---- a kind's own state (kindstate.h; the kind is testkind.h's) ---------- */

/* Each event reaches the kind's state once, before the rules, through the
 * rules' evaluation; it is marked changed only when observe says so. */
START_TEST(test_kind_state_observed_once_per_event) {
    fixture f;
    cp_sums win[CP_WINDOWS_MAX];
    memset(win, 0, sizeof(win));
    setup(&f, NULL, 0);
    f.cfg.rules.state_kinds[f.cfg.rules.nstate_kinds++] = &test_kind_tally;
    cp_event st = event(CP_EV_AGENT_STATE, "e1", 1000), sv = event(CP_EV_SURVEY, "e2", 2000);
    ck_assert_int_eq(cp_rules_after_event(&f.ctx, &st, 1000, win), 0);
    const test_tally *t = cp_kind_state_find(&f.ar, &test_kind_tally);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->seen, 1);
    ck_assert_int_eq(t->last_ts, 1000);
    ck_assert_uint_eq(f.ar.kinds_dirty, 1);
    cp_agent_rules_clean(&f.ar);
    ck_assert_int_eq(cp_rules_after_event(&f.ctx, &sv, 2000, win), 0);
    ck_assert_int_eq(t->seen, 1);
    ck_assert_uint_eq(f.ar.kinds_dirty, 0); /* unchanged: nothing to store */
    st.ts_ms = 3000;
    ck_assert_int_eq(cp_rules_after_event(&f.ctx, &st, 3000, win), 0);
    ck_assert_int_eq(t->seen, 2);
    ck_assert_int_eq(t->last_ts, 3000);
    ck_assert_uint_eq(f.ar.kinds_dirty, 1);
    ck_assert_uint_eq(f.ar.nkinds, 1);
    teardown(&f);
}
END_TEST

/* No registered kind keeps state yet: the configuration lists none, and
 * evaluating events makes nothing. */
START_TEST(test_no_kind_with_state_costs_nothing) {
    fixture f;
    cp_sums win[CP_WINDOWS_MAX];
    memset(win, 0, sizeof(win));
    setup(&f, NULL, 0);
    ck_assert_int_eq(f.cfg.rules.nstate_kinds, 0);
    const cp_event_type types[] = {CP_EV_CALL_ANSWERED, CP_EV_CALL_ENDED, CP_EV_SURVEY,
                                   CP_EV_AGENT_STATE};
    for (int i = 0; i < 4; i++) {
        cp_event ev = event(types[i], cp_event_type_name(types[i]), 1000 * (i + 1));
        ck_assert_int_eq(cp_rules_after_event(&f.ctx, &ev, ev.ts_ms, win), 0);
    }
    ck_assert_ptr_null(f.ar.kinds);
    ck_assert_uint_eq(f.ar.nkinds, 0);
    ck_assert_uint_eq(f.ar.kinds_dirty, 0);
    teardown(&f);
}
END_TEST

Suite *rules_suite(void) {
    Suite *s = suite_create("rules");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, test_default_rules);
    tcase_add_loop_test(tc, test_bad_rules_name_the_key, 0,
                        (int)(sizeof(bad_rules) / sizeof(bad_rules[0])));
    tcase_add_test(tc, test_every_mistake_on_its_own_line);
    tcase_add_test(tc, test_mistake_counts_when_buffer_is_full);
    tcase_add_loop_test(tc, test_conditions, 0, (int)(sizeof(conds) / sizeof(conds[0])));
    tcase_add_test(tc, test_threshold_edge_hysteresis_cooldown);
    tcase_add_test(tc, test_threshold_without_clear_and_team_scope);
    tcase_add_test(tc, test_streak_alert);
    tcase_add_test(tc, test_streak_reward_and_event_reward);
    tcase_add_test(tc, test_long_call);
    tcase_add_test(tc, test_long_call_quiet_cases);
    tcase_add_test(tc, test_daily_cap_clips);
    tcase_add_test(tc, test_cap_uses_event_day_at_offset);
    tcase_add_test(tc, test_goal_once_per_day);
    tcase_add_test(tc, test_rule_state_codec);
    tcase_add_test(tc, test_alert_message);
    tcase_add_test(tc, test_reward_message);
    tcase_add_test(tc, test_kind_state_observed_once_per_event);
    tcase_add_test(tc, test_no_kind_with_state_costs_nothing);
    suite_add_tcase(s, tc);
    return s;
}
