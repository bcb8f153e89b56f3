/* main.c -- runs the integration suites. CALLPULSE_BIN names the program. */
#include <check.h>
#include <stdlib.h>

Suite *intake_suite(void);
Suite *cli_suite(void);
Suite *kpi_suite(void);
Suite *alerts_suite(void);
Suite *boards_suite(void);
Suite *wallboard_suite(void);
Suite *ops_suite(void);
Suite *scale_suite(void);
Suite *outputs_suite(void);
Suite *chaos_suite(void);
Suite *scripts_suite(void);
Suite *realkafka_suite(void);

int main(int argc, char **argv) {
    SRunner *sr = srunner_create(intake_suite());
    srunner_add_suite(sr, cli_suite());
    srunner_add_suite(sr, kpi_suite());
    srunner_add_suite(sr, alerts_suite());
    srunner_add_suite(sr, boards_suite());
    srunner_add_suite(sr, wallboard_suite());
    srunner_add_suite(sr, ops_suite());
    srunner_add_suite(sr, scale_suite());
    srunner_add_suite(sr, outputs_suite());
    srunner_add_suite(sr, chaos_suite());
    srunner_add_suite(sr, scripts_suite());
    srunner_add_suite(sr, realkafka_suite());
    /* a suite name as argument runs only that suite (as ctest does) */
    srunner_run(sr, argc > 1 ? argv[1] : NULL, argc > 2 ? argv[2] : NULL, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
