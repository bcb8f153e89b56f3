/* test_boards.c -- leaderboards and leaderboard-updates against the
 * oracle (contract 4). A generated stream, produced in chunks while the
 * processor runs, with agents that go quiet (their 15m and 60m windows
 * slide empty) and agents that move team half-way. Then:
 *
 * - every board P lb:all:W and P lb:team:T:W holds exactly the agents the
 *   oracle gives a score at their hash's as_of, with that score, on the
 *   board of their last known team only;
 * - every board's messages have seq 1, 2, 3, ...; ranks in score order;
 *   tiers of their scores; prev_rank equal to the rank in the board's
 *   previous message; a changed top each time; no two within the
 *   throttle interval;
 * - the last message of each board equals the board in Redis now.
 *
 * And a board whose publish state answers with an error holds back only
 * itself, and goes out once it is readable again. */
#include <check.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "harness.h"
#include "oracle.h"
#include "stream.h"

#define AGENTS   30
#define QUIET    5
#define EVENTS   20000
#define CHUNKS   20
#define TOP_N    10
#define INTERVAL 1000
#define LB_TOPIC "leaderboard-updates"

/* ---- the topic ------------------------------------------------------------------- */

typedef struct board_msgs {
    char board[64];
    json_t **v;
    int64_t *ts;
    size_t n;
} board_msgs;

typedef struct boards {
    board_msgs b[64];
    size_t n;
} boards;

static board_msgs *board_of(boards *bs, const char *board) {
    for (size_t i = 0; i < bs->n; i++)
        if (strcmp(bs->b[i].board, board) == 0)
            return &bs->b[i];
    ck_assert_uint_lt(bs->n, 64);
    board_msgs *b = &bs->b[bs->n++];
    memset(b, 0, sizeof(*b));
    snprintf(b->board, sizeof(b->board), "%s", board);
    return b;
}

static void read_boards(h_env *e, boards *bs) {
    h_msgs ms;
    h_read_topic(e, LB_TOPIC, &ms);
    memset(bs, 0, sizeof(*bs));
    for (size_t i = 0; i < ms.n; i++) { /* one board's messages share a partition: in order */
        char key[64];
        ck_assert(ms.v[i].key && ms.v[i].key_len < sizeof(key));
        snprintf(key, sizeof(key), "%.*s", (int)ms.v[i].key_len, (char *)ms.v[i].key);
        json_t *j = json_loadb(ms.v[i].value, ms.v[i].value_len, 0, NULL);
        ck_assert_msg(j != NULL, "not JSON: %.*s", (int)ms.v[i].value_len, (char *)ms.v[i].value);
        ck_assert_str_eq(json_string_value(json_object_get(j, "board")), key);
        board_msgs *b = board_of(bs, key);
        b->v = realloc(b->v, (b->n + 1) * sizeof(*b->v));
        b->ts = realloc(b->ts, (b->n + 1) * sizeof(*b->ts));
        b->v[b->n] = j;
        b->ts[b->n++] = ms.v[i].timestamp;
    }
    h_msgs_free(&ms);
}

static void free_boards(boards *bs) {
    for (size_t i = 0; i < bs->n; i++) {
        for (size_t k = 0; k < bs->b[i].n; k++)
            json_decref(bs->b[i].v[k]);
        free(bs->b[i].v);
        free(bs->b[i].ts);
    }
    bs->n = 0;
}

static json_t *entries(json_t *m) {
    return json_object_get(m, "entries");
}

static const char *entry_agent(json_t *e) {
    return json_string_value(json_object_get(e, "agent_id"));
}

static double entry_score(json_t *e) {
    return json_number_value(json_object_get(e, "score"));
}

/* The 1-based rank of agent in message m, or 0. */
static int rank_in(json_t *m, const char *agent) {
    for (size_t i = 0; i < json_array_size(entries(m)); i++)
        if (strcmp(entry_agent(json_array_get(entries(m), i)), agent) == 0)
            return (int)i + 1;
    return 0;
}

