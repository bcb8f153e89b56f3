/* test_floorgen.c -- the floor profile's stream (floorgen.h) is valid
 * contract input, has every event type, the promised share of duplicates
 * and a bounded disorder, covers whole shifts, and is deterministic. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decoder.h"
#include "floorgen.h"

#define START        1795300000000LL
#define AGENTS       120
#define DUP_DELAY_MS 60000 /* a second copy leaves at most this after the first */

static bench_floor *floor_of(double hours) {
    bench_floor_params p = {.agents = AGENTS, .seed = 5, .start_ms = START, .hours = hours};
    bench_floor *f = bench_floor_new(&p);
    ck_assert_ptr_nonnull(f);
    return f;
}

static int cmp_id(const void *a, const void *b) {
    return strcmp(a, b);
}

START_TEST(test_valid_and_every_type) {
    bench_floor *f = floor_of(12);
    cp_decode_limits lim = {65536, 300000};
    char key[32], value[2048], detail[256];
    size_t len;
    int64_t ts;
    cp_event ev;
    long types[CP_EV_TYPE_COUNT] = {0}, states[CP_STATE_COUNT] = {0}, rfc = 0, n = 0;
    while (bench_floor_next(f, key, sizeof(key), value, sizeof(value), &len, &ts)) {
        value[len] = '\0'; /* for strstr */
        cp_reject r = cp_event_decode(value, len, INT64_MAX / 2, &lim, &ev, detail, sizeof(detail));
        ck_assert_msg(r == CP_OK, "%.*s: %s", (int)len, value, detail);
        ck_assert_str_eq(key, ev.agent_id);
        ck_assert_int_eq(ev.ts_ms, ts);
        ck_assert(ev.team_id[0] != '\0');
        ck_assert(ts >= START && ts < START + 12 * 3600000LL);
        types[ev.type]++;
        if (ev.type == CP_EV_AGENT_STATE)
            states[ev.state]++;
        rfc += strstr(value, "\"ts\":\"") != NULL;
        n++;
    }
    for (int t = 0; t < CP_EV_TYPE_COUNT; t++)
        ck_assert_msg(types[t] > 0, "no %s events", cp_event_type_name((cp_event_type)t));
    for (int s = 0; s < CP_STATE_COUNT; s++)
        ck_assert_msg(states[s] > 0, "no %s states", cp_agent_state_name((cp_agent_state)s));
    ck_assert_int_gt(rfc, n / 5); /* both timestamp formats */
    ck_assert_int_lt(rfc, n / 2);
    /* a whole shift: about 485 messages per agent (bench_kpi's README figures) */
    ck_assert_int_gt(n, AGENTS * 400);
    ck_assert_int_lt(n, AGENTS * 600);
    bench_floor_free(f);
}
END_TEST

/* Every agent's earliest event logs it on; nearly all log off, once. */
START_TEST(test_whole_shifts) {
    bench_floor *f = floor_of(12);
    char key[32], value[2048];
    size_t len;
    int64_t ts;
    int on[AGENTS + 1] = {0}, off[AGENTS + 1] = {0}, after_off = 0;
    int64_t earliest[AGENTS + 1];
    int first_available[AGENTS + 1] = {0};
    for (int a = 0; a <= AGENTS; a++)
        earliest[a] = INT64_MAX;
    while (bench_floor_next(f, key, sizeof(key), value, sizeof(value), &len, &ts)) {
        value[len] = '\0'; /* for strstr */
        int a = atoi(key + 1);
        ck_assert(a >= 1 && a <= AGENTS);
        if (ts < earliest[a]) {
            earliest[a] = ts;
            first_available[a] = strstr(value, "\"state\":\"available\"") != NULL;
        }
        on[a]++;
        after_off += off[a] > 0 && !strstr(value, "\"type\":\"survey\"") &&
                     !strstr(value, "\"type\":\"qa_scored\"") && !strstr(value, "offline");
        off[a] += strstr(value, "\"state\":\"offline\"") != NULL;
    }
    int logged_off = 0;
    for (int a = 1; a <= AGENTS; a++) {
        ck_assert_int_gt(on[a], 100);
        ck_assert_msg(first_available[a], "a%04d's earliest event is not its log-on", a);
        ck_assert_int_le(off[a], 2); /* 2: a duplicate */
        logged_off += off[a] > 0;
    }
    ck_assert_int_ge(logged_off, AGENTS * 95 / 100); /* a call may run past closing */
    ck_assert_int_le(after_off, AGENTS / 20);        /* late arrivals of the last minutes */
    bench_floor_free(f);
}
END_TEST

/* 1..3 % second copies, each an earlier event_id; arrival order behind ts
 * by at most disorder_ms (+ the copy's delay), and some behind. */
START_TEST(test_duplicates_and_disorder) {
    bench_floor *f = floor_of(4);
    char key[32], value[2048];
    size_t len;
    int64_t ts, latest = 0, worst = 0;
    long n = 0, cap = 200000, behind = 0;
    char(*ids)[48] = calloc((size_t)cap, 48);
    while (bench_floor_next(f, key, sizeof(key), value, sizeof(value), &len, &ts)) {
        value[len] = '\0'; /* for strstr */
        ck_assert_int_lt(n, cap);
        const char *id = strstr(value, "\"event_id\":\"") + 12;
        snprintf(ids[n++], 48, "%.*s", (int)(strchr(id, '"') - id), id);
        if (n > 1 && latest - ts > worst)
            worst = latest - ts;
        behind += ts < latest;
        latest = ts > latest ? ts : latest;
    }
    bench_floor_counts c;
    bench_floor_counts_get(f, &c);
    ck_assert_int_eq(c.events, n);
    qsort(ids, (size_t)n, 48, cmp_id);
    long dups = 0;
    for (long i = 1; i < n; i++)
        dups += !strcmp(ids[i], ids[i - 1]);
    ck_assert_int_eq(dups, c.duplicates);
    ck_assert_int_gt(dups * 100, n);
    ck_assert_int_lt(dups * 100, n * 3);
    ck_assert_int_le(worst, 120000 + DUP_DELAY_MS);
    ck_assert_int_gt(worst, 10000);
    ck_assert_int_gt(behind, n / 50);
    ck_assert_int_gt(c.out_of_order, 0);
    free(ids);
    bench_floor_free(f);
}
END_TEST

START_TEST(test_deterministic) {
    bench_floor *a = floor_of(2), *b = floor_of(2);
    char ka[32], kb[32], va[2048], vb[2048];
    size_t la, lb;
    int64_t ta, tb;
    int ra, rb;
    do {
        ra = bench_floor_next(a, ka, sizeof(ka), va, sizeof(va), &la, &ta);
        rb = bench_floor_next(b, kb, sizeof(kb), vb, sizeof(vb), &lb, &tb);
        ck_assert_int_eq(ra, rb);
        ck_assert_int_eq(ta, tb);
        ck_assert_uint_eq(la, lb);
        ck_assert(memcmp(va, vb, la) == 0);
    } while (ra);
    bench_floor_free(a);
    bench_floor_free(b);
}
END_TEST

int main(void) {
    Suite *s = suite_create("floorgen");
    TCase *tc = tcase_create("floorgen");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_valid_and_every_type);
    tcase_add_test(tc, test_whole_shifts);
    tcase_add_test(tc, test_duplicates_and_disorder);
    tcase_add_test(tc, test_deterministic);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
