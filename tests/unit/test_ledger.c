/* test_ledger.c -- the day fields of the points ledger (ledger.h): which
 * days a write keeps and deletes, at month, year and leap-day boundaries;
 * the field names; and an agent loaded with 400 old day fields, whose next
 * reward leaves at most rewards.ledger_days of them. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "agentlayout.h"
#include "ledger.h"
#include "suites.h"
#include "timefmt.h"

/* The day number of a date. */
static int64_t D(int y, int m, int d) {
    return cp_days_from_civil(y, m, d);
}

static const char *field(int64_t day) {
    static char buf[CP_LEDGER_FIELD_SIZE];
    cp_ledger_field(day, buf, sizeof(buf));
    return buf;
}

START_TEST(test_field_names) {
    char buf[CP_LEDGER_FIELD_SIZE];
    ck_assert_uint_eq(cp_ledger_field(D(2026, 11, 23), buf, sizeof(buf)), 14);
    ck_assert_str_eq(buf, "day:2026-11-23");
    ck_assert_str_eq(field(0), "day:1970-01-01");
    ck_assert_str_eq(field(D(2024, 2, 29)), "day:2024-02-29");
    ck_assert_str_eq(field(D(2024, 2, 29) + 1), "day:2024-03-01");
    ck_assert_str_eq(field(D(2026, 12, 31) + 1), "day:2027-01-01");
    ck_assert_str_eq(field(D(2000, 2, 28) + 1), "day:2000-02-29"); /* 2000 is a leap year */
    ck_assert_str_eq(field(D(2100, 2, 28) + 1), "day:2100-03-01"); /* 2100 is not */
    ck_assert_str_eq(field(CP_TS_MAX_MS / 86400000), "day:9999-12-31");
}
END_TEST

typedef struct parse_case {
    const char *field;
    int ok;
    int y, m, d;
} parse_case;

static const parse_case parse_cases[] = {
    {"day:2026-11-23", 1, 2026, 11, 23},
    {"day:1970-01-01", 1, 1970, 1, 1},
    {"day:2024-02-29", 1, 2024, 2, 29},
    {"day:9999-12-31", 1, 9999, 12, 31},
    {"day:2025-02-29", 0, 0, 0, 0}, /* not a leap year */
    {"day:2026-02-30", 0, 0, 0, 0},
    {"day:2026-04-31", 0, 0, 0, 0},
    {"day:2026-13-01", 0, 0, 0, 0},
    {"day:2026-00-10", 0, 0, 0, 0},
    {"day:2026-01-00", 0, 0, 0, 0},
    {"day:2026-01-32", 0, 0, 0, 0},
    {"day:1969-12-31", 0, 0, 0, 0}, /* before any ts */
    {"day:0000-01-01", 0, 0, 0, 0},
    {"day:2026-1-01 ", 0, 0, 0, 0},
    {"day:+026-01-01", 0, 0, 0, 0},
    {"day:2026/01/01", 0, 0, 0, 0},
    {"Day:2026-01-01", 0, 0, 0, 0},
    {"day:2026-01-011", 0, 0, 0, 0},
    {"day:2026-01-1", 0, 0, 0, 0},
    {"total", 0, 0, 0, 0},
    {"", 0, 0, 0, 0},
};

START_TEST(test_parse_field) {
    const parse_case *c = &parse_cases[_i];
    int64_t day = -7;
    int rc = cp_ledger_parse_field(c->field, strlen(c->field), &day);
    ck_assert_msg((rc == 0) == c->ok, "%s: got %d", c->field, rc);
    if (c->ok)
        ck_assert_int_eq(day, D(c->y, c->m, c->d));
    else
        ck_assert_int_eq(day, -7); /* untouched */
}
END_TEST

START_TEST(test_keep_from) {
    ck_assert_int_eq(cp_ledger_keep_from(D(2026, 11, 23), 35), D(2026, 10, 20));
    ck_assert_int_eq(cp_ledger_keep_from(D(2026, 11, 23), 2), D(2026, 11, 22));
    ck_assert_int_eq(cp_ledger_keep_from(D(2026, 11, 23), 1), D(2026, 11, 23));
    ck_assert_int_eq(cp_ledger_keep_from(D(2026, 11, 23), 0), CP_LEDGER_KEEP_ALL);
    ck_assert_int_eq(cp_ledger_keep_from(INT64_MIN, 35), CP_LEDGER_KEEP_ALL);
}
END_TEST

/* One write: the span held before (dates), the newest day granted and
 * ledger_days; the fields of the first and last day deleted (NULL: none)
 * and the first day of the span left. */
typedef struct prune_case {
    const char *name;
    int held;
    int first[3], last[3], newest[3];
    int ledger_days;
    const char *from, *to;
    int left_held;
    const char *left_first;
} prune_case;

