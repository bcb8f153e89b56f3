/* ruleparse.h -- reading the fields of one rule's JSON object (contract
 * section 5: the rules of the configuration). Every mistake goes to the
 * reader's error list on its own line, named by its key
 * ("alerts.rules[1].threshold: required"), and reading goes on so that
 * all of them are reported at once. Used by each kind for its own fields
 * (rulekind.h) and by rules.c for the fields every rule has. */
#ifndef CALLPULSE_RULEPARSE_H
#define CALLPULSE_RULEPARSE_H

#include <jansson.h>
#include <stddef.h>

#include "errlist.h"
#include "ruledef.h"

/* One rule's object being read, and where its mistakes go. */
typedef struct cp_rule_reader {
    cp_errlist *e;
    const char *family; /* "alerts" or "rewards" */
    size_t index;       /* within the family's rules array */
    json_t *obj;
} cp_rule_reader;

/* Report a mistake in `key` of the rule: "FAMILY.rules[INDEX].KEY: ...". */
void cp_rule_mistake(cp_rule_reader *rd, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The getters return 0 with the value in *out, 1 when the key is absent
 * and not required (*out untouched), -1 after reporting a mistake
 * (absent and required, or of the wrong type or range). */

/* A string of 1..size-1 bytes. */
int cp_rule_get_string(cp_rule_reader *rd, const char *key, int required, char *out, size_t size);

/* A number in lo..hi. */
int cp_rule_get_number(cp_rule_reader *rd, const char *key, int required, double lo, double hi,
                       double *out);

/* A whole number in lo..hi. */
int cp_rule_get_int(cp_rule_reader *rd, const char *key, int required, double lo, double hi,
                    int *out);

/* A test of a KPI over a window (threshold, goal): kpi, window, op and
 * threshold (required), min_samples. */
void cp_rule_read_kpi_test(cp_rule_reader *rd, cp_rule *r);

/* A test of each event of one type (streak, event): event (required) and
 * the condition `when` over that type's fields. */
void cp_rule_read_event_test(cp_rule_reader *rd, cp_rule *r);

#endif
