/* kind_event.c -- the event reward (contract section 5): points for every
 * event of one type matching `when`, under the daily cap of the day of
 * the event's ts. */
#include <stdio.h>

#include "points.h"
#include "rulekind.h"

static void parse(cp_rule_reader *rd, cp_rule *r) {
    cp_rule_read_event_test(rd, r);
}

static int on_event(cp_rule_ctx *c, int r, int64_t T, const cp_sums *win, const cp_event *ev) {
    const cp_rule *rule = &c->rules->v[r];
    char id[256];
    cp_emit *m;
    (void)win;
    if (ev->type != rule->event || !cp_cond_eval(&rule->when, ev))
        return 0;
    snprintf(id, sizeof(id), "%s:%s:%s", rule->id, c->agent_id, ev->event_id);
    return cp_points_reward(c, r, T, ev, ev->ts_ms, id, &m);
}

const cp_rule_kind_ops cp_kind_event = {
    .name = "event",
    .families = CP_FAMILY_REWARDS,
    .uses_window = 0,
    .parse = parse,
    .on_event = on_event,
    .message = cp_sentence_reward,
};
