/* kpi.h -- the values of a KPI hash (contract section 3): every sum and
 * every derived value of a window, by name, their text form, and the words
 * messages use for them.
 *
 * A metric is either a sum (offered, talk_s, ...) or a value derived from
 * sums (answer_rate, aht_s, ...), which is absent when its denominator is
 * 0. Each is one row of kpi.def; rules, messages, the scorecard and the
 * Redis writer all read metrics here, so each definition exists once.
 * Pure. */
#ifndef CALLPULSE_KPI_H
#define CALLPULSE_KPI_H

#include <stddef.h>
#include <stdint.h>

#include "window.h"

/* Every kpi.def row: the sums first, in cp_sum_index order (CP_M_<sum> is
 * the sum CP_S_<sum> as a KPI hash field), then the derived values. This is
 * the order of the fields of a KPI hash. */
typedef enum {
#define CP_SUM(S_ID, M_ID, ...) CP_M_##M_ID,
#include "kpi.def"
#define CP_KPI(M_ID, ...) CP_M_##M_ID,
#include "kpi.def"
    CP_M_COUNT
} cp_metric;

/* The first derived value: every metric below it is a sum. */
enum { CP_M_FIRST_DERIVED = CP_S_COUNT };

/* How a message writes a value for people (kpi.def UNIT): a whole number,
 * seconds, a percentage of a ratio, a score with 2 decimals. */
typedef enum { CP_UNIT_COUNT, CP_UNIT_SECONDS, CP_UNIT_PERCENT, CP_UNIT_SCORE } cp_metric_unit;

/* "aht_s": the KPI hash field and the name rules use; "unknown" when m is
 * not a metric. */
const char *cp_metric_name(cp_metric m);
/* -1 when unknown. */
int cp_metric_parse(const char *name, cp_metric *out);

/* The metric's value (seconds and money in units, not thousandths); 0, or
 * -1 when absent (denominator 0). */
int cp_metric_value(const cp_sums *s, cp_metric m, double *out);

/* The sums a metric is computed from, as a bit mask over cp_sum_index:
 * its text can change only when one of these does. */
uint32_t cp_metric_inputs(cp_metric m);

/* Text form as written to Redis: counts as integers, seconds and money
 * with 3 decimals (exact thousandths), ratios with 6, averages with 4;
 * "" when absent. */
void cp_metric_format(const cp_sums *s, cp_metric m, char *buf, size_t size);

/* Words for people (contract 5, alert messages): "average handle time";
 * what min_samples counts: "calls", "surveys", ...; "unknown" when m is not
 * a metric. */
const char *cp_metric_label(cp_metric m);
const char *cp_metric_samples_label(cp_metric m);
cp_metric_unit cp_metric_unit_of(cp_metric m);

/* The samples behind a metric's value in a window, which a rule's
 * min_samples counts (contract 5): answered + missed for answer_rate,
 * csat_count for csat_avg, qa_count for qa_avg, handled otherwise. */
int64_t cp_metric_samples(const cp_sums *s, cp_metric m);

#endif
