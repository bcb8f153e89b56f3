/* kind_goal.c -- the KPI goal reward (contract section 5): a KPI over a
 * window holding a test (with min_samples samples), granted once per agent
 * per calendar day, the first time it holds; evaluated like a threshold,
 * after every event and whenever the windows move. The points count for
 * the day of the clock. */
#include <stdio.h>

#include "points.h"
#include "rulekind.h"
#include "timefmt.h"

static void parse(cp_rule_reader *rd, cp_rule *r) {
    cp_rule_read_kpi_test(rd, r);
}

/* ev: the event just applied, or NULL after the windows moved. */
static int evaluate(cp_rule_ctx *c, int r, int64_t T, const cp_sums *win, const cp_event *ev) {
    const cp_rule *rule = &c->rules->v[r];
    cp_rule_state *st = &c->ar->state[r];
    int64_t day = cp_day_number(T, c->ws->day_offset_min), samples;
    char id[256], date[11];
    double v;
    cp_emit *m;
    if (st->goal_day == day || cp_rule_kpi(rule, win, &v, &samples) != 0 ||
        samples < rule->min_samples || !cp_op_eval(rule->op, v, rule->threshold))
        return 0;
    st->goal_day = day; /* once per day, even when the cap leaves nothing */
    cp_rule_state_changed(c->ar, r);
    cp_day_string(T, c->ws->day_offset_min, date, sizeof(date));
    snprintf(id, sizeof(id), "%s:%s:%s", rule->id, c->agent_id, date);
    if (cp_points_reward(c, r, T, ev, T, id, &m) != 0)
        return -1;
    if (m) { /* the goal's value goes with the reward */
        m->value = v;
        m->has_value = 1;
        m->threshold = rule->threshold;
        m->has_threshold = 1;
        m->samples = samples;
    }
    return 0;
}

const cp_rule_kind_ops cp_kind_goal = {
    .name = "goal",
    .families = CP_FAMILY_REWARDS,
    .uses_window = 1,
    .parse = parse,
    .on_event = evaluate,
    .on_clock = evaluate,
    .message = cp_sentence_reward,
};
