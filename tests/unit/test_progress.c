/* test_progress.c -- safe commit positions with dead letters in flight and
 * the partition clock carried in commit metadata. */
#include <check.h>
#include <string.h>

#include "progress.h"
#include "suites.h"

/* Assign partitions 0 and 1; partition 1 has a committed offset and clock. */
static void assign_two(cp_progress *p) {
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_list_add(l, "t", 0)->offset = RD_KAFKA_OFFSET_INVALID;
    rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_add(l, "t", 1);
    tp->offset = 100;
    tp->metadata = strdup("cp1 clock=5000");
    tp->metadata_size = strlen("cp1 clock=5000");
    cp_progress_init(p);
    ck_assert_int_eq(cp_progress_assign(p, l), 0);
    rd_kafka_topic_partition_list_destroy(l);
}

START_TEST(test_assign_restores_clock) {
    cp_progress p;
    int64_t clock;
    assign_two(&p);
    ck_assert_int_eq(cp_progress_find(&p, 0)->clock_ms, CP_CLOCK_UNSET);
    ck_assert_int_eq(cp_progress_find(&p, 1)->clock_ms, 5000);
    ck_assert_int_eq(cp_progress_safe(cp_progress_find(&p, 0), &clock), -1);
    ck_assert_int_eq(cp_progress_safe(cp_progress_find(&p, 1), &clock), 100);
    ck_assert_ptr_null(cp_progress_find(&p, 7));
    cp_progress_clear(&p);
}
END_TEST

START_TEST(test_safe_stops_at_pending_dead_letter) {
    cp_progress p;
    int64_t clock;
    assign_two(&p);
    cp_partition *part = cp_progress_find(&p, 0);
    part->clock_ms = 1000;
    cp_progress_handled(part, 10, 1000);
    ck_assert_int_eq(cp_progress_pending_add(part, 11), 0); /* DLQ in flight */
    cp_progress_handled(part, 11, 1000);
    part->clock_ms = 2000;
    cp_progress_handled(part, 12, 2000);
    ck_assert_int_eq(cp_progress_safe(part, &clock), 11);
    ck_assert_int_eq(clock, 1000); /* the clock before offset 11 */
    cp_progress_pending_done(&p, p.generation, 0, 11);
    ck_assert_int_eq(cp_progress_safe(part, &clock), 13);
    ck_assert_int_eq(clock, 2000);
    cp_progress_clear(&p);
}
END_TEST

START_TEST(test_out_of_order_acks) {
    cp_progress p;
    int64_t clock;
    assign_two(&p);
    cp_partition *part = cp_progress_find(&p, 0);
    for (int64_t o = 0; o < 40; o++) { /* grows the ring past its first size */
        ck_assert_int_eq(cp_progress_pending_add(part, o), 0);
        cp_progress_handled(part, o, CP_CLOCK_UNSET);
    }
    for (int64_t o = 39; o >= 1; o--)
        cp_progress_pending_done(&p, p.generation, 0, o);
    ck_assert_int_eq(cp_progress_safe(part, &clock), 0);
    ck_assert_uint_eq(cp_progress_pending_total(&p), 40);
    cp_progress_pending_done(&p, p.generation, 0, 0);
    ck_assert_int_eq(cp_progress_safe(part, &clock), 40);
    ck_assert_uint_eq(cp_progress_pending_total(&p), 0);
    cp_progress_clear(&p);
}
END_TEST

START_TEST(test_stale_generation_ignored) {
    cp_progress p;
    int64_t clock;
    assign_two(&p);
    cp_partition *part = cp_progress_find(&p, 0);
    cp_progress_pending_add(part, 5);
    cp_progress_handled(part, 5, CP_CLOCK_UNSET);
    cp_progress_pending_done(&p, p.generation + 1, 0, 5);
    ck_assert_int_eq(cp_progress_safe(part, &clock), 5);
    cp_progress_clear(&p);
}
END_TEST

START_TEST(test_commit_list_only_moves_forward) {
    cp_progress p;
    int64_t clock;
    assign_two(&p);
    cp_progress_find(&p, 0)->clock_ms = 900; /* decoded further, not yet handled */
    cp_progress_handled(cp_progress_find(&p, 0), 3, 777);
    rd_kafka_topic_partition_list_t *l = cp_progress_commit_list(&p, "t", 0);
    ck_assert_ptr_nonnull(l);
    ck_assert_int_eq(l->cnt, 1); /* partition 1 did not move */
    ck_assert_int_eq(l->elems[0].partition, 0);
    ck_assert_int_eq(l->elems[0].offset, 4);
    ck_assert_int_eq(
        cp_progress_metadata_parse(l->elems[0].metadata, l->elems[0].metadata_size, &clock), 0);
    ck_assert_int_eq(clock, 777);
    rd_kafka_topic_partition_list_destroy(l);
    ck_assert_ptr_null(cp_progress_commit_list(&p, "t", 0));
    cp_progress_commit_failed(&p, 0);
    l = cp_progress_commit_list(&p, "t", 0);
    ck_assert_ptr_nonnull(l);
    rd_kafka_topic_partition_list_destroy(l);
    cp_progress_clear(&p);
}
END_TEST

/* Holds (engine.h: write-behind) move the positions a rewind reads from,
 * never the commits (contract 7). */
