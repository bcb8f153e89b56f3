/* rules.c -- rule definitions: parsing, validation, defaults, conditions
 * (rules.h). The default rules are written as configuration JSON and read
 * by the same parser as the operator's rules, so both follow one path. */
#include "rules.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errlist.h"

static const char default_alerts[] =
    "["
    "{\"id\":\"aht-high\",\"kind\":\"threshold\",\"kpi\":\"aht_s\",\"window\":\"15m\","
    "\"op\":\">\",\"threshold\":480,\"min_samples\":5,\"clear_threshold\":420,"
    "\"cooldown_s\":600,\"severity\":\"warning\"},"
    "{\"id\":\"csat-low\",\"kind\":\"threshold\",\"kpi\":\"csat_avg\",\"window\":\"60m\","
    "\"op\":\"<\",\"threshold\":3.0,\"min_samples\":3,\"clear_threshold\":3.5,"
    "\"severity\":\"critical\"},"
    "{\"id\":\"answer-rate-low\",\"kind\":\"threshold\",\"kpi\":\"answer_rate\","
    "\"window\":\"60m\",\"op\":\"<\",\"threshold\":0.80,\"min_samples\":10,"
    "\"clear_threshold\":0.85,\"severity\":\"warning\"},"
    "{\"id\":\"csat-streak\",\"kind\":\"streak\",\"event\":\"survey\",\"when\":\"csat <= 2\","
    "\"count\":3,\"severity\":\"critical\",\"description\":\"surveys in a row with CSAT of 2 or "
    "less\"},"
    "{\"id\":\"transfer-streak\",\"kind\":\"streak\",\"event\":\"call_ended\","
    "\"when\":\"transferred\",\"count\":3,\"severity\":\"warning\","
    "\"description\":\"transferred calls in a row\"},"
    "{\"id\":\"long-call\",\"kind\":\"long_call\",\"max_s\":900,\"severity\":\"info\"}"
    "]";

static const char default_rewards[] =
    "["
    "{\"id\":\"csat-5\",\"kind\":\"event\",\"event\":\"survey\",\"when\":\"csat == 5\","
    "\"points\":10,\"description\":\"a 5-star survey\"},"
    "{\"id\":\"complaint-resolved\",\"kind\":\"event\",\"event\":\"call_ended\","
    "\"when\":\"complaint && resolved\",\"points\":50,\"badge\":\"complaint-crusher\","
    "\"description\":\"turning a complaint into a resolved call\"},"
    "{\"id\":\"fcr-streak\",\"kind\":\"streak\",\"event\":\"call_ended\",\"when\":\"resolved\","
    "\"count\":5,\"points\":25,\"badge\":\"on-a-roll\","
    "\"description\":\"calls resolved in a row\"},"
    "{\"id\":\"answer-rate-goal\",\"kind\":\"goal\",\"kpi\":\"answer_rate\",\"window\":\"day\","
    "\"op\":\">=\",\"threshold\":0.90,\"min_samples\":20,\"points\":100,"
    "\"description\":\"an answer rate of 90% or more today\"}"
    "]";

/* ---- small tables ------------------------------------------------------- */

static const char *op_texts[] = {"<", "<=", ">", ">=", "==", "!="};
static const char *severity_names[] = {"info", "warning", "critical"};
static const char *kind_names[] = {"threshold", "streak", "long_call", "event", "goal"};

static const struct {
    const char *name;
    cp_event_type type; /* the event type carrying the field */
    int is_flag;
} fields[CP_F_FIELD_COUNT] = {
    [CP_F_RING_S] = {"ring_s", CP_EV_CALL_ANSWERED, 0},
    [CP_F_TALK_S] = {"talk_s", CP_EV_CALL_ENDED, 0},
    [CP_F_HOLD_S] = {"hold_s", CP_EV_CALL_ENDED, 0},
    [CP_F_ACW_S] = {"acw_s", CP_EV_TYPE_COUNT, 0}, /* call_ended and wrapup_ended */
    [CP_F_SALE_VALUE] = {"sale_value", CP_EV_CALL_ENDED, 0},
    [CP_F_CSAT] = {"csat", CP_EV_SURVEY, 0},
    [CP_F_QA_SCORE] = {"qa_score", CP_EV_QA_SCORED, 0},
    [CP_F_FLAG_TRANSFERRED] = {"transferred", CP_EV_CALL_ENDED, 1},
    [CP_F_FLAG_RESOLVED] = {"resolved", CP_EV_CALL_ENDED, 1},
    [CP_F_FLAG_COMPLAINT] = {"complaint", CP_EV_CALL_ENDED, 1},
    [CP_F_FLAG_SALE] = {"sale", CP_EV_CALL_ENDED, 1},
};

