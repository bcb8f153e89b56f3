/* rulekinds.h -- the registry of rule kinds: the one list of every kind's
 * table of operations (rulekind.h), indexed by cp_rule_kind. Reading,
 * evaluating and writing rules go through it, never by naming a kind. */
#ifndef CALLPULSE_RULEKINDS_H
#define CALLPULSE_RULEKINDS_H

#include "rulekind.h"

extern const cp_rule_kind_ops *const cp_rule_kinds[CP_RULE_KIND_COUNT];

/* The kind written as `name` in a rule's "kind": 0 with *kind, or -1. */
int cp_rule_kind_parse(const char *name, cp_rule_kind *kind);

/* The operations of the rule's kind. */
const cp_rule_kind_ops *cp_rule_kind_of(const cp_rule *rule);

#endif
