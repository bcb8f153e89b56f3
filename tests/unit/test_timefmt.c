/* test_timefmt.c -- RFC 3339 and calendar arithmetic. */
#include <check.h>
#include <string.h>

#include "suites.h"
#include "timefmt.h"

static const struct {
    const char *text;
    long long ms;
} rfc_cases[] = {
    {"1970-01-01T00:00:00Z", 0},
    {"1970-01-01T00:00:00.001Z", 1},
    {"2000-02-29T12:00:00Z", 951825600000LL},
    {"2026-11-23T09:00:00+08:00", 1795395600000LL},
    {"2026-11-22T20:00:00-05:00", 1795395600000LL},
    {"2026-11-23 01:00:00Z", 1795395600000LL},
    {"2026-11-23T01:00:00.5Z", 1795395600500LL},
    {"2026-11-23T01:00:00.123456789Z", 1795395600123LL},
    {"2026-11-23T06:30:00+05:30", 1795395600000LL},
    {"9999-12-31T23:59:59.999Z", 253402300799999LL},
};

START_TEST(test_rfc3339_parse) {
    int64_t ms;
    char err[128];
    const char *t = rfc_cases[_i].text;
    ck_assert_msg(cp_rfc3339_parse(t, strlen(t), &ms, err, sizeof(err)) == 0, "%s: %s", t, err);
    ck_assert_int_eq(ms, rfc_cases[_i].ms);
}
END_TEST

static const char *rfc_bad[] = {
    "",
    "2026-11-23",
    "2026-11-23T01:00Z",
    "2026-11-23T01:00:00",
    "2026-11-23T01:00:00.Z",
    "2026-11-23T01:00:00+0800",
    "2026-11-23T01:00:00+08",
    "2026-00-10T00:00:00Z",
    "2026-04-31T00:00:00Z",
    "2026-11-23T01:60:00Z",
    "2026-11-23T01:00:61Z",
    "2026-11-23X01:00:00Z",
    "26-11-23T01:00:00Z",
    "2026-11-23T01:00:00Z ",
    "+2026-11-23T01:00:00Z",
};

START_TEST(test_rfc3339_reject) {
    int64_t ms;
    char err[128] = "";
    const char *t = rfc_bad[_i];
    ck_assert_msg(cp_rfc3339_parse(t, strlen(t), &ms, err, sizeof(err)) == -1, "accepted %s", t);
    ck_assert(err[0] != '\0');
}
END_TEST

START_TEST(test_format_roundtrip) {
    long long samples[] = {0, 1, 951825600000LL, 1795395600123LL, 253402300799999LL};
    char buf[32];
    int64_t back;
    char err[64];
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        cp_rfc3339_format(samples[i], buf, sizeof(buf));
        ck_assert_int_eq(cp_rfc3339_parse(buf, strlen(buf), &back, err, sizeof(err)), 0);
        ck_assert_int_eq(back, samples[i]);
    }
    cp_rfc3339_format(1795395600123LL, buf, sizeof(buf));
    ck_assert_str_eq(buf, "2026-11-23T01:00:00.123Z");
}
END_TEST

START_TEST(test_civil_roundtrip) {
    for (int64_t d = -800000; d < 3000000; d += 997) {
        int64_t y;
        int m, dd;
        cp_civil_from_days(d, &y, &m, &dd);
        ck_assert_int_eq(cp_days_from_civil(y, m, dd), d);
    }
}
END_TEST

/* Day boundaries at a non-zero offset: 2026-11-23T16:00:00Z is already
 * 2026-11-24 at +08:00 and still 2026-11-23 at UTC and at -05:00. */
START_TEST(test_day_at_offset) {
    char buf[16];
    int64_t t = 1795449600000LL; /* 2026-11-23T16:00:00Z */
    cp_day_string(t, 480, buf, sizeof(buf));
    ck_assert_str_eq(buf, "2026-11-24");
    cp_day_string(t - 1, 480, buf, sizeof(buf));
    ck_assert_str_eq(buf, "2026-11-23");
    cp_day_string(t, 0, buf, sizeof(buf));
    ck_assert_str_eq(buf, "2026-11-23");
    cp_day_string(t, -300, buf, sizeof(buf));
    ck_assert_str_eq(buf, "2026-11-23");
    ck_assert_int_eq(cp_day_start_ms(cp_day_number(t, 480), 480), t);
    ck_assert_int_eq(cp_day_number(-1, 0), -1);
}
END_TEST

START_TEST(test_floor_div) {
    ck_assert_int_eq(cp_floor_div(7, 2), 3);
    ck_assert_int_eq(cp_floor_div(-7, 2), -4);
    ck_assert_int_eq(cp_floor_div(-8, 2), -4);
    ck_assert_int_eq(cp_floor_div(0, 60000), 0);
    ck_assert_int_eq(cp_floor_div(-1, 60000), -1);
}
END_TEST

Suite *timefmt_suite(void) {
    Suite *s = suite_create("timefmt");
    TCase *tc = tcase_create("time");
    tcase_add_loop_test(tc, test_rfc3339_parse, 0, (int)(sizeof(rfc_cases) / sizeof(rfc_cases[0])));
    tcase_add_loop_test(tc, test_rfc3339_reject, 0, (int)(sizeof(rfc_bad) / sizeof(rfc_bad[0])));
    tcase_add_test(tc, test_format_roundtrip);
    tcase_add_test(tc, test_civil_roundtrip);
    tcase_add_test(tc, test_day_at_offset);
    tcase_add_test(tc, test_floor_div);
    suite_add_tcase(s, tc);
    return s;
}
