/* test_wallview.c -- the wallboard's model and frames: boards by seq, rank
 * moves, alerts and rewards newest first without repeats, board ids,
 * cycling, and frames that fit the screen and never carry a message's
 * control bytes to the terminal. */
#include <check.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "wallview.h"

#define BOARD_A                                                                                    \
    "{\"board\":\"all:15m\",\"scope\":\"all\",\"window\":\"15m\",\"as_of\":1795392000000,"         \
    "\"seq\":%d,\"size\":3,\"entries\":[{\"rank\":1,\"agent_id\":\"a3\",\"team_id\":\"t1\","       \
    "\"score\":95.5,\"tier\":\"excellent\",\"prev_rank\":2},{\"rank\":2,\"agent_id\":\"a1\","      \
    "\"team_id\":\"t2\",\"score\":88.0,\"tier\":\"good\",\"prev_rank\":1},{\"rank\":3,"            \
    "\"agent_id\":\"%s\",\"team_id\":null,\"score\":41.25,\"tier\":\"needs_improvement\","         \
    "\"prev_rank\":null}]}"

static char frame[1 << 16];

static int on_board(cp_wall *w, int seq, const char *third) {
    char msg[2048];
    snprintf(msg, sizeof(msg), BOARD_A, seq, third);
    return cp_wall_on_board(w, msg, strlen(msg));
}

static int on_alert(cp_wall *w, const char *id, long long as_of, const char *text) {
    char msg[1024];
    snprintf(msg, sizeof(msg),
             "{\"alert_id\":\"%s\",\"rule_id\":\"aht-high\",\"state\":\"firing\","
             "\"severity\":\"warning\",\"agent_id\":\"a1\",\"as_of\":%lld,\"message\":\"%s\"}",
             id, as_of, text);
    return cp_wall_on_alert(w, msg, strlen(msg));
}

/* The n-th line (0-based) of the frame, in a static buffer. */
static const char *line_of(const char *f, int n) {
    static char out[4096];
    for (int i = 0; i < n && f; i++) {
        f = strchr(f, '\n');
        f = f ? f + 1 : NULL;
    }
    if (!f)
        return "";
    const char *end = strchr(f, '\n');
    size_t len = end ? (size_t)(end - f) : strlen(f);
    snprintf(out, sizeof(out), "%.*s", (int)len, f);
    return out;
}

START_TEST(test_board_frame) {
    cp_wall w;
    ck_assert_int_eq(cp_wall_init(&w, NULL), 0);
    ck_assert_int_eq(on_board(&w, 7, "a9"), 1);
    int lines = cp_wall_render(&w, 100, 30, 0, frame, sizeof(frame));
    ck_assert_int_eq(lines, 30);
    ck_assert_ptr_nonnull(strstr(line_of(frame, 0), "all:15m"));
    ck_assert_ptr_nonnull(strstr(line_of(frame, 0), "seq 7"));
    ck_assert_ptr_nonnull(strstr(line_of(frame, 0), "3 ranked"));
    /* rank, move, agent, team, score, tier; moves: up 1, down 1, new */
    ck_assert_str_eq(line_of(frame, 2),
                     "   1  +1    a3                t1           95.5  excellent");
    ck_assert_str_eq(line_of(frame, 3), "   2  -1    a1                t2           88.0  good");
    ck_assert_str_eq(line_of(frame, 4),
                     "   3  new   a9                -            41.2  needs_improvement");
    ck_assert_ptr_null(strchr(frame, '\033'));
    cp_wall_free(&w);
}
END_TEST

START_TEST(test_older_seq_is_ignored) {
    cp_wall w;
    cp_wall_init(&w, "all:15m");
    ck_assert_int_eq(on_board(&w, 7, "a9"), 1);
    ck_assert_int_eq(on_board(&w, 7, "a8"), 0); /* a re-delivery */
    ck_assert_int_eq(on_board(&w, 6, "a8"), 0); /* an older view */
    cp_wall_render(&w, 100, 30, 0, frame, sizeof(frame));
    ck_assert_ptr_nonnull(strstr(frame, "a9"));
    ck_assert_int_eq(on_board(&w, 8, "a8"), 1);
    cp_wall_render(&w, 100, 30, 0, frame, sizeof(frame));
    ck_assert_ptr_nonnull(strstr(frame, "a8"));
    ck_assert_ptr_null(strstr(frame, "a9"));
    cp_wall_free(&w);
}
END_TEST

/* An agent id with an escape sequence and invalid UTF-8 reaches the screen
 * as question marks, in plain and in terminal frames. */
