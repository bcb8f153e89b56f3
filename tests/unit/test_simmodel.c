/* test_simmodel.c -- the simulator's traffic is valid, realistic in shape
 * and deterministic for a seed. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "decoder.h"
#include "simmodel.h"
#include "suites.h"

#define START 1795300000000LL

static cp_sim_params params(double bad) {
    cp_sim_params p = {.agents = 20,
                       .teams = 4,
                       .struggling = 2,
                       .seed = 7,
                       .start_ms = START,
                       .degrade_at_ms = START + 3600000,
                       .bad_ratio = bad,
                       .jitter_ms = 500};
    return p;
}

START_TEST(test_every_event_is_valid_and_keyed_by_agent) {
    cp_sim_params p = params(0);
    cp_sim *s = cp_sim_new(&p);
    cp_decode_limits lim = {65536, 300000};
    char key[32], value[2048], detail[256];
    size_t len;
    cp_event ev;
    int types[CP_EV_TYPE_COUNT] = {0}, rfc = 0;
    for (int i = 0; i < 20000; i++) {
        int64_t t = cp_sim_next(s, key, sizeof(key), value, sizeof(value), &len);
        cp_reject r = cp_event_decode(value, len, INT64_MAX / 2, &lim, &ev, detail, sizeof(detail));
        ck_assert_msg(r == CP_OK, "%.*s: %s", (int)len, value, detail);
        ck_assert_str_eq(key, ev.agent_id);
        ck_assert_int_eq(ev.ts_ms, t);
        ck_assert(ev.team_id[0] != '\0');
        types[ev.type]++;
        rfc += memchr(value, 'T', len) != NULL && strstr(value, "\"ts\":\"") != NULL;
    }
    for (int t = 0; t < CP_EV_TYPE_COUNT; t++)
        ck_assert_msg(types[t] > 0, "no %s events", cp_event_type_name((cp_event_type)t));
    ck_assert_int_gt(rfc, 5000); /* both timestamp formats */
    ck_assert_int_lt(rfc, 15000);
    cp_sim_free(s);
}
END_TEST

START_TEST(test_deterministic) {
    cp_sim_params p = params(0.05);
    cp_sim *a = cp_sim_new(&p), *b = cp_sim_new(&p);
    char ka[32], kb[32], va[2048], vb[2048];
    size_t la, lb;
    for (int i = 0; i < 5000; i++) {
        ck_assert_int_eq(cp_sim_next(a, ka, sizeof(ka), va, sizeof(va), &la),
                         cp_sim_next(b, kb, sizeof(kb), vb, sizeof(vb), &lb));
        ck_assert_uint_eq(la, lb);
        ck_assert(memcmp(va, vb, la) == 0);
    }
    cp_sim_free(a);
    cp_sim_free(b);
}
END_TEST

START_TEST(test_bad_ratio) {
    cp_sim_params p = params(0.1);
    cp_sim *s = cp_sim_new(&p);
    cp_decode_limits lim = {65536, 300000};
    char key[32], value[2048], detail[256];
    size_t len;
    cp_event ev;
    int bad = 0;
    for (int i = 0; i < 10000; i++) {
        cp_sim_next(s, key, sizeof(key), value, sizeof(value), &len);
        bad +=
            cp_event_decode(value, len, INT64_MAX / 2, &lim, &ev, detail, sizeof(detail)) != CP_OK;
    }
    ck_assert_int_gt(bad, 800);
    ck_assert_int_lt(bad, 1200);
    cp_sim_free(s);
}
END_TEST

/* Struggling agents (a0001, a0002) end up with longer calls than the rest
 * after they degrade. */
START_TEST(test_struggling_agents_degrade) {
    cp_sim_params p = params(0);
    cp_sim *s = cp_sim_new(&p);
    cp_decode_limits lim = {65536, 300000};
    char key[32], value[2048], detail[256];
    size_t len;
    cp_event ev;
    double talk[2] = {0, 0};
    int calls[2] = {0, 0};
    for (int i = 0; i < 60000; i++) {
        int64_t t = cp_sim_next(s, key, sizeof(key), value, sizeof(value), &len);
        if (t < p.degrade_at_ms + 600000)
            continue;
        ck_assert_int_eq(
            cp_event_decode(value, len, INT64_MAX / 2, &lim, &ev, detail, sizeof(detail)), CP_OK);
        if (ev.type != CP_EV_CALL_ENDED)
            continue;
        int g = strcmp(ev.agent_id, "a0003") < 0 ? 0 : 1;
        talk[g] += (double)ev.talk_ms;
        calls[g]++;
    }
    ck_assert_int_gt(calls[0], 10);
    ck_assert_msg(talk[0] / calls[0] > 1.5 * talk[1] / calls[1], "struggling %.0f vs %.0f",
                  talk[0] / calls[0], talk[1] / calls[1]);
    cp_sim_free(s);
}
END_TEST

Suite *simmodel_suite(void) {
    Suite *s = suite_create("simmodel");
    TCase *tc = tcase_create("simmodel");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_every_event_is_valid_and_keyed_by_agent);
    tcase_add_test(tc, test_deterministic);
    tcase_add_test(tc, test_bad_ratio);
    tcase_add_test(tc, test_struggling_agents_degrade);
    suite_add_tcase(s, tc);
    return s;
}