const char *cp_op_text(cp_op op) {
    return op_texts[op];
}

const char *cp_severity_name(cp_severity s) {
    return severity_names[s];
}

int cp_op_eval(cp_op op, double a, double b) {
    switch (op) {
    case CP_OP_LT:
        return a < b;
    case CP_OP_LE:
        return a <= b;
    case CP_OP_GT:
        return a > b;
    case CP_OP_GE:
        return a >= b;
    case CP_OP_EQ:
        return a == b;
    default:
        return a != b;
    }
}

static int parse_op(const char *s, cp_op *op) {
    for (int i = 0; i < 6; i++) {
        if (strcmp(s, op_texts[i]) == 0) {
            *op = (cp_op)i;
            return 0;
        }
    }
    return -1;
}

int64_t cp_kpi_samples(const cp_sums *s, cp_metric kpi) {
    switch (kpi) {
    case CP_M_ANSWER_RATE:
        return s->v[CP_S_ANSWERED] + s->v[CP_S_MISSED];
    case CP_M_CSAT_AVG:
        return s->v[CP_S_CSAT_COUNT];
    case CP_M_QA_AVG:
        return s->v[CP_S_QA_COUNT];
    default:
        return s->v[CP_S_HANDLED];
    }
}

int cp_rule_applies(const cp_rule *rule, const char *team) {
    if (rule->nteams == 0)
        return 1;
    for (int i = 0; i < rule->nteams; i++)
        if (strcmp(rule->teams[i], team) == 0)
            return 1;
    return 0;
}

/* ---- conditions --------------------------------------------------------- */

static double field_value(const cp_event *ev, cp_event_field f) {
    switch (f) {
    case CP_F_RING_S:
        return (double)ev->ring_ms / 1000.0;
    case CP_F_TALK_S:
        return (double)ev->talk_ms / 1000.0;
    case CP_F_HOLD_S:
        return (double)ev->hold_ms / 1000.0;
    case CP_F_ACW_S:
        return (double)ev->acw_ms / 1000.0;
    case CP_F_SALE_VALUE:
        return (double)ev->sale_value_milli / 1000.0;
    case CP_F_CSAT:
        return ev->csat;
    case CP_F_QA_SCORE:
        return (double)ev->qa_milli / 1000.0;
    case CP_F_FLAG_TRANSFERRED:
        return (ev->flags & CP_F_TRANSFERRED) != 0;
    case CP_F_FLAG_RESOLVED:
        return (ev->flags & CP_F_RESOLVED) != 0;
    case CP_F_FLAG_COMPLAINT:
        return (ev->flags & CP_F_COMPLAINT) != 0;
    default:
        return (ev->flags & CP_F_SALE) != 0;
    }
}

int cp_cond_eval(const cp_cond *c, const cp_event *ev) {
    for (int i = 0; i < c->n; i++) {
        double v = field_value(ev, c->t[i].field);
        int holds = c->t[i].compare ? cp_op_eval(c->t[i].op, v, c->t[i].value) : v != 0;
        if (holds == c->t[i].negate)
            return 0;
    }
    return 1;
}

static int fail(char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t whysz, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whysz, fmt, ap);
    va_end(ap);
    return -1;
}

