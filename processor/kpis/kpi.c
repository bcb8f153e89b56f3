/* kpi.c -- the metric table (kpi.h), expanded from kpi.def: names, text
 * formats, formulas, words and samples of every KPI. Formulas are bit
 * masks over the sums, so a value costs a few additions and no lookup by
 * name. */
#include "kpi.h"

#include <string.h>

#include "numfmt.h"

/* Text forms (kpi.def FORMAT). */
typedef enum {
    CP_FMT_COUNT,       /* a sum: its decimal integer */
    CP_FMT_THOUSANDTHS, /* a sum in thousandths, exactly: "600.500" */
    CP_FMT_RATIO,       /* a derived value: "%.6f" */
    CP_FMT_AVERAGE      /* a derived value: "%.4f" */
} metric_format;

/* A sum's value in units (COUNT and THOUSANDTHS only: another FORMAT on a
 * CP_SUM row does not compile). */
#define SUM_SCALE_COUNT       1
#define SUM_SCALE_THOUSANDTHS 1000
/* The text forms of a derived value (RATIO and AVERAGE only). */
#define DERIVED_FMT_RATIO   CP_FMT_RATIO
#define DERIVED_FMT_AVERAGE CP_FMT_AVERAGE

typedef struct metric_def {
    const char *name;
    metric_format fmt;
    int sum;           /* a sum: its cp_sum_index; derived: -1 */
    uint32_t num, den; /* masks over cp_sum_index; den 0: a sum */
    double scale;      /* value = num / den / scale (a sum: num / scale) */
    uint32_t samples;  /* mask: what min_samples counts */
    const char *label; /* words for people */
    const char *samples_label;
    cp_metric_unit unit;
} metric_def;

static const metric_def metrics[CP_M_COUNT] = {
#define CP_SUM(S_ID, M_ID, NAME, FORMAT, FED_BY, VALUE, LABEL, UNIT, SAMPLES, SAMPLES_LABEL)       \
    [CP_M_##M_ID] = {.name = NAME,                                                                 \
                     .fmt = CP_FMT_##FORMAT,                                                       \
                     .sum = CP_S_##S_ID,                                                           \
                     .num = CP_IN(S_ID),                                                           \
                     .scale = SUM_SCALE_##FORMAT,                                                  \
                     .samples = SAMPLES,                                                           \
                     .label = LABEL,                                                               \
                     .samples_label = SAMPLES_LABEL,                                               \
                     .unit = CP_UNIT_##UNIT},
#include "kpi.def"
#define CP_KPI(M_ID, NAME, FORMAT, NUM, DEN, SCALE, LABEL, UNIT, SAMPLES, SAMPLES_LABEL)           \
    [CP_M_##M_ID] = {.name = NAME,                                                                 \
                     .fmt = DERIVED_FMT_##FORMAT,                                                  \
                     .sum = -1,                                                                    \
                     .num = NUM,                                                                   \
                     .den = DEN,                                                                   \
                     .scale = SCALE,                                                               \
                     .samples = SAMPLES,                                                           \
                     .label = LABEL,                                                               \
                     .samples_label = SAMPLES_LABEL,                                               \
                     .unit = CP_UNIT_##UNIT},
#include "kpi.def"
};

static int known(cp_metric m) {
    return m >= 0 && m < CP_M_COUNT;
}

const char *cp_metric_name(cp_metric m) {
    return known(m) ? metrics[m].name : "unknown";
}

const char *cp_metric_label(cp_metric m) {
    return known(m) ? metrics[m].label : "unknown";
}

const char *cp_metric_samples_label(cp_metric m) {
    return known(m) ? metrics[m].samples_label : "unknown";
}

cp_metric_unit cp_metric_unit_of(cp_metric m) {
    return known(m) ? metrics[m].unit : CP_UNIT_COUNT;
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

/* The total of the sums in mask. */
static int64_t total(const cp_sums *s, uint32_t mask) {
    int64_t t = 0;
    for (; mask; mask &= mask - 1)
        t += s->v[__builtin_ctz(mask)];
    return t;
}

uint32_t cp_metric_inputs(cp_metric m) {
    return metrics[m].num | metrics[m].den;
}

int64_t cp_metric_samples(const cp_sums *s, cp_metric m) {
    return total(s, metrics[m].samples);
}

int cp_metric_value(const cp_sums *s, cp_metric m, double *out) {
    const metric_def *d = &metrics[m];
    if (d->sum >= 0) {
        *out = (double)s->v[d->sum] / d->scale;
        return 0;
    }
    int64_t den = total(s, d->den);
    if (den == 0)
        return -1;
    *out = (double)total(s, d->num) / (double)den / d->scale;
    return 0;
}

void cp_metric_format(const cp_sums *s, cp_metric m, char *buf, size_t size) {
    const metric_def *d = &metrics[m];
    char room[CP_NUM_TEXT_MAX], *text = size >= CP_NUM_TEXT_MAX ? buf : room;
    size_t n;
    double v;
    if (size == 0)
        return;
    if (d->fmt == CP_FMT_COUNT)
        n = cp_fmt_i64(s->v[d->sum], text);
    else if (d->fmt == CP_FMT_THOUSANDTHS) /* exactly; -1500 is "-1.500" */
        n = cp_fmt_milli(s->v[d->sum], text);
    else if (cp_metric_value(s, m, &v) != 0)
        n = 0, text[0] = '\0';
    else
        n = cp_fmt_fixed(v, d->fmt == CP_FMT_RATIO ? 6 : 4, text);
    if (text == buf)
        return;    /* written in place */
    if (n >= size) /* cut, as snprintf would */
        n = size - 1;
    memcpy(buf, text, n);
    buf[n] = '\0';
}
