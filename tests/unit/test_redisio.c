/* test_redisio.c -- what Redis answers, classified (issue 10 items 5, 6 and
 * the chaos bullet): error replies by their first word; a NOSCRIPT or
 * READONLY read on a pipeline makes the next cp_redis_ensure() reload the
 * scripts or reconnect; an agent load that got an error reply or a reply
 * of the wrong type is transient (-1), never "malformed" (-2), which only
 * content that cannot be decoded is, and a load queues its outbox once;
 * /healthz turns 503 only once writes have failed for longer than the
 * grace period. */
#include <check.h>
#include <hiredis/hiredis.h>
#include <hiredis/sds.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "agentstore.h"
#include "config.h"
#include "health.h"
#include "luascripts.h"
#include "outbox.h"
#include "redis_io.h"
#include "suites.h"
#include "testrng.h"

/* ---- error replies ------------------------------------------------------------ */

static const struct {
    const char *msg;
    cp_redis_error want;
} kinds[] = {
    {"NOSCRIPT No matching script. Please use EVAL.", CP_REDIS_ERR_NOSCRIPT},
    {"NOSCRIPT", CP_REDIS_ERR_NOSCRIPT},
    {"NOSCRIPTS are fine", CP_REDIS_ERR_OTHER},
    {"BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
     CP_REDIS_ERR_BUSY},
    {"BUSYKEY Target key name already exists.", CP_REDIS_ERR_OTHER},
    {"LOADING Redis is loading the dataset in memory", CP_REDIS_ERR_BUSY},
    {"TRYAGAIN Multiple keys request during rehashing of slot", CP_REDIS_ERR_BUSY},
    {"CLUSTERDOWN The cluster is down", CP_REDIS_ERR_BUSY},
    {"READONLY You can't write against a read only replica.", CP_REDIS_ERR_ROLE},
    {"MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
     CP_REDIS_ERR_ROLE},
    {"WRONGTYPE Operation against a key holding the wrong kind of value", CP_REDIS_ERR_OTHER},
    {"OOM command not allowed when used memory > 'maxmemory'.", CP_REDIS_ERR_OTHER},
    {"ERR Error running script", CP_REDIS_ERR_OTHER},
    {"noscript lower case is not Redis's", CP_REDIS_ERR_OTHER},
    {"", CP_REDIS_ERR_OTHER},
    {NULL, CP_REDIS_ERR_OTHER},
};

START_TEST(test_error_kinds) {
    const char *msg = kinds[_i].msg;
    ck_assert_msg(cp_redis_error_kind(msg) == kinds[_i].want, "\"%s\": got %d, want %d",
                  msg ? msg : "(null)", cp_redis_error_kind(msg), kinds[_i].want);
}
END_TEST

/* A connection whose replies come from bytes fed to its reader (hiredis
 * reads a buffered reply without I/O). */
static void fake_redis(cp_redis *r, const char *wire, size_t replies) {
    cp_redis_url url;
    char err[128];
    ck_assert_int_eq(cp_redis_url_parse("redis://127.0.0.1:1", &url, err, sizeof(err)), 0);
    cp_redis_init(r, &url, 100);
    r->ctx = redisConnectUnix("/nonexistent/callpulse-test.sock");
    ck_assert_ptr_nonnull(r->ctx);
    r->ctx->err = 0;
    ck_assert_int_eq(redisReaderFeed(r->ctx->reader, wire, strlen(wire)), REDIS_OK);
    r->pending = replies;
}

START_TEST(test_read_notes_what_ensure_must_repair) {
    cp_redis r;
    fake_redis(&r, "+OK\r\n-NOSCRIPT No matching script. Please use EVAL.\r\n-BUSY busy\r\n", 3);
    redisReply *a = cp_redis_read(&r);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(r.scripts_lost + r.wrong_role, 0);
    redisReply *b = cp_redis_read(&r);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(b->type, REDIS_REPLY_ERROR);
    ck_assert_int_eq(r.scripts_lost, 1);
    ck_assert_int_eq(r.wrong_role, 0);
    redisReply *c = cp_redis_read(&r);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(r.wrong_role, 0); /* BUSY: only wait */
    ck_assert_uint_eq(r.replied, 3);
    ck_assert_ptr_nonnull(r.ctx); /* an error reply never breaks the connection */
    freeReplyObject(a);
    freeReplyObject(b);
    freeReplyObject(c);
    cp_redis_close(&r);
    fake_redis(&r, "-READONLY You can't write against a read only replica.\r\n", 1);
    a = cp_redis_read(&r);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(r.wrong_role, 1);
    ck_assert_int_eq(r.scripts_lost, 0);
    freeReplyObject(a);
    cp_redis_close(&r);
}
END_TEST