static const prune_case prune_cases[] = {
    {"nothing held", 0, {0}, {0}, {2026, 11, 23}, 35, NULL, NULL, 0, NULL},
    {"all within the days kept",
     1,
     {2026, 11, 1},
     {2026, 11, 22},
     {2026, 11, 23},
     35,
     NULL,
     NULL,
     1,
     "day:2026-11-01"},
    {"35 days kept across a month boundary",
     1,
     {2026, 9, 1},
     {2026, 11, 22},
     {2026, 11, 23},
     35,
     "day:2026-09-01",
     "day:2026-10-19",
     1,
     "day:2026-10-20"},
    {"35 days kept across a year boundary",
     1,
     {2026, 11, 1},
     {2027, 1, 14},
     {2027, 1, 15},
     35,
     "day:2026-11-01",
     "day:2026-12-11",
     1,
     "day:2026-12-12"},
    {"2 days kept on new year's day",
     1,
     {2026, 12, 1},
     {2026, 12, 31},
     {2027, 1, 1},
     2,
     "day:2026-12-01",
     "day:2026-12-30",
     1,
     "day:2026-12-31"},
    {"2 days kept on March 1st of a leap year",
     1,
     {2024, 2, 1},
     {2024, 2, 29},
     {2024, 3, 1},
     2,
     "day:2024-02-01",
     "day:2024-02-28",
     1,
     "day:2024-02-29"},
    {"2 days kept on March 1st of a common year",
     1,
     {2025, 2, 1},
     {2025, 2, 28},
     {2025, 3, 1},
     2,
     "day:2025-02-01",
     "day:2025-02-27",
     1,
     "day:2025-02-28"},
    {"quiet for a year: everything goes",
     1,
     {2025, 10, 1},
     {2025, 11, 4},
     {2026, 11, 23},
     35,
     "day:2025-10-01",
     "day:2025-11-04",
     0,
     NULL},
    {"the span ends the day before the first kept",
     1,
     {2026, 9, 1},
     {2026, 10, 19},
     {2026, 11, 23},
     35,
     "day:2026-09-01",
     "day:2026-10-19",
     0,
     NULL},
    {"the span starts on the first day kept",
     1,
     {2026, 10, 20},
     {2026, 11, 1},
     {2026, 11, 23},
     35,
     NULL,
     NULL,
     1,
     "day:2026-10-20"},
    {"a late reward: a day after it is kept",
     1,
     {2026, 9, 1},
     {2026, 11, 24},
     {2026, 11, 23},
     35,
     "day:2026-09-01",
     "day:2026-10-19",
     1,
     "day:2026-10-20"},
    {"no pruning configured",
     1,
     {2020, 1, 1},
     {2026, 11, 22},
     {2026, 11, 23},
     0,
     NULL,
     NULL,
     1,
     "day:2020-01-01"},
};

static int64_t date(const int ymd[3]) {
    return D(ymd[0], ymd[1], ymd[2]);
}

START_TEST(test_prune) {
    const prune_case *c = &prune_cases[_i];
    cp_ledger_span s = {c->held, c->held ? date(c->first) : 0, c->held ? date(c->last) : 0};
    int64_t from = -1, to = -1;
    int64_t keep_from = cp_ledger_keep_from(date(c->newest), c->ledger_days);
    int64_t n = cp_ledger_prune(&s, keep_from, &from, &to);
    if (!c->from) {
        ck_assert_msg(n == 0, "%s: %lld deleted", c->name, (long long)n);
        ck_assert_int_eq(from, -1);
    } else {
        ck_assert_msg(n == to - from + 1, "%s", c->name);
        ck_assert_str_eq(field(from), c->from);
        ck_assert_str_eq(field(to), c->to);
    }
    ck_assert_msg(s.held == c->left_held, "%s: held %d", c->name, s.held);
    if (c->left_held) {
        ck_assert_str_eq(field(s.first), c->left_first);
        ck_assert_int_eq(s.last, date(c->last)); /* the newest days stay */
    }
}
END_TEST

START_TEST(test_span_add) {
    cp_ledger_span s;
    memset(&s, 0, sizeof(s));
    ck_assert_int_eq(s.held, 0); /* all zero: nothing held */
    cp_ledger_span_add(&s, D(2026, 11, 23));
    ck_assert(s.held && s.first == D(2026, 11, 23) && s.last == D(2026, 11, 23));
    cp_ledger_span_add(&s, D(2026, 11, 20));
    cp_ledger_span_add(&s, D(2026, 11, 25));
    cp_ledger_span_add(&s, D(2026, 11, 22));
    ck_assert_int_eq(s.first, D(2026, 11, 20));
    ck_assert_int_eq(s.last, D(2026, 11, 25));
}
END_TEST

/* Writes day after day keep the span at most ledger_days wide, and each
 * deletes only the day that left. */
