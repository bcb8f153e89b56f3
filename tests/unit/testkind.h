/* testkind.h -- a rule kind that exists only in the unit tests, with a
 * per-agent state of its own (rulekind.h's `state`), to run the kind-state
 * machinery (kindstate.h) and the layout's k:<kind> field without a real
 * kind that keeps state. It is never registered: tests put it in a
 * configuration's rules.state_kinds by hand. Defined in test_kindstate.c. */
#ifndef CALLPULSE_TEST_TESTKIND_H
#define CALLPULSE_TEST_TESTKIND_H

#include <stdint.h>

#include "rulekind.h"

/* The state: the agent's agent_state events seen, and the last one's ts
 * (-1 before the first: init's). Its text is "<seen>,<last_ts>". */
typedef struct test_tally {
    int64_t seen;
    int64_t last_ts;
} test_tally;

extern const cp_rule_kind_ops test_kind_tally; /* named "test_tally" */

#endif
