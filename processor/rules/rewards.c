/* rewards.c -- the reward rule kinds (event, streak, goal) and the points
 * ledger with its daily cap (see ruleeval.h). */
#include <stdio.h>
#include <string.h>

#include "ruleeval.h"
#include "timefmt.h"

int cp_points_grant(cp_points *p, int64_t day, int points, int daily_cap, int64_t *changed_day) {
    int slot = -1, oldest = 0;
    for (int i = 0; i < CP_POINT_DAYS; i++) {
        if (p->days[i].day == day)
            slot = i;
        if (p->days[i].day < p->days[oldest].day)
            oldest = i;
    }
    if (slot < 0) { /* a new day takes the oldest slot */
        slot = oldest;
        p->days[slot].day = day;
        p->days[slot].points = 0;
    }
    int64_t remaining = daily_cap > 0 ? daily_cap - p->days[slot].points : points;
    int granted = remaining <= 0 ? 0 : points < remaining ? points : (int)remaining;
    if (granted > 0) {
        p->days[slot].points += granted;
        p->total += granted;
        *changed_day = day;
    }
    return granted;
}

/* Points for rule r counting for the calendar day of day_ts. */
static int grant(cp_rule_ctx *c, int r, int64_t T, const cp_event *ev, int64_t day_ts,
                 const char *id) {
    const cp_rule *rule = &c->rules->v[r];
    int64_t day = cp_day_number(day_ts, c->ws->day_offset_min), changed = CP_NO_DAY;
    int granted = cp_points_grant(&c->ar->points, day, rule->points, c->daily_cap, &changed);
    if (granted == 0)
        return 0; /* clipped to nothing: not sent */
    c->ar->points_dirty = 1;
    for (int i = 0; i < CP_POINT_DAYS; i++) {
        if (c->ar->points_days_dirty[i] == changed)
            break;
        if (c->ar->points_days_dirty[i] == CP_NO_DAY) {
            c->ar->points_days_dirty[i] = changed;
            break;
        }
    }
    cp_emit *m = cp_emit_new(c, r, T, ev);
    if (!m)
        return -1;
    snprintf(m->id, sizeof(m->id), "%s", id);
    m->points = granted;
    m->asked_points = rule->points;
    m->balance = c->ar->points.total;
    cp_day_string(day_ts, c->ws->day_offset_min, m->day, sizeof(m->day));
    return 0;
}

int cp_reward_event(cp_rule_ctx *c, int r, const cp_event *ev, int64_t T) {
    const cp_rule *rule = &c->rules->v[r];
    char id[256];
    if (ev->type != rule->event || !cp_cond_eval(&rule->when, ev))
        return 0;
    snprintf(id, sizeof(id), "%s:%s:%s", rule->id, c->agent_id, ev->event_id);
    return grant(c, r, T, ev, ev->ts_ms, id);
}

int cp_reward_streak(cp_rule_ctx *c, int r, const cp_event *ev, int64_t T) {
    const cp_rule *rule = &c->rules->v[r];
    cp_rule_state *st = &c->ar->state[r];
    char id[256];
    if (ev->type != rule->event)
        return 0;
    if (r < 64)
        c->ar->dirty_rules |= 1ULL << r;
    if (!cp_cond_eval(&rule->when, ev)) {
        st->streak = 0;
        return 0;
    }
    if ((int)++st->streak < rule->count)
        return 0;
    st->streak = 0; /* the count restarts after a reward */
    snprintf(id, sizeof(id), "%s:%s:%s", rule->id, c->agent_id, ev->event_id);
    return grant(c, r, T, ev, ev->ts_ms, id);
}

int cp_reward_goal(cp_rule_ctx *c, int r, int64_t T, const cp_sums *win, const cp_event *ev) {
    const cp_rule *rule = &c->rules->v[r];
    cp_rule_state *st = &c->ar->state[r];
    const cp_sums *s = &win[rule->window_index];
    int64_t day = cp_day_number(T, c->ws->day_offset_min);
    char id[256], date[11];
    double v;
    if (st->goal_day == day || cp_metric_value(s, rule->kpi, &v) != 0 ||
        cp_kpi_samples(s, rule->kpi) < rule->min_samples ||
        !cp_op_eval(rule->op, v, rule->threshold))
        return 0;
    st->goal_day = day; /* once per day, even when the cap leaves nothing */
    if (r < 64)
        c->ar->dirty_rules |= 1ULL << r;
    cp_day_string(T, c->ws->day_offset_min, date, sizeof(date));
    snprintf(id, sizeof(id), "%s:%s:%s", rule->id, c->agent_id, date);
    size_t before = c->out->n;
    if (grant(c, r, T, ev, T, id) != 0)
        return -1;
    if (c->out->n > before) { /* the goal's value goes with the reward */
        c->out->v[before].value = v;
        c->out->v[before].has_value = 1;
        c->out->v[before].threshold = rule->threshold;
        c->out->v[before].has_threshold = 1;
        c->out->v[before].samples = cp_kpi_samples(s, rule->kpi);
    }
    return 0;
}
