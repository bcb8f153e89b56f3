/* kpi.h -- the values of a KPI hash (contract section 3): every sum and
 * every derived value of a window, by name, and their text form.
 *
 * A metric is either a sum (offered, talk_s, ...) or a value derived from
 * sums (answer_rate, aht_s, ...), which is absent when its denominator is
 * 0. Rules, the scorecard and the Redis writer all read metrics here, so
 * each definition exists once. Pure. */
#ifndef CALLPULSE_KPI_H
#define CALLPULSE_KPI_H

#include <stddef.h>
#include <stdint.h>

#include "window.h"

typedef enum {
    /* sums, in cp_sum_index order */
    CP_M_OFFERED = 0,
    CP_M_ANSWERED,
    CP_M_MISSED,
    CP_M_HANDLED,
    CP_M_TALK_S,
    CP_M_HOLD_S,
    CP_M_ACW_S,
    CP_M_RESOLVED,
    CP_M_TRANSFERRED,
    CP_M_COMPLAINTS,
    CP_M_SALES,
    CP_M_SALES_VALUE,
    CP_M_CSAT_SUM,
    CP_M_CSAT_COUNT,
    CP_M_QA_SUM,
    CP_M_QA_COUNT,
    /* derived */
    CP_M_ANSWER_RATE,
    CP_M_AHT_S,
    CP_M_AVG_TALK_S,
    CP_M_AVG_HOLD_S,
    CP_M_AVG_ACW_S,
    CP_M_FCR_RATE,
    CP_M_TRANSFER_RATE,
    CP_M_COMPLAINT_RATE,
    CP_M_CONVERSION_RATE,
    CP_M_CSAT_AVG,
    CP_M_QA_AVG,
    CP_M_COUNT
} cp_metric;

#define CP_M_FIRST_DERIVED CP_M_ANSWER_RATE

const char *cp_metric_name(cp_metric m);
/* -1 when unknown. */
int cp_metric_parse(const char *name, cp_metric *out);

/* The metric's value; 0, or -1 when absent (denominator 0). */
int cp_metric_value(const cp_sums *s, cp_metric m, double *out);

/* The sums a metric is computed from, as a bit mask over cp_sum_index:
 * its text can change only when one of these does. */
uint32_t cp_metric_inputs(cp_metric m);

/* Text form as written to Redis: counts as integers, seconds and money
 * with 3 decimals, ratios with 6, averages with 4. */
void cp_metric_format(const cp_sums *s, cp_metric m, char *buf, size_t size);

#endif
