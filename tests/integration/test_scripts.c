/* test_scripts.c -- each Lua script of the processor (luascripts.h), as
 * embedded in the program, run directly against a real redis-server
 * through the processor's own registration and EVALSHA (redis_io.h)
 * (issue 11 outcome 5):
 *
 *   agent_write.lua    the version check (a write with the version read
 *                      succeeds and sets the new one; a stale one, or one
 *                      expecting no state where there is one, is refused
 *                      with "stale:<version>" and changes nothing), every
 *                      operation (H, D, X, Z, R) on the key it names, and
 *                      the expiry it sets (every key, only when asked);
 *                      and a write built by the store (agentstore.h) from
 *                      an agent, read back by its load, operations split
 *                      past the size Lua can unpack at once
 *   board_publish.lua  the seq compare-and-set
 *   board_acked.lua    pending cleared only for the seq acknowledged
 *
 * and a script cache flushed under a live connection (NOSCRIPT) loaded
 * again, and a script not registered refused by name. */
#include <check.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentlayout.h"
#include "agentstore.h"
#include "config.h"
#include "harness.h"
#include "luascripts.h"
#include "redis_io.h"

/* A redis-server alone, the processor's connection to it with every
 * script registered, and a plain connection to look at what they did. */
typedef struct srv {
    h_env e;
    cp_redis r;
    redisContext *c;
} srv;

static void srv_start(srv *s) {
    const char *bin = getenv("CALLPULSE_BIN");
    char url[64], err[128];
    cp_redis_url u;
    memset(s, 0, sizeof(*s));
    snprintf(s->e.bin, sizeof(s->e.bin), "%s", bin ? bin : "callpulse");
    snprintf(s->e.dir, sizeof(s->e.dir), "/tmp/callpulse-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(s->e.dir));
    s->e.redis_port = h_free_port();
    h_redis_start(&s->e);
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", s->e.redis_port);
    ck_assert_int_eq(cp_redis_url_parse(url, &u, err, sizeof(err)), 0);
    cp_redis_init(&s->r, &u, 5000);
    ck_assert_int_eq(cp_redis_add_script(&s->r, &cp_lua_agent_write), 0);
    ck_assert_int_eq(cp_redis_add_script(&s->r, &cp_lua_board_publish), 0);
    ck_assert_int_eq(cp_redis_add_script(&s->r, &cp_lua_board_acked), 0);
    ck_assert_msg(cp_redis_ensure(&s->r) == 0, "%s", s->r.err);
    s->c = h_redis_connect(&s->e);
}

static void srv_stop(srv *s) {
    cp_redis_close(&s->r);
    redisFree(s->c);
    h_env_stop(&s->e); /* no broker was started: only Redis stops */
}

/* A command on the plain connection; fails the test on an error reply. */
static redisReply *cmd(srv *s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    redisReply *r = redisvCommand(s->c, fmt, ap);
    va_end(ap);
    ck_assert_msg(r && r->type != REDIS_REPLY_ERROR, "%s: %s", fmt, r ? r->str : s->c->errstr);
    return r;
}

static long long cmd_int(srv *s, const char *fmt, const char *key) {
    redisReply *r = cmd(s, fmt, key);
    ck_assert_int_eq(r->type, REDIS_REPLY_INTEGER);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

/* EVALSHA of a script with numkeys, keys and args as strings (NULL ends
 * them); the reply must not be an error. */
static redisReply *eval(srv *s, const cp_lua_script *script, ...) {
    const char *argv[64];
    size_t lens[64];
    int n = 0;
    va_list ap;
    va_start(ap, script);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL; n++) {
        ck_assert_int_lt(n, 64);
        argv[n] = a;
        lens[n] = strlen(a);
    }
    va_end(ap);
    redisReply *r = cp_redis_eval(&s->r, script, n, argv, lens);
    ck_assert_msg(r != NULL, "%s: %s", script->name, s->r.err);
    ck_assert_msg(r->type != REDIS_REPLY_ERROR, "%s: %s", script->name, r->str);
    return r;
}

/* The key holds exactly these field/value pairs (a hash) or member/score
 * pairs in score order (a zset; HGETALL's order is not Redis's promise,
 * so hash pairs may come in any). The list ends with NULL. */
static void expect(srv *s, const char *key, ...) {
    const char *want[64];
    size_t n = 0;
    va_list ap;
    va_start(ap, key);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL; n++)
        want[n] = a;
    va_end(ap);
    redisReply *type = cmd(s, "TYPE %s", key);
    int zset = strcmp(type->str, "zset") == 0;
    ck_assert_msg(n == 0 || zset || strcmp(type->str, "hash") == 0, "%s is a %s", key, type->str);
    freeReplyObject(type);
    redisReply *r = zset ? cmd(s, "ZRANGE %s 0 -1 WITHSCORES", key) : cmd(s, "HGETALL %s", key);
    ck_assert_msg(r->elements == n, "%s holds %zu strings, want %zu", key, r->elements, n);
    for (size_t i = 0; i < n; i += 2) {
        size_t k = i;
        if (!zset)
            for (k = 0; k < n && strcmp(r->element[k]->str, want[i]) != 0; k += 2)
                ;
        ck_assert_msg(k < n && strcmp(r->element[k]->str, want[i]) == 0, "%s: %s missing", key,
                      want[i]);
        ck_assert_msg(strcmp(r->element[k + 1]->str, want[i + 1]) == 0, "%s %s: %s, want %s", key,
                      want[i], r->element[k + 1]->str, want[i + 1]);
    }
    freeReplyObject(r);
}

