/* test_leaderboard.c -- deciding board updates: change detection on the
 * canonical top (scores to 0.1), throttling, prev_rank and the message;
 * and planning an agent's board entries: join, score change, leaving as
 * its window slides, team moves, resync after a load. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "boards.h"
#include "config.h"
#include "leaderboard.h"
#include "suites.h"
#include "testrng.h"

/* ---- change detection and throttling --------------------------------------------- */

static const struct {
    const char *name;
    long long seq;
    const char *top, *prev;
    int64_t now, at;
    cp_publish_verdict want;
    int64_t want_wait;
} decisions[] = {
    {"first message of a board", 0, "a1\tt1\t91.0\n", NULL, 5000, 0, CP_PUBLISH_NOW, 0},
    {"first message of an empty board", 0, "", NULL, 5000, 0, CP_PUBLISH_NOW, 0},
    {"same top as the last message", 4, "a1\tt1\t91.0\n", "a1\tt1\t91.0\n", 9000, 1000,
     CP_PUBLISH_UNCHANGED, 0},
    {"unchanged wins over throttling", 4, "a1\tt1\t91.0\n", "a1\tt1\t91.0\n", 1100, 1000,
     CP_PUBLISH_UNCHANGED, 0},
    {"a score moved by 0.1", 4, "a1\tt1\t91.1\n", "a1\tt1\t91.0\n", 9000, 1000, CP_PUBLISH_NOW, 0},
    {"two entries swapped", 4, "a2\tt1\t90.0\na1\tt1\t90.0\n", "a1\tt1\t90.0\na2\tt1\t90.0\n", 9000,
     1000, CP_PUBLISH_NOW, 0},
    {"an entry left", 4, "a1\tt1\t91.0\n", "a1\tt1\t91.0\na2\tt1\t80.0\n", 9000, 1000,
     CP_PUBLISH_NOW, 0},
    {"the board emptied", 4, "", "a1\tt1\t91.0\n", 9000, 1000, CP_PUBLISH_NOW, 0},
    {"an entry changed team", 4, "a1\tt2\t91.0\n", "a1\tt1\t91.0\n", 9000, 1000, CP_PUBLISH_NOW, 0},
    {"changed 400 ms after the last", 4, "a1\tt1\t92.0\n", "a1\tt1\t91.0\n", 1400, 1000,
     CP_PUBLISH_LATER, 600},
    {"changed 999 ms after the last", 4, "a1\tt1\t92.0\n", "a1\tt1\t91.0\n", 1999, 1000,
     CP_PUBLISH_LATER, 1},
    {"changed exactly one interval after", 4, "a1\tt1\t92.0\n", "a1\tt1\t91.0\n", 2000, 1000,
     CP_PUBLISH_NOW, 0},
    {"wall clock stepped back an hour", 4, "a1\tt1\t92.0\n", "a1\tt1\t91.0\n", 1000, 3601000,
     CP_PUBLISH_LATER, 1000},
};

START_TEST(test_publish_decide) {
    int64_t wait = -1;
    cp_publish_verdict v =
        cp_publish_decide(decisions[_i].seq, decisions[_i].top, decisions[_i].prev,
                          decisions[_i].now, decisions[_i].at, 1000, &wait);
    ck_assert_msg(v == decisions[_i].want, "%s: verdict %d, want %d", decisions[_i].name, v,
                  decisions[_i].want);
    ck_assert_msg(wait == decisions[_i].want_wait, "%s: wait %lld, want %lld", decisions[_i].name,
                  (long long)wait, (long long)decisions[_i].want_wait);
}
END_TEST

/* Scores that round to the same tenth make the same top; others do not. */
/* The consumer poll sleeps until the next marked board is due, no longer. */
START_TEST(test_next_due_is_the_earliest_marked_board) {
    cp_config cfg;
    cp_publisher p;
    char err[256];
    cp_config_defaults(&cfg);
    ck_assert_int_eq(cp_publisher_init(&p, &cfg, NULL, err, sizeof(err)), 0);
    ck_assert(cp_publisher_next_due(&p, 1000) == INT64_MAX); /* nothing marked */
    cp_publisher_mark(&p, "all:15m", 1);
    cp_publisher_mark(&p, "team:t1:15m", 1);
    cp_publisher_mark(&p, "team:t2:15m", 1);
    p.boards[0].due_ms = 1600; /* waiting out its interval */
    p.boards[1].due_ms = 1300;
    p.boards[2].due_ms = 1100;
    p.boards[2].dirty = 0; /* published: not waited for */
    ck_assert(cp_publisher_next_due(&p, 1000) == 1300);
    p.boards[1].due_ms = 0; /* due already: now */
    ck_assert(cp_publisher_next_due(&p, 1000) == 1000);
    p.boards[0].dirty = p.boards[1].dirty = 0;
    ck_assert(cp_publisher_next_due(&p, 1000) == INT64_MAX);
    cp_publisher_free(&p);
    cp_config_free(&cfg);
}
END_TEST

