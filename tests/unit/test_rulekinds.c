/* test_rulekinds.c -- the registry of rule kinds: every kind registered
 * with every operation it must have, each family's kinds exactly those
 * its configuration mistake lists, and the buddy's window by kind. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "messages.h"
#include "rulekinds.h"
#include "suites.h"
#include "testkind.h"

/* The first state operation a kind with state lacks, or NULL (complete,
 * or a kind without state). observe may be NULL (rulekind.h). */
static const char *state_op_missing(const cp_rule_kind_ops *ops) {
    const cp_kind_state_ops *st = ops->state;
    return !st           ? NULL
           : !st->size   ? "size"
           : !st->init   ? "init"
           : !st->encode ? "encode"
           : !st->decode ? "decode"
                         : NULL;
}

START_TEST(test_every_kind_has_its_operations) {
    for (int k = 0; k < CP_RULE_KIND_COUNT; k++) {
        const cp_rule_kind_ops *ops = cp_rule_kinds[k];
        cp_rule_kind found;
        ck_assert_msg(ops != NULL, "kind %d is not registered", k);
        ck_assert_msg(ops->name && ops->name[0], "kind %d has no name", k);
        ck_assert_msg(ops->families != 0 &&
                          (ops->families & ~(CP_FAMILY_ALERTS | CP_FAMILY_REWARDS)) == 0,
                      "%s: families", ops->name);
        ck_assert_msg(ops->parse && ops->on_event && ops->message, "%s: an operation is missing",
                      ops->name);
        ck_assert_msg(!state_op_missing(ops), "%s: state without %s", ops->name,
                      state_op_missing(ops));
        /* a deadline is only worth waiting for when the clock evaluates */
        ck_assert_msg(!ops->next_deadline || ops->on_clock, "%s: a deadline without on_clock",
                      ops->name);
        /* names are unique: each finds its own index */
        ck_assert_int_eq(cp_rule_kind_parse(ops->name, &found), 0);
        ck_assert_int_eq(found, k);
    }
    cp_rule_kind none;
    ck_assert_int_eq(cp_rule_kind_parse("bogus", &none), -1);
}
END_TEST

static const struct {
    const char *family;
    const char *mistake; /* the text configurations are checked against */
} families[] = {
    {"alerts", "alerts.rules[0].kind: expected threshold, streak or long_call"},
    {"rewards", "rewards.rules[0].kind: expected event, streak or goal"},
};

/* The error of parsing one rule {"id":"x","kind":KIND} in the family. */
static void parse_one(int reward, const char *kind, char *err, size_t errsz) {
    static cp_rules r;
    char json[128];
    snprintf(json, sizeof(json), "[{\"id\":\"x\",\"kind\":\"%s\"}]", kind);
    json_t *a = json_loads(json, 0, NULL);
    ck_assert_ptr_nonnull(a);
    memset(&r, 0, sizeof(r));
    cp_rules_parse(&r, reward, a, err, errsz);
    json_decref(a);
}

/* Is `name` one of the kinds the mistake lists ("a, b or c")? */
static int listed(const char *mistake, const char *name) {
    const char *list = strstr(mistake, "expected ") + strlen("expected ");
    size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += n) {
        int starts = p == list || p[-1] == ' ';
        int ends = p[n] == '\0' || p[n] == ',' || p[n] == ' ';
        if (starts && ends)
            return 1;
    }
    return 0;
}

START_TEST(test_family_kinds_are_the_mistake_list) {
    int reward = _i;
    char err[CP_ERRBUF];
    parse_one(reward, "bogus", err, sizeof(err));
    ck_assert_str_eq(err, families[reward].mistake);
    int nlisted = 1;
    for (const char *p = families[reward].mistake; (p = strpbrk(p, ",")) != NULL; p++)
        nlisted++;
    nlisted += strstr(families[reward].mistake, " or ") != NULL;
    int nkinds = 0;
    for (int k = 0; k < CP_RULE_KIND_COUNT; k++) {
        const cp_rule_kind_ops *ops = cp_rule_kinds[k];
        int in_family = (ops->families & (1u << reward)) != 0;
        nkinds += in_family;
        ck_assert_msg(listed(families[reward].mistake, ops->name) == in_family,
                      "%s: in the family %d, listed in its mistake %d", ops->name, in_family,
                      !in_family);
        /* the family takes it as a kind, or rejects it with the list */
        parse_one(reward, ops->name, err, sizeof(err));
        if (in_family)
            ck_assert_msg(strstr(err, ".kind:") == NULL, "%s: %s", ops->name, err);
        else
            ck_assert_msg(strstr(err, families[reward].mistake) != NULL, "%s: %s", ops->name, err);
    }
    ck_assert_int_eq(nkinds, nlisted);
}
END_TEST

/* A kind with state must give every state operation: the test kind does,
 * and the check finds each one taken away. */
START_TEST(test_kind_state_has_its_operations) {
    ck_assert_ptr_null(state_op_missing(&test_kind_tally));
    const char *want[] = {"size", "init", "encode", "decode"};
    for (int i = 0; i < 4; i++) {
        cp_kind_state_ops st = *test_kind_tally.state;
        cp_rule_kind_ops ops = test_kind_tally;
        if (i == 0)
            st.size = 0;
        else if (i == 1)
            st.init = NULL;
        else if (i == 2)
            st.encode = NULL;
        else
            st.decode = NULL;
        ops.state = &st;
        ck_assert_str_eq(state_op_missing(&ops), want[i]);
    }
}
END_TEST

START_TEST(test_buddy_window_by_kind) {
    cp_config cfg;
    cp_windows ws;
    char err[CP_ERRBUF];
    cp_config_defaults(&cfg);
    ck_assert_msg(cp_config_load_string(&cfg, "{\"windows\":{\"list\":[\"60m\",\"15m\",\"day\"]}}",
                                        err, sizeof(err)) == 0,
                  "%s", err);
    ck_assert_msg(cp_config_validate(&cfg, err, sizeof(err)) == 0, "%s", err);
    cp_windows_from_config(&ws, &cfg);
    for (int i = 0; i < cfg.rules.n; i++) {
        const cp_rule *r = &cfg.rules.v[i];
        const char *want = strcmp(r->id, "aht-high") == 0 ? "15m" : "60m";
        if (r->reward)
            continue;
        ck_assert_msg(strcmp(cp_rule_buddy_window(r, &ws), want) == 0, "%s: %s", r->id,
                      cp_rule_buddy_window(r, &ws));
    }
    cp_config_free(&cfg);
}
END_TEST

Suite *rulekinds_suite(void) {
    Suite *s = suite_create("rulekinds");
    TCase *tc = tcase_create("rulekinds");
    tcase_add_test(tc, test_every_kind_has_its_operations);
    tcase_add_loop_test(tc, test_family_kinds_are_the_mistake_list, 0, 2);
    tcase_add_test(tc, test_kind_state_has_its_operations);
    tcase_add_test(tc, test_buddy_window_by_kind);
    suite_add_tcase(s, tc);
    return s;
}
