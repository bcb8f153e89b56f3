/* kind_streak.c -- the streak, an alert or a reward (contract section 5):
 * `count` events of one type in a row matching `when`, in the order the
 * agent's events arrive on its partition. A non-matching event of that
 * type breaks it, other types do not; at every count-th match it fires
 * (an alert: `firing` only) or grants its points, and the count
 * restarts. */
#include <stdio.h>

#include "points.h"
#include "rulekind.h"

static void parse(cp_rule_reader *rd, cp_rule *r) {
    cp_rule_read_event_test(rd, r);
    cp_rule_get_int(rd, "count", 1, 1, 1000, &r->count);
}

/* The alert at the count-th match. */
static int fire(cp_rule_ctx *c, int r, const cp_event *ev, int64_t T, const char *id) {
    const cp_rule *rule = &c->rules->v[r];
    cp_emit *m = cp_emit_new(c, r, T, ev);
    if (!m)
        return -1;
    snprintf(m->id, sizeof(m->id), "%s", id);
    m->firing = 1;
    m->value = m->threshold = rule->count;
    m->has_value = m->has_threshold = 1;
    m->samples = rule->count;
    return 0;
}

static int on_event(cp_rule_ctx *c, int r, int64_t T, const cp_sums *win, const cp_event *ev) {
    const cp_rule *rule = &c->rules->v[r];
    cp_rule_state *st = &c->ar->state[r];
    char id[256];
    cp_emit *m;
    (void)win;
    if (ev->type != rule->event || !cp_rule_applies(rule, c->team)) /* rewards: no teams */
        return 0;
    if (rule->reward) /* a reward streak's state is written at every event of its type */
        cp_rule_state_changed(c->ar, r);
    if (!cp_cond_eval(&rule->when, ev)) {
        if (st->streak) {
            st->streak = 0;
            cp_rule_state_changed(c->ar, r);
        }
        return 0;
    }
    st->streak++;
    cp_rule_state_changed(c->ar, r);
    if ((int)st->streak < rule->count)
        return 0;
    st->streak = 0; /* the count restarts after firing */
    snprintf(id, sizeof(id), "%s:%s:%s", rule->id, c->agent_id, ev->event_id);
    if (rule->reward)
        return cp_points_reward(c, r, T, ev, ev->ts_ms, id, &m);
    return fire(c, r, ev, T, id);
}

static void message(const cp_message_ctx *c, const cp_emit *m, char *buf, size_t size) {
    const cp_rule *r = m->rule;
    char agent[160], what[256];
    if (r->reward) {
        cp_sentence_reward(c, m, buf, size);
        return;
    }
    cp_sentence_who(c, agent, sizeof(agent));
    if (r->description[0])
        snprintf(what, sizeof(what), "%d %s", r->count, r->description);
    else
        snprintf(what, sizeof(what), "%d %s events in a row%s%s", r->count,
                 cp_event_type_name(r->event), r->when.n ? " with " : "", r->when.text);
    snprintf(buf, size, "%s: %s (the latest is event %s).", agent, what, m->event_id);
}

const cp_rule_kind_ops cp_kind_streak = {
    .name = "streak",
    .families = CP_FAMILY_ALERTS | CP_FAMILY_REWARDS,
    .uses_window = 0,
    .parse = parse,
    .on_event = on_event,
    .message = message,
};