START_TEST(test_top_compares_scores_to_a_tenth) {
    char *agents[] = {"a1", "a2"}, *teams[] = {"t1", ""};
    double s1[] = {91.04, 80.0}, s2[] = {91.01, 80.04}, s3[] = {91.06, 80.0};
    char *t1 = cp_board_top(agents, teams, s1, 2), *t2 = cp_board_top(agents, teams, s2, 2),
         *t3 = cp_board_top(agents, teams, s3, 2);
    ck_assert_str_eq(t1, "a1\tt1\t91.0\na2\t\t80.0\n");
    ck_assert_str_eq(t1, t2);
    ck_assert_str_ne(t1, t3);
    free(t1);
    free(t2);
    free(t3);
    char *empty = cp_board_top(agents, teams, s1, 0);
    ck_assert_str_eq(empty, "");
    free(empty);
}
END_TEST

/* The canonical top is byte for byte the sprintf text it was before issue
 * 13 ("%s\t%s\t%.1f\n" per entry) for scores of every kind: board scores
 * to 0.01 (ties at .x5 among them), negatives, huge ones. */
START_TEST(test_top_is_the_printf_text) {
    char *agents[] = {"a1", "agent-with-a-long-id", "a3"}, *teams[] = {"t1", "", "team-2"};
    uint64_t st = 7;
    for (int i = 0; i < 20000; i++) {
        double scores[3];
        char want[512], *at = want;
        for (int k = 0; k < 3; k++) {
            scores[k] = (double)test_between(&st, -10000, 10000) / 100;
            if (i % 100 == 0)
                scores[k] = (double)test_between(&st, 0, 1000000) * 1e15;
        }
        for (int k = 0; k < 3; k++)
            at += snprintf(at, sizeof(want) - (size_t)(at - want), "%s\t%s\t%.1f\n", agents[k],
                           teams[k], scores[k]);
        char *top = cp_board_top(agents, teams, scores, 3);
        ck_assert_str_eq(top, want);
        free(top);
    }
}
END_TEST

static json_t *entry_of(json_t *msg, size_t i) {
    return json_array_get(json_object_get(msg, "entries"), i);
}

START_TEST(test_message_prev_rank_and_fields) {
    cp_config cfg;
    cp_config_defaults(&cfg);
    char *agents[] = {"a3", "a1", "a9"}, *teams[] = {"t1", "t1", "t1"};
    double scores[] = {95.456, 88.0, 59.99};
    const char *prev = "a1\tt1\t90.0\na3\tt1\t85.0\na7\tt1\t70.0\n";
    char *s = cp_board_message(&cfg, "team:t1:15m", 1795392000000LL, 7, 12, agents, teams, scores,
                               3, prev);
    json_t *m = json_loads(s, 0, NULL);
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(json_string_value(json_object_get(m, "board")), "team:t1:15m");
    ck_assert_str_eq(json_string_value(json_object_get(m, "scope")), "team:t1");
    ck_assert_str_eq(json_string_value(json_object_get(m, "window")), "15m");
    ck_assert_int_eq(json_integer_value(json_object_get(m, "as_of")), 1795392000000LL);
    ck_assert_int_eq(json_integer_value(json_object_get(m, "seq")), 7);
    ck_assert_int_eq(json_integer_value(json_object_get(m, "size")), 12);
    ck_assert_int_eq(json_array_size(json_object_get(m, "entries")), 3);
    static const struct {
        int rank;
        const char *agent, *tier;
        double score;
        int prev; /* 0: null */
    } want[] = {{1, "a3", "excellent", 95.46, 2},
                {2, "a1", "good", 88.0, 1},
                {3, "a9", "needs_improvement", 59.99, 0}};
    for (size_t i = 0; i < 3; i++) {
        json_t *e = entry_of(m, i);
        ck_assert_int_eq(json_integer_value(json_object_get(e, "rank")), want[i].rank);
        ck_assert_str_eq(json_string_value(json_object_get(e, "agent_id")), want[i].agent);
        ck_assert_str_eq(json_string_value(json_object_get(e, "team_id")), "t1");
        ck_assert_str_eq(json_string_value(json_object_get(e, "tier")), want[i].tier);
        ck_assert_double_eq_tol(json_real_value(json_object_get(e, "score")), want[i].score, 1e-9);
        json_t *pr = json_object_get(e, "prev_rank");
        if (want[i].prev)
            ck_assert_int_eq(json_integer_value(pr), want[i].prev);
        else
            ck_assert_msg(json_is_null(pr), "entry %zu: prev_rank not null", i);
    }
    json_decref(m);
    free(s);
    cp_config_free(&cfg);
}
END_TEST

