/* test_kpi.c -- the KPI table (kpi.def) and what is expanded from it:
 * every metric has a name, words, a unit and a formula; the values, texts,
 * inputs and samples, and what each event adds, are those of the
 * hand-written tables kpi.def replaced (copied here as oracles), so the KPI
 * hashes and messages of contract 3 and 5 stay byte for byte the same. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "kpi.h"
#include "suites.h"
#include "testrng.h"
#include "window.h"

/* ---- oracles: the tables before kpi.def ------------------------------------------ */

/* The metrics that existed before kpi.def; the oracles cover these. */
#define OLD_COUNT (CP_M_QA_AVG + 1)

/* window.c's cp_sums_of_event */
static void old_sums_of_event(const cp_event *ev, cp_sums *out) {
    memset(out, 0, sizeof(*out));
    switch (ev->type) {
    case CP_EV_CALL_OFFERED:
        out->v[CP_S_OFFERED] = 1;
        break;
    case CP_EV_CALL_ANSWERED:
        out->v[CP_S_ANSWERED] = 1;
        break;
    case CP_EV_CALL_MISSED:
        out->v[CP_S_MISSED] = 1;
        break;
    case CP_EV_CALL_ENDED:
        out->v[CP_S_HANDLED] = 1;
        out->v[CP_S_TALK_MS] = ev->talk_ms;
        out->v[CP_S_HOLD_MS] = ev->hold_ms;
        out->v[CP_S_ACW_MS] = ev->acw_ms;
        out->v[CP_S_RESOLVED] = (ev->flags & CP_F_RESOLVED) != 0;
        out->v[CP_S_TRANSFERRED] = (ev->flags & CP_F_TRANSFERRED) != 0;
        out->v[CP_S_COMPLAINTS] = (ev->flags & CP_F_COMPLAINT) != 0;
        out->v[CP_S_SALES] = (ev->flags & CP_F_SALE) != 0;
        out->v[CP_S_SALES_VALUE] = ev->sale_value_milli;
        break;
    case CP_EV_WRAPUP_ENDED:
        out->v[CP_S_ACW_MS] = ev->acw_ms;
        break;
    case CP_EV_SURVEY:
        out->v[CP_S_CSAT_SUM] = ev->csat;
        out->v[CP_S_CSAT_COUNT] = 1;
        break;
    case CP_EV_QA_SCORED:
        out->v[CP_S_QA_SUM] = ev->qa_milli;
        out->v[CP_S_QA_COUNT] = 1;
        break;
    default:
        break;
    }
}

/* rules.c's cp_kpi_samples */
static int64_t old_kpi_samples(const cp_sums *s, cp_metric kpi) {
    switch (kpi) {
    case CP_M_ANSWER_RATE:
        return s->v[CP_S_ANSWERED] + s->v[CP_S_MISSED];
    case CP_M_CSAT_AVG:
        return s->v[CP_S_CSAT_COUNT];
    case CP_M_QA_AVG:
        return s->v[CP_S_QA_COUNT];
    default:
        return s->v[CP_S_HANDLED];
    }
}

/* messages.c's kpi_text */
typedef enum { U_COUNT, U_SECONDS, U_PERCENT, U_SCORE } old_unit;