/* ---- agent_write.lua ---------------------------------------------------------- */

/* Its keys, as the store passes them for windows.list "15m". */
#define ST     "cp:st:{a1}"
#define IDS    "cp:ids:{a1}"
#define KPI    "cp:kpi:{a1}:15m"
#define POINTS "cp:points:{a1}"
#define CALLS  "cp:calls:{a1}"
#define OUTBOX "cp:outbox:{a1}"
#define KEYS   "6", ST, IDS, KPI, POINTS, CALLS, OUTBOX

/* A reply of the write script as the store judges it. */
static int outcome(redisReply *r, const char *want) {
    ck_assert_int_eq(r->type, REDIS_REPLY_STRING);
    ck_assert_str_eq(r->str, want);
    int rc = cp_store_write_outcome(r);
    freeReplyObject(r);
    return rc;
}

START_TEST(test_write_version_check) {
    srv s;
    srv_start(&s);
    /* no state yet: expecting none sets the first version */
    ck_assert_int_eq(
        outcome(eval(&s, &cp_lua_agent_write, KEYS, "", "1", "0", "H", "1", "1", "a", "5", NULL),
                "ok"),
        1);
    expect(&s, ST, CP_ST_VERSION, "1", "a", "5", NULL);
    /* expecting none where there is one: refused, nothing touched */
    ck_assert_int_eq(outcome(eval(&s, &cp_lua_agent_write, KEYS, "", "1", "60000", "H", "1", "1",
                                  "a", "6", "Z", "2", "1", "7", "e1", NULL),
                             "stale:1"),
                     0);
    /* the version read: applied, and the new one set */
    ck_assert_int_eq(
        outcome(eval(&s, &cp_lua_agent_write, KEYS, "1", "2", "0", "H", "1", "1", "a", "7", NULL),
                "ok"),
        1);
    expect(&s, ST, CP_ST_VERSION, "2", "a", "7", NULL);
    /* a zombie's write (the version it read is gone): refused whole */
    ck_assert_int_eq(
        outcome(eval(&s, &cp_lua_agent_write, KEYS, "1", "2", "60000", "H", "1", "1", "a", "8", "X",
                     "1", "Z", "2", "1", "7", "e1", "H", "6", "1", "m1", "A{}", NULL),
                "stale:2"),
        0);
    expect(&s, ST, CP_ST_VERSION, "2", "a", "7", NULL);
    ck_assert_int_eq(cmd_int(&s, "EXISTS %s", IDS), 0);
    ck_assert_int_eq(cmd_int(&s, "EXISTS %s", OUTBOX), 0);
    ck_assert_int_eq(cmd_int(&s, "PTTL %s", ST), -1);
    /* a version ahead of Redis's: refused too (not only older ones) */
    ck_assert_int_eq(outcome(eval(&s, &cp_lua_agent_write, KEYS, "3", "4", "0", NULL), "stale:2"),
                     0);
    /* no state at all and a version expected: "stale:" */
    redisReply *r = cmd(&s, "DEL %s", ST);
    freeReplyObject(r);
    ck_assert_int_eq(outcome(eval(&s, &cp_lua_agent_write, KEYS, "2", "3", "0", NULL), "stale:"),
                     0);
    ck_assert_int_eq(cmd_int(&s, "EXISTS %s", ST), 0);
    /* no operation: only the version moves */
    ck_assert_int_eq(outcome(eval(&s, &cp_lua_agent_write, KEYS, "", "9", "0", NULL), "ok"), 1);
    expect(&s, ST, CP_ST_VERSION, "9", NULL);
    srv_stop(&s);
}
END_TEST