START_TEST(test_positions_take_the_lower_hold_commits_do_not) {
    cp_progress p;
    assign_two(&p);
    cp_partition *p0 = cp_progress_find(&p, 0), *p1 = cp_progress_find(&p, 1);
    p0->first_read = 0; /* read from the start, nothing committed */
    cp_progress_handled(p0, 9, 700);
    cp_progress_handled(p1, 120, 6000);
    cp_progress_holds_clear(&p);
    cp_progress_hold(&p, 0, 6, 600);
    cp_progress_hold(&p, 0, 8, 650);    /* higher: the lower one stays */
    cp_progress_hold(&p, 1, 130, 7000); /* above the safe position: no effect */
    cp_progress_hold(&p, 5, 1, 1);      /* not assigned: ignored */
    p0->waiting = 500;                  /* a backlog on 0; 1 has caught up */
    rd_kafka_topic_partition_list_t *l = cp_progress_commit_list(&p, "t", 0);
    ck_assert_ptr_nonnull(l);
    ck_assert_int_eq(l->cnt, 1);              /* 1 caught up with a write behind: not yet */
    ck_assert_int_eq(l->elems[0].offset, 10); /* progress, not the hold */
    rd_kafka_topic_partition_list_destroy(l);
    l = cp_progress_positions(&p, "t");
    ck_assert_int_eq(l->cnt, 2);
    int64_t clock;
    ck_assert_int_eq(l->elems[0].offset, 6);
    ck_assert_int_eq(
        cp_progress_metadata_parse(l->elems[0].metadata, l->elems[0].metadata_size, &clock), 0);
    ck_assert_int_eq(clock, 600); /* the clock just before the held offset */
    ck_assert_int_eq(l->elems[1].offset, 121);
    rd_kafka_topic_partition_list_destroy(l);
    cp_progress_holds_clear(&p); /* written */
    l = cp_progress_positions(&p, "t");
    ck_assert_int_eq(l->elems[0].offset, 10);
    rd_kafka_topic_partition_list_destroy(l);
    l = cp_progress_commit_list(&p, "t", 0);
    ck_assert_int_eq(l->cnt, 1);
    ck_assert_int_eq(l->elems[0].partition, 1);
    ck_assert_int_eq(l->elems[0].offset, 121);
    rd_kafka_topic_partition_list_destroy(l);
    cp_progress_clear(&p);
}
END_TEST

/* Nothing handled since the assignment: a rewind reads again from the first
 * offset taken (or leaves the position to auto.offset.reset). */
START_TEST(test_positions_without_progress) {
    cp_progress p;
    assign_two(&p);
    rd_kafka_topic_partition_list_t *l = cp_progress_positions(&p, "t");
    ck_assert_int_eq(l->elems[0].offset, RD_KAFKA_OFFSET_INVALID);
    ck_assert_int_eq(l->elems[1].offset, 100); /* committed, nothing handled since */
    rd_kafka_topic_partition_list_destroy(l);
    cp_progress_hold(&p, 0, 10, 900); /* nothing taken: a hold cannot move it on */
    l = cp_progress_positions(&p, "t");
    ck_assert_int_eq(l->elems[0].offset, RD_KAFKA_OFFSET_INVALID);
    rd_kafka_topic_partition_list_destroy(l);
    cp_progress_find(&p, 0)->first_read = 42;
    l = cp_progress_positions(&p, "t");
    ck_assert_int_eq(l->elems[0].offset, 10); /* the hold is lower */
    rd_kafka_topic_partition_list_destroy(l);
    cp_progress_holds_clear(&p);
    cp_progress_hold(&p, 0, 50, 900); /* above the first offset taken: not from there */
    l = cp_progress_positions(&p, "t");
    ck_assert_int_eq(l->elems[0].offset, 42);
    ck_assert_int_eq(l->elems[0].metadata_size, 0);
    rd_kafka_topic_partition_list_destroy(l);
    cp_progress_clear(&p);
}
END_TEST

START_TEST(test_metadata_parse_rejects_garbage) {
    int64_t clock;
    ck_assert_int_eq(cp_progress_metadata_parse("", 0, &clock), -1);
    ck_assert_int_eq(cp_progress_metadata_parse("hello", 5, &clock), -1);
    ck_assert_int_eq(cp_progress_metadata_parse(NULL, 3, &clock), -1);
    ck_assert_int_eq(cp_progress_metadata_parse("cp1 clock=-12", 13, &clock), 0);
    ck_assert_int_eq(clock, -12);
}
END_TEST

Suite *progress_suite(void) {
    Suite *s = suite_create("progress");
    TCase *tc = tcase_create("progress");
    tcase_add_test(tc, test_assign_restores_clock);
    tcase_add_test(tc, test_safe_stops_at_pending_dead_letter);
    tcase_add_test(tc, test_out_of_order_acks);
    tcase_add_test(tc, test_stale_generation_ignored);
    tcase_add_test(tc, test_commit_list_only_moves_forward);
    tcase_add_test(tc, test_metadata_parse_rejects_garbage);
    tcase_add_test(tc, test_positions_take_the_lower_hold_commits_do_not);
    tcase_add_test(tc, test_positions_without_progress);
    suite_add_tcase(s, tc);
    return s;
}
