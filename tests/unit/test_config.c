/* test_config.c -- defaults, file loading, env and flag overrides, and the
 * one-line errors that name the bad key. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "redis_io.h"
#include "suites.h"

START_TEST(test_defaults) {
    cp_config c;
    char err[CP_ERRBUF];
    cp_config_defaults(&c);
    ck_assert_str_eq(c.input_topic, "call-events");
    ck_assert_str_eq(c.dlq_topic, "call-events-dlq");
    ck_assert_str_eq(c.leaderboard_topic, "leaderboard-updates");
    ck_assert_str_eq(c.alerts_topic, "agent-alerts");
    ck_assert_str_eq(c.rewards_topic, "agent-rewards");
    ck_assert_str_eq(c.redis_prefix, "cp:");
    ck_assert_int_eq(c.max_event_bytes, 65536);
    ck_assert_int_eq(c.bucket_s, 60);
    ck_assert_int_eq(c.lateness_s, 600);
    ck_assert_int_eq(c.future_skew_s, 300);
    ck_assert_int_eq(c.day_offset_min, 0);
    ck_assert_int_eq(cp_config_validate(&c, err, sizeof(err)), 0);
    cp_config_free(&c);
}
END_TEST

START_TEST(test_load_values) {
    cp_config c;
    char err[CP_ERRBUF];
    cp_config_defaults(&c);
    ck_assert_int_eq(cp_config_load_string(&c,
                                           "{\"kafka\":{\"brokers\":\"k1:9092,k2:9092\","
                                           "\"properties\":{\"session.timeout.ms\":6000,"
                                           "\"security.protocol\":\"plaintext\"}},"
                                           "\"windows\":{\"lateness_s\":120},"
                                           "\"log\":{\"level\":\"debug\",\"format\":\"json\"}}",
                                           err, sizeof(err)),
                     0);
    ck_assert_str_eq(c.brokers, "k1:9092,k2:9092");
    ck_assert_int_eq(c.lateness_s, 120);
    ck_assert_int_eq(c.log_level, CP_LOG_DEBUG);
    ck_assert_int_eq(c.log_format, CP_LOG_JSON);
    ck_assert_uint_eq(c.kafka_props_n, 2);
    ck_assert_str_eq(c.kafka_props[0].key, "session.timeout.ms");
    ck_assert_str_eq(c.kafka_props[0].value, "6000");
    ck_assert_int_eq(cp_config_validate(&c, err, sizeof(err)), 0);
    cp_config_free(&c);
}
END_TEST

/* Each bad config must fail with an error that names this key. */
static const struct {
    const char *json;
    const char *key;
    int at_validate; /* 0: load fails, 1: load passes, validate fails */
} bad_configs[] = {
    {"{\"kafka\":{\"brokerz\":\"x\"}}", "kafka.brokerz", 0},
    {"{\"windows\":{\"lateness_s\":\"600\"}}", "windows.lateness_s", 0},
    {"{\"windows\":{\"lateness_s\":-1}}", "windows.lateness_s", 0},
    {"{\"windows\":{\"bucket_s\":0}}", "windows.bucket_s", 0},
    {"{\"windows\":{\"day_offset_min\":900}}", "windows.day_offset_min", 0},
    {"{\"log\":{\"level\":\"loud\"}}", "log.level", 0},
    {"{\"log\":{\"format\":\"xml\"}}", "log.format", 0},
    {"{\"kafka\":{\"properties\":[1]}}", "kafka.properties", 0},
    {"{\"kafka\":{\"properties\":{\"no.such.property\":\"1\"}}}",
     "kafka.properties.no.such.property", 1},
    {"{\"kafka\":{\"properties\":{\"session.timeout.ms\":\"soon\"}}}",
     "kafka.properties.session.timeout.ms", 1},
    {"{\"kafka\":{\"input_topic\":\"bad topic\"}}", "kafka.input_topic", 1},
    {"{\"kafka\":{\"dlq_topic\":\"call-events\"}}", "kafka.dlq_topic", 1},
    {"{\"redis\":{\"url\":\"http://x\"}}", "redis.url", 1},
    {"{\"redis\":{\"prefix\":\"a{b}\"}}", "redis.prefix", 1},
    {"{\"processor\":{\"batch_max\":0}}", "processor.batch_max", 0},
    {"{\"input\":{\"max_event_bytes\":10}}", "input.max_event_bytes", 0},
    {"{\"http\":{\"listen\":\"9464\"}}", "http.listen", 1},
    {"{\"http\":{\"listen\":\"0.0.0.0:99999\"}}", "http.listen", 1},
    {"{\"http\":{\"listen\":\"0.0.0.0:port\"}}", "http.listen", 1},
    {"[]", "config", 0},
};

