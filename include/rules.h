/* rules.h -- alert and reward rules (contract section 5) as read from the
 * configuration and validated. A rule's fields are ruledef.h; what each
 * kind reads and does is its file (rulekind.h); evaluating them for an
 * agent is ruleeval.h.
 *
 * Configuration:
 *   "alerts":  {"rules": [ ... ]}
 *   "rewards": {"rules": [ ... ], "daily_cap": 500}
 * A missing "rules" array means the contract's default rules of that
 * family; an empty array means none. */
#ifndef CALLPULSE_RULES_H
#define CALLPULSE_RULES_H

#include <jansson.h>
#include <stddef.h>

#include "ruledef.h"

/* Parse one family ("alerts" or "rewards") from a JSON array, replacing
 * the rules of that family in r. Every mistake is reported on its own line
 * in err ("alerts.rules[1].threshold: ..."). Returns 0 or -1. */
int cp_rules_parse(cp_rules *r, int reward, json_t *array, char *err, size_t errsz);

/* The contract's default rules of a family. */
int cp_rules_defaults(cp_rules *r, int reward);

/* Check rules against the windows in force (names[0..n)); fills
 * window_index. One line per mistake in err. */
int cp_rules_resolve(cp_rules *r, const char (*names)[16], int n, char *err, size_t errsz);

#endif
