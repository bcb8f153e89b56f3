/* test_holds.c -- write-behind's records and holds (holds.h): what waits
 * accumulates in one step, a record holds its partition from where it was
 * made, a lost record leaves the lowest hold of its partition, and an
 * agent lost once is not left behind again in the same assignment. */
#include <check.h>
#include <string.h>

#include "holds.h"
#include "suites.h"

/* Collect every hold of h, by partition (the lowest of each). */
static void lowest(void *ctx, const cp_hold *hold) {
    cp_hold *by = ctx;
    if (by[hold->partition].offset < 0 || hold->offset < by[hold->partition].offset)
        by[hold->partition] = *hold;
}

static void holds_of(const cp_holds *h, cp_hold by[4]) {
    for (int p = 0; p < 4; p++)
        by[p] = (cp_hold){p, -1, 0};
    cp_holds_each(h, lowest, by);
}

START_TEST(test_steps_accumulate_in_the_record) {
    cp_holds h;
    cp_step step;
    memset(&step, 0, sizeof(step));
    cp_holds_init(&h);
    cp_agent *a = cp_agent_new("a1", 2);
    step.delta.applied = 3;
    cp_hold first = {1, 100, 5000};
    ck_assert_int_eq(cp_holds_keep(&h, a, &step, &first, 5100, 3), 0);
    ck_assert_int_eq(a->behind, 0);
    ck_assert_int_eq(step.delta.applied, 0); /* the record has it now */
    /* the next batch: the step continues from the record, and goes back */
    cp_holds_take(&h, a, &step);
    ck_assert_int_eq(step.delta.applied, 3);
    step.delta.applied += 2;
    cp_hold later = {1, 200, 9000};
    ck_assert_int_eq(cp_holds_keep(&h, a, &step, &later, 9100, 2), 0);
    const cp_behind *b = cp_holds_record(&h, a);
    ck_assert_int_eq(b->step.delta.applied, 5);
    ck_assert_int_eq(b->events, 5);
    ck_assert_int_eq(b->first.offset, 100); /* the hold stays where it was made */
    ck_assert_int_eq(b->since_ms, 5100);
    cp_holds_release(&h, a);
    ck_assert_int_eq(a->behind, -1);
    ck_assert_int_eq((int)h.n, 0);
    ck_assert(!cp_holds_any_lost(&h));
    cp_step_free(&step);
    cp_agent_free(a);
    cp_holds_free(&h);
}
END_TEST

START_TEST(test_lost_records_leave_the_lowest_hold) {
    cp_holds h;
    cp_step step;
    cp_hold by[4];
    memset(&step, 0, sizeof(step));
    cp_holds_init(&h);
    cp_agent *a[3] = {cp_agent_new("a", 1), cp_agent_new("b", 1), cp_agent_new("c", 1)};
    cp_hold firsts[3] = {{2, 50, 500}, {2, 30, 300}, {3, 70, 700}};
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(cp_holds_keep(&h, a[i], &step, &firsts[i], 0, 1), 0);
    holds_of(&h, by);
    ck_assert_int_eq(by[2].offset, 30);
    ck_assert_int_eq(by[2].clock_ms, 300);
    ck_assert_int_eq(by[3].offset, 70);
    cp_holds_lose(&h, a[0]); /* b, still behind, holds lower */
    cp_holds_release(&h, a[1]);
    ck_assert(cp_holds_any_lost(&h));
    ck_assert_int_eq((int)h.n, 1);
    holds_of(&h, by);
    ck_assert_int_eq(by[2].offset, 50); /* what a left */
    ck_assert_int_eq(by[3].offset, 70); /* c, moved into a freed place */
    ck_assert_int_eq(a[2]->behind, 0);
    ck_assert(!cp_holds_may_keep(&h, a[0]));
    ck_assert(cp_holds_may_keep(&h, a[1]));
    ck_assert_int_eq(cp_holds_keep(&h, a[1], &step, &firsts[1], 0, 1), 0);
    cp_holds_forget(&h);
    ck_assert_int_eq(a[1]->behind, -1);
    ck_assert_int_eq(a[2]->behind, -1);
    ck_assert(!cp_holds_any_lost(&h));
    ck_assert(!cp_holds_may_keep(&h, a[0])); /* until the next assignment */
    cp_part_clock parts[1] = {{2, 0, 0, 10, 0}};
    ck_assert_int_eq(cp_holds_assign(&h, parts, 1), 0);
    ck_assert(cp_holds_may_keep(&h, a[0]));
    ck_assert(!cp_holds_claimed(&h, 2));
    for (int i = 0; i < 3; i++)
        cp_agent_free(a[i]);
    cp_step_free(&step);
    cp_holds_free(&h);
}
END_TEST

Suite *holds_suite(void) {
    Suite *s = suite_create("holds");
    TCase *tc = tcase_create("holds");
    tcase_add_test(tc, test_steps_accumulate_in_the_record);
    tcase_add_test(tc, test_lost_records_leave_the_lowest_hold);
    suite_add_tcase(s, tc);
    return s;
}