/* One term: ['!'] name [op number]. Advances *at. */
static int parse_term(cp_cond *c, const char **at, cp_event_type type, char *why, size_t whysz) {
    const char *p = *at;
    char name[32], opbuf[3] = "";
    size_t n = 0;
    int i = c->n;
    while (isspace((unsigned char)*p))
        p++;
    c->t[i].negate = *p == '!';
    if (*p == '!')
        p++;
    while (isspace((unsigned char)*p))
        p++;
    while ((isalnum((unsigned char)*p) || *p == '_') && n + 1 < sizeof(name))
        name[n++] = *p++;
    name[n] = '\0';
    int f;
    for (f = 0; f < CP_F_FIELD_COUNT && strcmp(fields[f].name, name) != 0; f++)
        ;
    if (f == CP_F_FIELD_COUNT)
        return fail(why, whysz, "unknown field '%s'", name);
    int fits = fields[f].type == type || (fields[f].type == CP_EV_TYPE_COUNT &&
                                          (type == CP_EV_CALL_ENDED || type == CP_EV_WRAPUP_ENDED));
    if (!fits)
        return fail(why, whysz, "%s events have no field '%s'", cp_event_type_name(type), name);
    c->t[i].field = (cp_event_field)f;
    while (isspace((unsigned char)*p))
        p++;
    n = 0;
    while (strchr("<>=!", *p) && *p && n < 2)
        opbuf[n++] = *p++;
    opbuf[n] = '\0';
    c->t[i].compare = n > 0;
    if (n > 0) {
        char *end;
        if (c->t[i].negate)
            return fail(why, whysz, "'!' only negates a bare field");
        if (parse_op(opbuf, &c->t[i].op) != 0)
            return fail(why, whysz, "unknown comparison '%s'", opbuf);
        c->t[i].value = strtod(p, &end);
        if (end == p || !isfinite(c->t[i].value))
            return fail(why, whysz, "a number must follow '%s'", opbuf);
        p = end;
    } else if (!fields[f].is_flag) {
        return fail(why, whysz, "'%s' is a number: compare it (for example %s >= 1)", name, name);
    }
    c->n++;
    *at = p;
    return 0;
}

int cp_cond_parse(cp_cond *c, const char *text, cp_event_type type, char *why, size_t whysz) {
    const char *p = text;
    memset(c, 0, sizeof(*c));
    if (strlen(text) >= sizeof(c->text))
        return fail(why, whysz, "condition longer than %zu characters", sizeof(c->text) - 1);
    snprintf(c->text, sizeof(c->text), "%s", text);
    for (;;) {
        if (c->n == CP_COND_TERMS_MAX)
            return fail(why, whysz, "more than %d terms", CP_COND_TERMS_MAX);
        if (parse_term(c, &p, type, why, whysz) != 0)
            return -1;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0')
            return 0;
        if (p[0] != '&' || p[1] != '&')
            return fail(why, whysz, "expected && or the end after a term, at \"%s\"", p);
        p += 2;
    }
}

/* ---- parsing rules ------------------------------------------------------ */

/* Errors are collected one per line (errlist.h); parsing goes on to report them all. */

typedef struct rule_ctx {
    cp_errlist *e;
    const char *family;
    size_t index;
    json_t *obj;
} rule_ctx;

static json_t *get(rule_ctx *c, const char *key) {
    return json_object_get(c->obj, key);
}

static int get_string(rule_ctx *c, const char *key, int required, char *out, size_t size) {
    json_t *v = get(c, key);
    if (!v) {
        if (required)
            cp_errlist_add(c->e, "%s.rules[%zu].%s: required", c->family, c->index, key);
        return required ? -1 : 1;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= size) {
        cp_errlist_add(c->e, "%s.rules[%zu].%s: expected a string of 1..%zu characters", c->family,
                       c->index, key, size - 1);
        return -1;
    }
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int get_number(rule_ctx *c, const char *key, int required, double lo, double hi,
                      double *out) {
    json_t *v = get(c, key);
    if (!v) {
        if (required)
            cp_errlist_add(c->e, "%s.rules[%zu].%s: required", c->family, c->index, key);
        return required ? -1 : 1;
    }
    if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi) {
        cp_errlist_add(c->e, "%s.rules[%zu].%s: expected a number in %g..%g", c->family, c->index,
                       key, lo, hi);
        return -1;
    }
    *out = json_number_value(v);
    return 0;
}

static int get_int(rule_ctx *c, const char *key, int required, double lo, double hi, int *out) {
    double d;
    int rc = get_number(c, key, required, lo, hi, &d);
    if (rc == 0 && d != floor(d)) {
        cp_errlist_add(c->e, "%s.rules[%zu].%s: expected a whole number", c->family, c->index, key);
        return -1;
    }
    if (rc == 0)
        *out = (int)d;
    return rc;
}

