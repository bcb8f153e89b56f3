/* test_outbox.c -- the messages a process holds between their commit and
 * their deletion from Redis (outbox.h, issue 10 item 4): the (agent, id)
 * set against a reference under random adds and removes; a tracking list
 * that queues a message once however often its outbox is read again, and
 * again after its release; deletions of acknowledged messages that are
 * released only once Redis ran them, and sent again when their connection
 * was lost (agentstore.h). */
#include <check.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentstore.h"
#include "config.h"
#include "keyset.h"
#include "outbox.h"
#include "redis_io.h"
#include "suites.h"
#include "window.h"

/* ---- the set ------------------------------------------------------------------ */

START_TEST(test_msgset_basics) {
    cp_keyset s;
    memset(&s, 0, sizeof(s));
    ck_assert_int_eq(cp_msgset_has(&s, "a1", "m1"), 0);
    ck_assert_int_eq(cp_msgset_remove(&s, "a1", "m1"), 0);
    ck_assert_int_eq(cp_msgset_add(&s, "a1", "m1"), 1);
    ck_assert_int_eq(cp_msgset_add(&s, "a1", "m1"), 0);
    ck_assert_int_eq(cp_msgset_has(&s, "a1", "m1"), 1);
    /* the pair is the key: the agent/id boundary counts */
    ck_assert_int_eq(cp_msgset_has(&s, "a", "1m1"), 0);
    ck_assert_int_eq(cp_msgset_add(&s, "a1m", "1"), 1);
    ck_assert_int_eq(cp_msgset_has(&s, "a1", "m"), 0);
    ck_assert_int_eq(cp_msgset_add(&s, "a2", ""), 1);
    ck_assert_uint_eq(s.n, 3);
    ck_assert_int_eq(cp_msgset_remove(&s, "a1", "m1"), 1);
    ck_assert_int_eq(cp_msgset_remove(&s, "a1", "m1"), 0);
    ck_assert_int_eq(cp_msgset_has(&s, "a1m", "1"), 1);
    ck_assert_uint_eq(s.n, 2);
    cp_keyset_clear(&s);
    ck_assert_uint_eq(s.n, 0);
    ck_assert_int_eq(cp_msgset_has(&s, "a2", ""), 0);
    ck_assert_int_eq(cp_msgset_add(&s, "a2", ""), 1); /* usable after a clear */
    cp_keyset_free(&s);
}
END_TEST

#define REF_KEYS 600

/* Random adds and removes over 600 keys (the table grows and wraps, and
 * removals shift clusters back), checked against a plain array after
 * every step and by iteration at the end. */
START_TEST(test_msgset_against_reference) {
    cp_keyset s;
    static char in[REF_KEYS];
    char agent[16], id[16];
    unsigned seed = 12345;
    memset(&s, 0, sizeof(s));
    memset(in, 0, sizeof(in));
    for (int step = 0; step < 20000; step++) {
        seed = seed * 1103515245u + 12345u;
        int k = (int)((seed >> 8) % REF_KEYS), add = ((seed >> 4) & 3) != 0;
        snprintf(agent, sizeof(agent), "ag%d", k % 37);
        snprintf(id, sizeof(id), "m%d", k);
        if (add)
            ck_assert_int_eq(cp_msgset_add(&s, agent, id), in[k] ? 0 : 1);
        else
            ck_assert_int_eq(cp_msgset_remove(&s, agent, id), in[k] ? 1 : 0);
        in[k] = (char)add;
        if (step % 97 == 0) {
            size_t want = 0;
            for (int j = 0; j < REF_KEYS; j++) {
                snprintf(agent, sizeof(agent), "ag%d", j % 37);
                snprintf(id, sizeof(id), "m%d", j);
                ck_assert_msg(cp_msgset_has(&s, agent, id) == in[j], "step %d key %d", step, j);
                want += (size_t)in[j];
            }
            ck_assert_uint_eq(s.n, want);
        }
    }
    static char seen[REF_KEYS];
    size_t at = 0, n = 0;
    const char *a;
    memset(seen, 0, sizeof(seen));
    while (cp_keyset_next(&s, &at, &a, NULL, NULL)) {
        const char *m = a + strlen(a) + 1; /* the key is "agent\0id" */
        int k = atoi(m + 1);
        ck_assert(k >= 0 && k < REF_KEYS && in[k] && !seen[k]);
        snprintf(agent, sizeof(agent), "ag%d", k % 37);
        ck_assert_str_eq(a, agent);
        seen[k] = 1;
        n++;
    }
    ck_assert_uint_eq(n, s.n);
    cp_keyset_free(&s);
}
END_TEST

