/* scorecard.h -- an agent's score and tier over a window (contract 4).
 *
 * score = 100 * sum(weight * part) / sum(weight) over the KPIs that have a
 * value in the window, given only when handled >= min_calls:
 *   answer_rate  min(answer_rate / target, 1)      target 0.90, weight 20
 *   aht_s        min(target / aht_s, 1), 1 at 0     target 360,  weight 20
 *   fcr_rate     min(fcr_rate / target, 1)         target 0.75, weight 20
 *   csat_avg     (csat_avg - 1) / 4                             weight 25
 *   qa_avg       qa_avg / 100                                   weight 15
 * The score is rounded to 0.01 and the tier is that of the rounded score,
 * so a KPI hash, a board and a message never disagree.
 * Tiers: excellent >= 90, good >= 75, qualified >= 60, else
 * needs_improvement. Every weight, target, bound and min_calls is config.
 * Pure. */
#ifndef CALLPULSE_SCORECARD_H
#define CALLPULSE_SCORECARD_H

#include <jansson.h>
#include <stddef.h>

#include "window.h"

typedef enum {
    CP_SC_ANSWER_RATE = 0,
    CP_SC_AHT,
    CP_SC_FCR,
    CP_SC_CSAT,
    CP_SC_QA,
    CP_SC_COUNT
} cp_sc_part;

typedef enum {
    CP_TIER_EXCELLENT = 0,
    CP_TIER_GOOD,
    CP_TIER_QUALIFIED,
    CP_TIER_NEEDS_IMPROVEMENT
} cp_tier;

typedef struct cp_scorecard {
    double weight[CP_SC_COUNT];
    double target[CP_SC_COUNT]; /* unused for csat_avg and qa_avg */
    double tier_min[3];         /* excellent, good, qualified */
    int min_calls;
} cp_scorecard;

void cp_scorecard_defaults(cp_scorecard *sc);

/* Read "scorecard" and "tiers" objects of the configuration (either may be
 * NULL). One line per mistake in err, naming the key. */
int cp_scorecard_parse(cp_scorecard *sc, json_t *scorecard, json_t *tiers, char *err, size_t errsz);

/* The score of a window's sums; 0 when there is one, -1 when not (too few
 * handled calls, or no KPI with a value and a weight). */
int cp_score(const cp_scorecard *sc, const cp_sums *s, double *score);

cp_tier cp_tier_of(const cp_scorecard *sc, double score);
const char *cp_tier_name(cp_tier t);

#endif
