/* rulekinds.c -- the registry of rule kinds (rulekinds.h): the one list
 * of them, in cp_rule_kind order. */
#include "rulekinds.h"

#include <string.h>

const cp_rule_kind_ops *const cp_rule_kinds[CP_RULE_KIND_COUNT] = {
    [CP_RULE_THRESHOLD] = &cp_kind_threshold, /* kind_threshold.c */
    [CP_RULE_EVENT] = &cp_kind_event,         /* kind_event.c */
    [CP_RULE_STREAK] = &cp_kind_streak,       /* kind_streak.c */
    [CP_RULE_LONG_CALL] = &cp_kind_long_call, /* kind_long_call.c */
    [CP_RULE_GOAL] = &cp_kind_goal,           /* kind_goal.c */
};

int cp_rule_kind_parse(const char *name, cp_rule_kind *kind) {
    for (int k = 0; k < CP_RULE_KIND_COUNT; k++) {
        if (strcmp(cp_rule_kinds[k]->name, name) == 0) {
            *kind = (cp_rule_kind)k;
            return 0;
        }
    }
    return -1;
}

const cp_rule_kind_ops *cp_rule_kind_of(const cp_rule *rule) {
    return cp_rule_kinds[rule->kind];
}
