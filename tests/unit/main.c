/* main.c -- runs every unit test suite; exit status 0 when all pass. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "suites.h"

int main(void) {
    SRunner *sr = srunner_create(decoder_suite());
    srunner_add_suite(sr, timefmt_suite());
    srunner_add_suite(sr, config_suite());
    srunner_add_suite(sr, progress_suite());
    srunner_add_suite(sr, simmodel_suite());
    srunner_add_suite(sr, window_suite());
    srunner_add_suite(sr, kpi_suite());
    srunner_add_suite(sr, rules_suite());
    srunner_add_suite(sr, rulekinds_suite());
    srunner_add_suite(sr, scorecard_suite());
    srunner_add_suite(sr, leaderboard_suite());
    srunner_add_suite(sr, wallview_suite());
    srunner_add_suite(sr, metrics_suite());
    srunner_add_suite(sr, ledger_suite());
    srunner_add_suite(sr, agentstep_suite());
    srunner_add_suite(sr, outbox_suite());
    srunner_add_suite(sr, redisio_suite());
    srunner_add_suite(sr, keyset_suite());
    srunner_add_suite(sr, produce_suite());
    srunner_add_suite(sr, agentlayout_suite());
    srunner_add_suite(sr, kindstate_suite());
    srunner_add_suite(sr, numfmt_suite());
    srunner_add_suite(sr, holds_suite());
    srunner_run_all(sr, CK_NORMAL);
    int ran = srunner_ntests_run(sr), failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (ran == 0) { /* CK_RUN_SUITE or CK_RUN_CASE matched nothing: not a pass */
        fprintf(stderr, "unit_tests: no test case ran\n");
        return 2;
    }
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
