/* ruleeval.c -- applying the rules to one agent: per-agent rule state,
 * dispatch by rule kind, emissions, and the state codec (ruleeval.h). */
#include "ruleeval.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cp_agent_rules_init(cp_agent_rules *ar, int nrules) {
    memset(ar, 0, sizeof(*ar));
    ar->state = calloc((size_t)(nrules ? nrules : 1), sizeof(*ar->state));
    if (!ar->state)
        return -1;
    ar->nstate = nrules;
    for (int i = 0; i < nrules; i++)
        ar->state[i].goal_day = CP_NO_DAY;
    for (int i = 0; i < CP_POINT_DAYS; i++)
        ar->points.days[i].day = CP_NO_DAY;
    return 0;
}

void cp_agent_rules_free(cp_agent_rules *ar) {
    free(ar->state);
    memset(ar, 0, sizeof(*ar));
}

void cp_agent_rules_clean(cp_agent_rules *ar) {
    ar->dirty_rules = 0;
    ar->calls_dirty = ar->points_dirty = 0;
    for (int i = 0; i < CP_POINT_DAYS; i++)
        ar->points_days_dirty[i] = CP_NO_DAY;
}

cp_emit *cp_emit_new(cp_rule_ctx *c, int r, int64_t T, const cp_event *ev) {
    cp_emits *e = c->out;
    if (e->n == e->cap) {
        size_t cap = e->cap ? e->cap * 2 : 8;
        cp_emit *v = realloc(e->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        e->v = v;
        e->cap = cap;
    }
    cp_emit *m = &e->v[e->n++];
    memset(m, 0, sizeof(*m));
    m->rule = &c->rules->v[r];
    m->kind = m->rule->reward ? CP_EMIT_REWARD : CP_EMIT_ALERT;
    m->as_of = c->stamp != CP_NO_STAMP ? c->stamp : T;
    m->samples = -1;
    snprintf(m->team, sizeof(m->team), "%s", c->team);
    if (!ev) /* a deadline passed at the agent's own event names that event */
        ev = c->next_event;
    if (ev)
        memcpy(m->event_id, ev->event_id, (size_t)ev->event_id_len + 1);
    return m;
}

void cp_emits_clear(cp_emits *e) {
    e->n = 0;
}

void cp_emits_free(cp_emits *e) {
    free(e->v);
    memset(e, 0, sizeof(*e));
}

/* Calls answered and not ended, for the long-call rules; ended calls are
 * remembered a while in case their call_answered arrives late. */
static void track_call_start(cp_agent_rules *ar, const cp_event *ev) {
    cp_call *slot;
    for (int i = 0; i < ar->nended; i++) {
        if (strcmp(ar->ended[i].call_id, ev->call_id) == 0) {
            ar->ended[i] = ar->ended[--ar->nended]; /* ended already: never open */
            ar->calls_dirty = 1;
            return;
        }
    }
    for (int i = 0; i < ar->nopen; i++)
        if (strcmp(ar->open[i].call_id, ev->call_id) == 0)
            return;
    if (ar->nopen < CP_OPEN_CALLS_MAX) {
        slot = &ar->open[ar->nopen++];
    } else { /* bounded: the oldest open call is forgotten */
        slot = &ar->open[0];
        for (int i = 1; i < ar->nopen; i++)
            if (ar->open[i].ts < slot->ts)
                slot = &ar->open[i];
    }
    memcpy(slot->call_id, ev->call_id, (size_t)ev->call_id_len + 1);
    slot->ts = ev->ts_ms;
    slot->fired = 0;
    ar->calls_dirty = 1;
}

static void track_call_end(cp_agent_rules *ar, const cp_event *ev) {
    for (int i = 0; i < ar->nopen; i++) {
        if (strcmp(ar->open[i].call_id, ev->call_id) == 0) {
            ar->open[i] = ar->open[--ar->nopen];
            ar->calls_dirty = 1;
            return;
        }
    }
    cp_call *slot = ar->nended < CP_OPEN_CALLS_MAX ? &ar->ended[ar->nended++] : &ar->ended[0];
    memcpy(slot->call_id, ev->call_id, (size_t)ev->call_id_len + 1);
    slot->ts = ev->ts_ms;
    slot->fired = 0;
    ar->calls_dirty = 1;
}

/* Open calls a day old and ended calls past the lateness horizon go. */
static void prune_calls(cp_rule_ctx *c, int64_t T) {
    cp_agent_rules *ar = c->ar;
    for (int i = ar->nopen - 1; i >= 0; i--) {
        if (T - ar->open[i].ts > 86400000) {
            ar->open[i] = ar->open[--ar->nopen];
            ar->calls_dirty = 1;
        }
    }
    for (int i = ar->nended - 1; i >= 0; i--) {
        if (T - ar->ended[i].ts > c->lateness_ms) {
            ar->ended[i] = ar->ended[--ar->nended];
            ar->calls_dirty = 1;
        }
    }
}

int cp_rules_after_event(cp_rule_ctx *c, const cp_event *ev, int64_t T, const cp_sums *win) {
    if (ev->type == CP_EV_CALL_ANSWERED)
        track_call_start(c->ar, ev);
    for (int r = 0; r < c->rules->n; r++) {
        const cp_rule *rule = &c->rules->v[r];
        int rc = 0;
        switch (rule->kind) {
        case CP_RULE_THRESHOLD:
            rc = cp_alert_threshold(c, r, T, win, ev);
            break;
        case CP_RULE_STREAK:
            rc = rule->reward ? cp_reward_streak(c, r, ev, T) : cp_alert_streak(c, r, ev, T);
            break;
        case CP_RULE_LONG_CALL:
            rc = cp_alert_long_call_event(c, r, ev, T);
            if (rc == 0)
                rc = cp_alert_long_call_due(c, r, T, ev);
            break;
        case CP_RULE_EVENT:
            rc = cp_reward_event(c, r, ev, T);
            break;
        case CP_RULE_GOAL:
            rc = cp_reward_goal(c, r, T, win, ev);
            break;
        }
        if (rc != 0)
            return -1;
    }
    if (ev->type == CP_EV_CALL_ENDED)
        track_call_end(c->ar, ev);
    prune_calls(c, T);
    return 0;
}

int cp_rules_after_slide(cp_rule_ctx *c, int64_t T, const cp_sums *win) {
    for (int r = 0; r < c->rules->n; r++) {
        const cp_rule *rule = &c->rules->v[r];
        int rc = 0;
        if (rule->kind == CP_RULE_THRESHOLD)
            rc = cp_alert_threshold(c, r, T, win, NULL);
        else if (rule->kind == CP_RULE_GOAL)
            rc = cp_reward_goal(c, r, T, win, NULL);
        else if (rule->kind == CP_RULE_LONG_CALL)
            rc = cp_alert_long_call_due(c, r, T, NULL);
        if (rc != 0)
            return -1;
    }
    prune_calls(c, T);
    return 0;
}

int64_t cp_rules_next_deadline(const cp_rules *rules, const cp_agent_rules *ar, int64_t T) {
    int64_t next = CP_NEVER;
    for (int r = 0; r < rules->n && r < ar->nstate; r++) {
        const cp_rule *rule = &rules->v[r];
        int64_t d;
        if (rule->kind == CP_RULE_LONG_CALL && r < 64) {
            for (int i = 0; i < ar->nopen; i++) {
                d = ar->open[i].ts + rule->max_ms;
                if (!(ar->open[i].fired & (1ULL << r)) && d > T && d < next)
                    next = d;
            }
        } else if (rule->kind == CP_RULE_THRESHOLD && !ar->state[r].firing &&
                   ar->state[r].seq > 0 && rule->cooldown_ms > 0) {
            d = ar->state[r].fired_at + rule->cooldown_ms; /* it may fire again */
            if (d > T && d < next)
                next = d;
        }
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
