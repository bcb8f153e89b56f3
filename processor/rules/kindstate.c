/* kindstate.c -- the per-agent states of the rule kinds that keep one
 * (kindstate.h): a slot per kind in the agent's rule state, found by the
 * kind's table, each state owned by its slot (freed with the rule state,
 * rulestate.c). */
#include "kindstate.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"

/* kinds_dirty has a bit per slot. */
#define SLOTS_MAX 32
_Static_assert(CP_STATE_KINDS_MAX <= SLOTS_MAX, "a bit of kinds_dirty per configured kind");

/* The index of kind's slot, or -1. */
static int slot_of(const cp_agent_rules *ar, const cp_rule_kind_ops *kind) {
    for (size_t i = 0; i < ar->nkinds; i++)
        if (ar->kinds[i].kind == kind)
            return (int)i;
    return -1;
}

/* A new slot for kind holding its init state: its index, or -1 on out of
 * memory (nothing changed). */
static int new_slot(cp_agent_rules *ar, const cp_rule_kind_ops *kind) {
    if (ar->nkinds == SLOTS_MAX || cp_grow(ar->kinds, ar->kinds_cap, ar->nkinds + 1) != 0)
        return -1;
    void *state = calloc(1, kind->state->size);
    if (!state)
        return -1;
    kind->state->init(state);
    ar->kinds[ar->nkinds] = (cp_kind_slot){kind, state};
    return (int)ar->nkinds++;
}

void *cp_kind_state(cp_agent_rules *ar, const cp_rule_kind_ops *kind) {
    int i = slot_of(ar, kind);
    if (i < 0 && (i = new_slot(ar, kind)) < 0)
        return NULL;
    return ar->kinds[i].state;
}

const void *cp_kind_state_find(const cp_agent_rules *ar, const cp_rule_kind_ops *kind) {
    int i = slot_of(ar, kind);
    return i < 0 ? NULL : ar->kinds[i].state;
}

void cp_kind_state_changed(cp_agent_rules *ar, const cp_rule_kind_ops *kind) {
    int i = slot_of(ar, kind);
    if (i >= 0)
        ar->kinds_dirty |= 1u << i;
}

int cp_kind_states_observe(cp_agent_rules *ar, const cp_rules *rules, const cp_event *ev) {
    for (int k = 0; k < rules->nstate_kinds; k++) {
        const cp_rule_kind_ops *kind = rules->state_kinds[k];
        if (!kind->state->observe)
            continue;
        void *state = cp_kind_state(ar, kind);
        if (!state)
            return -1;
        if (kind->state->observe(state, ev))
            cp_kind_state_changed(ar, kind);
    }
    return 0;
}

const cp_rule_kind_ops *cp_state_kind_named(const cp_rules *rules, const char *name, size_t len) {
    for (int k = 0; k < rules->nstate_kinds; k++) {
        const char *n = rules->state_kinds[k]->name;
        if (strlen(n) == len && memcmp(n, name, len) == 0)
            return rules->state_kinds[k];
    }
    return NULL;
}