static const struct {
    const char *label;
    old_unit u;
    const char *samples;
} old_text[OLD_COUNT] = {
    [CP_M_OFFERED] = {"calls offered", U_COUNT, "calls"},
    [CP_M_ANSWERED] = {"calls answered", U_COUNT, "calls"},
    [CP_M_MISSED] = {"missed calls", U_COUNT, "calls"},
    [CP_M_HANDLED] = {"calls handled", U_COUNT, "calls"},
    [CP_M_TALK_S] = {"talk time", U_SECONDS, "calls"},
    [CP_M_HOLD_S] = {"hold time", U_SECONDS, "calls"},
    [CP_M_ACW_S] = {"after-call work", U_SECONDS, "calls"},
    [CP_M_RESOLVED] = {"resolved calls", U_COUNT, "calls"},
    [CP_M_TRANSFERRED] = {"transfers", U_COUNT, "calls"},
    [CP_M_COMPLAINTS] = {"complaints", U_COUNT, "calls"},
    [CP_M_SALES] = {"sales", U_COUNT, "calls"},
    [CP_M_SALES_VALUE] = {"sales value", U_SCORE, "calls"},
    [CP_M_CSAT_SUM] = {"CSAT total", U_COUNT, "calls"},
    [CP_M_CSAT_COUNT] = {"surveys", U_COUNT, "calls"},
    [CP_M_QA_SUM] = {"QA total", U_SCORE, "calls"},
    [CP_M_QA_COUNT] = {"QA scores", U_COUNT, "calls"},
    [CP_M_ANSWER_RATE] = {"answer rate", U_PERCENT, "calls answered or missed"},
    [CP_M_AHT_S] = {"average handle time", U_SECONDS, "calls"},
    [CP_M_AVG_TALK_S] = {"average talk time", U_SECONDS, "calls"},
    [CP_M_AVG_HOLD_S] = {"average hold time", U_SECONDS, "calls"},
    [CP_M_AVG_ACW_S] = {"average after-call work", U_SECONDS, "calls"},
    [CP_M_FCR_RATE] = {"first-contact resolution", U_PERCENT, "calls"},
    [CP_M_TRANSFER_RATE] = {"transfer rate", U_PERCENT, "calls"},
    [CP_M_COMPLAINT_RATE] = {"complaint rate", U_PERCENT, "calls"},
    [CP_M_CONVERSION_RATE] = {"conversion rate", U_PERCENT, "calls"},
    [CP_M_CSAT_AVG] = {"average CSAT", U_SCORE, "surveys"},
    [CP_M_QA_AVG] = {"average QA score", U_SCORE, "QA scores"},
};

/* kpi.c's metric table, cp_metric_value, cp_metric_inputs and
 * cp_metric_format */
typedef enum { F_COUNT, F_MILLI, F_RATIO, F_AVG } old_fmt;

