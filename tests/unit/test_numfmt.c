/* test_numfmt.c -- numbers as text without printf (numfmt.h): byte for
 * byte printf's text over many values (negatives, zero, huge, ties and
 * near ties, the ratios and averages KPI hashes hold), and thousandths
 * with their sign once. */
#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "kpi.h"
#include "numfmt.h"
#include "sentence.h"
#include "suites.h"
#include "testrng.h"

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static uint64_t rng(void) {
    return test_rng(&rng_state);
}

static int64_t between(int64_t lo, int64_t hi) {
    return test_between(&rng_state, lo, hi);
}

/* cp_fmt_fixed(v, d) is snprintf's "%.*f", and says its length. */
static void same_fixed(double v, int d) {
    char got[CP_NUM_TEXT_MAX], want[CP_NUM_TEXT_MAX];
    size_t n = cp_fmt_fixed(v, d, got);
    snprintf(want, sizeof(want), "%.*f", d, v);
    ck_assert_msg(strcmp(got, want) == 0, "%.17g to %d places: [%s], printf [%s]", v, d, got, want);
    ck_assert_uint_eq(n, strlen(got));
}

static void same_fixed_all(double v) {
    for (int d = 0; d <= 9; d++) {
        same_fixed(v, d);
        same_fixed(-v, d);
    }
}

START_TEST(test_fixed_special) {
    static const double v[] = {0,
                               1,
                               0.5,
                               1.5,
                               2.5,
                               0.125,
                               0.375,
                               2.675,
                               1.005,
                               0.0000005,
                               1e-7,
                               0.9999995,
                               99.995,
                               89.995,
                               89.996,
                               1e15,
                               1e17,
                               1e22,
                               123456789.123456789,
                               0x1p50,
                               0x1p50 - 1,
                               0x1p53,
                               4503599627370495.5,
                               5e-324,
                               1e300};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        same_fixed_all(v[i]);
    same_fixed_all(NAN);
    same_fixed_all(INFINITY);
}
END_TEST

/* Ties and near ties at every place: k + 0.5 units, one ulp either side. */
START_TEST(test_fixed_ties) {
    for (int d = 0; d <= 9; d++)
        for (int i = 0; i < 3000; i++) {
            double t = ((double)between(0, 2000000) + 0.5) / pow(10, d);
            same_fixed(t, d);
            same_fixed(nextafter(t, 0), d);
            same_fixed(nextafter(t, INFINITY), d);
            same_fixed(-t, d);
        }
}
END_TEST

/* The values KPI hashes hold: sums over sums, /1000 for thousandths, to 6
 * and 4 places, and scores rounded to 0.01 written to 2 (and 1). */
START_TEST(test_fixed_kpi_values) {
    for (int i = 0; i < 200000; i++) {
        int64_t num = between(0, i % 2 ? 1000 : 100000000000LL);
        int64_t den = between(1, i % 3 ? 50 : 10000000);
        double ratio = (double)num / (double)den, avg = ratio / 1000;
        same_fixed(ratio, 6);
        same_fixed(ratio, 4);
        same_fixed(avg, 4);
        same_fixed(avg, 6);
        double score = round(100 * ((double)between(0, 10000000) / 100000.0) * 100) / 100 / 100;
        same_fixed(score, 2);
        same_fixed(score, 1);
        same_fixed(-ratio, 6);
    }
}
END_TEST

START_TEST(test_fixed_random_bits) {
    for (int i = 0; i < 200000; i++) {
        uint64_t bits = rng();
        double v;
        memcpy(&v, &bits, sizeof(v));
        same_fixed(v, (int)(rng() % 10));
        same_fixed(ldexp((double)(rng() >> 11), (int)between(-80, 10)), (int)(rng() % 10));
    }
}
END_TEST

START_TEST(test_i64) {
    static const int64_t v[] = {0, 1, -1, 9, 10, -10, 999, INT64_MAX, INT64_MIN, INT64_MIN + 1};
    char got[CP_NUM_TEXT_MAX], want[CP_NUM_TEXT_MAX];
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]) + 100000; i++) {
        int64_t x = i < sizeof(v) / sizeof(v[0]) ? v[i] : (int64_t)rng() >> (rng() % 64);
        size_t n = cp_fmt_i64(x, got);
        snprintf(want, sizeof(want), "%" PRId64, x);
        ck_assert_str_eq(got, want);
        ck_assert_uint_eq(n, strlen(want));
    }
}
END_TEST

/* Thousandths: printf's "%lld.%03d" of the parts for values >= 0, and the
 * sign once before the magnitude's text for negative ones. */
START_TEST(test_milli) {
    static const struct {
        int64_t x;
        const char *want;
    } cases[] = {{0, "0.000"},
                 {7, "0.007"},
                 {1500, "1.500"},
                 {600500, "600.500"},
                 {-1500, "-1.500"},
                 {-500, "-0.500"},
                 {-7, "-0.007"},
                 {-2000, "-2.000"},
                 {INT64_MAX, "9223372036854775.807"},
                 {INT64_MIN, "-9223372036854775.808"}};
    char got[CP_NUM_TEXT_MAX], want[CP_NUM_TEXT_MAX];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_uint_eq(cp_fmt_milli(cases[i].x, got), strlen(cases[i].want));
        ck_assert_str_eq(got, cases[i].want);
    }
    for (int i = 0; i < 200000; i++) {
        int64_t x = i % 2 ? between(0, 100000000) : (int64_t)(rng() >> 1);
        snprintf(want, sizeof(want), "%" PRId64 ".%03d", x / 1000, (int)(x % 1000));
        cp_fmt_milli(x, got);
        ck_assert_str_eq(got, want);
        cp_fmt_milli(-x, got);
        ck_assert_msg(x == 0 ? strcmp(got, "0.000") == 0 : got[0] == '-' && !strcmp(got + 1, want),
                      "%" PRId64 ": [%s]", -x, got);
    }
}
END_TEST

/* Message values (sentence.h) are printf's text of before: "%.0f s",
 * "%.1f%%" of the ratio, "%.2f", "%.0f". */
START_TEST(test_sentence_values) {
    char got[64], want[64];
    for (int i = 0; i < 100000; i++) {
        double v = (double)between(-1000000, 1000000) / (double)between(1, 2000);
        cp_sentence_value(CP_M_AHT_S, v, got, sizeof(got));
        snprintf(want, sizeof(want), "%.0f s", v);
        ck_assert_str_eq(got, want);
        cp_sentence_value(CP_M_ANSWER_RATE, v, got, sizeof(got));
        snprintf(want, sizeof(want), "%.1f%%", v * 100);
        ck_assert_str_eq(got, want);
        cp_sentence_value(CP_M_QA_AVG, v, got, sizeof(got));
        snprintf(want, sizeof(want), "%.2f", v);
        ck_assert_str_eq(got, want);
        cp_sentence_value(CP_M_HANDLED, v, got, sizeof(got));
        snprintf(want, sizeof(want), "%.0f", v);
        ck_assert_str_eq(got, want);
    }
}
END_TEST

Suite *numfmt_suite(void) {
    Suite *s = suite_create("numfmt");
    TCase *tc = tcase_create("numfmt");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_fixed_special);
    tcase_add_test(tc, test_fixed_ties);
    tcase_add_test(tc, test_fixed_kpi_values);
    tcase_add_test(tc, test_fixed_random_bits);
    tcase_add_test(tc, test_i64);
    tcase_add_test(tc, test_milli);
    tcase_add_test(tc, test_sentence_values);
    suite_add_tcase(s, tc);
    return s;
}
