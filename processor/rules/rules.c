/* rules.c -- reading the rules of the configuration (rules.h): the fields
 * every rule has, its kind's own fields through the registry
 * (rulekinds.h), its family's fields; the defaults; windows resolved. The
 * default rules are written as configuration JSON and read by the same
 * parser as the operator's rules, so both follow one path. */
#include "rules.h"

#include <stdio.h>
#include <string.h>

#include "errlist.h"
#include "rulekinds.h"
#include "ruleparse.h"

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

/* ---- the fields of each family ------------------------------------------- */

static void read_alert_fields(cp_rule_reader *rd, cp_rule *r) {
    char sev[16];
    json_t *teams = json_object_get(rd->obj, "teams");
    double cooldown = 0;
    r->severity = CP_SEV_WARNING;
    if (cp_rule_get_string(rd, "severity", 0, sev, sizeof(sev)) == 0 &&
        cp_severity_parse(sev, &r->severity) != 0)
        cp_rule_mistake(rd, "severity", "expected info, warning or critical");
    if (cp_rule_get_number(rd, "cooldown_s", 0, 0, 7 * 86400, &cooldown) == 0)
        r->cooldown_ms = (int64_t)(cooldown * 1000);
    if (!teams)
        return;
    size_t i;
    json_t *t;
    if (!json_is_array(teams) || json_array_size(teams) > CP_RULE_TEAMS_MAX) {
        cp_rule_mistake(rd, "teams", "expected an array of up to %d team ids", CP_RULE_TEAMS_MAX);
        return;
    }
    json_array_foreach(teams, i, t) {
        const char *why;
        if (!json_is_string(t) ||
            cp_validate_agent_id(json_string_value(t), json_string_length(t), &why) != 0) {
            char key[32];
            snprintf(key, sizeof(key), "teams[%zu]", i);
            cp_rule_mistake(rd, key, "not a valid team id");
            continue;
        }
        snprintf(r->teams[r->nteams++], sizeof(r->teams[0]), "%s", json_string_value(t));
    }
}

static void read_reward_fields(cp_rule_reader *rd, cp_rule *r) {
    cp_rule_get_int(rd, "points", 1, 1, 100000, &r->points);
    cp_rule_get_string(rd, "badge", 0, r->badge, sizeof(r->badge));
}

/* Indexed by cp_rule.reward. */
static const struct {
    const char *name;
    void (*read_fields)(cp_rule_reader *rd, cp_rule *r);
} families[2] = {{"alerts", read_alert_fields}, {"rewards", read_reward_fields}};

/* ---- one rule ------------------------------------------------------------ */

/* "a, b or c": the kinds of a family, in registry order. */
static void family_kinds(int reward, char *buf, size_t size) {
    const char *names[CP_RULE_KIND_COUNT];
    int n = 0;
    size_t used = 0;
    for (int k = 0; k < CP_RULE_KIND_COUNT; k++)
        if (cp_rule_kinds[k]->families & (1u << reward))
            names[n++] = cp_rule_kinds[k]->name;
    buf[0] = '\0';
    for (int i = 0; i < n && used < size; i++) {
        const char *sep = i == 0 ? "" : i < n - 1 ? ", " : " or ";
        int w = snprintf(buf + used, size - used, "%s%s", sep, names[i]);
        used += w > 0 ? (size_t)w : 0;
    }
}

/* The kind named in the rule, if its family may use it: 0, or -1 after
 * reporting the mistake. */
static int read_kind(cp_rule_reader *rd, cp_rule *r) {
    char kind[16], allowed[128];
    cp_rule_kind k;
    if (cp_rule_get_string(rd, "kind", 1, kind, sizeof(kind)) != 0)
        return -1;
    if (cp_rule_kind_parse(kind, &k) == 0 && (cp_rule_kinds[k]->families & (1u << r->reward))) {
        r->kind = k;
        return 0;
    }
    family_kinds(r->reward, allowed, sizeof(allowed));
    cp_rule_mistake(rd, "kind", "expected %s", allowed);
    return -1;
}

static void read_rule(cp_rule_reader *rd, cp_rule *r, int reward) {
    memset(r, 0, sizeof(*r));
    r->reward = reward;
    r->window_index = -1;
    if (cp_rule_get_string(rd, "id", 1, r->id, sizeof(r->id)) == 0) {
        const char *why;
        if (cp_validate_agent_id(r->id, strlen(r->id), &why) != 0 || strchr(r->id, ':'))
            cp_rule_mistake(rd, "id", "no whitespace, braces, colons or control characters");
    }
    cp_rule_get_string(rd, "description", 0, r->description, sizeof(r->description));
    if (read_kind(rd, r) != 0)
        return;
    cp_rule_kind_of(r)->parse(rd, r);
    families[reward].read_fields(rd, r);
}

/* ---- the rules ------------------------------------------------------------- */

/* The kinds of r's rules that keep per-agent state, each once, in registry
 * order (ruledef.h). */
static void list_state_kinds(cp_rules *r) {
    _Static_assert(CP_RULE_KIND_COUNT <= CP_STATE_KINDS_MAX, "room for every kind with state");
    r->nstate_kinds = 0;
    for (int k = 0; k < CP_RULE_KIND_COUNT; k++) {
        int used = 0;
        for (int i = 0; i < r->n && !used; i++)
            used = r->v[i].kind == (cp_rule_kind)k;
        if (used && cp_rule_kinds[k]->state)
            r->state_kinds[r->nstate_kinds++] = cp_rule_kinds[k];
    }
}

int cp_rules_parse(cp_rules *r, int reward, json_t *array, char *err, size_t errsz) {
    cp_errlist e = CP_ERRLIST(err, errsz);
    const char *family = families[reward].name;
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
        cp_rule_reader rd = {&e, family, i, obj};
        if (!json_is_object(obj)) {
            cp_errlist_add(&e, "%s.rules[%zu]: expected an object", family, i);
            continue;
        }
        if (r->n == CP_RULES_MAX) {
            cp_errlist_add(&e, "%s.rules: more than %d rules in all", family, CP_RULES_MAX);
            break;
        }
        read_rule(&rd, &r->v[r->n], reward);
        for (int j = 0; j < r->n; j++)
            if (strcmp(r->v[j].id, r->v[r->n].id) == 0)
                cp_rule_mistake(&rd, "id", "'%s' is used twice", r->v[j].id);
        r->n++;
    }
    list_state_kinds(r);
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
        if (!cp_rule_kind_of(rule)->uses_window)
            continue;
        rule->window_index = -1;
        for (int w = 0; w < n; w++)
            if (strcmp(names[w], rule->window) == 0)
                rule->window_index = w;
        if (rule->window_index < 0)
            cp_errlist_add(&e, "%s.rules[%d].window: '%s' is not in windows.list",
                           families[rule->reward].name, pos, rule->window);
    }
    return e.count ? -1 : 0;
}