/* ---- a tracking list ----------------------------------------------------------- */

static char *json(const char *text) {
    char *j = strdup(text);
    ck_assert_ptr_nonnull(j);
    return j;
}

START_TEST(test_tracking_list_queues_once) {
    cp_outbox out, w;
    memset(&out, 0, sizeof(out));
    memset(&w, 0, sizeof(w));
    cp_outbox_track(&out);
    ck_assert_int_eq(cp_outbox_push(&out, CP_EMIT_REWARD, "a1", "r1", json("{}")), 0);
    /* read again while queued: not twice */
    ck_assert_int_eq(cp_outbox_push(&out, CP_EMIT_REWARD, "a1", "r1", json("{}")), 1);
    ck_assert_uint_eq(out.n, 1);
    /* produced (the list emptied): still held, in flight */
    cp_outbox_clear(&out);
    ck_assert_int_eq(cp_outbox_push(&out, CP_EMIT_REWARD, "a1", "r1", json("{}")), 1);
    ck_assert_uint_eq(out.n, 0);
    /* another agent's message of the same id is another message */
    ck_assert_int_eq(cp_outbox_push(&out, CP_EMIT_REWARD, "a2", "r1", json("{}")), 0);
    /* a work item's messages move in; those held already stay out */
    ck_assert_int_eq(cp_outbox_push(&w, CP_EMIT_ALERT, "a1", "r1", json("{}")), 0);
    ck_assert_int_eq(cp_outbox_push(&w, CP_EMIT_ALERT, "a1", "x1", json("{\"x\":1}")), 0);
    ck_assert_int_eq(cp_outbox_move(&out, &w), 0);
    ck_assert_uint_eq(w.n, 0);
    ck_assert_uint_eq(out.n, 2);
    ck_assert_str_eq(out.v[1].id, "x1");
    ck_assert_str_eq(out.v[1].json, "{\"x\":1}");
    /* deleted from Redis: found again, it is queued again */
    cp_outbox_release(&out, "a1", "r1");
    ck_assert_int_eq(cp_outbox_push(&out, CP_EMIT_REWARD, "a1", "r1", json("{}")), 0);
    ck_assert_uint_eq(out.n, 3);
    /* an ordinary list never de-duplicates */
    ck_assert_int_eq(cp_outbox_push(&w, CP_EMIT_ALERT, "a1", "x1", json("{}")), 0);
    ck_assert_int_eq(cp_outbox_push(&w, CP_EMIT_ALERT, "a1", "x1", json("{}")), 0);
    ck_assert_uint_eq(w.n, 2);
    cp_outbox_free(&out);
    cp_outbox_free(&w);
}
END_TEST

/* ---- deletions of acknowledged messages ----------------------------------------- */

typedef struct store_fixture {
    cp_config cfg;
    cp_windows ws;
    cp_redis redis;
    cp_store store;
    char done[8][64];
    int ndone;
} store_fixture;

/* A store on a connection that buffers commands and sends nothing: a
 * context whose connect failed still appends. */
static void store_setup(store_fixture *f) {
    cp_redis_url url;
    char err[256];
    memset(f, 0, sizeof(*f));
    cp_config_defaults(&f->cfg);
    ck_assert_msg(cp_config_validate(&f->cfg, err, sizeof(err)) == 0, "%s", err);
    cp_windows_from_config(&f->ws, &f->cfg);
    ck_assert_int_eq(cp_redis_url_parse("redis://127.0.0.1:1", &url, err, sizeof(err)), 0);
    cp_redis_init(&f->redis, &url, 100);
    ck_assert_int_eq(cp_store_init(&f->store, &f->redis, &f->cfg, &f->ws), 0);
}

static void connect_fake(store_fixture *f) {
    f->redis.ctx = redisConnectUnix("/nonexistent/callpulse-test.sock");
    ck_assert_ptr_nonnull(f->redis.ctx);
    f->redis.epoch++;
    f->redis.appended = f->redis.replied = 0;
    f->redis.pending = 0;
}

