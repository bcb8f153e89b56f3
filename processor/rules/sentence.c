/* sentence.c -- the pieces of alert and reward sentences (sentence.h),
 * and the words for each KPI. */
#include "sentence.h"

#include <stdio.h>

/* ---- the words of each KPI ------------------------------------------------
 * Used only through the three functions below, which are all a KPI row of
 * kpi.h has to replace. */

typedef enum { CP_UNIT_COUNT, CP_UNIT_SECONDS, CP_UNIT_PERCENT, CP_UNIT_SCORE } cp_metric_unit;

static const struct {
    const char *label;
    cp_metric_unit unit;
    const char *samples; /* what min_samples counts */
} kpi_text[CP_M_COUNT] = {
    [CP_M_OFFERED] = {"calls offered", CP_UNIT_COUNT, "calls"},
    [CP_M_ANSWERED] = {"calls answered", CP_UNIT_COUNT, "calls"},
    [CP_M_MISSED] = {"missed calls", CP_UNIT_COUNT, "calls"},
    [CP_M_HANDLED] = {"calls handled", CP_UNIT_COUNT, "calls"},
    [CP_M_TALK_S] = {"talk time", CP_UNIT_SECONDS, "calls"},
    [CP_M_HOLD_S] = {"hold time", CP_UNIT_SECONDS, "calls"},
    [CP_M_ACW_S] = {"after-call work", CP_UNIT_SECONDS, "calls"},
    [CP_M_RESOLVED] = {"resolved calls", CP_UNIT_COUNT, "calls"},
    [CP_M_TRANSFERRED] = {"transfers", CP_UNIT_COUNT, "calls"},
    [CP_M_COMPLAINTS] = {"complaints", CP_UNIT_COUNT, "calls"},
    [CP_M_SALES] = {"sales", CP_UNIT_COUNT, "calls"},
    [CP_M_SALES_VALUE] = {"sales value", CP_UNIT_SCORE, "calls"},
    [CP_M_CSAT_SUM] = {"CSAT total", CP_UNIT_COUNT, "calls"},
    [CP_M_CSAT_COUNT] = {"surveys", CP_UNIT_COUNT, "calls"},
    [CP_M_QA_SUM] = {"QA total", CP_UNIT_SCORE, "calls"},
    [CP_M_QA_COUNT] = {"QA scores", CP_UNIT_COUNT, "calls"},
    [CP_M_ANSWER_RATE] = {"answer rate", CP_UNIT_PERCENT, "calls answered or missed"},
    [CP_M_AHT_S] = {"average handle time", CP_UNIT_SECONDS, "calls"},
    [CP_M_AVG_TALK_S] = {"average talk time", CP_UNIT_SECONDS, "calls"},
    [CP_M_AVG_HOLD_S] = {"average hold time", CP_UNIT_SECONDS, "calls"},
    [CP_M_AVG_ACW_S] = {"average after-call work", CP_UNIT_SECONDS, "calls"},
    [CP_M_FCR_RATE] = {"first-contact resolution", CP_UNIT_PERCENT, "calls"},
    [CP_M_TRANSFER_RATE] = {"transfer rate", CP_UNIT_PERCENT, "calls"},
    [CP_M_COMPLAINT_RATE] = {"complaint rate", CP_UNIT_PERCENT, "calls"},
    [CP_M_CONVERSION_RATE] = {"conversion rate", CP_UNIT_PERCENT, "calls"},
    [CP_M_CSAT_AVG] = {"average CSAT", CP_UNIT_SCORE, "surveys"},
    [CP_M_QA_AVG] = {"average QA score", CP_UNIT_SCORE, "QA scores"},
};

const char *cp_sentence_kpi_label(cp_metric m) {
    return kpi_text[m].label;
}

const char *cp_sentence_samples_label(cp_metric m) {
    return kpi_text[m].samples;
}

static cp_metric_unit kpi_unit(cp_metric m) {
    return kpi_text[m].unit;
}

/* ---- pieces -------------------------------------------------------------- */

void cp_sentence_value(cp_metric m, double v, char *buf, size_t size) {
    switch (kpi_unit(m)) {
    case CP_UNIT_SECONDS:
        snprintf(buf, size, "%.0f s", v);
        break;
    case CP_UNIT_PERCENT:
        snprintf(buf, size, "%.1f%%", v * 100);
        break;
    case CP_UNIT_SCORE:
        snprintf(buf, size, "%.2f", v);
        break;
    default:
        snprintf(buf, size, "%.0f", v);
        break;
    }
}

void cp_sentence_who(const cp_message_ctx *c, char *buf, size_t size) {
    if (c->team[0])
        snprintf(buf, size, "Agent %s (team %s)", c->agent_id, c->team);
    else
        snprintf(buf, size, "Agent %s", c->agent_id);
}

void cp_sentence_window(const cp_message_ctx *c, const cp_rule *r, char *buf, size_t size) {
    if (r->window_index >= 0 && c->ws->w[r->window_index].buckets == 0)
        snprintf(buf, size, "today");
    else
        snprintf(buf, size, "over the last %s", r->window);
}

void cp_sentence_reward(const cp_message_ctx *c, const cp_emit *m, char *buf, size_t size) {
    const cp_rule *r = m->rule;
    char what[200], badge[96] = "", clip[96] = "";
    if (r->description[0])
        snprintf(what, sizeof(what), "%s", r->description);
    else
        snprintf(what, sizeof(what), "rule %s", r->id);
    if (r->badge[0])
        snprintf(badge, sizeof(badge), " and the %s badge", r->badge);
    if (m->points < m->asked_points)
        snprintf(clip, sizeof(clip), " of %d (the daily cap of %d is reached)", m->asked_points,
                 c->daily_cap);
    snprintf(buf, size, "%s earned %d points%s%s for %s (balance %lld).", c->agent_id, m->points,
             clip, badge, what, (long long)m->balance);
}
