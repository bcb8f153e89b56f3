/* messages.c -- alert and reward messages: JSON and sentences
 * (messages.h). Numbers are rounded for people in the sentence and kept
 * exact (up to 10 significant digits) in the JSON fields. */
#include "messages.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "timefmt.h"

typedef enum { U_COUNT, U_SECONDS, U_PERCENT, U_SCORE } unit;

static const struct {
    const char *label;
    unit u;
    const char *samples; /* what min_samples counts */
} kpi_text[CP_M_COUNT] = {
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

static void fmt(cp_metric m, double v, char *buf, size_t size) {
    switch (kpi_text[m].u) {
    case U_SECONDS:
        snprintf(buf, size, "%.0f s", v);
        break;
    case U_PERCENT:
        snprintf(buf, size, "%.1f%%", v * 100);
        break;
    case U_SCORE:
        snprintf(buf, size, "%.2f", v);
        break;
    default:
        snprintf(buf, size, "%.0f", v);
        break;
    }
}

/* "Agent a17 (team t2)" or "Agent a17". */
static void who(const cp_message_ctx *c, char *buf, size_t size) {
    if (c->team[0])
        snprintf(buf, size, "Agent %s (team %s)", c->agent_id, c->team);
    else
        snprintf(buf, size, "Agent %s", c->agent_id);
}

static void window_phrase(const cp_message_ctx *c, const cp_rule *r, char *buf, size_t size) {
    if (r->window_index >= 0 && c->ws->w[r->window_index].buckets == 0)
        snprintf(buf, size, "today");
    else
        snprintf(buf, size, "over the last %s", r->window);
}

static void threshold_text(const cp_message_ctx *c, const cp_emit *m, char *buf, size_t size) {
    const cp_rule *r = m->rule;
    char agent[160], win[48], val[32], thr[32];
    who(c, agent, sizeof(agent));
    window_phrase(c, r, win, sizeof(win));
    fmt(r->kpi, m->value, val, sizeof(val));
    fmt(r->kpi, m->threshold, thr, sizeof(thr));
    const char *label = kpi_text[r->kpi].label;
    if (m->firing) {
        const char *side = r->op == CP_OP_GT || r->op == CP_OP_GE   ? "above the limit of"
                           : r->op == CP_OP_LT || r->op == CP_OP_LE ? "below the minimum of"
                                                                    : "at";
        /* the buddy is in its own field, not here: the sentence, like every
         * field but buddy, is a function of the input (contract 3) */
        snprintf(buf, size, "%s: %s %s is %s, %s %s (%lld %s).", agent, label, win, val, side, thr,
                 (long long)m->samples, kpi_text[r->kpi].samples);
    } else if (m->no_samples) {
        snprintf(buf, size, "%s: no %s %s any more, so the %s alert is resolved.", agent,
                 kpi_text[r->kpi].samples, win, label);
    } else {
        snprintf(buf, size, "%s: %s %s is back to %s (clears at %s).", agent, label, win, val, thr);
    }
}

static void streak_text(const cp_message_ctx *c, const cp_emit *m, char *buf, size_t size) {
    const cp_rule *r = m->rule;
    char agent[160], what[256];
    who(c, agent, sizeof(agent));
    if (r->description[0])
        snprintf(what, sizeof(what), "%d %s", r->count, r->description);
    else
        snprintf(what, sizeof(what), "%d %s events in a row%s%s", r->count,
                 cp_event_type_name(r->event), r->when.n ? " with " : "", r->when.text);
    snprintf(buf, size, "%s: %s (the latest is event %s).", agent, what, m->event_id);
}

static void long_call_text(const cp_message_ctx *c, const cp_emit *m, char *buf, size_t size) {
    char agent[160], at[32];
    who(c, agent, sizeof(agent));
    cp_rfc3339_format(m->call_ts, at, sizeof(at));
    at[19] = '\0'; /* to the second */
    if (m->firing)
        snprintf(buf, size,
                 "%s has been on call %s for %.1f min (answered %sZ): join while the customer "
                 "is still on the line.",
                 agent, m->call_id, m->value / 60.0, at);
    else
        snprintf(buf, size, "%s: call %s ended after %.1f min.", agent, m->call_id,
                 m->value / 60.0);
}

static void reward_text(const cp_message_ctx *c, const cp_emit *m, char *buf, size_t size) {
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

void cp_message_text(const cp_message_ctx *c, const cp_emit *m, char *buf, size_t size) {
    if (m->kind == CP_EMIT_REWARD)
        reward_text(c, m, buf, size);
    else if (m->rule->kind == CP_RULE_THRESHOLD)
        threshold_text(c, m, buf, size);
    else if (m->rule->kind == CP_RULE_STREAK)
        streak_text(c, m, buf, size);
    else
        long_call_text(c, m, buf, size);
}

static json_t *str_or_null(const char *s) {
    return s && s[0] ? json_string(s) : json_null();
}

static json_t *alert_json(const cp_message_ctx *c, const cp_emit *m, const char *text) {
    const cp_rule *r = m->rule;
    int threshold = r->kind == CP_RULE_THRESHOLD;
    json_t *buddy = m->has_buddy
                        ? json_pack("{s:s, s:f}", "agent_id", m->buddy, "score", m->buddy_score)
                        : json_null();
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:s}", "alert_id",
        m->id, "rule_id", r->id, "state", m->firing ? "firing" : "resolved", "severity",
        cp_severity_name(r->severity), "agent_id", c->agent_id, "team_id", str_or_null(c->team),
        "kpi", threshold ? json_string(cp_metric_name(r->kpi)) : json_null(), "window",
        threshold ? json_string(r->window) : json_null(), "value",
        m->has_value ? json_real(m->value) : json_null(), "threshold",
        m->has_threshold ? json_real(m->threshold) : json_null(), "samples",
        m->samples >= 0 ? json_integer(m->samples) : json_null(), "as_of", (json_int_t)m->as_of,
        "event_id", str_or_null(m->event_id), "buddy", buddy, "message", text);
}

static json_t *reward_json(const cp_message_ctx *c, const cp_emit *m, const char *text) {
    const cp_rule *r = m->rule;
    return json_pack("{s:s, s:s, s:s, s:o, s:i, s:o, s:I, s:I, s:o, s:s}", "reward_id", m->id,
                     "rule_id", r->id, "agent_id", c->agent_id, "team_id", str_or_null(c->team),
                     "points", m->points, "badge", str_or_null(r->badge), "balance",
                     (json_int_t)m->balance, "as_of", (json_int_t)m->as_of, "event_id",
                     str_or_null(m->event_id), "message", text);
}

char *cp_message_json(const cp_message_ctx *c, const cp_emit *m) {
    char text[768];
    cp_message_text(c, m, text, sizeof(text));
    json_t *o = m->kind == CP_EMIT_REWARD ? reward_json(c, m, text) : alert_json(c, m, text);
    if (!o)
        return NULL;
    char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(o);
    return s;
}
