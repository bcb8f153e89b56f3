/* scorecard.c -- score and tier (scorecard.h). */
#include "scorecard.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "errlist.h"
#include "kpi.h"

/* The KPIs scored; each is configured under its KPI hash name
 * (scorecard.answer_rate, ...). */
static const struct {
    cp_metric metric;
    double weight, target;
} parts[CP_SC_COUNT] = {
    [CP_SC_ANSWER_RATE] = {CP_M_ANSWER_RATE, 20, 0.90},
    [CP_SC_AHT] = {CP_M_AHT_S, 20, 360},
    [CP_SC_FCR] = {CP_M_FCR_RATE, 20, 0.75},
    [CP_SC_CSAT] = {CP_M_CSAT_AVG, 25, 0},
    [CP_SC_QA] = {CP_M_QA_AVG, 15, 0},
};

static const char *tier_names[] = {"excellent", "good", "qualified", "needs_improvement"};

void cp_scorecard_defaults(cp_scorecard *sc) {
    for (int i = 0; i < CP_SC_COUNT; i++) {
        sc->weight[i] = parts[i].weight;
        sc->target[i] = parts[i].target;
    }
    sc->tier_min[0] = 90;
    sc->tier_min[1] = 75;
    sc->tier_min[2] = 60;
    sc->min_calls = 3;
}

const char *cp_tier_name(cp_tier t) {
    return tier_names[t];
}

cp_tier cp_tier_of(const cp_scorecard *sc, double score) {
    for (int t = 0; t < 3; t++)
        if (score >= sc->tier_min[t])
            return (cp_tier)t;
    return CP_TIER_NEEDS_IMPROVEMENT;
}

static double clamp01(double v) {
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* The part score in 0..1 of a KPI value. */
static double part(const cp_scorecard *sc, int i, double v) {
    switch (i) {
    case CP_SC_AHT:
        return v <= 0 ? 1 : clamp01(sc->target[i] / v);
    case CP_SC_CSAT:
        return clamp01((v - 1) / 4);
    case CP_SC_QA:
        return clamp01(v / 100);
    default:
        return clamp01(v / sc->target[i]);
    }
}

int cp_score(const cp_scorecard *sc, const cp_sums *s, double *score) {
    double num = 0, den = 0, v;
    if (s->v[CP_S_HANDLED] < sc->min_calls)
        return -1;
    for (int i = 0; i < CP_SC_COUNT; i++) {
        if (sc->weight[i] <= 0 || cp_metric_value(s, parts[i].metric, &v) != 0)
            continue; /* no value: its weight goes to the others */
        num += sc->weight[i] * part(sc, i, v);
        den += sc->weight[i];
    }
    if (den <= 0)
        return -1;
    /* one score everywhere: hash, board, message and tier use it rounded */
    *score = round(100 * num / den * 100) / 100;
    return 0;
}

/* ---- configuration ------------------------------------------------------------ */

static void number(cp_errlist *e, json_t *obj, const char *key, const char *path, double lo,
                   double hi, double *out) {
    json_t *v = json_object_get(obj, key);
    if (!v)
        return;
    if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi) {
        cp_errlist_add(e, "%s.%s: expected a number in %g..%g", path, key, lo, hi);
        return;
    }
    *out = json_number_value(v);
}

static void unknown_keys(cp_errlist *e, json_t *obj, const char *path, const char *const *known) {
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        int ok = 0;
        for (int i = 0; known[i]; i++)
            ok |= strcmp(known[i], k) == 0;
        if (!ok)
            cp_errlist_add(e, "%s.%s: unknown configuration key", path, k);
    }
}

int cp_scorecard_parse(cp_scorecard *sc, json_t *scorecard, json_t *tiers, char *err,
                       size_t errsz) {
    static const char *const with_target[] = {"weight", "target", NULL};
    static const char *const weight_only[] = {"weight", NULL};
    static const char *const tier_keys[] = {"excellent", "good", "qualified", NULL};
    const char *kpis[CP_SC_COUNT + 1];
    cp_errlist e = CP_ERRLIST(err, errsz);
    char path[64];
    err[0] = '\0';
    for (int i = 0; i < CP_SC_COUNT; i++)
        kpis[i] = cp_metric_name(parts[i].metric);
    kpis[CP_SC_COUNT] = NULL;
    if (scorecard && !json_is_object(scorecard))
        cp_errlist_add(&e, "scorecard: expected an object");
    else if (scorecard) {
        unknown_keys(&e, scorecard, "scorecard", kpis);
        for (int i = 0; i < CP_SC_COUNT; i++) {
            json_t *p = json_object_get(scorecard, kpis[i]);
            snprintf(path, sizeof(path), "scorecard.%s", kpis[i]);
            if (!p)
                continue;
            if (!json_is_object(p)) {
                cp_errlist_add(&e, "%s: expected an object with weight%s", path,
                               parts[i].target > 0 ? " and target" : "");
                continue;
            }
            unknown_keys(&e, p, path, parts[i].target > 0 ? with_target : weight_only);
            number(&e, p, "weight", path, 0, 1000, &sc->weight[i]);
            if (parts[i].target > 0)
                number(&e, p, "target", path, 1e-9, 1e9, &sc->target[i]);
        }
    }
    if (tiers && !json_is_object(tiers))
        cp_errlist_add(&e, "tiers: expected an object");
    else if (tiers) {
        unknown_keys(&e, tiers, "tiers", tier_keys);
        for (int t = 0; t < 3; t++)
            number(&e, tiers, tier_names[t], "tiers", 0, 100, &sc->tier_min[t]);
        if (!(sc->tier_min[0] >= sc->tier_min[1] && sc->tier_min[1] >= sc->tier_min[2]))
            cp_errlist_add(&e, "tiers: expected excellent >= good >= qualified");
    }
    return e.count ? -1 : 0;
}
