/* points.c -- granting a reward's points under the daily cap, and the
 * reward emission (points.h). */
#include "points.h"

#include <stdio.h>

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

/* The day's points field is written at the next store. */
static void day_changed(cp_agent_rules *ar, int64_t day) {
    ar->points_dirty = 1;
    for (int i = 0; i < CP_POINT_DAYS; i++) {
        if (ar->points_days_dirty[i] == day)
            break;
        if (ar->points_days_dirty[i] == CP_NO_DAY) {
            ar->points_days_dirty[i] = day;
            break;
        }
    }
}

int cp_points_reward(cp_rule_ctx *c, int r, int64_t T, const cp_event *ev, int64_t day_ts,
                     const char *id, cp_emit **m) {
    const cp_rule *rule = &c->rules->v[r];
    int64_t day = cp_day_number(day_ts, c->ws->day_offset_min), changed = CP_NO_DAY;
    int granted = cp_points_grant(&c->ar->points, day, rule->points, c->daily_cap, &changed);
    *m = NULL;
    if (granted == 0)
        return 0; /* clipped to nothing: not sent */
    day_changed(c->ar, changed);
    if (!(*m = cp_emit_new(c, r, T, ev)))
        return -1;
    snprintf((*m)->id, sizeof((*m)->id), "%s", id);
    (*m)->points = granted;
    (*m)->asked_points = rule->points;
    (*m)->balance = c->ar->points.total;
    cp_day_string(day_ts, c->ws->day_offset_min, (*m)->day, sizeof((*m)->day));
    return 0;
}
