/* kpi.c -- metric definitions (kpi.h). */
#include "kpi.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

typedef enum { F_COUNT, F_MILLI, F_RATIO, F_AVG } metric_format;

static const struct {
    const char *name;
    metric_format fmt;
    int num, den;   /* derived: sum indexes; den -1: a sum itself */
    int num2, num3; /* aht_s adds hold and acw to talk */
    double scale;   /* divide the ratio by this (ms -> s) */
} metrics[CP_M_COUNT] = {
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
    /* answer_rate = answered / (answered + missed): den and num2 */
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

const char *cp_metric_name(cp_metric m) {
    return (m >= 0 && m < CP_M_COUNT) ? metrics[m].name : "unknown";
}

int cp_metric_parse(const char *name, cp_metric *out) {
    for (int m = 0; m < CP_M_COUNT; m++) {
        if (strcmp(metrics[m].name, name) == 0) {
            *out = (cp_metric)m;
            return 0;
        }
    }
    return -1;
}

/* Numerator and denominator of a derived metric. */
static void parts(const cp_sums *s, cp_metric m, int64_t *num, int64_t *den) {
    if (m == CP_M_ANSWER_RATE) {
        *num = s->v[CP_S_ANSWERED];
        *den = s->v[CP_S_ANSWERED] + s->v[CP_S_MISSED];
        return;
    }
    *num = s->v[metrics[m].num];
    if (metrics[m].num2 >= 0)
        *num += s->v[metrics[m].num2];
    if (metrics[m].num3 >= 0)
        *num += s->v[metrics[m].num3];
    *den = s->v[metrics[m].den];
}

uint32_t cp_metric_inputs(cp_metric m) {
    uint32_t mask = 1u << metrics[m].num;
    if (metrics[m].den >= 0)
        mask |= 1u << metrics[m].den;
    if (metrics[m].num2 >= 0)
        mask |= 1u << metrics[m].num2;
    if (metrics[m].num3 >= 0)
        mask |= 1u << metrics[m].num3;
    return mask;
}

int cp_metric_value(const cp_sums *s, cp_metric m, double *out) {
    int64_t num, den;
    if (m < CP_M_FIRST_DERIVED) {
        *out = (double)s->v[metrics[m].num] / (metrics[m].fmt == F_MILLI ? 1000.0 : 1.0);
        return 0;
    }
    parts(s, m, &num, &den);
    if (den == 0)
        return -1;
    *out = (double)num / (double)den / metrics[m].scale;
    return 0;
}

void cp_metric_format(const cp_sums *s, cp_metric m, char *buf, size_t size) {
    double v;
    if (m < CP_M_FIRST_DERIVED && metrics[m].fmt == F_COUNT) {
        snprintf(buf, size, "%" PRId64, s->v[metrics[m].num]);
        return;
    }
    if (m < CP_M_FIRST_DERIVED) { /* thousandths, exactly */
        int64_t x = s->v[metrics[m].num];
        snprintf(buf, size, "%" PRId64 ".%03d", x / 1000, (int)(x % 1000));
        return;
    }
    if (cp_metric_value(s, m, &v) != 0) {
        buf[0] = '\0';
        return;
    }
    snprintf(buf, size, metrics[m].fmt == F_RATIO ? "%.6f" : "%.4f", v);
}