/* ---- commands on the wire ----------------------------------------------------------- */

/* What hiredis's own formatter makes of argv, against what the
 * connection buffered. */
static void same_wire(cp_redis *r, int argc, const char **argv, const size_t *lens) {
    char *want = NULL;
    int n = redisFormatCommandArgv(&want, argc, argv, lens);
    ck_assert_int_gt(n, 0);
    ck_assert_uint_eq(sdslen(r->ctx->obuf), (size_t)n);
    ck_assert_msg(memcmp(r->ctx->obuf, want, (size_t)n) == 0, "%d arguments: [%.*s], want [%s]",
                  argc, (int)sdslen(r->ctx->obuf), r->ctx->obuf, want);
    redisFreeCommand(want);
    sdsclear(r->ctx->obuf);
}

/* Commands of every shape (empty, binary, long arguments; few and many)
 * are the bytes hiredis's redisFormatCommandArgv gives, one after the
 * other in the connection's output buffer. */
START_TEST(test_append_is_hiredis_wire) {
    static char big[70000];
    const char *argv[300];
    size_t lens[300];
    uint64_t st = 42;
    cp_redis r;
    fake_redis(&r, "", 0);
    memset(big, 'x', sizeof(big));
    big[100] = '\0', big[101] = '\r', big[102] = '\n';
    for (int c = 0; c < 400; c++) {
        int argc = 1 + (int)(test_rng(&st) % (c % 10 == 0 ? 300 : 8));
        for (int i = 0; i < argc; i++) {
            argv[i] = big + test_rng(&st) % 1000;
            lens[i] = (size_t)test_between(&st, 0, c % 50 == 0 ? 65000 : 40);
        }
        cp_redis_append(&r, argc, argv, lens);
        same_wire(&r, argc, argv, lens);
    }
    const char *strs[] = {"ZADD", "cp:lb:all:15m", "87.25", "a17"};
    size_t slens[] = {4, 13, 5, 3};
    cp_redis_append_strs(&r, 4, strs);
    same_wire(&r, 4, strs, slens);
    ck_assert_uint_eq(r.pending, 401);
    cp_redis_close(&r);
}
END_TEST

/* An EVALSHA of a registered script: EVALSHA, its sha, then argv; the
 * argument array it reuses grows for a longer command and keeps the
 * earlier ones intact. */
START_TEST(test_append_script_is_hiredis_wire) {
    const char *argv[] = {"2", "cp:st:{a1}", "", "v1", "0000000000"};
    size_t lens[] = {1, 10, 0, 2, 10};
    const char *full[] = {
        "EVALSHA",   "0123456789abcdef0123456789abcdef01234567", "2", "cp:st:{a1}", "", "v1",
        "0000000000"};
    size_t flens[] = {7, 40, 1, 10, 0, 2, 10};
    cp_redis r;
    fake_redis(&r, "", 0);
    ck_assert_int_eq(cp_redis_add_script(&r, &cp_lua_agent_write), 0);
    snprintf(r.scripts[0].sha, sizeof(r.scripts[0].sha), "%s", full[1]);
    cp_redis_append_script(&r, &cp_lua_agent_write, 5, argv, lens);
    same_wire(&r, 7, full, flens);
    const char *many[200], *fmany[202];
    size_t mlens[200], fmlens[202];
    fmany[0] = full[0], fmany[1] = full[1], fmlens[0] = 7, fmlens[1] = 40;
    for (int i = 0; i < 200; i++) {
        fmany[i + 2] = many[i] = argv[i % 5];
        fmlens[i + 2] = mlens[i] = lens[i % 5];
    }
    cp_redis_append_script(&r, &cp_lua_agent_write, 200, many, mlens);
    same_wire(&r, 202, fmany, fmlens);
    cp_redis_append_script(&r, &cp_lua_agent_write, 5, argv, lens);
    same_wire(&r, 7, full, flens);
    ck_assert_uint_eq(r.pending, 3);
    cp_redis_close(&r);
}
END_TEST