static const struct {
    const char *name;
    old_fmt fmt;
    int num, den;   /* derived: sum indexes; den -1: a sum itself */
    int num2, num3; /* aht_s adds hold and acw to talk */
    double scale;   /* divide the ratio by this (ms -> s) */
} old_metrics[OLD_COUNT] = {
    [CP_M_OFFERED] = {"offered", F_COUNT, CP_S_OFFERED, -1, -1, -1, 1},
    [CP_M_ANSWERED] = {"answered", F_COUNT, CP_S_ANSWERED, -1, -1, -1, 1},
    [CP_M_MISSED] = {"missed", F_COUNT, CP_S_MISSED, -1, -1, -1, 1},
    [CP_M_HANDLED] = {"handled", F_COUNT, CP_S_HANDLED, -1, -1, -1, 1},
    [CP_M_TALK_S] = {"talk_s", F_MILLI, CP_S_TALK_MS, -1, -1, -1, 1},
    [CP_M_HOLD_S] = {"hold_s", F_MILLI, CP_S_HOLD_MS, -1, -1, -1, 1},
    [CP_M_ACW_S] = {"acw_s", F_MILLI, CP_S_ACW_MS, -1, -1, -1, 1},
    [CP_M_RESOLVED] = {"resolved", F_COUNT, CP_S_RESOLVED, -1, -1, -1, 1},
    [CP_M_TRANSFERRED] = {"transferred", F_COUNT, CP_S_TRANSFERRED, -1, -1, -1, 1},
    [CP_M_COMPLAINTS] = {"complaints", F_COUNT, CP_S_COMPLAINTS, -1, -1, -1, 1},
    [CP_M_SALES] = {"sales", F_COUNT, CP_S_SALES, -1, -1, -1, 1},
    [CP_M_SALES_VALUE] = {"sales_value", F_MILLI, CP_S_SALES_VALUE, -1, -1, -1, 1},
    [CP_M_CSAT_SUM] = {"csat_sum", F_COUNT, CP_S_CSAT_SUM, -1, -1, -1, 1},
    [CP_M_CSAT_COUNT] = {"csat_count", F_COUNT, CP_S_CSAT_COUNT, -1, -1, -1, 1},
    [CP_M_QA_SUM] = {"qa_sum", F_MILLI, CP_S_QA_SUM, -1, -1, -1, 1},
    [CP_M_QA_COUNT] = {"qa_count", F_COUNT, CP_S_QA_COUNT, -1, -1, -1, 1},
    [CP_M_ANSWER_RATE] = {"answer_rate", F_RATIO, CP_S_ANSWERED, CP_S_ANSWERED, CP_S_MISSED, -1, 1},
    [CP_M_AHT_S] = {"aht_s", F_AVG, CP_S_TALK_MS, CP_S_HANDLED, CP_S_HOLD_MS, CP_S_ACW_MS, 1000},
    [CP_M_AVG_TALK_S] = {"avg_talk_s", F_AVG, CP_S_TALK_MS, CP_S_HANDLED, -1, -1, 1000},
    [CP_M_AVG_HOLD_S] = {"avg_hold_s", F_AVG, CP_S_HOLD_MS, CP_S_HANDLED, -1, -1, 1000},
    [CP_M_AVG_ACW_S] = {"avg_acw_s", F_AVG, CP_S_ACW_MS, CP_S_HANDLED, -1, -1, 1000},
    [CP_M_FCR_RATE] = {"fcr_rate", F_RATIO, CP_S_RESOLVED, CP_S_HANDLED, -1, -1, 1},
    [CP_M_TRANSFER_RATE] = {"transfer_rate", F_RATIO, CP_S_TRANSFERRED, CP_S_HANDLED, -1, -1, 1},
    [CP_M_COMPLAINT_RATE] = {"complaint_rate", F_RATIO, CP_S_COMPLAINTS, CP_S_HANDLED, -1, -1, 1},
    [CP_M_CONVERSION_RATE] = {"conversion_rate", F_RATIO, CP_S_SALES, CP_S_HANDLED, -1, -1, 1},
    [CP_M_CSAT_AVG] = {"csat_avg", F_AVG, CP_S_CSAT_SUM, CP_S_CSAT_COUNT, -1, -1, 1},
    [CP_M_QA_AVG] = {"qa_avg", F_AVG, CP_S_QA_SUM, CP_S_QA_COUNT, -1, -1, 1000},
};

static void old_parts(const cp_sums *s, int m, int64_t *num, int64_t *den) {
    if (m == CP_M_ANSWER_RATE) {
        *num = s->v[CP_S_ANSWERED];
        *den = s->v[CP_S_ANSWERED] + s->v[CP_S_MISSED];
        return;
    }
    *num = s->v[old_metrics[m].num];
    if (old_metrics[m].num2 >= 0)
        *num += s->v[old_metrics[m].num2];
    if (old_metrics[m].num3 >= 0)
        *num += s->v[old_metrics[m].num3];
    *den = s->v[old_metrics[m].den];
}

static uint32_t old_inputs(int m) {
    uint32_t mask = 1u << old_metrics[m].num;
    if (old_metrics[m].den >= 0)
        mask |= 1u << old_metrics[m].den;
    if (old_metrics[m].num2 >= 0)
        mask |= 1u << old_metrics[m].num2;
    if (old_metrics[m].num3 >= 0)
        mask |= 1u << old_metrics[m].num3;
    return mask;
}

