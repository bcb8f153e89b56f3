/* test_kindstate.c -- a rule kind's own state per agent (kindstate.h;
 * issue 11 "a rule kind is one file"), with a kind that exists only in the
 * tests, defined here (testkind.h): made with its init on first use and
 * found again, its text round trip through its table, marked changed and
 * forgotten by a clean, freed with the rule state. How the rules' events
 * reach it is test_rules.c's; its field in P st:{A}, test_agentlayout.c's. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kindstate.h"
#include "suites.h"
#include "testkind.h"

/* ---- the test kind ---------------------------------------------------------- */

static void tally_init(void *state) {
    ((test_tally *)state)->last_ts = -1;
}

/* Counts agent_state events; any other leaves it unchanged. */
static int tally_observe(void *state, const cp_event *ev) {
    test_tally *t = state;
    if (ev->type != CP_EV_AGENT_STATE)
        return 0;
    t->seen++;
    t->last_ts = ev->ts_ms;
    return 1;
}

static int tally_encode(const void *state, char *buf, size_t size) {
    const test_tally *t = state;
    return snprintf(buf, size, "%" PRId64 ",%" PRId64, t->seen, t->last_ts);
}

static int tally_decode(const char *text, size_t len, void *state) {
    char buf[64], tail;
    long long seen, last;
    if (len >= sizeof(buf))
        return -1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (sscanf(buf, "%lld,%lld%c", &seen, &last, &tail) != 2 || seen < 0)
        return -1;
    *(test_tally *)state = (test_tally){seen, last};
    return 0;
}

static const cp_kind_state_ops tally_state = {
    .size = sizeof(test_tally),
    .init = tally_init,
    .observe = tally_observe,
    .encode = tally_encode,
    .decode = tally_decode,
};

static void tally_parse(cp_rule_reader *rd, cp_rule *r) {
    (void)rd;
    (void)r;
}

static int tally_on_event(cp_rule_ctx *c, int r, int64_t T, const cp_sums *win,
                          const cp_event *ev) {
    (void)c, (void)r, (void)T, (void)win, (void)ev;
    return 0;
}

static void tally_message(const cp_message_ctx *c, const cp_emit *m, char *buf, size_t size) {
    (void)c, (void)m;
    snprintf(buf, size, "-");
}

const cp_rule_kind_ops test_kind_tally = {
    .name = "test_tally",
    .families = CP_FAMILY_ALERTS,
    .parse = tally_parse,
    .on_event = tally_on_event,
    .message = tally_message,
    .state = &tally_state,
};

/* ---- tests ------------------------------------------------------------------ */

/* Made on first use with its init, found again; its text round-trips
 * through the table, and what the table did not write is malformed. */
START_TEST(test_state_through_the_table) {
    const cp_kind_state_ops *ops = test_kind_tally.state;
    cp_agent_rules ar;
    char text[CP_KIND_STATE_TEXT_MAX];
    ck_assert_int_eq(cp_agent_rules_init(&ar, 3), 0);
    ck_assert_ptr_null(cp_kind_state_find(&ar, &test_kind_tally));
    test_tally *t = cp_kind_state(&ar, &test_kind_tally);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->seen, 0);
    ck_assert_int_eq(t->last_ts, -1); /* init ran */
    ck_assert_ptr_eq(cp_kind_state(&ar, &test_kind_tally), t);
    ck_assert_ptr_eq(cp_kind_state_find(&ar, &test_kind_tally), t);
    ck_assert_uint_eq(ar.nkinds, 1);
    ck_assert_uint_eq(ar.kinds_dirty, 0); /* made is not changed */

    *t = (test_tally){7, 1795392000000LL};
    int n = ops->encode(t, text, sizeof(text));
    ck_assert_str_eq(text, "7,1795392000000");
    ck_assert_int_eq(n, (int)strlen(text));
    test_tally back = {0, 0};
    ck_assert_int_eq(ops->decode(text, (size_t)n, &back), 0);
    ck_assert(memcmp(&back, t, sizeof(back)) == 0);
    const char *bad[] = {"", "7", "7,", "x,1", "7,1x", "-1,5", "7,1,2"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(ops->decode(bad[i], strlen(bad[i]), &back) == -1, "\"%s\"", bad[i]);

    cp_kind_state_changed(&ar, &test_kind_tally);
    ck_assert_uint_eq(ar.kinds_dirty, 1);
    cp_agent_rules_clean(&ar);
    ck_assert_uint_eq(ar.kinds_dirty, 0);
    cp_agent_rules_free(&ar); /* frees the state (ASan) */
    ck_assert_ptr_null(ar.kinds);
}
END_TEST

Suite *kindstate_suite(void) {
    Suite *s = suite_create("kindstate");
    TCase *tc = tcase_create("kindstate");
    tcase_add_test(tc, test_state_through_the_table);
    suite_add_tcase(s, tc);
    return s;
}
