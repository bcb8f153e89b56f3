/* agentstep.c -- one agent's step through a batch (agentstep.h).
 *
 * Each event is applied at its own clock Te: the larger of the agent's
 * clock so far, its partition's clock just after the event, and its ts.
 * Between two of its events the agent is evaluated again only where its
 * partition's clock reaches one of its deadlines: the first such point is
 * found by a binary search in the lane, so a quiet stretch costs nothing.
 * The window sums move from one clock to the next by taking out the
 * buckets that leave (cp_wstore_move) and taking in the event, so running
 * the rules costs a few additions, not a window sum. Buckets are pruned
 * only at the end, at the lane's last clock. */
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

static int64_t next_due(const cp_step_ctx *c, const cp_agent *a, int64_t now) {
    if (now == CP_NO_CLOCK)
        return CP_NEVER;
    int64_t w = cp_wstore_next_change(&a->w, c->ws, now);
    int64_t r = cp_rules_next_deadline(c->rules, &a->rules, now);
    return r < w ? r : w;
}

int64_t cp_agent_next_due(const cp_step_ctx *c, const cp_agent *a) {
    return next_due(c, a, a->as_of);
}

/* The first index in l->clock[lo, hi) whose clock reaches t (hi: none). */
static int32_t lane_find(const cp_lane *l, int32_t lo, int32_t hi, int64_t t) {
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (l->clock[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static const cp_lane *lane_of(const cp_timeline *tl, int32_t partition) {
    if (partition < 0 || (size_t)partition >= tl->nlanes || tl->lanes[partition].n == 0)
        return NULL;
    return &tl->lanes[partition];
}

/* The agent as it walks: its windows at `now`, its rule context, and its
 * next deadline, which stays valid while its state does not change (the
 * clock moving towards it changes nothing). */
typedef struct walk {
    const cp_step_ctx *c;
    cp_agent *a;
    cp_sums win[CP_WINDOWS_MAX];
    int64_t now;
    int64_t due;
    int due_ok;
    int64_t changed_at[CP_WINDOWS_MAX]; /* the last point each window changed */
    cp_rule_ctx rc;
} walk;

/* Move the windows to clock `to`, noting which ones change there. */
static void walk_move(walk *k, int64_t to) {
    cp_sums before[CP_WINDOWS_MAX];
    int n = k->c->ws->n;
    if (k->now != CP_NO_CLOCK && cp_bucket_of(k->c->ws, k->now) == cp_bucket_of(k->c->ws, to)) {
        k->now = to; /* within a bucket nothing moves (most events) */
        return;
    }
    memcpy(before, k->win, sizeof(before[0]) * (size_t)n);
    move(k->c, k->a, k->win, k->now, to);
    for (int i = 0; i < n; i++)
        if (memcmp(&before[i], &k->win[i], sizeof(before[i])) != 0)
            k->changed_at[i] = to;
    k->now = to;
}

static int64_t walk_due(walk *k) {
    if (!k->due_ok) {
        k->due = next_due(k->c, k->a, k->now);
        k->due_ok = 1;
    }
    return k->due;
}

/* A point of the lane at clock Tc passes every deadline up to Tc: each is
 * evaluated in turn at its own instant (the windows and rule clocks there,
 * so a wall-clock step and a replay without it reach the same states), and
 * what it emits carries Tc as as_of. ev: the agent's own event at this
 * point, applied after them; NULL when the point is another's. */
static int walk_deadlines(walk *k, int64_t Tc, const cp_event *ev) {
    int64_t due = walk_due(k);
    if (due > Tc)
        return 0;
    k->rc.stamp = Tc;
    k->rc.next_event = ev;
    for (; due <= Tc; due = walk_due(k)) {
        walk_move(k, due);
        k->due_ok = 0;
        if (cp_rules_after_slide(&k->rc, due, k->win) != 0)
            break;
    }
    k->rc.stamp = CP_NO_STAMP;
    k->rc.next_event = NULL;
    if (due <= Tc)
        return -1;
    walk_move(k, Tc); /* nothing changes from the last deadline to Tc */
    return 0;
}

/* The points of l->clock[lo, hi) that pass the agent's deadlines. */
static int walk_lane(walk *k, const cp_lane *l, int32_t lo, int32_t hi) {
    while (l && lo < hi && l->clock[hi - 1] > k->now) {
        int64_t due = walk_due(k);
        if (due == CP_NEVER || l->clock[hi - 1] < due)
            return 0;
        lo = lane_find(l, lo, hi, due);
        if (walk_deadlines(k, l->clock[lo++], NULL) != 0)
            return -1;
    }
    return 0;
}

/* One of the agent's own events, at its point of the lane: the deadlines
 * its clock passes first, then the event (a replay or a duplicate changes
 * nothing more). */
static int walk_event(walk *k, const cp_batch_event *be, cp_step *out) {
    const cp_event *ev = be->ev;
    int64_t Te = k->now;
    if (be->clock_ms > Te)
        Te = be->clock_ms;
    if (ev->ts_ms > Te)
        Te = ev->ts_ms;
    if (walk_deadlines(k, Te, ev) != 0)
        return -1;
    walk_move(k, Te);
    int applied = out->delta.applied;
    if (cp_agent_apply(k->a, k->c->ws, ev, be->partition, be->offset, Te, k->c->lateness_ms,
                       &out->delta) != 0)
        return -1;
    if (out->delta.applied == applied)
        return 0;
    k->due_ok = 0;
    take_in(k->c, k->a, k->win, ev, Te);
    for (int i = 0; i < k->c->ws->n; i++) /* an applied event rewrites every hash */
        k->changed_at[i] = Te;
    k->rc.team = k->a->team;
    return cp_rules_after_event(&k->rc, ev, Te, k->win);
}

int cp_agent_step(const cp_step_ctx *c, cp_agent *a, const cp_batch_event *evs,
                  const cp_timeline *tl, int32_t head, cp_step *out) {
    walk k;
    int64_t before = a->as_of;
    int32_t part = a->partition, from = 0;
    const cp_lane *lane = lane_of(tl, part);

    memset(k.win, 0, sizeof(k.win));
    k.c = c;
    k.a = a;
    k.now = a->as_of;
    k.due_ok = 0;
    memcpy(k.changed_at, a->kpi_as_of, sizeof(k.changed_at));
    k.rc = (cp_rule_ctx){c->rules, c->ws,     c->daily_cap, c->lateness_ms, a->id,
                         a->team,  &a->rules, &out->emits,  CP_NO_STAMP,    NULL};
    if (a->behind < 0) { /* written: what changes from here on is new */
        cp_agent_delta_reset(&out->delta);
        cp_emits_clear(&out->emits);
        out->windows = 0;
        cp_agent_rules_clean(&a->rules);
    } /* else out holds what its steps changed since its last write (engine.h) */
    out->store = 0;
    if (k.now != CP_NO_CLOCK)
        move(c, a, k.win, CP_NO_CLOCK, k.now);
    if (a->version > 0 && !a->written_known) {
        /* just loaded: its KPI hashes hold its windows at its clock, written
         * in the same atomic step as the state; rewriting them would only
         * move their as_of */
        memcpy(a->written, k.win, sizeof(k.win[0]) * (size_t)c->ws->n);
        a->written_known = (1u << c->ws->n) - 1;
    }
    for (int32_t i = head; i >= 0; i = tl->next[i]) {
        if (evs[i].partition != part) { /* the agent's key moved: another lane */
            part = evs[i].partition;
            lane = lane_of(tl, part);
            from = 0;
        }
        if (walk_lane(&k, lane, from, tl->pos[i]) != 0 || walk_event(&k, &evs[i], out) != 0)
            return -1;
        from = tl->pos[i] + 1;
    }
    if (lane && walk_lane(&k, lane, from, lane->n) != 0)
        return -1;
    /* Nothing is due from here to the lane's end, so the agent's clock (and
     * its KPI hashes' as_of) stays at its last point: a function of the
     * input, whatever the batching (contract 3). Its next deadline is kept
     * for the engine (advancing prunes nothing a window still holds). */
    a->due = walk_due(&k);
    a->due_known = 1;
    if (k.now == CP_NO_CLOCK) {
        out->store = a->behind >= 0;
        return 0;
    }
    memcpy(a->kpi_as_of, k.changed_at, sizeof(a->kpi_as_of));
    cp_agent_advance(a, c->ws, k.now, c->lateness_ms, &out->delta);
    out->windows |= changed_windows(c, a, k.win, out->delta.applied);
    out->store = a->behind >= 0 || out->delta.noffsets || out->windows || before != a->as_of ||
                 out->delta.ndropped || out->emits.n || a->rules.dirty_rules ||
                 a->rules.kinds_dirty || a->rules.calls_dirty || a->rules.points_dirty;
    return 0;
}