static cp_board_op board_op(cp_board_op_kind kind, const char *board, const char *agent,
                            const char *team, double score) {
    cp_board_op op;
    memset(&op, 0, sizeof(op));
    op.kind = kind;
    snprintf(op.board, sizeof(op.board), "%s", board);
    snprintf(op.agent, sizeof(op.agent), "%s", agent);
    snprintf(op.team, sizeof(op.team), "%s", team);
    op.score = score;
    return op;
}

/* A round's board ops become one ZADD and one ZREM per board, each agent's
 * last op deciding its entry (a ZADD after a ZREM sets it, a ZREM after a
 * ZADD removes it); team ops go one by one. */
START_TEST(test_board_ops_one_command_per_board_and_kind) {
    cp_config cfg;
    cp_windows ws;
    cp_store st;
    cp_redis r;
    char err[256];
    cp_config_defaults(&cfg);
    ck_assert_msg(cp_config_validate(&cfg, err, sizeof(err)) == 0, "%s", err);
    cp_windows_from_config(&ws, &cfg);
    fake_redis(&r, "", 0);
    ck_assert_int_eq(cp_store_init(&st, &r, &cfg, &ws), 0);
    cp_board_op ops[] = {
        board_op(CP_BOARD_ZADD, "all:15m", "a2", "", 60),
        board_op(CP_BOARD_ZADD, "team:t1:15m", "a2", "", 60),
        board_op(CP_BOARD_TEAM, "", "a2", "t1", 0),
        board_op(CP_BOARD_ZADD, "all:15m", "a1", "", 87.125),
        board_op(CP_BOARD_ZREM, "all:15m", "a3", "", 0),
        board_op(CP_BOARD_ZREM, "all:15m", "a1", "", 0),
        board_op(CP_BOARD_ZREM, "all:60m", "a4", "", 0),
        board_op(CP_BOARD_ZADD, "all:60m", "a4", "", 99.994),
        board_op(CP_BOARD_ZADD, "all:15m", "a3", "", 5),
        board_op(CP_BOARD_TEAM, "", "a5", "", 0),
    };
    size_t n = cp_store_append_board_ops(&st, ops, sizeof(ops) / sizeof(ops[0]));
    const char *want =
        "*4\r\n$4\r\nHSET\r\n$14\r\ncp:agent-teams\r\n$2\r\na2\r\n$2\r\nt1\r\n"
        "*3\r\n$4\r\nHDEL\r\n$14\r\ncp:agent-teams\r\n$2\r\na5\r\n"
        "*6\r\n$4\r\nZADD\r\n$13\r\ncp:lb:all:15m\r\n"
        "$5\r\n60.00\r\n$2\r\na2\r\n$4\r\n5.00\r\n$2\r\na3\r\n"
        "*3\r\n$4\r\nZREM\r\n$13\r\ncp:lb:all:15m\r\n$2\r\na1\r\n"
        "*4\r\n$4\r\nZADD\r\n$13\r\ncp:lb:all:60m\r\n$5\r\n99.99\r\n$2\r\na4\r\n"
        "*4\r\n$4\r\nZADD\r\n$17\r\ncp:lb:team:t1:15m\r\n$5\r\n60.00\r\n$2\r\na2\r\n";
    ck_assert_uint_eq(n, 6);
    ck_assert_uint_eq(r.pending, 6);
    ck_assert_msg(sdslen(r.ctx->obuf) == strlen(want) &&
                      memcmp(r.ctx->obuf, want, strlen(want)) == 0,
                  "[%.*s]", (int)sdslen(r.ctx->obuf), r.ctx->obuf);
    cp_store_free(&st);
    cp_redis_close(&r);
    cp_config_free(&cfg);
}
END_TEST

/* ---- loading an agent ----------------------------------------------------------- */

static redisReply *reply_new(int type) {
    redisReply *r = calloc(1, sizeof(*r));
    ck_assert_ptr_nonnull(r);
    r->type = type;
    return r;
}

static redisReply *str(int type, const char *s) {
    redisReply *r = reply_new(type);
    r->str = strdup(s);
    r->len = strlen(s);
    return r;
}

/* An array of n replies given as arguments. */
static redisReply *arr(size_t n, ...) {
    va_list ap;
    redisReply *r = reply_new(REDIS_REPLY_ARRAY);
    r->element = calloc(n + 1, sizeof(*r->element));
    r->elements = n;
    va_start(ap, n);
    for (size_t i = 0; i < n; i++)
        r->element[i] = va_arg(ap, redisReply *);
    va_end(ap);
    return r;
}

static redisReply *S(const char *s) {
    return str(REDIS_REPLY_STRING, s);
}