static void parse_kpi_test(rule_ctx *c, cp_rule *r) {
    char kpi[32], op[4];
    if (get_string(c, "kpi", 1, kpi, sizeof(kpi)) == 0 && cp_metric_parse(kpi, &r->kpi) != 0)
        cp_errlist_add(c->e, "%s.rules[%zu].kpi: unknown KPI '%s'", c->family, c->index, kpi);
    get_string(c, "window", 1, r->window, sizeof(r->window));
    if (get_string(c, "op", 1, op, sizeof(op)) == 0 && parse_op(op, &r->op) != 0)
        cp_errlist_add(c->e, "%s.rules[%zu].op: expected one of < <= > >= == !=", c->family,
                       c->index);
    get_number(c, "threshold", 1, -1e12, 1e12, &r->threshold);
    get_int(c, "min_samples", 0, 0, 1e9, &r->min_samples);
}

static void parse_event_test(rule_ctx *c, cp_rule *r) {
    char type[32], when[160], why[160];
    if (get_string(c, "event", 1, type, sizeof(type)) != 0)
        return;
    int t;
    for (t = 0; t < CP_EV_TYPE_COUNT && strcmp(cp_event_type_name((cp_event_type)t), type); t++)
        ;
    if (t == CP_EV_TYPE_COUNT) {
        cp_errlist_add(c->e, "%s.rules[%zu].event: unknown event type '%s'", c->family, c->index,
                       type);
        return;
    }
    r->event = (cp_event_type)t;
    if (get_string(c, "when", 0, when, sizeof(when)) == 0 &&
        cp_cond_parse(&r->when, when, r->event, why, sizeof(why)) != 0)
        cp_errlist_add(c->e, "%s.rules[%zu].when: %s", c->family, c->index, why);
}

static void parse_alert_fields(rule_ctx *c, cp_rule *r) {
    char sev[16];
    json_t *teams = get(c, "teams");
    double cooldown = 0;
    r->severity = CP_SEV_WARNING;
    if (get_string(c, "severity", 0, sev, sizeof(sev)) == 0) {
        int s;
        for (s = 0; s < 3 && strcmp(severity_names[s], sev); s++)
            ;
        if (s == 3)
            cp_errlist_add(c->e, "%s.rules[%zu].severity: expected info, warning or critical",
                           c->family, c->index);
        else
            r->severity = (cp_severity)s;
    }
    if (get_number(c, "cooldown_s", 0, 0, 7 * 86400, &cooldown) == 0)
        r->cooldown_ms = (int64_t)(cooldown * 1000);
    if (!teams)
        return;
    size_t i;
    json_t *t;
    if (!json_is_array(teams) || json_array_size(teams) > CP_RULE_TEAMS_MAX) {
        cp_errlist_add(c->e, "%s.rules[%zu].teams: expected an array of up to %d team ids",
                       c->family, c->index, CP_RULE_TEAMS_MAX);
        return;
    }
    json_array_foreach(teams, i, t) {
        const char *why;
        if (!json_is_string(t) ||
            cp_validate_agent_id(json_string_value(t), json_string_length(t), &why) != 0) {
            cp_errlist_add(c->e, "%s.rules[%zu].teams[%zu]: not a valid team id", c->family,
                           c->index, i);
            continue;
        }
        snprintf(r->teams[r->nteams++], sizeof(r->teams[0]), "%s", json_string_value(t));
    }
}