START_TEST(test_control_bytes_never_reach_the_terminal) {
    cp_wall w;
    cp_wall_init(&w, NULL);
    ck_assert_int_eq(on_board(&w, 1, "\\u001b[2Jevil\\u0007"), 1);
    const char bad_utf8[] = "{\"alert_id\":\"x1\",\"agent_id\":\"a1\",\"as_of\":5,"
                            "\"message\":\"ok \\u009b31m \xff\"}";
    ck_assert_int_eq(cp_wall_on_alert(&w, bad_utf8, strlen(bad_utf8)), -1); /* not UTF-8 JSON */
    ck_assert_int_eq(on_alert(&w, "x2", 5, "c1 \\u009b31m"), 1);
    for (int flags = 0; flags <= CP_WALL_TTY + CP_WALL_UTF8; flags++) {
        cp_wall_render(&w, 100, 30, flags, frame, sizeof(frame));
        ck_assert_ptr_nonnull(strstr(frame, "?[2Jevil?"));
        ck_assert_ptr_nonnull(strstr(frame, "c1 ?31m"));
        ck_assert_ptr_null(strstr(frame, "\033[2J"));
        ck_assert_ptr_null(strchr(frame, '\a'));
        ck_assert_ptr_null(strstr(frame, "\xc2\x9b"));
    }
    cp_wall_free(&w);
}
END_TEST

static const struct {
    int cols, rows;
} sizes[] = {{100, 30}, {40, 12}, {20, 4}, {200, 60}, {60, 8}};

/* Every line fits the width (plain frames are ASCII: bytes are columns)
 * and the frame has exactly the screen's rows. */
START_TEST(test_frame_fits_the_screen) {
    cp_wall w;
    cp_wall_init(&w, NULL);
    on_board(&w, 3, "a-very-long-agent-identifier-that-goes-on-and-on");
    for (int i = 0; i < 20; i++) {
        char id[16];
        snprintf(id, sizeof(id), "al%d", i);
        on_alert(&w, id, 1000 + i,
                 "Agent a1 (team t2): average handle time over the last 15m is 500 s, above "
                 "the limit of 480 s (5 calls).");
    }
    int lines = cp_wall_render(&w, sizes[_i].cols, sizes[_i].rows, 0, frame, sizeof(frame));
    ck_assert_int_eq(lines, sizes[_i].rows);
    for (int i = 0; i < lines; i++)
        ck_assert_msg((int)strlen(line_of(frame, i)) <= sizes[_i].cols, "%dx%d line %d: '%s'",
                      sizes[_i].cols, sizes[_i].rows, i, line_of(frame, i));
    cp_wall_free(&w);
}
END_TEST

/* Alerts from several partitions arrive in any order: newest as_of first,
 * a re-delivery once, and only the newest CP_WALL_FEED kept. */
START_TEST(test_feed_newest_first_once) {
    cp_wall w;
    cp_wall_init(&w, NULL);
    ck_assert_int_eq(on_alert(&w, "b", 2000, "second"), 1);
    ck_assert_int_eq(on_alert(&w, "a", 1000, "first"), 1);
    ck_assert_int_eq(on_alert(&w, "c", 3000, "third"), 1);
    ck_assert_int_eq(on_alert(&w, "b", 2000, "second"), 0);
    ck_assert_int_eq(w.alerts.n, 3);
    ck_assert_str_eq(w.alerts.v[0].text, "third");
    ck_assert_str_eq(w.alerts.v[2].text, "first");
    for (int i = 0; i < CP_WALL_FEED; i++) {
        char id[16];
        snprintf(id, sizeof(id), "n%d", i);
        on_alert(&w, id, 5000 + i, "newer");
    }
    ck_assert_int_eq(w.alerts.n, CP_WALL_FEED);
    ck_assert_int_eq(on_alert(&w, "old", 10, "too old"), 0);
    ck_assert_int_eq(w.alerts.v[0].as_of, 5000 + CP_WALL_FEED - 1);
    const char reward[] = "{\"reward_id\":\"r1\",\"agent_id\":\"a1\",\"points\":25,\"as_of\":9,"
                          "\"message\":\"a1 earned 25 points\"}";
    ck_assert_int_eq(cp_wall_on_reward(&w, reward, strlen(reward)), 1);
    ck_assert_str_eq(w.rewards.v[0].label, "+25");
    cp_wall_free(&w);
}
END_TEST

static const struct {
    const char *msg;
} bad_msgs[] = {
    {"not json"},
    {"[1,2]"},
    {"{\"board\":\"all:15m\",\"seq\":1}"},                 /* no entries */
    {"{\"board\":\"everyone\",\"seq\":1,\"entries\":[]}"}, /* not a board id */
    {"{\"board\":\"team::\",\"seq\":1,\"entries\":[]}"},   /* no window */
    {"{\"board\":\"all:1 5m\",\"seq\":1,\"entries\":[]}"}, /* a space */
    {"{\"board\":17,\"seq\":1,\"entries\":[]}"},
};

