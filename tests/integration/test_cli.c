/* test_cli.c -- the command line of contract section 1: exit codes, one
 * clear line on stderr, --help everywhere, SIGTERM handling. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* Run the program to completion; returns its exit status and the first
 * line it wrote (stdout and stderr are merged). */
static int run_cli(const h_env *e, char *const argv[], char *line, size_t size) {
    char cmd[4096], *at = cmd;
    at += snprintf(at, sizeof(cmd), "'%s'", e->bin);
    for (size_t i = 0; argv[i]; i++)
        at += snprintf(at, sizeof(cmd) - (size_t)(at - cmd), " '%s'", argv[i]);
    snprintf(at, sizeof(cmd) - (size_t)(at - cmd), " 2>&1");
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    line[0] = '\0';
    if (!fgets(line, (int)size, f))
        line[0] = '\0';
    char rest[1024];
    while (fgets(rest, sizeof(rest), f))
        ;
    int status = pclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void env_bin_only(h_env *e) {
    const char *bin = getenv("CALLPULSE_BIN");
    memset(e, 0, sizeof(*e));
    snprintf(e->bin, sizeof(e->bin), "%s", bin ? bin : "callpulse");
    snprintf(e->dir, sizeof(e->dir), "/tmp/callpulse-cli-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(e->dir));
}

START_TEST(test_help_everywhere) {
    h_env e;
    char line[1024];
    const char *cmds[] = {"run", "broker", "simulate", "wallboard", "check-config"};
    env_bin_only(&e);
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        char *argv[] = {(char *)cmds[i], "--help", NULL};
        ck_assert_int_eq(run_cli(&e, argv, line, sizeof(line)), 0);
        ck_assert_msg(strstr(line, "usage: callpulse") == line, "%s --help: %s", cmds[i], line);
    }
    char *argv[] = {"--help", NULL};
    ck_assert_int_eq(run_cli(&e, argv, line, sizeof(line)), 0);
}
END_TEST

START_TEST(test_usage_errors_exit_2) {
    h_env e;
    char line[1024];
    env_bin_only(&e);
    char *unknown_cmd[] = {"frobnicate", NULL};
    ck_assert_int_eq(run_cli(&e, unknown_cmd, line, sizeof(line)), 2);
    char *bad_flag[] = {"run", "--bogus", NULL};
    ck_assert_int_eq(run_cli(&e, bad_flag, line, sizeof(line)), 2);
    char *bad_parts[] = {"broker", "--partitions", "0", NULL};
    ck_assert_int_eq(run_cli(&e, bad_parts, line, sizeof(line)), 2);
    ck_assert_ptr_nonnull(strstr(line, "--partitions"));
    char *bad_rate[] = {"simulate", "--brokers", "x:1", "--rate", "-5", NULL};
    ck_assert_int_eq(run_cli(&e, bad_rate, line, sizeof(line)), 2);
    ck_assert_ptr_nonnull(strstr(line, "--rate"));
    char *bad_redis[] = {"run", "--redis", "http://nope", NULL};
    ck_assert_int_eq(run_cli(&e, bad_redis, line, sizeof(line)), 2);
    ck_assert_ptr_nonnull(strstr(line, "redis.url"));
    char *bad_board[] = {"wallboard", "--brokers", "x:1", "--board", "everyone", NULL};
    ck_assert_int_eq(run_cli(&e, bad_board, line, sizeof(line)), 2);
    ck_assert_ptr_nonnull(strstr(line, "--board"));
    char *no_tty[] = {"wallboard", "--brokers", "x:1", NULL}; /* stdout is a pipe here */
    ck_assert_int_eq(run_cli(&e, no_tty, line, sizeof(line)), 2);
    ck_assert_ptr_nonnull(strstr(line, "--once"));
}
END_TEST

START_TEST(test_check_config) {
    h_env e;
    char line[1024], path[600];
    env_bin_only(&e);
    snprintf(path, sizeof(path), "%s/good.json", e.dir);
    FILE *f = fopen(path, "w");
    fputs("{\"kafka\":{\"brokers\":\"k:9092\",\"properties\":{\"acks\":\"all\"}},"
          "\"windows\":{\"day_offset_min\":480}}",
          f);
    fclose(f);
    char *good[] = {"check-config", path, NULL};
    ck_assert_int_eq(run_cli(&e, good, line, sizeof(line)), 0);

    struct {
        const char *json, *key;
    } bad[] = {
        {"{\"windows\":{\"lateness\":5}}", "windows.lateness"},
        {"{\"kafka\":{\"properties\":{\"fetch.wait.max.ms\":\"x\"}}}",
         "kafka.properties.fetch.wait.max.ms"},
        {"{\"log\":{\"level\":5}}", "log.level"},
        {"{\"rewards\":{\"rules\":[{\"id\":\"r\",\"kind\":\"event\",\"event\":"
         "\"survey\",\"points\":5,\"when\":\"csat >> 5\"}]}}",
         "rewards.rules[0].when"},
        {"{\"kafka\":{\"properties\":{\"security.protocol\":\"SASL_PLAINTEXT\","
         "\"sasl.mechanisms\":\"SCRAM-SHA-999\",\"sasl.username\":\"u\",\"sasl.password\":\"p\"}}}",
         "kafka.properties: cannot create Kafka producer: Unsupported hash function: "
         "SCRAM-SHA-999"},
        {"{\"kafka\":", "bad.json"}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(path, sizeof(path), "%s/bad.json", e.dir);
        f = fopen(path, "w");
        fputs(bad[i].json, f);
        fclose(f);
        char *argv[] = {"check-config", path, NULL};
        ck_assert_int_eq(run_cli(&e, argv, line, sizeof(line)), 2);
        ck_assert_msg(strstr(line, bad[i].key) != NULL, "'%s' does not name %s", line, bad[i].key);
    }
    char *missing[] = {"check-config", "/nonexistent/config.json", NULL};
    ck_assert_int_eq(run_cli(&e, missing, line, sizeof(line)), 2);
}
END_TEST

/* SIGTERM before any broker is reachable still ends the process cleanly
 * within 10 s. */
START_TEST(test_sigterm_without_broker) {
    h_env e;
    h_proc p;
    env_bin_only(&e);
    char *argv[] = {"run", "--brokers", "127.0.0.1:1", "--redis", "redis://127.0.0.1:1", NULL};
    h_spawn(&e, &p, "run", argv);
    h_sleep_ms(1500);
    ck_assert(h_alive(&p));
    ck_assert_int_eq(h_stop(&p, SIGTERM, 10000), 0);
}
END_TEST

Suite *cli_suite(void) {
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_help_everywhere);
    tcase_add_test(tc, test_usage_errors_exit_2);
    tcase_add_test(tc, test_check_config);
    tcase_add_test(tc, test_sigterm_without_broker);
    suite_add_tcase(s, tc);
    return s;
}