/* Every operation on the key it names, in order, from a stored state. */
START_TEST(test_write_operations) {
    srv s;
    srv_start(&s);
    freeReplyObject(cmd(&s, "HSET " ST " v 3 b1 x b2 y"));
    freeReplyObject(cmd(&s, "ZADD " IDS " 100 e-old 200 e-mid 300 e-new"));
    freeReplyObject(cmd(&s, "HSET " KPI " as_of 1 offered 2 aht_s 3"));
    freeReplyObject(cmd(&s, "HSET " POINTS " total 1 day:2026-11-20 1"));
    freeReplyObject(cmd(&s, "HSET " CALLS " o:c1 5,0"));
    ck_assert_int_eq(outcome(eval(&s, &cp_lua_agent_write, KEYS, "3", "4", "0",
                                  /* H: HSET of n pairs */
                                  "H", "1", "3", "a", "10", "p", "3", "b1", "z",
                                  /* D: HDEL of n fields, absent ones too */
                                  "D", "1", "2", "b2", "nosuch",
                                  /* Z: ZADD of n score/member pairs */
                                  "Z", "2", "2", "250", "e-x", "300", "e-new2",
                                  /* R: below a score, that score kept */
                                  "R", "2", "200",
                                  /* X then H: a hash rewritten whole */
                                  "X", "3", "H", "3", "2", "as_of", "42", "offered", "0",
                                  /* D and H on the ledger */
                                  "D", "4", "1", "day:2026-11-20", "H", "4", "1", "total", "9",
                                  /* X alone: the key is gone */
                                  "X", "5",
                                  /* the outbox */
                                  "H", "6", "2", "m1", "A{\"alert_id\":\"m1\"}", "m2", "R{}", NULL),
                             "ok"),
                     1);
    expect(&s, ST, CP_ST_VERSION, "4", "a", "10", "p", "3", "b1", "z", NULL);
    expect(&s, IDS, "e-mid", "200", "e-x", "250", "e-new", "300", "e-new2", "300", NULL);
    expect(&s, KPI, "as_of", "42", "offered", "0", NULL);
    expect(&s, POINTS, "total", "9", NULL);
    ck_assert_int_eq(cmd_int(&s, "EXISTS %s", CALLS), 0);
    expect(&s, OUTBOX, "m1", "A{\"alert_id\":\"m1\"}", "m2", "R{}", NULL);
    /* the key is the one named by its position in KEYS */
    ck_assert_int_eq(outcome(eval(&s, &cp_lua_agent_write, "3", ST, "cp:x", "cp:y", "4", "5", "0",
                                  "H", "3", "1", "f", "1", "Z", "2", "1", "1", "m", NULL),
                             "ok"),
                     1);
    expect(&s, "cp:y", "f", "1", NULL);
    expect(&s, "cp:x", "m", "1", NULL);
    srv_stop(&s);
}
END_TEST

/* Expiry: every key of KEYS that exists gets it when asked (expire ms >
 * 0), none when not, and a refused write sets none. */
