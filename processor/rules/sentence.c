/* sentence.c -- the pieces of alert and reward sentences (sentence.h),
 * with the words of each KPI from its row (kpi.h). */
#include "sentence.h"

#include <stdio.h>

#include "numfmt.h"

/* ---- pieces -------------------------------------------------------------- */

void cp_sentence_value(cp_metric m, double v, char *buf, size_t size) {
    char num[CP_NUM_TEXT_MAX];
    switch (cp_metric_unit_of(m)) {
    case CP_UNIT_SECONDS: /* "%.0f s" */
        cp_fmt_fixed(v, 0, num);
        snprintf(buf, size, "%s s", num);
        break;
    case CP_UNIT_PERCENT: /* "%.1f%%" */
        cp_fmt_fixed(v * 100, 1, num);
        snprintf(buf, size, "%s%%", num);
        break;
    case CP_UNIT_SCORE:
        cp_fmt_fixed(v, 2, num);
        snprintf(buf, size, "%s", num);
        break;
    default:
        cp_fmt_fixed(v, 0, num);
        snprintf(buf, size, "%s", num);
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
