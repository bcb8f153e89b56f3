/* ruleeval.c -- applying the rules to one agent: an event, a slide and the
 * next deadline, each rule through its kind's operations; and the codec
 * of a rule's state (ruleeval.h). */
#include "ruleeval.h"

#include <stdio.h>
#include <string.h>

#include "kindstate.h"
#include "rulekinds.h"

int cp_rules_after_event(cp_rule_ctx *c, const cp_event *ev, int64_t T, const cp_sums *win) {
    if (ev->type == CP_EV_CALL_ANSWERED)
        cp_calls_answered(c->ar, ev);
    if (cp_kind_states_observe(c->ar, c->rules, ev) != 0)
        return -1;
    for (int r = 0; r < c->rules->n; r++)
        if (cp_rule_kind_of(&c->rules->v[r])->on_event(c, r, T, win, ev) != 0)
            return -1;
    if (ev->type == CP_EV_CALL_ENDED)
        cp_calls_ended(c->ar, ev);
    cp_calls_prune(c->ar, T, c->lateness_ms);
    return 0;
}

int cp_rules_after_slide(cp_rule_ctx *c, int64_t T, const cp_sums *win) {
    for (int r = 0; r < c->rules->n; r++) {
        const cp_rule_kind_ops *kind = cp_rule_kind_of(&c->rules->v[r]);
        if (kind->on_clock && kind->on_clock(c, r, T, win, NULL) != 0)
            return -1;
    }
    cp_calls_prune(c->ar, T, c->lateness_ms);
    return 0;
}

int64_t cp_rules_next_deadline(const cp_rules *rules, const cp_agent_rules *ar, int64_t T) {
    int64_t next = CP_NEVER;
    for (int r = 0; r < rules->n && r < ar->nstate; r++) {
        const cp_rule_kind_ops *kind = cp_rule_kind_of(&rules->v[r]);
        int64_t d = kind->next_deadline ? kind->next_deadline(&rules->v[r], r, ar, T) : CP_NEVER;
        if (d < next)
            next = d;
    }
    return next;
}

/* ---- codec --------------------------------------------------------------- */

size_t cp_rule_state_encode(const cp_rule_state *s, char *buf, size_t size) {
    int n = snprintf(buf, size, "f%uq%ua%lldk%ug%lld", (unsigned)s->firing, (unsigned)s->seq,
                     (long long)s->fired_at, (unsigned)s->streak,
                     (long long)(s->goal_day == CP_NO_DAY ? -1 : s->goal_day));
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

int cp_rule_state_decode(const char *text, size_t len, cp_rule_state *s) {
    char buf[128];
    unsigned f, q, k;
    long long a, g;
    if (len >= sizeof(buf))
        return -1;
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (sscanf(buf, "f%uq%ua%lldk%ug%lld", &f, &q, &a, &k, &g) != 5 || f > 1)
        return -1;
    s->firing = (uint8_t)f;
    s->seq = q;
    s->fired_at = a;
    s->streak = k;
    s->goal_day = g < 0 ? CP_NO_DAY : g;
    return 0;
}
