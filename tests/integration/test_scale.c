/* test_scale.c -- scale-out (contract 7): three `callpulse run` processes
 * in one consumer group share six partitions; one is killed with kill -9
 * mid-stream, the group re-forms after the session timeout and the others
 * take its partitions over from Redis and the committed offsets. The KPI
 * hashes and the boards must equal one clean pass (the oracle), with
 * nothing lost and nothing counted twice, and the boards stay global:
 * one board per window for the whole floor, written by every process. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "harness.h"
#include "stream.h"

#define AGENTS 30
#define QUIET  5
#define EVENTS 20000
#define CHUNKS 20
#define GROUP  "scale"

START_TEST(test_three_processes_one_killed) {
    h_env e;
    h_proc p[3];
    stream s;
    h_env_start(&e, 6);
    /* commits every 5 s: the killed process leaves applied but uncommitted
     * events behind, which its successors must recognise and skip */
    stream_make(&s, 606, AGENTS, QUIET, EVENTS, CHUNKS, 5000);
    const char *cfg = h_write_config(&e, "c.json", s.config);
    const char *tags[] = {"p0", "p1", "p2"};
    for (int i = 0; i < 3; i++) {
        h_run_start(&e, &p[i], cfg, GROUP, tags[i]);
        ck_assert_msg(h_wait_log(&p[i], "assigned", 40000) == 0, "%s got no partitions", tags[i]);
    }
    rd_kafka_t *prod = h_producer(&e);
    for (int c = 0; c < CHUNKS / 2; c++) {
        stream_produce_chunk(&s, prod, c);
        h_sleep_ms(150);
    }
    ck_assert_int_eq(h_stop(&p[1], SIGKILL, 5000), 128 + SIGKILL);
    for (int c = CHUNKS / 2; c < CHUNKS; c++) {
        stream_produce_chunk(&s, prod, c);
        h_sleep_ms(150);
    }
    h_wait_caught_up(&e, GROUP, STREAM_TOPIC, &p[0], 180);
    ck_assert(h_alive(&p[2]));
    ck_assert_int_eq(check_kpi_hashes(&e, &s, AGENTS, QUIET), AGENTS * 3);
    check_boards(&e, &s, AGENTS, QUIET);
    ck_assert_int_eq(h_stop(&p[0], SIGTERM, 10000), 0);
    ck_assert_int_eq(h_stop(&p[2], SIGTERM, 10000), 0);
    long long replayed = h_summary_int(&p[0], "replayed") + h_summary_int(&p[2], "replayed");
    long long applied = h_summary_int(&p[0], "applied") + h_summary_int(&p[2], "applied");
    ck_assert_int_gt(applied, 0);
    printf("scale: survivors applied %lld events and skipped %lld replayed ones\n", applied,
           replayed);
    rd_kafka_destroy(prod);
    stream_free(&s);
    h_env_stop(&e);
}
END_TEST

Suite *scale_suite(void) {
    Suite *s = suite_create("scale");
    TCase *tc = tcase_create("kill9");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_three_processes_one_killed);
    suite_add_tcase(s, tc);
    return s;
}
