/* test_outputs.c -- placeholder, being written. */
#include <check.h>

Suite *outputs_suite(void) {
    return suite_create("outputs");
}