START_TEST(test_daily_writes_stay_bounded) {
    cp_ledger_span s;
    memset(&s, 0, sizeof(s));
    int64_t start = D(2026, 12, 1), deleted = 0;
    for (int64_t day = start; day < start + 100; day++) {
        int64_t from, to, keep = cp_ledger_keep_from(day, 35);
        int64_t n = cp_ledger_prune(&s, keep, &from, &to);
        ck_assert_int_le(n, 1);
        if (n)
            ck_assert_int_eq(from, day - 35);
        deleted += n;
        cp_ledger_span_add(&s, day);
        ck_assert_int_le(s.last - s.first + 1, 35);
    }
    ck_assert_int_eq(deleted, 100 - 35);
}
END_TEST

/* An agent loaded with 400 old day fields (and fields that are not days),
 * then granted points today with ledger_days 35: the write deletes every
 * day field before the 35 days kept, so at most 35 remain. */
START_TEST(test_load_400_old_days) {
    enum { OLD = 400 };
    cp_rules rules;
    memset(&rules, 0, sizeof(rules));
    char(*names)[CP_LEDGER_FIELD_SIZE] = calloc(OLD + 4, sizeof(*names));
    char *vals[2 * (OLD + 4)];
    size_t lens[2 * (OLD + 4)], n = 0;
    int64_t today = D(2027, 1, 10);
    for (int i = 0; i < OLD; i++) { /* 2025-12-06 .. 2027-01-09 */
        cp_ledger_field(today - OLD + i, names[i], sizeof(names[i]));
        vals[n] = names[i];
        lens[n++] = strlen(names[i]);
        vals[n] = "10";
        lens[n++] = 2;
    }
    const char *others[][2] = {{"total", "4000"}, {"day:2026-02-30", "5"}, {"note", "kept"}};
    for (size_t i = 0; i < 3; i++) {
        vals[n] = (char *)others[i][0];
        lens[n++] = strlen(others[i][0]);
        vals[n] = (char *)others[i][1];
        lens[n++] = strlen(others[i][1]);
    }
    cp_agent_read in = {.points = {vals, lens, n}};
    cp_agent *a = cp_agent_new("a1", 2);
    ck_assert_int_eq(cp_layout_decode(a, &rules, &in), 0);
    const cp_points *p = &a->rules.points;
    ck_assert_int_eq(p->total, 4000);
    ck_assert(p->stored.held);
    ck_assert_str_eq(field(p->stored.first), "day:2025-12-06");
    ck_assert_str_eq(field(p->stored.last), "day:2027-01-09");
    for (int k = 0; k < CP_POINT_DAYS; k++) /* the daily cap has the latest days */
        ck_assert_int_ge(p->days[k].day, today - CP_POINT_DAYS);

    /* the next write, granting points today */
    cp_ledger_span s = p->stored;
    int64_t from, to, keep = cp_ledger_keep_from(today, 35);
    int64_t gone = cp_ledger_prune(&s, keep, &from, &to);
    cp_ledger_span_add(&s, today);
    int left = 0;
    for (int i = 0; i < OLD; i++) {
        int64_t day = today - OLD + i;
        if (!(gone && day >= from && day <= to))
            left++;
    }
    left++; /* today's field */
    ck_assert_int_eq(gone, OLD - 34);
    ck_assert_str_eq(field(from), "day:2025-12-06");
    ck_assert_str_eq(field(to), "day:2026-12-06");
    ck_assert_int_eq(left, 35);
    ck_assert_int_le(s.last - s.first + 1, 35);
    cp_agent_free(a);
    free(names);
}
END_TEST

/* Total or a day field without an integer is malformed; another field's
 * value is not the ledger's to judge. */
START_TEST(test_load_malformed) {
    static const char *cases[][3] = {{"total", "x", "-1"},
                                     {"day:2026-11-23", "1.5", "-1"},
                                     {"day:2026-11-23", "", "-1"},
                                     {"badge", "on-a-roll", "0"},
                                     {"day:2026-02-30", "x", "0"}};
    cp_rules rules;
    memset(&rules, 0, sizeof(rules));
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *v[2] = {(char *)cases[i][0], (char *)cases[i][1]};
        size_t len[2] = {strlen(v[0]), strlen(v[1])};
        cp_agent_read in = {.points = {v, len, 2}};
        cp_agent *a = cp_agent_new("a1", 2);
        ck_assert_msg(cp_layout_decode(a, &rules, &in) == atoi(cases[i][2]), "%s %s", v[0], v[1]);
        cp_agent_free(a);
    }
}
END_TEST

Suite *ledger_suite(void) {
    Suite *s = suite_create("ledger");
    TCase *tc = tcase_create("ledger");
    tcase_add_test(tc, test_field_names);
    tcase_add_loop_test(tc, test_parse_field, 0,
                        (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
    tcase_add_test(tc, test_keep_from);
    tcase_add_loop_test(tc, test_prune, 0, (int)(sizeof(prune_cases) / sizeof(prune_cases[0])));
    tcase_add_test(tc, test_span_add);
    tcase_add_test(tc, test_daily_writes_stay_bounded);
    tcase_add_test(tc, test_load_400_old_days);
    tcase_add_test(tc, test_load_malformed);
    suite_add_tcase(s, tc);
    return s;
}