static void store_teardown(store_fixture *f) {
    cp_store_free(&f->store);
    cp_redis_close(&f->redis);
    cp_config_free(&f->cfg);
}

static void on_done(void *ctx, const char *agent, const char *id) {
    store_fixture *f = ctx;
    ck_assert_int_lt(f->ndone, 8);
    snprintf(f->done[f->ndone++], sizeof(f->done[0]), "%s/%s", agent, id);
}

START_TEST(test_deletions_released_once_redis_ran_them) {
    store_fixture f;
    store_setup(&f);
    connect_fake(&f);
    ck_assert_int_eq(cp_store_append_outbox_done(&f.store, "a1", "m1"), 0);
    ck_assert_int_eq(cp_store_append_outbox_done(&f.store, "a2", "m2"), 0);
    ck_assert_uint_eq(f.redis.appended, 2);
    ck_assert_int_eq(cp_keyset_get(&f.store.drained, "a1", 2, NULL), 1);
    ck_assert_int_eq(cp_keyset_get(&f.store.drained, "a2", 2, NULL), 1);
    /* no reply read yet: both wait, nothing is sent again */
    ck_assert_uint_eq(cp_store_settle_deletions(&f.store, on_done, &f), 0);
    ck_assert_int_eq(f.ndone, 0);
    ck_assert_uint_eq(f.store.ndeleting, 2);
    /* the first HDEL's reply was read: only it is done */
    f.redis.replied = 1;
    ck_assert_uint_eq(cp_store_settle_deletions(&f.store, on_done, &f), 0);
    ck_assert_int_eq(f.ndone, 1);
    ck_assert_str_eq(f.done[0], "a1/m1");
    ck_assert_uint_eq(f.store.ndeleting, 1);
    /* the connection was lost before the second's reply: sent again on
     * the next connection, not reported done */
    cp_redis_disconnect(&f.redis);
    ck_assert_uint_eq(cp_store_settle_deletions(&f.store, on_done, &f), 0);
    ck_assert_uint_eq(f.store.ndeleting, 1);
    connect_fake(&f);
    ck_assert_uint_eq(cp_store_settle_deletions(&f.store, on_done, &f), 1);
    ck_assert_int_eq(f.ndone, 1);
    ck_assert_uint_eq(f.redis.appended, 1);
    f.redis.replied = 1;
    ck_assert_uint_eq(cp_store_settle_deletions(&f.store, on_done, &f), 0);
    ck_assert_int_eq(f.ndone, 2);
    ck_assert_str_eq(f.done[1], "a2/m2");
    ck_assert_uint_eq(f.store.ndeleting, 0);
    store_teardown(&f);
}
END_TEST

/* An HDEL appended while disconnected went nowhere: never taken as done,
 * sent once connected (even when the new connection's counters already
 * passed its number). */
START_TEST(test_deletion_while_disconnected_is_sent_later) {
    store_fixture f;
    store_setup(&f);
    connect_fake(&f);
    f.redis.appended = f.redis.replied = 50;
    cp_redis_disconnect(&f.redis);
    ck_assert_int_eq(cp_store_append_outbox_done(&f.store, "a1", "m1"), 0);
    ck_assert_uint_eq(cp_store_settle_deletions(&f.store, on_done, &f), 0);
    ck_assert_int_eq(f.ndone, 0);
    connect_fake(&f);
    f.redis.appended = f.redis.replied = 70;
    ck_assert_uint_eq(cp_store_settle_deletions(&f.store, on_done, &f), 1);
    ck_assert_int_eq(f.ndone, 0);
    f.redis.replied = 71;
    ck_assert_uint_eq(cp_store_settle_deletions(&f.store, on_done, &f), 0);
    ck_assert_int_eq(f.ndone, 1);
    store_teardown(&f);
}
END_TEST

Suite *outbox_suite(void) {
    Suite *s = suite_create("outbox");
    TCase *tc = tcase_create("outbox");
    tcase_add_test(tc, test_msgset_basics);
    tcase_add_test(tc, test_msgset_against_reference);
    tcase_add_test(tc, test_tracking_list_queues_once);
    tcase_add_test(tc, test_deletions_released_once_redis_ran_them);
    tcase_add_test(tc, test_deletion_while_disconnected_is_sent_later);
    suite_add_tcase(s, tc);
    return s;
}
