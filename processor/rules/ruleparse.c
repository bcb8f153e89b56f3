/* ruleparse.c -- reading a rule's fields from its JSON object, with every
 * mistake named by its key (ruleparse.h). */
#include "ruleparse.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void cp_rule_mistake(cp_rule_reader *rd, const char *key, const char *fmt, ...) {
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    cp_errlist_add(rd->e, "%s.rules[%zu].%s: %s", rd->family, rd->index, key, what);
}

int cp_rule_get_string(cp_rule_reader *rd, const char *key, int required, char *out, size_t size) {
    json_t *v = json_object_get(rd->obj, key);
    if (!v) {
        if (required)
            cp_rule_mistake(rd, key, "required");
        return required ? -1 : 1;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= size) {
        cp_rule_mistake(rd, key, "expected a string of 1..%zu characters", size - 1);
        return -1;
    }
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

int cp_rule_get_number(cp_rule_reader *rd, const char *key, int required, double lo, double hi,
                       double *out) {
    json_t *v = json_object_get(rd->obj, key);
    if (!v) {
        if (required)
            cp_rule_mistake(rd, key, "required");
        return required ? -1 : 1;
    }
    if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi) {
        cp_rule_mistake(rd, key, "expected a number in %g..%g", lo, hi);
        return -1;
    }
    *out = json_number_value(v);
    return 0;
}

int cp_rule_get_int(cp_rule_reader *rd, const char *key, int required, double lo, double hi,
                    int *out) {
    double d;
    int rc = cp_rule_get_number(rd, key, required, lo, hi, &d);
    if (rc == 0 && d != floor(d)) {
        cp_rule_mistake(rd, key, "expected a whole number");
        return -1;
    }
    if (rc == 0)
        *out = (int)d;
    return rc;
}

void cp_rule_read_kpi_test(cp_rule_reader *rd, cp_rule *r) {
    char kpi[32], op[4];
    if (cp_rule_get_string(rd, "kpi", 1, kpi, sizeof(kpi)) == 0 &&
        cp_metric_parse(kpi, &r->kpi) != 0)
        cp_rule_mistake(rd, "kpi", "unknown KPI '%s'", kpi);
    cp_rule_get_string(rd, "window", 1, r->window, sizeof(r->window));
    if (cp_rule_get_string(rd, "op", 1, op, sizeof(op)) == 0 && cp_op_parse(op, &r->op) != 0)
        cp_rule_mistake(rd, "op", "expected one of < <= > >= == !=");
    cp_rule_get_number(rd, "threshold", 1, -1e12, 1e12, &r->threshold);
    cp_rule_get_int(rd, "min_samples", 0, 0, 1e9, &r->min_samples);
}

void cp_rule_read_event_test(cp_rule_reader *rd, cp_rule *r) {
    char type[32], when[160], why[160];
    if (cp_rule_get_string(rd, "event", 1, type, sizeof(type)) != 0)
        return;
    int t;
    for (t = 0; t < CP_EV_TYPE_COUNT && strcmp(cp_event_type_name((cp_event_type)t), type); t++)
        ;
    if (t == CP_EV_TYPE_COUNT) {
        cp_rule_mistake(rd, "event", "unknown event type '%s'", type);
        return;
    }
    r->event = (cp_event_type)t;
    if (cp_rule_get_string(rd, "when", 0, when, sizeof(when)) == 0 &&
        cp_cond_parse(&r->when, when, r->event, why, sizeof(why)) != 0)
        cp_rule_mistake(rd, "when", "%s", why);
}