static int old_value(const cp_sums *s, int m, double *out) {
    int64_t num, den;
    if (m < CP_M_FIRST_DERIVED) {
        *out = (double)s->v[old_metrics[m].num] / (old_metrics[m].fmt == F_MILLI ? 1000.0 : 1.0);
        return 0;
    }
    old_parts(s, m, &num, &den);
    if (den == 0)
        return -1;
    *out = (double)num / (double)den / old_metrics[m].scale;
    return 0;
}

static void old_format(const cp_sums *s, int m, char *buf, size_t size) {
    double v;
    if (m < CP_M_FIRST_DERIVED && old_metrics[m].fmt == F_COUNT) {
        snprintf(buf, size, "%" PRId64, s->v[old_metrics[m].num]);
        return;
    }
    if (m < CP_M_FIRST_DERIVED) {
        /* as before, but for the sign of a negative value, written once
         * ("-1.500", no longer "-1.-500": issue 13) */
        int64_t x = s->v[old_metrics[m].num];
        uint64_t mag = x < 0 ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
        snprintf(buf, size, "%s%" PRIu64 ".%03d", x < 0 ? "-" : "", mag / 1000, (int)(mag % 1000));
        return;
    }
    if (old_value(s, m, &v) != 0) {
        buf[0] = '\0';
        return;
    }
    snprintf(buf, size, old_metrics[m].fmt == F_RATIO ? "%.6f" : "%.4f", v);
}

/* ---- inputs ---------------------------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng(void) {
    return test_rng(&rng_state);
}

static int64_t between(int64_t lo, int64_t hi) {
    return test_between(&rng_state, lo, hi);
}

/* Sums of several shapes: small counts (denominators often 0), large
 * durations, negative values, sparse large values. */
static void random_sums(cp_sums *s, int shape) {
    for (int i = 0; i < CP_S_COUNT; i++) {
        switch (shape % 4) {
        case 0:
            s->v[i] = between(0, 5);
            break;
        case 1:
            s->v[i] = between(0, 100000000);
            break;
        case 2:
            s->v[i] = between(-3000, 3000);
            break;
        default:
            s->v[i] = (rng() & 1) ? 0 : between(-1000000000000LL, 1000000000000LL);
            break;
        }
    }
}

static void random_event(cp_event *ev, cp_event_type type) {
    memset(ev, 0, sizeof(*ev));
    ev->type = type;
    ev->ring_ms = between(0, 86400000);
    ev->talk_ms = between(0, 86400000);
    ev->hold_ms = between(0, 86400000);
    ev->acw_ms = between(0, 86400000);
    ev->sale_value_milli = between(0, 1000000000000LL);
    ev->qa_milli = between(0, 100000);
    ev->csat = (int)between(1, 5);
    ev->flags = (unsigned)between(0, 15);
    ev->state = (cp_agent_state)between(0, CP_STATE_COUNT - 1);
}

/* ---- the table -------------------------------------------------------------------- */

START_TEST(test_every_metric_has_words) {
    for (int m = 0; m < CP_M_COUNT; m++) {
        cp_metric back;
        const char *name = cp_metric_name((cp_metric)m);
        ck_assert_msg(name && name[0], "metric %d has no name", m);
        ck_assert_msg(cp_metric_label((cp_metric)m)[0], "%s has no label", name);
        ck_assert_msg(cp_metric_samples_label((cp_metric)m)[0], "%s has no samples label", name);
        cp_metric_unit u = cp_metric_unit_of((cp_metric)m);
        ck_assert_msg((int)u >= CP_UNIT_COUNT && (int)u <= CP_UNIT_SCORE, "%s has no unit", name);
        ck_assert_msg(cp_metric_inputs((cp_metric)m) != 0, "%s reads no sum", name);
        ck_assert_int_eq(cp_metric_parse(name, &back), 0);
        ck_assert_int_eq(back, m);
        for (int k = 0; k < m; k++)
            ck_assert_msg(strcmp(name, cp_metric_name((cp_metric)k)) != 0, "%s twice", name);
    }
    ck_assert_str_eq(cp_metric_name(CP_M_COUNT), "unknown");
    ck_assert_str_eq(cp_metric_label(CP_M_COUNT), "unknown");
    ck_assert_str_eq(cp_metric_samples_label((cp_metric)-1), "unknown");
    ck_assert_int_eq(CP_M_FIRST_DERIVED, CP_S_COUNT);
    ck_assert_int_eq(CP_M_FIRST_DERIVED, CP_M_ANSWER_RATE);
}
END_TEST