/* Do two messages show the same top: agents, teams and scores to 0.1? */
static int same_top(json_t *a, json_t *b) {
    size_t n = json_array_size(entries(a));
    if (n != json_array_size(entries(b)))
        return 0;
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(entries(a), i), *y = json_array_get(entries(b), i);
        char sx[32], sy[32];
        snprintf(sx, sizeof(sx), "%.1f", entry_score(x));
        snprintf(sy, sizeof(sy), "%.1f", entry_score(y));
        if (strcmp(entry_agent(x), entry_agent(y)) != 0 || strcmp(sx, sy) != 0 ||
            !json_equal(json_object_get(x, "team_id"), json_object_get(y, "team_id")))
            return 0;
    }
    return 1;
}

/* One message on its own and against the board's previous one. */
static void check_message(const board_msgs *b, size_t k) {
    json_t *m = b->v[k], *prev = k ? b->v[k - 1] : NULL;
    const char *board = b->board, *window = strrchr(board, ':') + 1;
    ck_assert_int_eq(json_integer_value(json_object_get(m, "seq")), (json_int_t)k + 1);
    ck_assert_str_eq(json_string_value(json_object_get(m, "window")), window);
    char scope[64];
    snprintf(scope, sizeof(scope), "%.*s", (int)(window - 1 - board), board);
    ck_assert_str_eq(json_string_value(json_object_get(m, "scope")), scope);
    ck_assert_int_gt(json_integer_value(json_object_get(m, "as_of")), 0);
    json_int_t size = json_integer_value(json_object_get(m, "size"));
    size_t n = json_array_size(entries(m));
    ck_assert_int_eq((json_int_t)n, size < TOP_N ? size : TOP_N);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(entries(m), i), *pr = json_object_get(e, "prev_rank");
        const char *agent = entry_agent(e);
        double score = entry_score(e);
        ck_assert_int_eq(json_integer_value(json_object_get(e, "rank")), (json_int_t)i + 1);
        ck_assert_str_eq(json_string_value(json_object_get(e, "tier")), o_tier(score));
        if (i > 0) { /* score descending, ties by agent id descending */
            json_t *up = json_array_get(entries(m), i - 1);
            ck_assert_msg(entry_score(up) > score ||
                              (entry_score(up) == score && strcmp(entry_agent(up), agent) > 0),
                          "%s seq %zu: rank %zu out of order", board, k + 1, i + 1);
        }
        if (strncmp(board, "team:", 5) == 0)
            ck_assert_str_eq(json_string_value(json_object_get(e, "team_id")), scope + 5);
        int want = prev ? rank_in(prev, agent) : 0;
        ck_assert_msg(want ? json_integer_value(pr) == want : json_is_null(pr),
                      "%s seq %zu: %s prev_rank %lld, was rank %d", board, k + 1, agent,
                      (long long)json_integer_value(pr), want);
    }
    if (prev) {
        ck_assert_msg(!same_top(m, prev), "%s seq %zu: published with an unchanged top", board,
                      k + 1);
        /* throttled to one per interval; half of it is slack for the time
         * between deciding and producing */
        ck_assert_msg(b->ts[k] - b->ts[k - 1] >= INTERVAL / 2,
                      "%s seq %zu: %lld ms after the previous one", board, k + 1,
                      (long long)(b->ts[k] - b->ts[k - 1]));
    }
}

/* Does the last message of a board show the board as Redis has it now? */
static int last_matches_redis(redisContext *rc, const stream *s, const board_msgs *b, char *why,
                              size_t whysz) {
    json_t *m = b->v[b->n - 1];
    redisReply *top = redisCommand(rc, "ZREVRANGE cp:lb:%s 0 %d WITHSCORES", b->board, TOP_N - 1);
    long long size = check_zcard(rc, b->board);
    int ok = json_integer_value(json_object_get(m, "size")) == size &&
             json_array_size(entries(m)) == top->elements / 2;
    if (!ok)
        snprintf(why, whysz, "%s: size %lld in the message, %lld in Redis", b->board,
                 (long long)json_integer_value(json_object_get(m, "size")), size);
    for (size_t i = 0; ok && i < top->elements / 2; i++) {
        json_t *e = json_array_get(entries(m), i);
        const char *agent = top->element[2 * i]->str, *team = o_last_team(s->evs, s->n, agent);
        double score = strtod(top->element[2 * i + 1]->str, NULL);
        ok = strcmp(entry_agent(e), agent) == 0 && fabs(entry_score(e) - score) < 1e-6 &&
             strcmp(json_string_value(json_object_get(e, "team_id")), team) == 0;
        if (!ok)
            snprintf(why, whysz, "%s rank %zu: %s %.2f in the message, %s %.2f (team %s) in Redis",
                     b->board, i + 1, entry_agent(e), entry_score(e), agent, score, team);
    }
    freeReplyObject(top);
    return ok;
}