typedef struct load_case {
    const char *name;
    int want;            /* 0, -1 transient, -2 malformed */
    const char *err_has; /* in the error text */
    size_t messages;     /* queued from the outbox */
} load_case;

static const load_case load_cases[] = {
    {"a new agent: every key empty", 0, NULL, 0},
    {"stored state and two outbox messages", 0, NULL, 2},
    {"BUSY reading st", -1, "st:{a1}: BUSY", 0},
    {"LOADING reading ids", -1, "ids:{a1}: LOADING", 0},
    {"NOSCRIPT-like error reading points", -1, "points:{a1}: NOSCRIPT", 0},
    {"MASTERDOWN reading the outbox", -1, "outbox:{a1}: MASTERDOWN", 0},
    {"a status where an array belongs", -1, "unexpected reply", 0},
    {"an integer inside st", -2, "not a string", 1},
    {"a field of st that cannot be decoded", -2, "cannot be decoded", 1},
};

/* The five replies of case i: st, ids, points, calls, outbox. */
static void load_replies(int i, redisReply **r) {
    r[0] = arr(0);
    r[1] = arr(0);
    r[2] = arr(0);
    r[3] = arr(0);
    r[4] = arr(0);
    switch (i) {
    case 1:
        freeReplyObject(r[0]);
        r[0] = arr(4, S("v"), S("3"), S("a"), S("1764000000000"));
        freeReplyObject(r[4]);
        r[4] = arr(6, S("csat-5:a1:e1"), S("R{\"reward_id\":\"csat-5:a1:e1\"}"), S("csat-5:a1:e2"),
                   S("R{\"reward_id\":\"csat-5:a1:e2\"}"), S("junk"), S("not a message"));
        break;
    case 2:
        freeReplyObject(r[0]);
        r[0] = str(REDIS_REPLY_ERROR, "BUSY Redis is busy running a script.");
        break;
    case 3:
        freeReplyObject(r[1]);
        r[1] = str(REDIS_REPLY_ERROR, "LOADING Redis is loading the dataset in memory");
        break;
    case 4:
        freeReplyObject(r[2]);
        r[2] = str(REDIS_REPLY_ERROR, "NOSCRIPT No matching script.");
        break;
    case 5:
        freeReplyObject(r[4]);
        r[4] = str(REDIS_REPLY_ERROR, "MASTERDOWN Link with MASTER is down");
        break;
    case 6:
        freeReplyObject(r[3]);
        r[3] = str(REDIS_REPLY_STATUS, "QUEUED");
        break;
    case 7: {
        redisReply *n = reply_new(REDIS_REPLY_INTEGER);
        n->integer = 7;
        freeReplyObject(r[0]);
        r[0] = arr(2, S("v"), n);
        freeReplyObject(r[4]);
        r[4] = arr(2, S("x1"), S("A{\"alert_id\":\"x1\"}"));
        break;
    }
    case 8:
        freeReplyObject(r[0]);
        r[0] = arr(2, S("a"), S("yesterday"));
        freeReplyObject(r[4]);
        r[4] = arr(2, S("x1"), S("A{\"alert_id\":\"x1\"}"));
        break;
    }
}

START_TEST(test_load_classified) {
    const load_case *c = &load_cases[_i];
    cp_config cfg;
    char err[512] = "";
    redisReply *r[CP_STORE_LOAD_REPLIES];
    cp_outbox out;
    memset(&out, 0, sizeof(out));
    cp_config_defaults(&cfg);
    ck_assert_msg(cp_config_validate(&cfg, err, sizeof(err)) == 0, "%s", err);
    cp_agent *a = cp_agent_new("a1", 2);
    ck_assert_ptr_nonnull(a);
    load_replies(_i, r);
    int rc = cp_store_decode_load(a, &cfg.rules, r, &out, err, sizeof(err));
    ck_assert_msg(rc == c->want, "%s: got %d (%s), want %d", c->name, rc, err, c->want);
    ck_assert_int_eq(a->loaded, rc == 0);
    if (c->err_has)
        ck_assert_msg(strstr(err, c->err_has), "%s: error \"%s\" lacks \"%s\"", c->name, err,
                      c->err_has);
    ck_assert_msg(out.n == c->messages, "%s: %zu messages queued, want %zu", c->name, out.n,
                  c->messages);
    if (_i == 1) {
        ck_assert_uint_eq(a->version, 3);
        ck_assert_str_eq(out.v[0].agent, "a1");
        ck_assert_str_eq(out.v[0].id, "csat-5:a1:e1");
        ck_assert_int_eq(out.v[0].kind, CP_EMIT_REWARD);
        ck_assert_str_eq(out.v[1].json, "{\"reward_id\":\"csat-5:a1:e2\"}");
    }
    for (int i = 0; i < CP_STORE_LOAD_REPLIES; i++)
        freeReplyObject(r[i]);
    cp_outbox_free(&out);
    cp_agent_free(a);
    cp_config_free(&cfg);
}
END_TEST

