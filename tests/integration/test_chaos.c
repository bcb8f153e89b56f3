/* test_chaos.c -- placeholder, being written. */
#include <check.h>

Suite *chaos_suite(void) {
    return suite_create("chaos");
}
