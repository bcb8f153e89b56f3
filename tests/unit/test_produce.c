/* test_produce.c -- the one produce path (produce.h): each message's own
 * delivery handle takes its report, failed messages are copied byte for
 * byte, and the retry schedule of the senders (dead letters: 250 ms
 * doubling up to 30 s; alerts and rewards: a fixed delay). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "produce.h"
#include "suites.h"

START_TEST(test_retry_delay_doubles_to_the_cap) {
    static const int64_t want[] = {250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000};
    for (int i = 0; i < (int)(sizeof(want) / sizeof(want[0])); i++)
        ck_assert_int_eq(cp_retry_delay_ms(i + 1, 250, 30000), want[i]);
    ck_assert_int_eq(cp_retry_delay_ms(0, 250, 30000), 250);
    ck_assert_int_eq(cp_retry_delay_ms(1000000, 250, 30000), 30000); /* no overflow */
}
END_TEST

START_TEST(test_retry_delay_fixed) {
    for (int attempts = 1; attempts < 10; attempts++)
        ck_assert_int_eq(cp_retry_delay_ms(attempts, 1000, 1000), 1000);
}
END_TEST

START_TEST(test_copy_bytes_keeps_every_byte) {
    static const char raw[] = {'k', '\0', 'v', '\xff'};
    char *c = cp_copy_bytes(raw, sizeof(raw));
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(memcmp(c, raw, sizeof(raw)), 0);
    ck_assert_int_eq(c[sizeof(raw)], '\0');
    free(c);
    c = cp_copy_bytes(NULL, 0);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(c[0], '\0');
    free(c);
}
END_TEST

/* A sender's token: the handle first, then what the sender needs. */
typedef struct test_token {
    cp_delivery d;
    int which;
} test_token;

typedef struct test_sender {
    int reports[2]; /* by token.which */
    int failed;
    char value[16];
} test_sender;

static void on_a(cp_delivery *d, const rd_kafka_message_t *rkm) {
    test_sender *s = d->sender;
    s->reports[((test_token *)d)->which]++;
    s->failed += rkm->err != RD_KAFKA_RESP_ERR_NO_ERROR;
    snprintf(s->value, sizeof(s->value), "%.*s", (int)rkm->len, (const char *)rkm->payload);
}

static void on_b(cp_delivery *d, const rd_kafka_message_t *rkm) {
    on_a(d, rkm);
}

/* No broker: every message times out, and each report reaches the
 * handle of its own message, with its bytes. A user's
 * enable.idempotence=false is overridden (the outputs' order needs it). */
START_TEST(test_each_report_reaches_its_handle) {
    cp_config cfg;
    char err[CP_ERRBUF];
    cp_kv props[] = {{"message.timeout.ms", "200"}, {"enable.idempotence", "false"}};
    cp_config_defaults(&cfg);
    snprintf(cfg.brokers, sizeof(cfg.brokers), "127.0.0.1:1");
    cfg.kafka_props = props;
    cfg.kafka_props_n = 2;
    rd_kafka_t *p = cp_producer_new(&cfg, err, sizeof(err));
    ck_assert_msg(p != NULL, "%s", err);
    char idem[16];
    size_t idem_len = sizeof(idem);
    ck_assert_int_eq(rd_kafka_conf_get(rd_kafka_conf(p), "enable.idempotence", idem, &idem_len),
                     RD_KAFKA_CONF_OK);
    ck_assert_str_eq(idem, "true");
    test_sender a = {{0, 0}, 0, ""}, b = {{0, 0}, 0, ""};
    test_token ta = {{on_a, &a}, 0}, tb = {{on_b, &b}, 1};
    cp_record ra = {"t", "k", 1, "alpha", 5, NULL}, rb = {"t", NULL, 0, "beta", 4, NULL};
    ck_assert_int_eq(cp_produce(p, &ra, &ta.d), RD_KAFKA_RESP_ERR_NO_ERROR);
    ck_assert_int_eq(cp_produce(p, &rb, &tb.d), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_flush(p, 5000);
    rd_kafka_poll(p, 0);
    ck_assert_int_eq(a.reports[0], 1);
    ck_assert_int_eq(a.reports[1], 0);
    ck_assert_int_eq(b.reports[1], 1);
    ck_assert_int_eq(b.reports[0], 0);
    ck_assert_int_eq(a.failed + b.failed, 2);
    ck_assert_str_eq(a.value, "alpha");
    ck_assert_str_eq(b.value, "beta");
    rd_kafka_destroy(p);
    cfg.kafka_props = NULL; /* not the config's to free */
    cfg.kafka_props_n = 0;
    cp_config_free(&cfg);
}
END_TEST

Suite *produce_suite(void) {
    Suite *s = suite_create("produce");
    TCase *tc = tcase_create("produce");
    tcase_add_test(tc, test_retry_delay_doubles_to_the_cap);
    tcase_add_test(tc, test_retry_delay_fixed);
    tcase_add_test(tc, test_copy_bytes_keeps_every_byte);
    tcase_add_test(tc, test_each_report_reaches_its_handle);
    suite_add_tcase(s, tc);
    return s;
}