START_TEST(test_bad_config_names_key) {
    cp_config c;
    char err[CP_ERRBUF] = "";
    int rc;
    cp_config_defaults(&c);
    rc = cp_config_load_string(&c, bad_configs[_i].json, err, sizeof(err));
    if (bad_configs[_i].at_validate) {
        ck_assert_msg(rc == 0, "%s: load failed: %s", bad_configs[_i].json, err);
        rc = cp_config_validate(&c, err, sizeof(err));
    }
    ck_assert_msg(rc == -1, "%s: accepted", bad_configs[_i].json);
    ck_assert_msg(strstr(err, bad_configs[_i].key) != NULL, "%s: error '%s' does not name %s",
                  bad_configs[_i].json, err, bad_configs[_i].key);
    ck_assert_ptr_null(strchr(err, '\n'));
    cp_config_free(&c);
}
END_TEST

START_TEST(test_syntax_error_position) {
    cp_config c;
    char err[CP_ERRBUF];
    cp_config_defaults(&c);
    ck_assert_int_eq(cp_config_load_string(&c, "{\"kafka\": {\n \"brokers\": }", err, sizeof(err)),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "config:2:"));
    cp_config_free(&c);
}
END_TEST

START_TEST(test_env_overrides_file_and_flags_override_env) {
    cp_config c;
    char err[CP_ERRBUF];
    cp_config_defaults(&c);
    ck_assert_int_eq(cp_config_load_string(&c,
                                           "{\"kafka\":{\"brokers\":\"file:1\"},"
                                           "\"redis\":{\"url\":\"redis://file:1\"}}",
                                           err, sizeof(err)),
                     0);
    setenv("CALLPULSE_BROKERS", "env:2", 1);
    setenv("CALLPULSE_REDIS_URL", "redis://env:2", 1);
    ck_assert_int_eq(cp_config_load_env(&c, err, sizeof(err)), 0);
    ck_assert_str_eq(c.brokers, "env:2");
    ck_assert_str_eq(c.redis_url, "redis://env:2");
    ck_assert_int_eq(cp_config_set(&c, "kafka.brokers", "flag:3", err, sizeof(err)), 0);
    ck_assert_str_eq(c.brokers, "flag:3");
    unsetenv("CALLPULSE_BROKERS");
    unsetenv("CALLPULSE_REDIS_URL");
    cp_config_free(&c);
}
END_TEST

START_TEST(test_bad_env_names_variable) {
    cp_config c;
    char err[CP_ERRBUF];
    cp_config_defaults(&c);
    setenv("CALLPULSE_LOG_LEVEL", "chatty", 1);
    ck_assert_int_eq(cp_config_load_env(&c, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "CALLPULSE_LOG_LEVEL"));
    unsetenv("CALLPULSE_LOG_LEVEL");
    cp_config_free(&c);
}
END_TEST

START_TEST(test_string_bound) {
    cp_config c;
    char err[CP_ERRBUF], big[2048];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    cp_config_defaults(&c);
    ck_assert_int_eq(cp_config_set(&c, "kafka.brokers", big, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "kafka.brokers"));
    cp_config_free(&c);
}
END_TEST

