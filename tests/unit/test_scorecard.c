/* test_scorecard.c -- the score: every part, missing KPIs and the
 * redistribution of their weight, bounds, min_calls, tiers, config. */
#include <check.h>
#include <math.h>
#include <string.h>

#include "config.h"
#include "scorecard.h"
#include "suites.h"

/* Sums with `handled` calls: answer rate a/(a+m), aht in s, fcr r/handled,
 * csat average (0: none), qa average (-1: none). */
static cp_sums sums(int handled, int a, int m, double aht_s, int r, double csat, double qa) {
    cp_sums s;
    memset(&s, 0, sizeof(s));
    s.v[CP_S_HANDLED] = handled;
    s.v[CP_S_ANSWERED] = a;
    s.v[CP_S_MISSED] = m;
    s.v[CP_S_TALK_MS] = (int64_t)(aht_s * 1000) * handled;
    s.v[CP_S_RESOLVED] = r;
    if (csat > 0) {
        s.v[CP_S_CSAT_SUM] = (int64_t)(csat * 2);
        s.v[CP_S_CSAT_COUNT] = 2;
    }
    if (qa >= 0) {
        s.v[CP_S_QA_SUM] = (int64_t)(qa * 1000);
        s.v[CP_S_QA_COUNT] = 1;
    }
    return s;
}

static const struct {
    const char *name;
    cp_sums s;
    int has;
    double want;
} cases[] = {
    {"every part at its target", {{0}}, 1, 100},
    {"every part at half", {{0}}, 1, 50},
    {"no csat or qa: their 40 go to the others", {{0}}, 1, 100.0 * 50 / 60},
    {"two calls are fewer than min_calls", {{0}}, 0, 0},
    {"aht 0 counts as full marks, above-target rates are capped", {{0}}, 1, 100},
    {"no answered or missed: answer rate's weight goes too", {{0}}, 1, 100.0 * (20 + 20) / 40},
    {"csat 1 and qa 0 are zero parts", {{0}}, 1, 100.0 * 60 / 100},
};

static cp_sums case_sums(int i) {
    switch (i) {
    case 0:
        return sums(4, 9, 1, 360, 3, 5, 100);
    case 1:
        return sums(8, 9, 11, 720, 3, 3, 50);
    case 2:
        return sums(4, 9, 1, 720, 3, 0, -1);
    case 3:
        return sums(2, 9, 1, 100, 2, 5, 100);
    case 4:
        return sums(3, 10, 0, 0, 3, 0, -1);
    case 5:
        return sums(3, 0, 0, 360, 3, 0, -1);
    default:
        return sums(4, 9, 1, 360, 3, 1, 0);
    }
}

START_TEST(test_scores) {
    cp_scorecard sc;
    double score = -1;
    cp_scorecard_defaults(&sc);
    cp_sums s = case_sums(_i);
    int rc = cp_score(&sc, &s, &score);
    ck_assert_msg((rc == 0) == cases[_i].has, "%s: rc %d", cases[_i].name, rc);
    if (cases[_i].has)
        ck_assert_msg(fabs(score - round(cases[_i].want * 100) / 100) < 1e-9, "%s: %f, want %f",
                      cases[_i].name, score, cases[_i].want);
}
END_TEST

START_TEST(test_tiers) {
    cp_scorecard sc;
    cp_scorecard_defaults(&sc);
    ck_assert_int_eq(cp_tier_of(&sc, 100), CP_TIER_EXCELLENT);
    ck_assert_int_eq(cp_tier_of(&sc, 90), CP_TIER_EXCELLENT);
    ck_assert_int_eq(cp_tier_of(&sc, 89.999), CP_TIER_GOOD);
    ck_assert_int_eq(cp_tier_of(&sc, 75), CP_TIER_GOOD);
    ck_assert_int_eq(cp_tier_of(&sc, 60), CP_TIER_QUALIFIED);
    ck_assert_int_eq(cp_tier_of(&sc, 59.99), CP_TIER_NEEDS_IMPROVEMENT);
    ck_assert_str_eq(cp_tier_name(CP_TIER_NEEDS_IMPROVEMENT), "needs_improvement");
}
END_TEST

START_TEST(test_config) {
    cp_config c;
    char err[CP_ERRBUF];
    double score;
    cp_config_defaults(&c);
    ck_assert_int_eq(cp_config_load_string(&c,
                                           "{\"scorecard\":{\"aht_s\":{\"weight\":0},"
                                           "\"answer_rate\":{\"target\":0.5}},"
                                           "\"tiers\":{\"excellent\":95},"
                                           "\"leaderboard\":{\"min_calls\":1}}",
                                           err, sizeof(err)),
                     0);
    ck_assert_int_eq(c.scorecard.min_calls, 1);
    ck_assert_int_eq(cp_tier_of(&c.scorecard, 94), CP_TIER_GOOD);
    /* aht no longer counts; answer rate 0.5 is full marks now */
    cp_sums s = sums(1, 1, 1, 9999, 1, 0, -1);
    ck_assert_int_eq(cp_score(&c.scorecard, &s, &score), 0);
    ck_assert(fabs(score - 100 * (20 * 1.0 + 20 * (1.0 / 0.75 > 1 ? 1 : 1.0 / 0.75)) / 40) < 1e-9);
    cp_config_free(&c);

    const char *bad[][2] = {
        {"{\"scorecard\":{\"speed\":{\"weight\":1}}}", "scorecard.speed"},
        {"{\"scorecard\":{\"csat_avg\":{\"target\":4}}}", "scorecard.csat_avg.target"},
        {"{\"scorecard\":{\"qa_avg\":{\"weight\":-1}}}", "scorecard.qa_avg.weight"},
        {"{\"tiers\":{\"good\":95}}", "tiers: expected excellent >= good"},
        {"{\"leaderboard\":{\"top_n\":0}}", "leaderboard.top_n"}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cp_config_defaults(&c);
        ck_assert_int_eq(cp_config_load_string(&c, bad[i][0], err, sizeof(err)), -1);
        ck_assert_msg(strstr(err, bad[i][1]) != NULL, "'%s' lacks '%s'", err, bad[i][1]);
        cp_config_free(&c);
    }
}
END_TEST

Suite *scorecard_suite(void) {
    Suite *s = suite_create("scorecard");
    TCase *tc = tcase_create("scorecard");
    tcase_add_loop_test(tc, test_scores, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, test_tiers);
    tcase_add_test(tc, test_config);
    suite_add_tcase(s, tc);
    return s;
}
