/* rulestate.c -- one agent's rule state, its calls and the emissions of
 * its rules (rulestate.h). */
#include "rulestate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"

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
    for (size_t i = 0; i < ar->nkinds; i++)
        free(ar->kinds[i].state);
    free(ar->kinds);
    memset(ar, 0, sizeof(*ar));
}

void cp_agent_rules_clean(cp_agent_rules *ar) {
    ar->dirty_rules = 0;
    ar->kinds_dirty = 0;
    ar->calls_dirty = ar->points_dirty = 0;
    for (int i = 0; i < CP_POINT_DAYS; i++)
        ar->points_days_dirty[i] = CP_NO_DAY;
}

void cp_rule_state_changed(cp_agent_rules *ar, int r) {
    if (r < 64)
        ar->dirty_rules |= 1ULL << r;
}

/* ---- emissions ------------------------------------------------------------ */

cp_emit *cp_emit_new(cp_rule_ctx *c, int r, int64_t T, const cp_event *ev) {
    cp_emits *e = c->out;
    if (cp_grow(e->v, e->cap, e->n + 1) != 0)
        return NULL;
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

/* ---- calls ------------------------------------------------------------------ */

void cp_calls_answered(cp_agent_rules *ar, const cp_event *ev) {
    cp_call *slot;
    for (int i = 0; i < ar->nended; i++) {
        if (strcmp(ar->ended[i].call_id, ev->call_id) == 0) {
            ar->ended[i] = ar->ended[--ar->nended]; /* ended already: never open */
            ar->calls_dirty = 1;
            return;
        }
    }
    if (cp_calls_open(ar, ev->call_id))
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

void cp_calls_ended(cp_agent_rules *ar, const cp_event *ev) {
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

void cp_calls_prune(cp_agent_rules *ar, int64_t T, int64_t lateness_ms) {
    for (int i = ar->nopen - 1; i >= 0; i--) {
        if (T - ar->open[i].ts > 86400000) {
            ar->open[i] = ar->open[--ar->nopen];
            ar->calls_dirty = 1;
        }
    }
    for (int i = ar->nended - 1; i >= 0; i--) {
        if (T - ar->ended[i].ts > lateness_ms) {
            ar->ended[i] = ar->ended[--ar->nended];
            ar->calls_dirty = 1;
        }
    }
}

cp_call *cp_calls_open(cp_agent_rules *ar, const char *call_id) {
    for (int i = 0; i < ar->nopen; i++)
        if (strcmp(ar->open[i].call_id, call_id) == 0)
            return &ar->open[i];
    return NULL;
}