START_TEST(test_write_expiry) {
    srv s;
    srv_start(&s);
    ck_assert_int_eq(outcome(eval(&s, &cp_lua_agent_write, KEYS, "", "1", "60000", "H", "1", "1",
                                  "a", "1", "Z", "2", "1", "5", "e1", "H", "3", "1", "as_of", "1",
                                  "H", "6", "1", "m1", "R{}", NULL),
                             "ok"),
                     1);
    const char *set[] = {ST, IDS, KPI, OUTBOX};
    for (int i = 0; i < 4; i++) {
        long long ttl = cmd_int(&s, "PTTL %s", set[i]);
        ck_assert_msg(ttl > 55000 && ttl <= 60000, "%s: PTTL %lld", set[i], ttl);
    }
    /* keys it did not write are not created by the expiry */
    ck_assert_int_eq(cmd_int(&s, "EXISTS %s", POINTS), 0);
    ck_assert_int_eq(cmd_int(&s, "EXISTS %s", CALLS), 0);
    /* 0: the expiry is left as it is, and a key created now has none */
    freeReplyObject(cmd(&s, "PEXPIRE " ST " 30000"));
    ck_assert_int_eq(outcome(eval(&s, &cp_lua_agent_write, KEYS, "1", "2", "0", "H", "4", "1",
                                  "total", "5", NULL),
                             "ok"),
                     1);
    long long ttl = cmd_int(&s, "PTTL %s", ST);
    ck_assert_msg(ttl > 25000 && ttl <= 30000, "st: PTTL %lld after a write without expiry", ttl);
    ck_assert_int_eq(cmd_int(&s, "PTTL %s", POINTS), -1);
    /* refused: no expiry set */
    ck_assert_int_eq(
        outcome(eval(&s, &cp_lua_agent_write, KEYS, "1", "2", "90000", NULL), "stale:2"), 0);
    ck_assert_int_eq(cmd_int(&s, "PTTL %s", POINTS), -1);
    ttl = cmd_int(&s, "PTTL %s", ST);
    ck_assert_msg(ttl <= 30000, "st: PTTL %lld after a refused write", ttl);
    /* the expiry renewed on every key, the version key included */
    ck_assert_int_eq(outcome(eval(&s, &cp_lua_agent_write, KEYS, "2", "3", "120000", NULL), "ok"),
                     1);
    const char *all[] = {ST, IDS, KPI, POINTS, OUTBOX};
    for (int i = 0; i < 5; i++) {
        ttl = cmd_int(&s, "PTTL %s", all[i]);
        ck_assert_msg(ttl > 115000 && ttl <= 120000, "%s: PTTL %lld", all[i], ttl);
    }
    srv_stop(&s);
}
END_TEST

/* The store's own write of an agent (agentstore.h), with more new ids
 * than Lua unpacks at once, read back by the store's load: the script
 * and the layout agree. */
START_TEST(test_store_write_and_load) {
    enum { IDS_N = 5000 };
    srv s;
    cp_config cfg;
    cp_windows ws;
    cp_store st;
    cp_outbox out;
    char err[512] = "";
    static cp_event evs[IDS_N];
    srv_start(&s);
    cp_config_defaults(&cfg);
    ck_assert_msg(cp_config_validate(&cfg, err, sizeof(err)) == 0, "%s", err);
    cp_windows_from_config(&ws, &cfg);
    ck_assert_int_eq(cp_store_init(&st, &s.r, &cfg, &ws), 0);
    memset(&out, 0, sizeof(out));

    int64_t T = 1795392000000LL + 3600000;
    cp_agent *a = cp_agent_new("a1", 2);
    cp_agent_delta d;
    memset(&d, 0, sizeof(d));
    ck_assert_int_eq(cp_agent_rules_init(&a->rules, cfg.rules.n), 0);
    for (int i = 0; i < IDS_N; i++) {
        cp_event *ev = &evs[i];
        ev->type = CP_EV_CALL_OFFERED;
        ev->ts_ms = T - 60000 + i;
        ev->event_id_len = (uint8_t)snprintf(ev->event_id, sizeof(ev->event_id), "e%d", i);
        ev->agent_id_len = (uint8_t)snprintf(ev->agent_id, sizeof(ev->agent_id), "a1");
        ev->team_id_len = (uint8_t)snprintf(ev->team_id, sizeof(ev->team_id), "t1");
        ck_assert_int_eq(cp_agent_apply(a, &ws, ev, 0, i, T, st.layout.lateness_ms, &d), 0);
    }
    cp_agent_advance(a, &ws, T, st.layout.lateness_ms, &d);
    ck_assert_int_eq(d.applied, IDS_N);
    int commands = cp_store_append_write(&st, a, &d, (1u << ws.n) - 1, &cfg.rules, NULL, 0);
    ck_assert_msg(cp_store_read_write(&st, a, commands) == 1, "%s", s.r.err);
    ck_assert_uint_eq(a->version, 1);
    ck_assert_int_eq(cmd_int(&s, "ZCARD %s", "cp:ids:{a1}"), IDS_N);
    ck_assert_int_eq(cmd_int(&s, "ZCARD %s", "cp:agents:0"), 1);

    cp_agent *b = cp_agent_new("a1", 2);
    cp_store_append_load(&st, b);
    ck_assert_msg(cp_store_read_load(&st, b, &cfg.rules, &out) == 0, "%s", s.r.err);
    ck_assert_uint_eq(b->version, 1);
    ck_assert_str_eq(b->team, "t1");
    ck_assert_int_eq(b->as_of, T);
    ck_assert_int_eq(cp_agent_applied(b, 0), IDS_N - 1);
    ck_assert_uint_eq(b->ids.n, IDS_N);
    ck_assert_uint_eq(b->w.n, a->w.n);
    for (uint32_t i = 0; i < a->w.n; i++)
        ck_assert(memcmp(&b->w.bk[i], &a->w.bk[i], sizeof(cp_bucket)) == 0);
    ck_assert(memcmp(&b->w.day_sums, &a->w.day_sums, sizeof(cp_sums)) == 0);
    redisReply *r = cmd(&s, "HGET cp:kpi:{a1}:15m offered");
    ck_assert_str_eq(r->str, "5000");
    freeReplyObject(r);

    /* a zombie holding the version before: refused */
    a->version = 0;
    cp_agent_delta_reset(&d);
    commands = cp_store_append_write(&st, a, &d, 0, &cfg.rules, NULL, 0);
    ck_assert_int_eq(cp_store_read_write(&st, a, commands), 0);
    cp_agent_free(a);
    cp_agent_free(b);
    cp_agent_delta_free(&d);
    cp_outbox_free(&out);
    cp_store_free(&st);
    cp_config_free(&cfg);
    srv_stop(&s);
}
END_TEST