/* A sum's metric is the sum itself, always present; a derived value is
 * absent exactly when its denominator is 0. */
START_TEST(test_sums_and_derived) {
    cp_sums zero;
    double v;
    char buf[64];
    memset(&zero, 0, sizeof(zero));
    for (int m = 0; m < CP_M_COUNT; m++) {
        if (m < CP_M_FIRST_DERIVED) {
            ck_assert_uint_eq(cp_metric_inputs((cp_metric)m), 1u << m);
            ck_assert_int_eq(cp_metric_value(&zero, (cp_metric)m, &v), 0);
            ck_assert(v == 0);
        } else {
            ck_assert_int_eq(cp_metric_value(&zero, (cp_metric)m, &v), -1);
            cp_metric_format(&zero, (cp_metric)m, buf, sizeof(buf));
            ck_assert_str_eq(buf, "");
        }
    }
}
END_TEST

/* The derived values of contract 3, computed here from the sums: a new
 * KPI row needs its case here (the test aborts on a metric it lacks), so
 * every formula in kpi.def is checked against one written independently. */
static int contract_value(const cp_sums *s, cp_metric m, double *out) {
    const int64_t *v = s->v;
    int64_t num, den;
    double scale = 1;
    switch (m) {
    case CP_M_ANSWER_RATE:
        num = v[CP_S_ANSWERED], den = v[CP_S_ANSWERED] + v[CP_S_MISSED];
        break;
    case CP_M_AHT_S:
        num = v[CP_S_TALK_MS] + v[CP_S_HOLD_MS] + v[CP_S_ACW_MS], den = v[CP_S_HANDLED];
        scale = 1000;
        break;
    case CP_M_AVG_TALK_S:
        num = v[CP_S_TALK_MS], den = v[CP_S_HANDLED], scale = 1000;
        break;
    case CP_M_AVG_HOLD_S:
        num = v[CP_S_HOLD_MS], den = v[CP_S_HANDLED], scale = 1000;
        break;
    case CP_M_AVG_ACW_S:
        num = v[CP_S_ACW_MS], den = v[CP_S_HANDLED], scale = 1000;
        break;
    case CP_M_FCR_RATE:
        num = v[CP_S_RESOLVED], den = v[CP_S_HANDLED];
        break;
    case CP_M_TRANSFER_RATE:
        num = v[CP_S_TRANSFERRED], den = v[CP_S_HANDLED];
        break;
    case CP_M_COMPLAINT_RATE:
        num = v[CP_S_COMPLAINTS], den = v[CP_S_HANDLED];
        break;
    case CP_M_CONVERSION_RATE:
        num = v[CP_S_SALES], den = v[CP_S_HANDLED];
        break;
    case CP_M_CSAT_AVG:
        num = v[CP_S_CSAT_SUM], den = v[CP_S_CSAT_COUNT];
        break;
    case CP_M_QA_AVG:
        num = v[CP_S_QA_SUM], den = v[CP_S_QA_COUNT], scale = 1000;
        break;
    default:
        ck_abort_msg("not a derived metric: %d", m);
        return -1;
    }
    if (den == 0)
        return -1;
    *out = (double)num / (double)den / scale;
    return 0;
}

