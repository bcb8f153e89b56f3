/* main.c -- runs the integration suites. CALLPULSE_BIN names the program. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

typedef Suite *(*suite_fn)(void);

static const struct {
    const char *name;
    suite_fn make;
} suites[] = {{"intake", intake_suite}, {"cli", cli_suite},         {"kpi", kpi_suite},
              {"alerts", alerts_suite}, {"boards", boards_suite},   {"wallboard", wallboard_suite},
              {"ops", ops_suite},       {"scale", scale_suite},     {"outputs", outputs_suite},
              {"chaos", chaos_suite},   {"scripts", scripts_suite}, {"realkafka", realkafka_suite}};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))

/* A name that is no suite is a usage error, never a pass of 0 checks. */
static int known_suite(const char *name) {
    for (size_t i = 0; i < NSUITES; i++)
        if (strcmp(suites[i].name, name) == 0)
            return 1;
    fprintf(stderr, "integration_tests: no suite named '%s'; suites:", name);
    for (size_t i = 0; i < NSUITES; i++)
        fprintf(stderr, " %s", suites[i].name);
    fprintf(stderr, "\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && !known_suite(argv[1]))
        return 2;
    const char *kafka_sh = getenv("CALLPULSE_KAFKA_SH");
    fprintf(stderr, "broker: %s\n",
            kafka_sh && kafka_sh[0] ? "real Apache Kafka (deploy/kafka.sh)" : "embedded");
    SRunner *sr = srunner_create(suites[0].make());
    for (size_t i = 1; i < NSUITES; i++)
        srunner_add_suite(sr, suites[i].make());
    /* a suite name as argument runs only that suite (as ctest does) */
    srunner_run(sr, argc > 1 ? argv[1] : NULL, argc > 2 ? argv[2] : NULL, CK_NORMAL);
    int ran = srunner_ntests_run(sr), failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (ran == 0) { /* a case name (argv[2], or CK_RUN_CASE) that matched nothing */
        fprintf(stderr, "integration_tests: no test case ran\n");
        return 2;
    }
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