/* ---- board_publish.lua and board_acked.lua ------------------------------------ */

#define LBPUB "cp:lbpub:all:15m"

static long long integer(redisReply *r) {
    ck_assert_int_eq(r->type, REDIS_REPLY_INTEGER);
    long long v = r->integer;
    freeReplyObject(r);
    return v;
}

START_TEST(test_board_publish_cas) {
    srv s;
    srv_start(&s);
    /* no state: seq 0 is expected, 1 taken */
    ck_assert_int_eq(
        integer(eval(&s, &cp_lua_board_publish, "1", LBPUB, "0", "top1", "1000", "{m1}", NULL)), 1);
    expect(&s, LBPUB, "seq", "1", "top", "top1", "at", "1000", "pending", "{m1}", NULL);
    /* another process took 1 first: 0, nothing changed */
    ck_assert_int_eq(
        integer(eval(&s, &cp_lua_board_publish, "1", LBPUB, "0", "top2", "2000", "{m2}", NULL)), 0);
    ck_assert_int_eq(
        integer(eval(&s, &cp_lua_board_publish, "1", LBPUB, "2", "top2", "2000", "{m2}", NULL)), 0);
    expect(&s, LBPUB, "seq", "1", "top", "top1", "at", "1000", "pending", "{m1}", NULL);
    /* the seq read: the next one, every field replaced */
    ck_assert_int_eq(
        integer(eval(&s, &cp_lua_board_publish, "1", LBPUB, "1", "top2", "2000", "{m2}", NULL)), 2);
    expect(&s, LBPUB, "seq", "2", "top", "top2", "at", "2000", "pending", "{m2}", NULL);
    ck_assert_int_eq(cmd_int(&s, "PTTL %s", LBPUB), -1);
    srv_stop(&s);
}
END_TEST