/* A load after a lost write reply queues the outbox; a second load of the
 * same agent (the batch retried) into a tracking list does not queue the
 * messages again. */
START_TEST(test_reload_queues_outbox_once) {
    cp_config cfg;
    char err[512] = "";
    redisReply *r[CP_STORE_LOAD_REPLIES];
    cp_outbox out;
    memset(&out, 0, sizeof(out));
    cp_outbox_track(&out);
    cp_config_defaults(&cfg);
    ck_assert_msg(cp_config_validate(&cfg, err, sizeof(err)) == 0, "%s", err);
    for (int round = 0; round < 2; round++) {
        cp_agent *a = cp_agent_new("a1", 2);
        load_replies(1, r);
        ck_assert_int_eq(cp_store_decode_load(a, &cfg.rules, r, &out, err, sizeof(err)), 0);
        ck_assert_uint_eq(out.n, 2);
        for (int i = 0; i < CP_STORE_LOAD_REPLIES; i++)
            freeReplyObject(r[i]);
        cp_agent_free(a);
    }
    cp_outbox_free(&out);
    cp_config_free(&cfg);
}
END_TEST

/* ---- /healthz from the consumer's report ------------------------------------------- */

START_TEST(test_health_writes_failing) {
    cp_config cfg;
    cp_health h;
    char err[256], why[512];
    cp_config_defaults(&cfg);
    ck_assert_int_eq(cp_health_init(&h, &cfg, err, sizeof(err)), 0);
    ck_assert_int_eq(cp_health_writes(&h, 1000, why, sizeof(why)), 1);
    cp_health_writes_failed(&h, 1000, "state write of a1: NOSCRIPT No matching script.");
    ck_assert_int_eq(cp_health_writes(&h, 1000 + CP_HEALTH_WRITES_GRACE_MS, why, sizeof(why)), 1);
    /* later failures keep the clock of the first */
    cp_health_writes_failed(&h, 4000, "state write of a1: BUSY Redis is busy");
    ck_assert_int_eq(cp_health_writes(&h, 1001 + CP_HEALTH_WRITES_GRACE_MS, why, sizeof(why)), 0);
    ck_assert_int_eq(cp_health_writes(&h, 8000, why, sizeof(why)), 0);
    ck_assert_str_eq(why, "Redis writes failing for 7 s: state write of a1: BUSY Redis is busy");
    cp_health_writes_ok(&h);
    ck_assert_int_eq(cp_health_writes(&h, 20000, why, sizeof(why)), 1);
    /* a new run of failures starts its own clock */
    cp_health_writes_failed(&h, 30000, "reading st:{a1}: LOADING");
    ck_assert_int_eq(cp_health_writes(&h, 34000, why, sizeof(why)), 1);
    ck_assert_int_eq(cp_health_writes(&h, 36000, why, sizeof(why)), 0);
    ck_assert_str_eq(why, "Redis writes failing for 6 s: reading st:{a1}: LOADING");
    cp_health_free(&h);
    cp_config_free(&cfg);
}
END_TEST

Suite *redisio_suite(void) {
    Suite *s = suite_create("redisio");
    TCase *tc = tcase_create("redisio");
    tcase_add_loop_test(tc, test_error_kinds, 0, (int)(sizeof(kinds) / sizeof(kinds[0])));
    tcase_add_test(tc, test_read_notes_what_ensure_must_repair);
    tcase_add_test(tc, test_append_is_hiredis_wire);
    tcase_add_test(tc, test_append_script_is_hiredis_wire);
    tcase_add_test(tc, test_board_ops_one_command_per_board_and_kind);
    tcase_add_loop_test(tc, test_load_classified, 0,
                        (int)(sizeof(load_cases) / sizeof(load_cases[0])));
    tcase_add_test(tc, test_reload_queues_outbox_once);
    tcase_add_test(tc, test_health_writes_failing);
    suite_add_tcase(s, tc);
    return s;
}