/* A prefix of another agent's id is not that agent; no team gives null. */
START_TEST(test_message_first_and_prefix_ids) {
    cp_config cfg;
    cp_config_defaults(&cfg);
    char *agents[] = {"a1"}, *teams[] = {""};
    double scores[] = {70};
    char *s =
        cp_board_message(&cfg, "all:day", 1, 1, 1, agents, teams, scores, 1, "a10\tt1\t70.0\n");
    json_t *m = json_loads(s, 0, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(m, "scope")), "all");
    ck_assert_str_eq(json_string_value(json_object_get(m, "window")), "day");
    ck_assert(json_is_null(json_object_get(entry_of(m, 0), "prev_rank")));
    ck_assert(json_is_null(json_object_get(entry_of(m, 0), "team_id")));
    json_decref(m);
    free(s);
    cp_config_free(&cfg);
}
END_TEST

/* ---- planning an agent's entries ------------------------------------------------ */

#define T0  1795392000000LL /* 2026-11-23T00:00:00Z */
#define MIN 60000LL

typedef struct plan_env {
    cp_config cfg;
    cp_windows ws;
    cp_board_ops ops;
    cp_agent *a;
} plan_env;

static void plan_setup(plan_env *p, const char *team) {
    memset(p, 0, sizeof(*p));
    cp_config_defaults(&p->cfg);
    cp_windows_from_config(&p->ws, &p->cfg);
    p->a = cp_agent_new("a1", 2);
    snprintf(p->a->team, sizeof(p->a->team), "%s", team);
    p->a->boards.synced = 1;
}

static void plan_teardown(plan_env *p) {
    cp_agent_free(p->a);
    cp_board_ops_free(&p->ops);
    cp_config_free(&p->cfg);
}

/* Put `handled` good calls into the agent's bucket at ts and move its clock to T. */
static void calls_at(plan_env *p, int64_t ts, int handled) {
    cp_sums s;
    memset(&s, 0, sizeof(s));
    s.v[CP_S_HANDLED] = handled;
    s.v[CP_S_ANSWERED] = handled;
    s.v[CP_S_RESOLVED] = handled;
    s.v[CP_S_TALK_MS] = 300000LL * handled;
    int oom = 0;
    cp_wstore_add(&p->a->w, &p->ws, ts, ts, &s, &oom);
    ck_assert_int_eq(oom, 0);
}

static void plan(plan_env *p, int64_t T, int resync) {
    cp_board_ops_clear(&p->ops);
    p->a->as_of = T;
    ck_assert_int_eq(cp_boards_plan(p->a, &p->ws, &p->cfg.scorecard, resync, &p->ops), 0);
}

/* Does the plan hold op kind on board? */
static int has_op(const plan_env *p, cp_board_op_kind kind, const char *board) {
    for (size_t i = 0; i < p->ops.n; i++)
        if (p->ops.v[i].kind == kind && strcmp(p->ops.v[i].board, board) == 0)
            return 1;
    return 0;
}

static int has_team_op(const plan_env *p, const char *team) {
    for (size_t i = 0; i < p->ops.n; i++)
        if (p->ops.v[i].kind == CP_BOARD_TEAM && strcmp(p->ops.v[i].team, team) == 0)
            return 1;
    return 0;
}

START_TEST(test_plan_join_and_min_calls) {
    plan_env p;
    plan_setup(&p, "t1");
    calls_at(&p, T0, 2);
    plan(&p, T0, 0);
    ck_assert_int_eq(p.ops.n, 1); /* only the team of a new agent: 2 calls have no score */
    ck_assert(has_team_op(&p, "t1"));
    calls_at(&p, T0 + 1000, 1);
    plan(&p, T0 + 1000, 0);
    ck_assert(has_op(&p, CP_BOARD_ZADD, "all:15m"));
    ck_assert(has_op(&p, CP_BOARD_ZADD, "team:t1:15m"));
    ck_assert(has_op(&p, CP_BOARD_ZADD, "all:60m"));
    ck_assert(has_op(&p, CP_BOARD_ZADD, "team:t1:day"));
    for (size_t i = 0; i < p.ops.n; i++)
        if (p.ops.v[i].kind == CP_BOARD_ZADD)
            ck_assert_double_eq_tol(p.ops.v[i].score, 100.0, 1e-9);
    plan(&p, T0 + 2000, 0); /* nothing changed: nothing to send */
    ck_assert_int_eq(p.ops.n, 0);
    plan_teardown(&p);
}
END_TEST

