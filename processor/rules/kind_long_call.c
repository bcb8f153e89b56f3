/* kind_long_call.c -- the long-call alert (contract section 5): a call
 * answered and not ended after max_s. The calls themselves are kept for
 * every rule in rulestate.h; a long-call rule fires when the agent's
 * clock passes answered + max_s while the customer is on the line, and
 * resolves on that call's call_ended. */
#include <stdio.h>
#include <string.h>

#include "numfmt.h"
#include "rulekind.h"
#include "timefmt.h"

static void parse(cp_rule_reader *rd, cp_rule *r) {
    double d;
    if (cp_rule_get_number(rd, "max_s", 1, 1, 86400, &d) == 0)
        r->max_ms = (int64_t)(d * 1000);
}

/* value: how long the call had lasted at `end`. */
static int emit(cp_rule_ctx *c, int r, int64_t T, const cp_event *ev, const cp_call *call,
                int firing, int64_t end) {
    const cp_rule *rule = &c->rules->v[r];
    cp_emit *m = cp_emit_new(c, r, T, ev);
    if (!m)
        return -1;
    snprintf(m->id, sizeof(m->id), "%s:%s:%s:%s", rule->id, c->agent_id, call->call_id,
             firing ? "firing" : "resolved");
    m->firing = firing;
    m->value = (double)(end - call->ts) / 1000.0;
    m->threshold = (double)rule->max_ms / 1000.0;
    m->has_value = m->has_threshold = 1;
    snprintf(m->call_id, sizeof(m->call_id), "%s", call->call_id);
    m->call_ts = call->ts;
    return 0;
}

/* Fire for every open call past max_s at T. ev: the event being applied,
 * or NULL after the windows moved. */
static int due(cp_rule_ctx *c, int r, int64_t T, const cp_sums *win, const cp_event *ev) {
    const cp_rule *rule = &c->rules->v[r];
    (void)win;
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
        if (emit(c, r, T, ev, call, 1, c->stamp != CP_NO_STAMP ? c->stamp : T) != 0)
            return -1;
    }
    return 0;
}

/* A call that fired this rule ended: resolve it; then what is due. (The
 * call is opened before and closed after every rule has seen the event.) */
static int on_event(cp_rule_ctx *c, int r, int64_t T, const cp_sums *win, const cp_event *ev) {
    cp_call *call;
    if (ev->type == CP_EV_CALL_ENDED && r < 64 && (call = cp_calls_open(c->ar, ev->call_id)) &&
        (call->fired & (1ULL << r))) {
        call->fired &= ~(1ULL << r);
        c->ar->calls_dirty = 1;
        if (emit(c, r, T, ev, call, 0, ev->ts_ms) != 0)
            return -1;
    }
    return due(c, r, T, win, ev);
}

/* The first open call to reach max_s that has not fired this rule. */
static int64_t next_deadline(const cp_rule *rule, int r, const cp_agent_rules *ar, int64_t T) {
    int64_t next = CP_NEVER;
    for (int i = 0; r < 64 && i < ar->nopen; i++) {
        int64_t d = ar->open[i].ts + rule->max_ms;
        if (!(ar->open[i].fired & (1ULL << r)) && d > T && d < next)
            next = d;
    }
    return next;
}

static void message(const cp_message_ctx *c, const cp_emit *m, char *buf, size_t size) {
    char agent[160], at[32], min[CP_NUM_TEXT_MAX];
    cp_sentence_who(c, agent, sizeof(agent));
    cp_fmt_fixed(m->value / 60.0, 1, min); /* "%.1f" */
    cp_rfc3339_format(m->call_ts, at, sizeof(at));
    at[19] = '\0'; /* to the second */
    if (m->firing)
        snprintf(buf, size,
                 "%s has been on call %s for %s min (answered %sZ): join while the customer "
                 "is still on the line.",
                 agent, m->call_id, min, at);
    else
        snprintf(buf, size, "%s: call %s ended after %s min.", agent, m->call_id, min);
}

const cp_rule_kind_ops cp_kind_long_call = {
    .name = "long_call",
    .families = CP_FAMILY_ALERTS,
    .uses_window = 0,
    .parse = parse,
    .on_event = on_event,
    .on_clock = due,
    .next_deadline = next_deadline,
    .message = message,
};
