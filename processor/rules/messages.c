/* messages.c -- alert and reward messages: JSON, with the sentence of the
 * rule's kind (messages.h). Numbers are rounded for people in the sentence
 * and kept exact (up to 10 significant digits) in the JSON fields. */
#include "messages.h"

#include <jansson.h>

#include "rulekinds.h"

void cp_message_text(const cp_message_ctx *c, const cp_emit *m, char *buf, size_t size) {
    cp_rule_kind_of(m->rule)->message(c, m, buf, size);
}

const char *cp_rule_buddy_window(const cp_rule *r, const cp_windows *ws) {
    return cp_rule_kind_of(r)->uses_window ? r->window : ws->w[0].name;
}

static json_t *str_or_null(const char *s) {
    return s && s[0] ? json_string(s) : json_null();
}

static json_t *alert_json(const cp_message_ctx *c, const cp_emit *m, const char *text) {
    const cp_rule *r = m->rule;
    int kpi = cp_rule_kind_of(r)->uses_window;
    json_t *buddy = m->has_buddy
                        ? json_pack("{s:s, s:f}", "agent_id", m->buddy, "score", m->buddy_score)
                        : json_null();
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:s}", "alert_id",
        m->id, "rule_id", r->id, "state", m->firing ? "firing" : "resolved", "severity",
        cp_severity_name(r->severity), "agent_id", c->agent_id, "team_id", str_or_null(c->team),
        "kpi", kpi ? json_string(cp_metric_name(r->kpi)) : json_null(), "window",
        kpi ? json_string(r->window) : json_null(), "value",
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