static void parse_rule(rule_ctx *c, cp_rule *r, int reward) {
    char kind[16];
    double d;
    memset(r, 0, sizeof(*r));
    r->reward = reward;
    r->window_index = -1;
    if (get_string(c, "id", 1, r->id, sizeof(r->id)) == 0) {
        const char *why;
        if (cp_validate_agent_id(r->id, strlen(r->id), &why) != 0 || strchr(r->id, ':'))
            cp_errlist_add(c->e,
                           "%s.rules[%zu].id: no whitespace, braces, colons or control "
                           "characters",
                           c->family, c->index);
    }
    get_string(c, "description", 0, r->description, sizeof(r->description));
    if (get_string(c, "kind", 1, kind, sizeof(kind)) != 0)
        return;
    int k;
    for (k = 0; k < 5 && strcmp(kind_names[k], kind); k++)
        ;
    int allowed =
        k < 5 &&
        (reward ? (k == CP_RULE_STREAK || k == CP_RULE_EVENT || k == CP_RULE_GOAL)
                : (k == CP_RULE_THRESHOLD || k == CP_RULE_STREAK || k == CP_RULE_LONG_CALL));
    if (!allowed) {
        cp_errlist_add(c->e, "%s.rules[%zu].kind: expected %s", c->family, c->index,
                       reward ? "event, streak or goal" : "threshold, streak or long_call");
        return;
    }
    r->kind = (cp_rule_kind)k;
    if (r->kind == CP_RULE_THRESHOLD || r->kind == CP_RULE_GOAL)
        parse_kpi_test(c, r);
    if (r->kind == CP_RULE_THRESHOLD && get_number(c, "clear_threshold", 0, -1e12, 1e12, &d) == 0) {
        r->has_clear = 1;
        r->clear_threshold = d;
        int ok = r->op == CP_OP_GT || r->op == CP_OP_GE   ? d <= r->threshold
                 : r->op == CP_OP_LT || r->op == CP_OP_LE ? d >= r->threshold
                                                          : 0;
        if (!ok)
            cp_errlist_add(c->e,
                           "%s.rules[%zu].clear_threshold: must lie on the healthy side of the "
                           "threshold (and op must be <, <=, > or >=)",
                           c->family, c->index);
    }
    if (r->kind == CP_RULE_STREAK || r->kind == CP_RULE_EVENT)
        parse_event_test(c, r);
    if (r->kind == CP_RULE_STREAK)
        get_int(c, "count", 1, 1, 1000, &r->count);
    if (r->kind == CP_RULE_LONG_CALL && get_number(c, "max_s", 1, 1, 86400, &d) == 0)
        r->max_ms = (int64_t)(d * 1000);
    if (reward) {
        get_int(c, "points", 1, 1, 100000, &r->points);
        get_string(c, "badge", 0, r->badge, sizeof(r->badge));
    } else {
        parse_alert_fields(c, r);
    }
}

int cp_rules_parse(cp_rules *r, int reward, json_t *array, char *err, size_t errsz) {
    cp_errlist e = CP_ERRLIST(err, errsz);
    const char *family = reward ? "rewards" : "alerts";
    size_t i;
    json_t *obj;
    err[0] = '\0';
    if (!json_is_array(array)) {
        cp_errlist_add(&e, "%s.rules: expected an array of rules", family);
        return -1;
    }
    /* keep the other family */
    int keep = 0;
    for (int j = 0; j < r->n; j++)
        if (r->v[j].reward != reward)
            r->v[keep++] = r->v[j];
    r->n = keep;
    json_array_foreach(array, i, obj) {
        rule_ctx c = {&e, family, i, obj};
        if (!json_is_object(obj)) {
            cp_errlist_add(&e, "%s.rules[%zu]: expected an object", family, i);
            continue;
        }
        if (r->n == CP_RULES_MAX) {
            cp_errlist_add(&e, "%s.rules: more than %d rules in all", family, CP_RULES_MAX);
            break;
        }
        parse_rule(&c, &r->v[r->n], reward);
        for (int j = 0; j < r->n; j++)
            if (strcmp(r->v[j].id, r->v[r->n].id) == 0)
                cp_errlist_add(&e, "%s.rules[%zu].id: '%s' is used twice", family, i, r->v[j].id);
        r->n++;
    }
    return e.count ? -1 : 0;
}

int cp_rules_defaults(cp_rules *r, int reward) {
    char err[1024];
    json_t *a = json_loads(reward ? default_rewards : default_alerts, 0, NULL);
    int rc = a ? cp_rules_parse(r, reward, a, err, sizeof(err)) : -1;
    json_decref(a);
    return rc;
}

int cp_rules_resolve(cp_rules *r, const char (*names)[16], int n, char *err, size_t errsz) {
    cp_errlist e = CP_ERRLIST(err, errsz);
    err[0] = '\0';
    int index[2] = {0, 0}; /* position within each family, for the message */
    for (int i = 0; i < r->n; i++) {
        cp_rule *rule = &r->v[i];
        int pos = index[rule->reward]++;
        if (rule->kind != CP_RULE_THRESHOLD && rule->kind != CP_RULE_GOAL)
            continue;
        rule->window_index = -1;
        for (int w = 0; w < n; w++)
            if (strcmp(names[w], rule->window) == 0)
                rule->window_index = w;
        if (rule->window_index < 0)
            cp_errlist_add(&e, "%s.rules[%d].window: '%s' is not in windows.list",
                           rule->reward ? "rewards" : "alerts", pos, rule->window);
    }
    return e.count ? -1 : 0;
}
