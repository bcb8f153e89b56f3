/* test_metrics.c -- latency histograms (bucket choice, quantiles, merge),
 * batch-size buckets and the Prometheus text exposition. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "suites.h"

/* The bucket by definition: the first whose bound holds ms. */
static int bucket_by_scan(double ms) {
    int i = 0;
    while (i < CP_HIST_BUCKETS - 1 && ms > cp_hist_bound(i))
        i++;
    return i;
}

static int bucket_of(double ms) {
    cp_hist h;
    memset(&h, 0, sizeof(h));
    cp_hist_add(&h, ms);
    for (int i = 0; i < CP_HIST_BUCKETS; i++)
        if (h.b[i])
            return i;
    return -1;
}

START_TEST(test_hist_bucket_matches_definition) {
    /* every bound, just below and just above it, and values in between */
    for (int i = 0; i < CP_HIST_BUCKETS; i++) {
        double b = cp_hist_bound(i);
        double probes[] = {b, nextafter(b, 0), nextafter(b, INFINITY), b * 1.05};
        for (size_t k = 0; k < 4; k++)
            ck_assert_msg(bucket_of(probes[k]) == bucket_by_scan(probes[k]), "%.17g: %d, want %d",
                          probes[k], bucket_of(probes[k]), bucket_by_scan(probes[k]));
    }
    double odd[] = {0, -5, 0.001, 1e12, NAN};
    int want[] = {0, 0, 0, CP_HIST_BUCKETS - 1, CP_HIST_BUCKETS - 1};
    for (size_t k = 0; k < 5; k++)
        ck_assert_int_eq(bucket_of(odd[k]), want[k]);
}
END_TEST

START_TEST(test_batch_size_buckets) {
    ck_assert_int_eq(cp_batch_size_bucket(1), 0);
    ck_assert_int_eq(cp_batch_size_bucket(2), 1);
    ck_assert_int_eq(cp_batch_size_bucket(10), 1);
    ck_assert_int_eq(cp_batch_size_bucket(5000), 4);
    ck_assert_int_eq(cp_batch_size_bucket(20000), CP_BATCH_SIZE_BUCKETS - 1);
}
END_TEST

static double sample(const char *body, const char *name) {
    const char *at = strstr(body, name);
    size_t n = strlen(name);
    while (at && !((at == body || at[-1] == '\n') && at[n] == ' '))
        at = strstr(at + 1, name);
    return at ? strtod(at + n + 1, NULL) : -1;
}

START_TEST(test_exposition) {
    cp_metrics_all *a = calloc(1, sizeof(*a));
    a->v.consumed = 12;
    a->v.events[CP_EV_SURVEY] = 7;
    a->v.invalid[CP_REJ_BAD_ID] = 3;
    a->v.batches = 3;
    a->v.batch_events = 12;
    a->v.batch_sizes[cp_batch_size_bucket(1)] = 1;
    a->v.batch_sizes[cp_batch_size_bucket(5)] = 2;
    a->lags[0] = (cp_lag){3, 42};
    a->nlags = 1;
    double ms[] = {0.5, 3, 3, 40, 2000};
    for (size_t i = 0; i < 5; i++)
        cp_hist_add(&a->stored_latency, ms[i]);
    char *t = cp_metrics_exposition(a, "call-events");
    ck_assert_ptr_nonnull(t);
    ck_assert(sample(t, "callpulse_messages_consumed_total") == 12);
    ck_assert(sample(t, "callpulse_events_total{type=\"survey\"}") == 7);
    ck_assert(sample(t, "callpulse_events_total{type=\"call_offered\"}") == 0);
    ck_assert(sample(t, "callpulse_invalid_events_total{reason=\"bad_id\"}") == 3);
    ck_assert(sample(t, "callpulse_consumer_lag_messages{topic=\"call-events\",partition=\"3\"}") ==
              42);
    ck_assert(sample(t, "callpulse_batch_size_messages_bucket{le=\"1\"}") == 1);
    ck_assert(sample(t, "callpulse_batch_size_messages_bucket{le=\"10\"}") == 3);
    ck_assert(sample(t, "callpulse_batch_size_messages_bucket{le=\"+Inf\"}") == 3);
    ck_assert(sample(t, "callpulse_batch_size_messages_sum") == 12);
    /* cumulative latency buckets in seconds */
    ck_assert(sample(t, "callpulse_end_to_end_latency_seconds_bucket{le=\"0.001\"}") == 1);
    ck_assert(sample(t, "callpulse_end_to_end_latency_seconds_bucket{le=\"0.005\"}") == 3);
    ck_assert(sample(t, "callpulse_end_to_end_latency_seconds_bucket{le=\"0.05\"}") == 4);
    ck_assert(sample(t, "callpulse_end_to_end_latency_seconds_bucket{le=\"2.5\"}") == 5);
    ck_assert(sample(t, "callpulse_end_to_end_latency_seconds_bucket{le=\"+Inf\"}") == 5);
    ck_assert(sample(t, "callpulse_end_to_end_latency_seconds_count") == 5);
    ck_assert(fabs(sample(t, "callpulse_end_to_end_latency_seconds_sum") - 2.0465) < 1e-9);
    ck_assert_ptr_nonnull(strstr(t, "# TYPE callpulse_end_to_end_latency_seconds histogram\n"));
    ck_assert_ptr_nonnull(strstr(t, "# TYPE callpulse_consumer_lag_messages gauge\n"));
    /* every line a comment or "name[{labels}] value" */
    for (char *line = t; *line;) {
        char *nl = strchr(line, '\n');
        ck_assert_ptr_nonnull(nl);
        if (*line != '#') {
            char *sp = memchr(line, ' ', (size_t)(nl - line));
            ck_assert_msg(sp && sp > line, "bad line %.*s", (int)(nl - line), line);
            char *end;
            strtod(sp + 1, &end);
            ck_assert_msg(end == nl, "bad value in %.*s", (int)(nl - line), line);
        }
        line = nl + 1;
    }
    free(t);
    free(a);
}
END_TEST

Suite *metrics_suite(void) {
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_hist_bucket_matches_definition);
    tcase_add_test(tc, test_batch_size_buckets);
    tcase_add_test(tc, test_exposition);
    suite_add_tcase(s, tc);
    return s;
}