static const struct {
    const char *url;
    int ok;
    const char *host, *password;
    int port, db;
} url_cases[] = {
    {"redis://h", 1, "h", "", 6379, 0},        {"redis://h:1", 1, "h", "", 1, 0},
    {"redis://:pw@h:2/3", 1, "h", "pw", 2, 3}, {"redis://user:pw@h/", 1, "h", "pw", 6379, 0},
    {"redis://h:0", 0, NULL, NULL, 0, 0},      {"redis://h:99999", 0, NULL, NULL, 0, 0},
    {"redis://", 0, NULL, NULL, 0, 0},         {"redis://h/x", 0, NULL, NULL, 0, 0},
    {"http://h", 0, NULL, NULL, 0, 0},         {"redis://h:12x", 0, NULL, NULL, 0, 0},
};

START_TEST(test_redis_url) {
    cp_redis_url u;
    char err[128];
    int rc = cp_redis_url_parse(url_cases[_i].url, &u, err, sizeof(err));
    ck_assert_msg((rc == 0) == url_cases[_i].ok, "%s: rc %d (%s)", url_cases[_i].url, rc, err);
    if (!url_cases[_i].ok)
        return;
    ck_assert_str_eq(u.host, url_cases[_i].host);
    ck_assert_str_eq(u.password, url_cases[_i].password);
    ck_assert_int_eq(u.port, url_cases[_i].port);
    ck_assert_int_eq(u.db, url_cases[_i].db);
}
END_TEST

START_TEST(test_windows_list) {
    cp_config c;
    char err[CP_ERRBUF];
    cp_config_defaults(&c);
    ck_assert_int_eq(c.nwindows, 3);
    ck_assert_int_eq(c.windows[0].seconds, 900);
    ck_assert_int_eq(c.windows[2].seconds, 0);
    ck_assert_int_eq(cp_config_load_string(&c,
                                           "{\"windows\":{\"list\":[\"30s\",\"2h\",\"day\"],"
                                           "\"bucket_s\":30},\"alerts\":{\"rules\":[]}}",
                                           err, sizeof(err)),
                     0);
    ck_assert_int_eq(c.nwindows, 3);
    ck_assert_str_eq(c.windows[1].name, "2h");
    ck_assert_int_eq(c.windows[1].seconds, 7200);
    ck_assert_int_eq(cp_config_validate(&c, err, sizeof(err)), 0);
    /* 90 s is not a multiple of 60 s buckets */
    ck_assert_int_eq(cp_config_set(&c, "windows.list", "90s,day", err, sizeof(err)), 0);
    ck_assert_int_eq(cp_config_set(&c, "windows.bucket_s", "60", err, sizeof(err)), 0);
    ck_assert_int_eq(cp_config_validate(&c, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "windows.list"));
    ck_assert_int_eq(cp_config_set(&c, "windows.list", "15m,15m", err, sizeof(err)), -1);
    ck_assert_int_eq(cp_config_set(&c, "windows.list", "15x", err, sizeof(err)), -1);
    ck_assert_int_eq(cp_config_set(&c, "windows.list", "", err, sizeof(err)), -1);
    cp_config_free(&c);
}
END_TEST

Suite *config_suite(void) {
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_load_values);
    tcase_add_loop_test(tc, test_bad_config_names_key, 0,
                        (int)(sizeof(bad_configs) / sizeof(bad_configs[0])));
    tcase_add_test(tc, test_syntax_error_position);
    tcase_add_test(tc, test_env_overrides_file_and_flags_override_env);
    tcase_add_test(tc, test_bad_env_names_variable);
    tcase_add_test(tc, test_string_bound);
    tcase_add_loop_test(tc, test_redis_url, 0, (int)(sizeof(url_cases) / sizeof(url_cases[0])));
    tcase_add_test(tc, test_windows_list);
    suite_add_tcase(s, tc);
    return s;
}