START_TEST(test_plan_quiet_agent_leaves_as_windows_slide) {
    plan_env p;
    plan_setup(&p, "t1");
    calls_at(&p, T0, 3);
    plan(&p, T0, 0);
    plan(&p, T0 + 16 * MIN, 0); /* 15m slid past its calls; 60m and day keep them */
    ck_assert_int_eq(p.ops.n, 2);
    ck_assert(has_op(&p, CP_BOARD_ZREM, "all:15m"));
    ck_assert(has_op(&p, CP_BOARD_ZREM, "team:t1:15m"));
    plan(&p, T0 + 61 * MIN, 0);
    ck_assert_int_eq(p.ops.n, 2);
    ck_assert(has_op(&p, CP_BOARD_ZREM, "all:60m"));
    ck_assert(has_op(&p, CP_BOARD_ZREM, "team:t1:60m"));
    plan(&p, T0 + 62 * MIN, 0); /* already off: no second removal */
    ck_assert_int_eq(p.ops.n, 0);
    plan_teardown(&p);
}
END_TEST

START_TEST(test_plan_team_move) {
    plan_env p;
    plan_setup(&p, "t1");
    calls_at(&p, T0, 3);
    plan(&p, T0, 0);
    snprintf(p.a->team, sizeof(p.a->team), "t2");
    plan(&p, T0 + 1000, 0);
    ck_assert(has_team_op(&p, "t2"));
    ck_assert(has_op(&p, CP_BOARD_ZREM, "team:t1:15m"));
    ck_assert(has_op(&p, CP_BOARD_ZREM, "team:t1:day"));
    ck_assert(has_op(&p, CP_BOARD_ZADD, "team:t2:15m"));
    ck_assert(has_op(&p, CP_BOARD_ZADD, "team:t2:60m"));
    ck_assert(!has_op(&p, CP_BOARD_ZADD, "team:t1:15m"));
    ck_assert_str_eq(p.a->boards.team, "t2");
    ck_assert_str_eq(p.a->boards.prev_team, "t1");
    plan_teardown(&p);
}
END_TEST

/* After a load the cache is not trusted: the previous team's entries go
 * (a move whose removals may have been lost) and every window is set. */
START_TEST(test_plan_resync_after_load) {
    plan_env p;
    plan_setup(&p, "t2");
    snprintf(p.a->boards.team, sizeof(p.a->boards.team), "t2");
    snprintf(p.a->boards.prev_team, sizeof(p.a->boards.prev_team), "t1");
    calls_at(&p, T0, 3);
    plan(&p, T0 + 16 * MIN, 1);
    ck_assert(has_op(&p, CP_BOARD_ZREM, "team:t1:15m"));
    ck_assert(has_op(&p, CP_BOARD_ZREM, "team:t1:60m"));
    ck_assert(has_op(&p, CP_BOARD_ZREM, "all:15m"));     /* no score there now */
    ck_assert(has_op(&p, CP_BOARD_ZREM, "team:t2:15m")); /* ... on any board */
    ck_assert(has_op(&p, CP_BOARD_ZADD, "all:60m"));
    ck_assert(has_op(&p, CP_BOARD_ZADD, "team:t2:60m"));
    ck_assert(has_team_op(&p, "t2"));
    plan_teardown(&p);
}
END_TEST

Suite *leaderboard_suite(void) {
    Suite *s = suite_create("leaderboard");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_publish_decide, 0,
                        (int)(sizeof(decisions) / sizeof(decisions[0])));
    tcase_add_test(tc, test_next_due_is_the_earliest_marked_board);
    tcase_add_test(tc, test_top_compares_scores_to_a_tenth);
    tcase_add_test(tc, test_top_is_the_printf_text);
    tcase_add_test(tc, test_message_prev_rank_and_fields);
    tcase_add_test(tc, test_message_first_and_prefix_ids);
    tcase_add_test(tc, test_plan_join_and_min_calls);
    tcase_add_test(tc, test_plan_quiet_agent_leaves_as_windows_slide);
    tcase_add_test(tc, test_plan_team_move);
    tcase_add_test(tc, test_plan_resync_after_load);
    suite_add_tcase(s, tc);
    return s;
}
