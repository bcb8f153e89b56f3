/* agentstep.c -- one agent's step through a batch (agentstep.h).
 *
 * Each event is applied at its own clock Te: the larger of the agent's
 * clock so far, its partition's clock just after the event, and its ts.
 * The window sums move from one Te to the next by taking out the buckets
 * that leave (cp_wstore_move) and taking in the event, so running the rules
 * after every event costs a few additions, not a window sum. Buckets are
 * pruned only at the end, at the batch's clock T. */
#include "agentstep.h"

#include <string.h>

void cp_step_free(cp_step *s) {
    cp_agent_delta_free(&s->delta);
    cp_emits_free(&s->emits);
}

/* Window sums at a new clock. Within one bucket nothing leaves a window,
 * so only a new bucket (or day) costs anything. */
static void move(const cp_step_ctx *c, const cp_agent *a, cp_sums *win, int64_t from, int64_t to) {
    if (from != CP_NO_CLOCK && cp_bucket_of(c->ws, from) == cp_bucket_of(c->ws, to))
        return; /* buckets divide the day: the day is the same too */
    for (int i = 0; i < c->ws->n; i++) {
        if (from == CP_NO_CLOCK)
            cp_wstore_window(&a->w, c->ws, i, to, &win[i]);
        else
            cp_wstore_move(&a->w, c->ws, i, from, to, &win[i]);
    }
}

/* An applied event enters the sliding windows that cover its bucket at Te
 * (the day window is recomputed from the day's sums). */
static void take_in(const cp_step_ctx *c, const cp_agent *a, cp_sums *win, const cp_event *ev,
                    int64_t Te) {
    cp_sums d;
    int64_t b = cp_bucket_of(c->ws, ev->ts_ms), bt = cp_bucket_of(c->ws, Te);
    cp_sums_of_event(ev, &d);
    for (int i = 0; i < c->ws->n; i++) {
        int64_t n = c->ws->w[i].buckets;
        if (n == 0)
            cp_wstore_window(&a->w, c->ws, i, Te, &win[i]);
        else if (b <= bt && b >= bt - n + 1)
            cp_sums_add(&win[i], &d);
    }
}

static uint32_t changed_windows(const cp_step_ctx *c, const cp_agent *a, const cp_sums *win,
                                int applied) {
    uint32_t mask = 0;
    for (int i = 0; i < c->ws->n; i++)
        if (applied || !(a->written_known & (1u << i)) ||
            memcmp(&win[i], &a->written[i], sizeof(win[i])) != 0)
            mask |= 1u << i;
    return mask;
}

int cp_agent_step(const cp_step_ctx *c, cp_agent *a, const cp_batch_event *evs, const int32_t *next,
                  int32_t head, int64_t T, cp_step *out) {
    cp_sums win[CP_WINDOWS_MAX];
    int64_t before = a->as_of, now = a->as_of;
    cp_rule_ctx rc = {c->rules, c->ws,   c->daily_cap, c->lateness_ms,
                      a->id,    a->team, &a->rules,    &out->emits};

    cp_agent_delta_reset(&out->delta);
    cp_emits_clear(&out->emits);
    cp_agent_rules_clean(&a->rules);
    memset(win, 0, sizeof(win));
    if (now != CP_NO_CLOCK)
        move(c, a, win, CP_NO_CLOCK, now);
    for (int32_t i = head; i >= 0; i = next[i]) {
        const cp_event *ev = evs[i].ev;
        int64_t Te = now;
        if (evs[i].clock_ms > Te)
            Te = evs[i].clock_ms;
        if (ev->ts_ms > Te)
            Te = ev->ts_ms;
        if (Te != now)
            move(c, a, win, now, Te);
        now = Te;
        int applied = out->delta.applied;
        if (cp_agent_apply(a, c->ws, ev, evs[i].partition, evs[i].offset, Te, &out->delta) != 0)
            return -1;
        if (out->delta.applied == applied)
            continue; /* a replay or a duplicate changes nothing */
        take_in(c, a, win, ev, Te);
        rc.team = a->team;
        if (cp_rules_after_event(&rc, ev, Te, win) != 0)
            return -1;
    }
    if (T < now)
        T = now;
    if (T != now || head < 0) {
        move(c, a, win, now, T);
        if (cp_rules_after_slide(&rc, T, win) != 0)
            return -1;
    }
    cp_agent_advance(a, c->ws, T, c->lateness_ms, &out->delta);
    out->windows = changed_windows(c, a, win, out->delta.applied);
    out->store = out->delta.noffsets || out->windows || before != a->as_of || out->delta.ndropped ||
                 out->emits.n || a->rules.dirty_rules || a->rules.calls_dirty ||
                 a->rules.points_dirty;
    return 0;
}
