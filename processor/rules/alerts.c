/* alerts.c -- the alert rule kinds: threshold with hysteresis and
 * cooldown, streak, long call (see ruleeval.h for when each runs). */
#include <stdio.h>
#include <string.h>

#include "ruleeval.h"

static void mark(cp_rule_ctx *c, int r) {
    if (r < 64)
        c->ar->dirty_rules |= 1ULL << r;
}

/* Back on the healthy side of the clear threshold? */
static int healthy(cp_op op, double v, double clear) {
    return (op == CP_OP_GT || op == CP_OP_GE) ? v <= clear : v >= clear;
}

int cp_alert_threshold(cp_rule_ctx *c, int r, int64_t T, const cp_sums *win, const cp_event *ev) {
    const cp_rule *rule = &c->rules->v[r];
    cp_rule_state *st = &c->ar->state[r];
    const cp_sums *s = &win[rule->window_index];
    double v = 0;
    int present = cp_metric_value(s, rule->kpi, &v) == 0;
    int64_t n = cp_kpi_samples(s, rule->kpi);
    int enough = present && n >= rule->min_samples && cp_rule_applies(rule, c->team);
    cp_emit *m;

    if (!st->firing) {
        if (!enough || !cp_op_eval(rule->op, v, rule->threshold))
            return 0;
        if (st->seq > 0 && T - st->fired_at < rule->cooldown_ms)
            return 0;
        st->firing = 1;
        st->seq++;
        st->fired_at = T;
        mark(c, r);
        if (!(m = cp_emit_new(c, r, T, ev)))
            return -1;
        m->firing = 1;
        m->threshold = rule->threshold;
    } else {
        /* fewer samples than min_samples do not resolve it (no flapping at
         * the edge of the sample count): only a healthy value or no value */
        int in_scope = cp_rule_applies(rule, c->team);
        enough = present && in_scope;
        int clear = !enough || (rule->has_clear ? healthy(rule->op, v, rule->clear_threshold)
                                                : !cp_op_eval(rule->op, v, rule->threshold));
        if (!clear)
            return 0;
        st->firing = 0;
        mark(c, r);
        if (!(m = cp_emit_new(c, r, T, ev)))
            return -1;
        m->no_samples = !enough;
        m->threshold = rule->has_clear ? rule->clear_threshold : rule->threshold;
    }
    snprintf(m->id, sizeof(m->id), "%s:%s:%u:%s", rule->id, c->agent_id, (unsigned)st->seq,
             m->firing ? "firing" : "resolved");
    m->has_threshold = 1;
    m->value = v;
    m->has_value = present;
    m->samples = n;
    return 0;
}

int cp_alert_streak(cp_rule_ctx *c, int r, const cp_event *ev, int64_t T) {
    const cp_rule *rule = &c->rules->v[r];
    cp_rule_state *st = &c->ar->state[r];
    if (ev->type != rule->event || !cp_rule_applies(rule, c->team))
        return 0;
    if (!cp_cond_eval(&rule->when, ev)) {
        if (st->streak) {
            st->streak = 0;
            mark(c, r);
        }
        return 0;
    }
    st->streak++;
    mark(c, r);
    if ((int)st->streak < rule->count)
        return 0;
    st->streak = 0; /* the count restarts after firing */
    cp_emit *m = cp_emit_new(c, r, T, ev);
    if (!m)
        return -1;
    snprintf(m->id, sizeof(m->id), "%s:%s:%.*s", rule->id, c->agent_id, (int)ev->event_id_len,
             ev->event_id);
    m->firing = 1;
    m->value = m->threshold = rule->count;
    m->has_value = m->has_threshold = 1;
    m->samples = rule->count;
    return 0;
}

static cp_call *find_call(cp_call *calls, int n, const char *id) {
    for (int i = 0; i < n; i++)
        if (strcmp(calls[i].call_id, id) == 0)
            return &calls[i];
    return NULL;
}

static cp_emit *long_call_emit(cp_rule_ctx *c, int r, int64_t T, const cp_event *ev,
                               const cp_call *call, int firing, int64_t end) {
    const cp_rule *rule = &c->rules->v[r];
    cp_emit *m = cp_emit_new(c, r, T, ev);
    if (!m)
        return NULL;
    snprintf(m->id, sizeof(m->id), "%s:%s:%s:%s", rule->id, c->agent_id, call->call_id,
             firing ? "firing" : "resolved");
    m->firing = firing;
    m->value = (double)(end - call->ts) / 1000.0;
    m->threshold = (double)rule->max_ms / 1000.0;
    m->has_value = m->has_threshold = 1;
    snprintf(m->call_id, sizeof(m->call_id), "%s", call->call_id);
    m->call_ts = call->ts;
    return m;
}

/* A call that fired this rule ended: resolve. (Opening and closing calls
 * is bookkeeping shared by every long-call rule, in ruleeval.c.) */
int cp_alert_long_call_event(cp_rule_ctx *c, int r, const cp_event *ev, int64_t T) {
    cp_call *call;
    if (ev->type != CP_EV_CALL_ENDED || r >= 64 ||
        !(call = find_call(c->ar->open, c->ar->nopen, ev->call_id)) || !(call->fired & (1ULL << r)))
        return 0;
    call->fired &= ~(1ULL << r);
    c->ar->calls_dirty = 1;
    return long_call_emit(c, r, T, ev, call, 0, ev->ts_ms) ? 0 : -1;
}

int cp_alert_long_call_due(cp_rule_ctx *c, int r, int64_t T, const cp_event *ev) {
    const cp_rule *rule = &c->rules->v[r];
    if (r >= 64 || !cp_rule_applies(rule, c->team))
        return 0;
    for (int i = 0; i < c->ar->nopen; i++) {
        cp_call *call = &c->ar->open[i];
        if ((call->fired & (1ULL << r)) || T - call->ts < rule->max_ms)
            continue;
        /* A call whose deadline passed before its call_ended fires even when
         * that event is the first to reach it (the deadline passes first,
         * then the event resolves it): a wall-clock step would have fired it
         * too. Only a call opened already past its limit and ended by the
         * very event being applied raises nothing. */
        if (ev && ev->type == CP_EV_CALL_ENDED && strcmp(ev->call_id, call->call_id) == 0)
            continue;
        call->fired |= 1ULL << r;
        c->ar->calls_dirty = 1;
        /* value: how long the customer had been on the line when it went out */
        if (!long_call_emit(c, r, T, ev, call, 1, c->stamp != CP_NO_STAMP ? c->stamp : T))
            return -1;
    }
    return 0;
}
