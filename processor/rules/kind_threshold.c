/* kind_threshold.c -- the threshold alert (contract section 5): a KPI over
 * a window crossing a threshold. Evaluated after every event of the agent
 * and whenever its windows move; fires on the edge into the condition
 * once (with min_samples samples); resolves when the value is back past
 * clear_threshold (or the condition no longer holds when there is none)
 * or the window has no value at all (fewer samples alone do not resolve
 * it, so it does not flap); fires again only after resolving and
 * cooldown_s of event time since it last fired. */
#include <stdio.h>

#include "rulekind.h"

static void parse(cp_rule_reader *rd, cp_rule *r) {
    double d;
    cp_rule_read_kpi_test(rd, r);
    if (cp_rule_get_number(rd, "clear_threshold", 0, -1e12, 1e12, &d) != 0)
        return;
    r->has_clear = 1;
    r->clear_threshold = d;
    int ok = r->op == CP_OP_GT || r->op == CP_OP_GE   ? d <= r->threshold
             : r->op == CP_OP_LT || r->op == CP_OP_LE ? d >= r->threshold
                                                      : 0;
    if (!ok)
        cp_rule_mistake(rd, "clear_threshold",
                        "must lie on the healthy side of the threshold (and op must be <, <=, > "
                        "or >=)");
}

/* Back on the healthy side of the clear threshold? */
static int healthy(cp_op op, double v, double clear) {
    return (op == CP_OP_GT || op == CP_OP_GE) ? v <= clear : v >= clear;
}

/* ev: the event just applied, or NULL after the windows moved. */
static int evaluate(cp_rule_ctx *c, int r, int64_t T, const cp_sums *win, const cp_event *ev) {
    const cp_rule *rule = &c->rules->v[r];
    cp_rule_state *st = &c->ar->state[r];
    double v = 0;
    int64_t n;
    int present = cp_rule_kpi(rule, win, &v, &n) == 0;
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
        cp_rule_state_changed(c->ar, r);
        if (!(m = cp_emit_new(c, r, T, ev)))
            return -1;
        m->firing = 1;
        m->threshold = rule->threshold;
    } else {
        /* fewer samples than min_samples do not resolve it (no flapping at
         * the edge of the sample count): only a healthy value or no value */
        enough = present && cp_rule_applies(rule, c->team);
        int clear = !enough || (rule->has_clear ? healthy(rule->op, v, rule->clear_threshold)
                                                : !cp_op_eval(rule->op, v, rule->threshold));
        if (!clear)
            return 0;
        st->firing = 0;
        cp_rule_state_changed(c->ar, r);
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

/* The end of the cooldown: a resolved alert may fire again then. */
static int64_t next_deadline(const cp_rule *rule, int r, const cp_agent_rules *ar, int64_t T) {
    const cp_rule_state *st = &ar->state[r];
    if (st->firing || st->seq == 0 || rule->cooldown_ms <= 0)
        return CP_NEVER;
    int64_t d = st->fired_at + rule->cooldown_ms;
    return d > T ? d : CP_NEVER;
}

static void message(const cp_message_ctx *c, const cp_emit *m, char *buf, size_t size) {
    const cp_rule *r = m->rule;
    char agent[160], win[48], val[32], thr[32];
    const char *label = cp_metric_label(r->kpi);
    const char *samples = cp_metric_samples_label(r->kpi);
    cp_sentence_who(c, agent, sizeof(agent));
    cp_sentence_window(c, r, win, sizeof(win));
    cp_sentence_value(r->kpi, m->value, val, sizeof(val));
    cp_sentence_value(r->kpi, m->threshold, thr, sizeof(thr));
    if (m->firing) {
        const char *side = r->op == CP_OP_GT || r->op == CP_OP_GE   ? "above the limit of"
                           : r->op == CP_OP_LT || r->op == CP_OP_LE ? "below the minimum of"
                                                                    : "at";
        /* the buddy is in its own field, not here: the sentence, like every
         * field but buddy, is a function of the input (contract 3) */
        snprintf(buf, size, "%s: %s %s is %s, %s %s (%lld %s).", agent, label, win, val, side, thr,
                 (long long)m->samples, samples);
    } else if (m->no_samples) {
        snprintf(buf, size, "%s: no %s %s any more, so the %s alert is resolved.", agent, samples,
                 win, label);
    } else {
        snprintf(buf, size, "%s: %s %s is back to %s (clears at %s).", agent, label, win, val, thr);
    }
}

const cp_rule_kind_ops cp_kind_threshold = {
    .name = "threshold",
    .families = CP_FAMILY_ALERTS,
    .uses_window = 1,
    .parse = parse,
    .on_event = evaluate,
    .on_clock = evaluate,
    .next_deadline = next_deadline,
    .message = message,
};