START_TEST(test_bad_board_messages_are_ignored) {
    cp_wall w;
    cp_wall_init(&w, NULL);
    ck_assert_int_eq(cp_wall_on_board(&w, bad_msgs[_i].msg, strlen(bad_msgs[_i].msg)), -1);
    ck_assert_int_eq(w.ignored, 1);
    ck_assert_int_eq(w.nboards, 0);
    cp_wall_free(&w);
}
END_TEST

START_TEST(test_oversized_message_is_ignored) {
    cp_wall w;
    size_t n = CP_WALL_MSG_MAX + 1;
    char *big = malloc(n);
    memset(big, ' ', n);
    cp_wall_init(&w, NULL);
    ck_assert_int_eq(cp_wall_on_alert(&w, big, n), -1);
    ck_assert_int_eq(w.ignored, 1);
    free(big);
    cp_wall_free(&w);
}
END_TEST

static const struct {
    const char *id;
    int ok;
} board_ids[] = {
    {"all:15m", 1},    {"all:day", 1}, {"team:t1:60m", 1}, {"team:团队一:15m", 1},
    {"all:", 0},       {"all", 0},     {"team::15m", 0},   {"team:t1", 0},
    {"leader:15m", 0}, {"", 0},        {"all:15 m", 0},    {"all:15m\x1b", 0},
};

START_TEST(test_board_ids) {
    ck_assert_msg(cp_wall_board_id_ok(board_ids[_i].id) == board_ids[_i].ok, "%s",
                  board_ids[_i].id);
}
END_TEST

START_TEST(test_cycle_boards) {
    cp_wall w;
    cp_wall_init(&w, "all:15m");
    const char *ids[] = {"team:t1:15m", "all:60m", "all:15m"};
    for (int i = 0; i < 3; i++) {
        char msg[256];
        snprintf(msg, sizeof(msg), "{\"board\":\"%s\",\"seq\":1,\"entries\":[]}", ids[i]);
        ck_assert_int_ge(cp_wall_on_board(&w, msg, strlen(msg)), 0);
    }
    cp_wall_cycle(&w, 1);
    ck_assert_str_eq(w.shown, "all:60m");
    cp_wall_cycle(&w, 1);
    ck_assert_str_eq(w.shown, "team:t1:15m");
    cp_wall_cycle(&w, 1);
    ck_assert_str_eq(w.shown, "all:15m");
    cp_wall_cycle(&w, -1);
    ck_assert_str_eq(w.shown, "team:t1:15m");
    cp_wall_free(&w);
}
END_TEST

/* In a UTF-8 terminal a CJK name keeps its characters and takes two
 * columns each: the agent column (18) holds 9 of them. */
START_TEST(test_wide_names) {
    cp_wall w;
    ck_assert_ptr_nonnull(setlocale(LC_CTYPE, "C.UTF-8"));
    cp_wall_init(&w, NULL);
    on_board(&w, 1, "张三李四王五赵六钱七孙八周九吴十郑十一");
    cp_wall_render(&w, 100, 30, CP_WALL_UTF8, frame, sizeof(frame));
    ck_assert_ptr_nonnull(strstr(frame, "张三李四王五赵六钱"));
    ck_assert_ptr_null(strstr(frame, "张三李四王五赵六钱七"));
    cp_wall_render(&w, 100, 30, 0, frame, sizeof(frame)); /* plain: one '?' a character */
    ck_assert_ptr_nonnull(strstr(frame, "??????????????????"));
    setlocale(LC_CTYPE, "C");
    cp_wall_free(&w);
}
END_TEST

Suite *wallview_suite(void) {
    Suite *s = suite_create("wallview");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_board_frame);
    tcase_add_test(tc, test_older_seq_is_ignored);
    tcase_add_test(tc, test_control_bytes_never_reach_the_terminal);
    tcase_add_loop_test(tc, test_frame_fits_the_screen, 0, (int)(sizeof(sizes) / sizeof(sizes[0])));
    tcase_add_test(tc, test_feed_newest_first_once);
    tcase_add_loop_test(tc, test_bad_board_messages_are_ignored, 0,
                        (int)(sizeof(bad_msgs) / sizeof(bad_msgs[0])));
    tcase_add_test(tc, test_oversized_message_is_ignored);
    tcase_add_loop_test(tc, test_board_ids, 0, (int)(sizeof(board_ids) / sizeof(board_ids[0])));
    tcase_add_test(tc, test_cycle_boards);
    tcase_add_test(tc, test_wide_names);
    suite_add_tcase(s, tc);
    return s;
}