/* Once the stream is stored, the last publishes may still wait for their
 * interval: read the topic until every board's last message is current. */
static void wait_boards_published(h_env *e, redisContext *rc, const stream *s, boards *bs) {
    char why[256] = "";
    for (int attempt = 0; attempt < 60; attempt++) {
        int ok = 1;
        read_boards(e, bs);
        for (size_t i = 0; ok && i < bs->n; i++)
            ok = last_matches_redis(rc, s, &bs->b[i], why, sizeof(why));
        if (ok)
            return;
        free_boards(bs);
        h_sleep_ms(500);
    }
    ck_abort_msg("boards not published as they are: %s", why);
}

/* Every board in Redis has messages (a board emptied since has a last
 * message with no entries: last_matches_redis). */
static void check_every_board_published(redisContext *rc, boards *bs) {
    redisReply *keys = redisCommand(rc, "KEYS cp:lb:*");
    for (size_t k = 0; k < keys->elements; k++) {
        const char *board = keys->element[k]->str + strlen("cp:lb:");
        size_t i;
        for (i = 0; i < bs->n && strcmp(bs->b[i].board, board) != 0; i++)
            ;
        ck_assert_msg(i < bs->n, "board %s has no message", board);
    }
    freeReplyObject(keys);
}

/* Did some message of a 15m board ever show a quiet agent? */
static int quiet_agent_was_shown(boards *bs) {
    for (size_t i = 0; i < bs->n; i++) {
        if (strcmp(strrchr(bs->b[i].board, ':'), ":15m") != 0)
            continue;
        for (size_t k = 0; k < bs->b[i].n; k++)
            for (int a = AGENTS - QUIET; a < AGENTS; a++) {
                char agent[16];
                snprintf(agent, sizeof(agent), "a%d", a);
                if (rank_in(bs->b[i].v[k], agent))
                    return 1;
            }
    }
    return 0;
}

START_TEST(test_boards_and_updates_equal_oracle) {
    h_env e;
    h_proc run;
    stream s;
    boards bs;
    h_env_start(&e, 4);
    stream_make(&s, 505, AGENTS, QUIET, EVENTS, CHUNKS, 1000);
    rd_kafka_t *p = h_producer(&e);
    h_run_start(&e, &run, h_write_config(&e, "c.json", s.config), "boards", "run");
    ck_assert(h_wait_log(&run, "assigned", 30000) == 0);
    for (int c = 0; c < CHUNKS; c++) { /* about 6 s of traffic: many updates per board */
        stream_produce_chunk(&s, p, c);
        h_sleep_ms(300);
    }
    h_wait_caught_up(&e, "boards", STREAM_TOPIC, &run, 120);
    stream_accept(&s);
    check_boards(&e, &s, AGENTS, QUIET);
    redisContext *rc = h_redis_connect(&e);
    wait_boards_published(&e, rc, &s, &bs);
    check_every_board_published(rc, &bs);
    size_t messages = 0;
    for (size_t i = 0; i < bs.n; i++)
        for (size_t k = 0; k < bs.b[i].n; k++, messages++)
            check_message(&bs.b[i], k);
    ck_assert_msg(messages > 2 * bs.n, "%zu messages for %zu boards: too few to test updates",
                  messages, bs.n);
    ck_assert_msg(quiet_agent_was_shown(&bs), "no quiet agent was ever on a 15m board");
    printf("boards: %zu boards, %zu messages checked\n", bs.n, messages);
    free_boards(&bs);
    redisFree(rc);
    ck_assert_int_eq(h_stop(&run, SIGTERM, 10000), 0);
    rd_kafka_destroy(p);
    stream_free(&s);
    h_env_stop(&e);
}
END_TEST

