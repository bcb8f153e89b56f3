/* ruledef.c -- the pure questions asked of one rule (ruledef.h): its
 * severity's name, its team scope, its KPI over its window. */
#include "ruledef.h"

#include <string.h>

static const char *severity_names[] = {"info", "warning", "critical"};

const char *cp_severity_name(cp_severity s) {
    return severity_names[s];
}

int cp_severity_parse(const char *s, cp_severity *out) {
    for (int i = 0; i < 3; i++) {
        if (strcmp(severity_names[i], s) == 0) {
            *out = (cp_severity)i;
            return 0;
        }
    }
    return -1;
}

int cp_rule_applies(const cp_rule *rule, const char *team) {
    if (rule->nteams == 0)
        return 1;
    for (int i = 0; i < rule->nteams; i++)
        if (strcmp(rule->teams[i], team) == 0)
            return 1;
    return 0;
}

int cp_rule_kpi(const cp_rule *rule, const cp_sums *win, double *value, int64_t *samples) {
    const cp_sums *s = &win[rule->window_index];
    *samples = cp_metric_samples(s, rule->kpi);
    return cp_metric_value(s, rule->kpi, value);
}
