/* suites.h -- the Check suites of the unit test runner. */
#ifndef CALLPULSE_TEST_SUITES_H
#define CALLPULSE_TEST_SUITES_H

#include <check.h>

Suite *decoder_suite(void);
Suite *timefmt_suite(void);
Suite *config_suite(void);
Suite *progress_suite(void);
Suite *simmodel_suite(void);
Suite *window_suite(void);
Suite *kpi_suite(void);
Suite *rules_suite(void);
Suite *rulekinds_suite(void);
Suite *scorecard_suite(void);
Suite *leaderboard_suite(void);
Suite *wallview_suite(void);
Suite *metrics_suite(void);
Suite *ledger_suite(void);
Suite *agentstep_suite(void);
Suite *outbox_suite(void);
Suite *redisio_suite(void);
Suite *keyset_suite(void);
Suite *produce_suite(void);
Suite *agentlayout_suite(void);
Suite *kindstate_suite(void);
Suite *numfmt_suite(void);
Suite *holds_suite(void);

#endif