/* The last message of board on the topic, or NULL (caller frees). */
static json_t *last_message(h_env *e, const char *board) {
    boards bs;
    json_t *last = NULL;
    read_boards(e, &bs);
    for (size_t i = 0; i < bs.n; i++)
        if (strcmp(bs.b[i].board, board) == 0)
            last = json_incref(bs.b[i].v[bs.b[i].n - 1]);
    free_boards(&bs);
    return last;
}

/* Wait for a message of board showing `want` entries (its last one). */
static json_t *wait_message(h_env *e, const char *board, size_t want, int timeout_ms) {
    for (int waited = 0; waited < timeout_ms; waited += 250) {
        json_t *m = last_message(e, board);
        if (m && json_array_size(entries(m)) == want)
            return m;
        json_decref(m);
        h_sleep_ms(250);
    }
    return NULL;
}

/* A board whose publish state answers with an error (a key of the wrong
 * type) waits and is tried again; the boards published in the same pass
 * go out all the same. */
START_TEST(test_board_error_holds_back_only_its_board) {
    h_env e;
    h_proc run;
    char out[256], ev[512];
    h_env_start(&e, 2);
    rd_kafka_t *p = h_producer(&e);
    ck_assert_int_eq(h_redis_cmd(&e, 2000, out, sizeof(out), "SET cp:lbpub:team:t1:15m broken"), 0);
    int64_t ts = h_now_ms() - 60000;
    for (int i = 0; i < 12; i++) { /* 2 agents per team, 3 handled calls each */
        char agent[8];
        snprintf(agent, sizeof(agent), "a%d", i % 4);
        int n = snprintf(ev, sizeof(ev),
                         "{\"event_id\":\"e%d\",\"type\":\"call_ended\",\"agent_id\":\"%s\","
                         "\"team_id\":\"t%d\",\"ts\":%lld,\"call_id\":\"c%d\",\"talk_s\":100}",
                         i, agent, i % 2 + 1, (long long)(ts + i), i);
        h_produce(p, "call-events", agent, strlen(agent), ev, (size_t)n, NULL, NULL);
    }
    h_run_start(&e, &run,
                h_write_config(&e, "c.json",
                               "{\"kafka\":{\"properties\":{\"session.timeout.ms\":\"6000\","
                               "\"heartbeat.interval.ms\":\"500\"}}}"),
                "boards-error", "run");
    json_t *t2 = wait_message(&e, "team:t2:15m", 2, 30000);
    json_t *all = wait_message(&e, "all:15m", 4, 5000);
    ck_assert_msg(t2 && all, "the boards beside the broken one were not published");
    h_sleep_ms(1500); /* several retries of the broken board */
    ck_assert_msg(!last_message(&e, "team:t1:15m"), "a board published past an error reply");
    ck_assert_int_eq(h_redis_cmd(&e, 2000, out, sizeof(out), "DEL cp:lbpub:team:t1:15m"), 0);
    json_t *t1 = wait_message(&e, "team:t1:15m", 2, 10000);
    ck_assert_msg(t1, "the board was not published once its state was readable again");
    ck_assert_int_eq(json_integer_value(json_object_get(t1, "seq")), 1);
    json_decref(t1);
    json_decref(t2);
    json_decref(all);
    ck_assert_int_eq(h_stop(&run, SIGTERM, 10000), 0);
    rd_kafka_destroy(p);
    h_env_stop(&e);
}
END_TEST

Suite *boards_suite(void) {
    Suite *s = suite_create("boards");
    TCase *tc = tcase_create("oracle");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_boards_and_updates_equal_oracle);
    suite_add_tcase(s, tc);
    TCase *errors = tcase_create("errors");
    tcase_set_timeout(errors, 120);
    tcase_add_test(errors, test_board_error_holds_back_only_its_board);
    suite_add_tcase(s, errors);
    return s;
}