START_TEST(test_board_acked) {
    srv s;
    srv_start(&s);
    freeReplyObject(cmd(&s, "HSET " LBPUB " seq 2 top t at 5 pending {m2}"));
    /* an older message's acknowledgement: the newer one stays pending */
    ck_assert_int_eq(integer(eval(&s, &cp_lua_board_acked, "1", LBPUB, "1", NULL)), 1);
    expect(&s, LBPUB, "seq", "2", "top", "t", "at", "5", "pending", "{m2}", NULL);
    /* its own: no longer pending, the rest kept */
    ck_assert_int_eq(integer(eval(&s, &cp_lua_board_acked, "1", LBPUB, "2", NULL)), 1);
    expect(&s, LBPUB, "seq", "2", "top", "t", "at", "5", NULL);
    /* a board with no state: nothing created */
    ck_assert_int_eq(integer(eval(&s, &cp_lua_board_acked, "1", "cp:lbpub:none", "1", NULL)), 1);
    ck_assert_int_eq(cmd_int(&s, "EXISTS %s", "cp:lbpub:none"), 0);
    srv_stop(&s);
}
END_TEST

/* ---- the registry ------------------------------------------------------------- */

START_TEST(test_noscript_reloads_by_name) {
    srv s;
    srv_start(&s);
    freeReplyObject(cmd(&s, "SCRIPT FLUSH"));
    /* one EVALSHA: NOSCRIPT, loaded again, sent once more */
    ck_assert_int_eq(
        integer(eval(&s, &cp_lua_board_publish, "1", LBPUB, "0", "t", "1", "{}", NULL)), 1);
    ck_assert_uint_eq(s.r.script_reloads, 1);
    /* a pipeline: the NOSCRIPT reply is read, the next ensure loads them */
    freeReplyObject(cmd(&s, "SCRIPT FLUSH"));
    const char *argv[] = {"1", LBPUB, "1", "t", "2", "{}"};
    size_t lens[] = {1, strlen(LBPUB), 1, 1, 1, 2};
    cp_redis_append_script(&s.r, &cp_lua_board_publish, 6, argv, lens);
    redisReply *r = cp_redis_read(&s.r);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->type, REDIS_REPLY_ERROR);
    ck_assert_int_eq(cp_redis_error_kind(r->str), CP_REDIS_ERR_NOSCRIPT);
    freeReplyObject(r);
    ck_assert_int_eq(cp_redis_ensure(&s.r), 0);
    ck_assert_uint_eq(s.r.script_reloads, 2);
    cp_redis_append_script(&s.r, &cp_lua_board_publish, 6, argv, lens);
    ck_assert_int_eq(integer(cp_redis_read(&s.r)), 2);
    /* every registered script is back, not only the one that failed */
    ck_assert_int_eq(outcome(eval(&s, &cp_lua_agent_write, KEYS, "", "1", "0", NULL), "ok"), 1);
    ck_assert_uint_eq(s.r.script_reloads, 2);
    srv_stop(&s);
}
END_TEST

START_TEST(test_unregistered_script_named) {
    srv s;
    cp_redis other;
    char url[64], err[128];
    cp_redis_url u;
    srv_start(&s);
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", s.e.redis_port);
    ck_assert_int_eq(cp_redis_url_parse(url, &u, err, sizeof(err)), 0);
    cp_redis_init(&other, &u, 5000);
    ck_assert_int_eq(cp_redis_add_script(&other, &cp_lua_board_acked), 0);
    ck_assert_int_eq(cp_redis_add_script(&other, &cp_lua_board_acked), 0); /* once only */
    ck_assert_int_eq(other.nscripts, 1);
    ck_assert_int_eq(cp_redis_ensure(&other), 0);
    const char *argv[] = {"1", LBPUB, "1"};
    size_t lens[] = {1, strlen(LBPUB), 1};
    cp_redis_append_script(&other, &cp_lua_board_publish, 3, argv, lens);
    ck_assert_ptr_null(other.ctx); /* the step fails, never a command left out */
    ck_assert_ptr_nonnull(strstr(other.err, "board_publish"));
    ck_assert_ptr_null(cp_redis_read(&other));
    cp_redis_close(&other);
    srv_stop(&s);
}
END_TEST

Suite *scripts_suite(void) {
    Suite *s = suite_create("scripts");
    TCase *tc = tcase_create("scripts");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_write_version_check);
    tcase_add_test(tc, test_write_operations);
    tcase_add_test(tc, test_write_expiry);
    tcase_add_test(tc, test_store_write_and_load);
    tcase_add_test(tc, test_board_publish_cas);
    tcase_add_test(tc, test_board_acked);
    tcase_add_test(tc, test_noscript_reloads_by_name);
    tcase_add_test(tc, test_unregistered_script_named);
    suite_add_tcase(s, tc);
    return s;
}