START_TEST(test_derived_values) {
    for (int i = 0; i < 400; i++) {
        cp_sums s;
        random_sums(&s, i);
        for (int m = CP_M_FIRST_DERIVED; m < CP_M_COUNT; m++) {
            double got = -7, want = -7;
            int r = cp_metric_value(&s, (cp_metric)m, &got);
            ck_assert_int_eq(r, contract_value(&s, (cp_metric)m, &want));
            ck_assert_msg(r != 0 || got == want, "%s: %.17g, want %.17g",
                          cp_metric_name((cp_metric)m), got, want);
        }
    }
}
END_TEST

START_TEST(test_same_as_before_kpi_def) {
    for (int i = 0; i < 2000; i++) {
        cp_sums s;
        char got[64], want[64];
        random_sums(&s, i);
        for (int m = 0; m < OLD_COUNT; m++) {
            double a = -7, b = -7;
            cp_metric_format(&s, (cp_metric)m, got, sizeof(got));
            old_format(&s, m, want, sizeof(want));
            ck_assert_msg(strcmp(got, want) == 0, "%s: [%s], was [%s]",
                          cp_metric_name((cp_metric)m), got, want);
            ck_assert_int_eq(cp_metric_value(&s, (cp_metric)m, &a), old_value(&s, m, &b));
            ck_assert(a == b);
            ck_assert_int_eq(cp_metric_samples(&s, (cp_metric)m),
                             old_kpi_samples(&s, (cp_metric)m));
        }
    }
    for (int m = 0; m < OLD_COUNT; m++) {
        ck_assert_str_eq(cp_metric_name((cp_metric)m), old_metrics[m].name);
        ck_assert_uint_eq(cp_metric_inputs((cp_metric)m), old_inputs(m));
        ck_assert_str_eq(cp_metric_label((cp_metric)m), old_text[m].label);
        ck_assert_str_eq(cp_metric_samples_label((cp_metric)m), old_text[m].samples);
        ck_assert_int_eq((int)cp_metric_unit_of((cp_metric)m), (int)old_text[m].u);
    }
}
END_TEST

/* cp_metric_inputs names exactly the sums whose change changes the text:
 * the KPI hash writer rewrites a field only when one of them changed. */
START_TEST(test_inputs_are_what_the_formula_reads) {
    cp_sums base;
    for (int i = 0; i < CP_S_COUNT; i++)
        base.v[i] = 10 + 3 * i; /* every denominator nonzero, all different */
    for (int m = 0; m < CP_M_COUNT; m++) {
        char before[64], after[64];
        uint32_t read = 0;
        cp_metric_format(&base, (cp_metric)m, before, sizeof(before));
        for (int i = 0; i < CP_S_COUNT; i++) {
            cp_sums s = base;
            s.v[i] += 1000;
            cp_metric_format(&s, (cp_metric)m, after, sizeof(after));
            if (strcmp(before, after) != 0)
                read |= 1u << i;
        }
        ck_assert_msg(read == cp_metric_inputs((cp_metric)m), "%s: reads %x, inputs say %x",
                      cp_metric_name((cp_metric)m), read, cp_metric_inputs((cp_metric)m));
    }
}
END_TEST

START_TEST(test_sums_of_every_event) {
    for (int t = 0; t < CP_EV_TYPE_COUNT; t++) {
        for (int i = 0; i < 200; i++) {
            cp_event ev;
            cp_sums got, want;
            random_event(&ev, (cp_event_type)t);
            if (i < 16)
                ev.flags = (unsigned)i;      /* every flag combination */
            memset(&got, 0x5a, sizeof(got)); /* every sum is written */
            cp_sums_of_event(&ev, &got);
            old_sums_of_event(&ev, &want);
            for (int k = 0; k < CP_S_COUNT; k++)
                ck_assert_msg(got.v[k] == want.v[k], "%s adds %" PRId64 " to sum %d, was %" PRId64,
                              cp_event_type_name((cp_event_type)t), got.v[k], k, want.v[k]);
        }
    }
}
END_TEST

/* The texts of a KPI hash, byte for byte, also for the odd ones: a negative
 * thousandths value (only a corrupt state holds one) has its sign once
 * ("-1.500"; before issue 13 it was "-1.-500"). */
