/* points.h -- the points a reward grants (contract section 5): the daily
 * cap, counted per calendar day at windows.day_offset_min, and the reward
 * emission carrying what was granted. Every reward kind grants through
 * here. */
#ifndef CALLPULSE_POINTS_H
#define CALLPULSE_POINTS_H

#include <stdint.h>

#include "rulestate.h"

/* Grant points for a reward on `day` under the daily cap; returns the
 * points granted (0: nothing remains today) and sets *changed_day to
 * `day` when some were. */
int cp_points_grant(cp_points *p, int64_t day, int points, int daily_cap, int64_t *changed_day);

/* Rule r's points, counting for the calendar day of day_ts (epoch ms),
 * as a reward emission of that id at T. *m is the emission, or NULL when
 * the cap left nothing (no reward is sent). Returns 0, or -1 on out of
 * memory. */
int cp_points_reward(cp_rule_ctx *c, int r, int64_t T, const cp_event *ev, int64_t day_ts,
                     const char *id, cp_emit **m);

#endif