START_TEST(test_text_forms) {
    static const struct {
        cp_metric m;
        int64_t v[4]; /* the metric's first sums: see below */
        const char *want;
    } cases[] = {
        {CP_M_HANDLED, {0}, "0"},
        {CP_M_HANDLED, {-12}, "-12"},
        {CP_M_HANDLED, {INT64_MAX}, "9223372036854775807"},
        {CP_M_TALK_S, {0}, "0.000"},
        {CP_M_TALK_S, {1500}, "1.500"},
        {CP_M_TALK_S, {7}, "0.007"},
        {CP_M_TALK_S, {-1500}, "-1.500"}, /* was "-1.-500" */
        {CP_M_TALK_S, {-500}, "-0.500"},  /* was "0.-500" */
        {CP_M_TALK_S, {-7}, "-0.007"},
        {CP_M_TALK_S, {INT64_MIN}, "-9223372036854775.808"},
        {CP_M_TALK_S, {-2000}, "-2.000"},
        {CP_M_SALES_VALUE, {123456789}, "123456.789"},
        {CP_M_ANSWER_RATE, {2, 1}, "0.666667"},
        {CP_M_ANSWER_RATE, {0, 3}, "0.000000"},
        {CP_M_ANSWER_RATE, {0, 0}, ""},
        {CP_M_ANSWER_RATE, {-1, 2}, "-1.000000"},
        {CP_M_AHT_S, {3, 600500, 30000, 90000}, "240.1667"},
        {CP_M_AHT_S, {0, 600500, 30000, 90000}, ""},
        {CP_M_AHT_S, {2, -1500, 0, 0}, "-0.7500"},
        {CP_M_CSAT_AVG, {9, 2}, "4.5000"},
        {CP_M_QA_AVG, {175500, 2}, "87.7500"},
        {CP_M_QA_AVG, {-175500, 2}, "-87.7500"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cp_sums s;
        char buf[64];
        const int64_t *v = cases[i].v;
        memset(&s, 0, sizeof(s));
        switch (cases[i].m) {
        case CP_M_ANSWER_RATE:
            s.v[CP_S_ANSWERED] = v[0], s.v[CP_S_MISSED] = v[1];
            break;
        case CP_M_AHT_S:
            s.v[CP_S_HANDLED] = v[0], s.v[CP_S_TALK_MS] = v[1];
            s.v[CP_S_HOLD_MS] = v[2], s.v[CP_S_ACW_MS] = v[3];
            break;
        case CP_M_CSAT_AVG:
            s.v[CP_S_CSAT_SUM] = v[0], s.v[CP_S_CSAT_COUNT] = v[1];
            break;
        case CP_M_QA_AVG:
            s.v[CP_S_QA_SUM] = v[0], s.v[CP_S_QA_COUNT] = v[1];
            break;
        default: /* a sum: the metric of sum m */
            s.v[cases[i].m] = v[0];
            break;
        }
        cp_metric_format(&s, cases[i].m, buf, sizeof(buf));
        ck_assert_msg(strcmp(buf, cases[i].want) == 0, "case %zu: %s is [%s], want [%s]", i,
                      cp_metric_name(cases[i].m), buf, cases[i].want);
    }
}
END_TEST

Suite *kpi_suite(void) {
    Suite *s = suite_create("kpi");
    TCase *tc = tcase_create("kpi");
    tcase_add_test(tc, test_every_metric_has_words);
    tcase_add_test(tc, test_sums_and_derived);
    tcase_add_test(tc, test_derived_values);
    tcase_add_test(tc, test_same_as_before_kpi_def);
    tcase_add_test(tc, test_inputs_are_what_the_formula_reads);
    tcase_add_test(tc, test_sums_of_every_event);
    tcase_add_test(tc, test_text_forms);
    suite_add_tcase(s, tc);
    return s;
}
