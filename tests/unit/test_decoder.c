/* test_decoder.c -- table-driven tests of event decoding (contract 2, 6).
 *
 * Every bad input names the exact error code it must get; every valid one
 * is checked field by field. NOW is the wall clock handed to the decoder. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decoder.h"
#include "suites.h"

#define NOW 1795400000000LL /* 2026-11-23T02:13:20Z */

static const cp_decode_limits limits = {65536, 300000};

typedef struct bad_case {
    const char *name;
    const char *json;
    cp_reject want;
} bad_case;

/* A valid call_ended with one field replaced: BASE_ENDED(field-text). */
#define ENDED(extra)                                                                               \
    "{\"event_id\":\"e1\",\"type\":\"call_ended\",\"agent_id\":\"a1\",\"ts\":1795399990000,"       \
    "\"call_id\":\"c1\"" extra "}"

static const bad_case bad_cases[] = {
    /* invalid_json: syntax, truncation, encoding */
    {"empty object text", "", CP_REJ_INVALID_JSON},
    {"whitespace only", "   ", CP_REJ_INVALID_JSON},
    {"truncated object", "{\"event_id\":\"e1\",\"type\":\"call_offered\"", CP_REJ_INVALID_JSON},
    {"truncated string", "{\"event_id\":\"e1", CP_REJ_INVALID_JSON},
    {"trailing comma", "{\"event_id\":\"e1\",}", CP_REJ_INVALID_JSON},
    {"single quotes", "{'event_id':'e1'}", CP_REJ_INVALID_JSON},
    {"bare word", "hello", CP_REJ_INVALID_JSON},
    {"two objects", "{} {}", CP_REJ_INVALID_JSON},
    {"non-utf8 byte", "{\"event_id\":\"e\xff\"}", CP_REJ_INVALID_JSON},
    {"overlong utf8", "{\"event_id\":\"\xc0\xaf\"}", CP_REJ_INVALID_JSON},
    {"lone surrogate escape", "{\"event_id\":\"\\ud800\"}", CP_REJ_INVALID_JSON},
    {"escaped NUL", "{\"event_id\":\"a\\u0000b\"}", CP_REJ_INVALID_JSON},
    {"duplicate key", "{\"event_id\":\"e1\",\"event_id\":\"e2\"}", CP_REJ_INVALID_JSON},
    {"NaN literal", "{\"ts\":NaN}", CP_REJ_INVALID_JSON},
    /* not_object */
    {"array", "[1,2,3]", CP_REJ_NOT_OBJECT},
    {"string", "\"call_offered\"", CP_REJ_NOT_OBJECT},
    {"number", "42", CP_REJ_NOT_OBJECT},
    {"null", "null", CP_REJ_NOT_OBJECT},
    {"true", "true", CP_REJ_NOT_OBJECT},
    /* missing_field */
    {"empty object", "{}", CP_REJ_MISSING_FIELD},
    {"no event_id", "{\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":1,\"call_id\":\"c\"}",
     CP_REJ_MISSING_FIELD},
    {"no type", "{\"event_id\":\"e1\",\"agent_id\":\"a1\",\"ts\":1,\"call_id\":\"c\"}",
     CP_REJ_MISSING_FIELD},
    {"no agent_id", "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"ts\":1,\"call_id\":\"c\"}",
     CP_REJ_MISSING_FIELD},
    {"no ts",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"call_id\":\"c\"}",
     CP_REJ_MISSING_FIELD},
    {"no call_id", "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":1}",
     CP_REJ_MISSING_FIELD},
    {"null event_id",
     "{\"event_id\":null,\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":1,\"call_id\":\"c\"}",
     CP_REJ_MISSING_FIELD},
    {"call_ended without talk_s", ENDED(""), CP_REJ_MISSING_FIELD},
    {"wrapup without acw_s",
     "{\"event_id\":\"e1\",\"type\":\"wrapup_ended\",\"agent_id\":\"a1\",\"ts\":1,\"call_id\":"
     "\"c\"}",
     CP_REJ_MISSING_FIELD},
    {"survey without csat",
     "{\"event_id\":\"e1\",\"type\":\"survey\",\"agent_id\":\"a1\",\"ts\":1,\"call_id\":\"c\"}",
     CP_REJ_MISSING_FIELD},
    {"qa without qa_score",
     "{\"event_id\":\"e1\",\"type\":\"qa_scored\",\"agent_id\":\"a1\",\"ts\":1,\"call_id\":\"c\"}",
     CP_REJ_MISSING_FIELD},
    {"agent_state without state",
     "{\"event_id\":\"e1\",\"type\":\"agent_state\",\"agent_id\":\"a1\",\"ts\":1}",
     CP_REJ_MISSING_FIELD},
    /* bad_type */
    {"event_id number",
     "{\"event_id\":7,\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":1,\"call_id\":\"c\"}",
     CP_REJ_BAD_TYPE},
    {"type number",
     "{\"event_id\":\"e1\",\"type\":3,\"agent_id\":\"a1\",\"ts\":1,\"call_id\":\"c\"}",
     CP_REJ_BAD_TYPE},
    {"agent_id array",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":[\"a\"],\"ts\":1,\"call_id\":"
     "\"c\"}",
     CP_REJ_BAD_TYPE},
    {"team_id number",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"team_id\":5,\"ts\":1,"
     "\"call_id\":\"c\"}",
     CP_REJ_BAD_TYPE},
    {"ts float",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":1.5,\"call_id\":"
     "\"c\"}",
     CP_REJ_BAD_TYPE},
    {"ts boolean",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":true,\"call_id\":"
     "\"c\"}",
     CP_REJ_BAD_TYPE},
    {"call_id object",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":1,\"call_id\":{}}",
     CP_REJ_BAD_TYPE},
    {"talk_s string", ENDED(",\"talk_s\":\"60\""), CP_REJ_BAD_TYPE},
    {"hold_s boolean", ENDED(",\"talk_s\":60,\"hold_s\":true"), CP_REJ_BAD_TYPE},
    {"resolved string", ENDED(",\"talk_s\":60,\"resolved\":\"true\""), CP_REJ_BAD_TYPE},
    {"transferred number", ENDED(",\"talk_s\":60,\"transferred\":1"), CP_REJ_BAD_TYPE},
    {"csat string",
     "{\"event_id\":\"e1\",\"type\":\"survey\",\"agent_id\":\"a1\",\"ts\":1,\"call_id\":\"c\","
     "\"csat\":\"5\"}",
     CP_REJ_BAD_TYPE},
    {"state number",
     "{\"event_id\":\"e1\",\"type\":\"agent_state\",\"agent_id\":\"a1\",\"ts\":1,\"state\":1}",
     CP_REJ_BAD_TYPE},
    /* bad_value: out-of-range numbers, impossible dates */
    {"negative talk_s", ENDED(",\"talk_s\":-1"), CP_REJ_BAD_VALUE},
    {"talk_s over a day", ENDED(",\"talk_s\":86401"), CP_REJ_BAD_VALUE},
    {"huge hold_s", ENDED(",\"talk_s\":1,\"hold_s\":1e300"), CP_REJ_BAD_VALUE},
    {"negative sale_value", ENDED(",\"talk_s\":1,\"sale_value\":-5"), CP_REJ_BAD_VALUE},
    {"negative ring_s",
     "{\"event_id\":\"e1\",\"type\":\"call_answered\",\"agent_id\":\"a1\",\"ts\":1,"
     "\"call_id\":\"c\",\"ring_s\":-2}",
     CP_REJ_BAD_VALUE},
    {"csat 0",
     "{\"event_id\":\"e1\",\"type\":\"survey\",\"agent_id\":\"a1\",\"ts\":1,\"call_id\":\"c\","
     "\"csat\":0}",
     CP_REJ_BAD_VALUE},
    {"csat 6",
     "{\"event_id\":\"e1\",\"type\":\"survey\",\"agent_id\":\"a1\",\"ts\":1,\"call_id\":\"c\","
     "\"csat\":6}",
     CP_REJ_BAD_VALUE},
    {"csat fractional",
     "{\"event_id\":\"e1\",\"type\":\"survey\",\"agent_id\":\"a1\",\"ts\":1,\"call_id\":\"c\","
     "\"csat\":4.5}",
     CP_REJ_BAD_VALUE},
    {"qa_score 101",
     "{\"event_id\":\"e1\",\"type\":\"qa_scored\",\"agent_id\":\"a1\",\"ts\":1,\"call_id\":\"c\","
     "\"qa_score\":101}",
     CP_REJ_BAD_VALUE},
    {"unknown state",
     "{\"event_id\":\"e1\",\"type\":\"agent_state\",\"agent_id\":\"a1\",\"ts\":1,"
     "\"state\":\"lunch\"}",
     CP_REJ_BAD_VALUE},
    {"negative ts",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":-1,\"call_id\":"
     "\"c\"}",
     CP_REJ_BAD_VALUE},
    {"ts after year 9999",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":253402300800000,"
     "\"call_id\":\"c\"}",
     CP_REJ_BAD_VALUE},
    {"february 30",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\","
     "\"ts\":\"2026-02-30T10:00:00Z\",\"call_id\":\"c\"}",
     CP_REJ_BAD_VALUE},
    {"february 29 of a common year",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\","
     "\"ts\":\"2025-02-29T10:00:00Z\",\"call_id\":\"c\"}",
     CP_REJ_BAD_VALUE},
    {"month 13",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\","
     "\"ts\":\"2026-13-01T10:00:00Z\",\"call_id\":\"c\"}",
     CP_REJ_BAD_VALUE},
    {"hour 24",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\","
     "\"ts\":\"2026-11-23T24:00:00Z\",\"call_id\":\"c\"}",
     CP_REJ_BAD_VALUE},
    {"no offset",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\","
     "\"ts\":\"2026-11-23T10:00:00\",\"call_id\":\"c\"}",
     CP_REJ_BAD_VALUE},
    {"offset 24:00",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\","
     "\"ts\":\"2026-11-23T10:00:00+24:00\",\"call_id\":\"c\"}",
     CP_REJ_BAD_VALUE},
    {"date only",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":\"2026-11-23\","
     "\"call_id\":\"c\"}",
     CP_REJ_BAD_VALUE},
    {"digits as string",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":\"1795399990000\","
     "\"call_id\":\"c\"}",
     CP_REJ_BAD_VALUE},
    {"trailing garbage in ts",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\","
     "\"ts\":\"2026-11-23T10:00:00Zjunk\",\"call_id\":\"c\"}",
     CP_REJ_BAD_VALUE},
    /* bad_id */
    {"agent_id with space",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a "
     "1\",\"ts\":1,\"call_id\":\"c\"}",
     CP_REJ_BAD_ID},
    {"agent_id with tab",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a\\t1\",\"ts\":1,"
     "\"call_id\":\"c\"}",
     CP_REJ_BAD_ID},
    {"agent_id with open brace",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a{1\",\"ts\":1,\"call_id\":"
     "\"c\"}",
     CP_REJ_BAD_ID},
    {"agent_id with close brace",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a}1\",\"ts\":1,\"call_id\":"
     "\"c\"}",
     CP_REJ_BAD_ID},
    {"agent_id with control char",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a\\u0007\",\"ts\":1,"
     "\"call_id\":\"c\"}",
     CP_REJ_BAD_ID},
    {"agent_id with DEL",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a\\u007f\",\"ts\":1,"
     "\"call_id\":\"c\"}",
     CP_REJ_BAD_ID},
    {"agent_id with ideographic space",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"\xe5\xbc\xa0\xe3\x80\x80\","
     "\"ts\":1,\"call_id\":\"c\"}",
     CP_REJ_BAD_ID},
    {"agent_id with no-break space",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a\\u00a0b\",\"ts\":1,"
     "\"call_id\":\"c\"}",
     CP_REJ_BAD_ID},
    {"empty agent_id",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"\",\"ts\":1,\"call_id\":\"c\"}",
     CP_REJ_BAD_ID},
    {"agent_id of 65 bytes",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":"
     "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"ts\":1,"
     "\"call_id\":\"c\"}",
     CP_REJ_BAD_ID},
    {"team_id with newline",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"team_id\":\"t\\n\","
     "\"ts\":1,\"call_id\":\"c\"}",
     CP_REJ_BAD_ID},
    {"empty team_id",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"team_id\":\"\","
     "\"ts\":1,\"call_id\":\"c\"}",
     CP_REJ_BAD_ID},
    {"empty event_id",
     "{\"event_id\":\"\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":1,\"call_id\":\"c\"}",
     CP_REJ_BAD_ID},
    {"empty call_id",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":1,\"call_id\":"
     "\"\"}",
     CP_REJ_BAD_ID},
    /* unknown_type */
    {"unknown type",
     "{\"event_id\":\"e1\",\"type\":\"call_parked\",\"agent_id\":\"a1\",\"ts\":1,\"call_id\":"
     "\"c\"}",
     CP_REJ_UNKNOWN_TYPE},
    {"type in capitals",
     "{\"event_id\":\"e1\",\"type\":\"CALL_OFFERED\",\"agent_id\":\"a1\",\"ts\":1,\"call_id\":"
     "\"c\"}",
     CP_REJ_UNKNOWN_TYPE},
    {"empty type",
     "{\"event_id\":\"e1\",\"type\":\"\",\"agent_id\":\"a1\",\"ts\":1,\"call_id\":\"c\"}",
     CP_REJ_UNKNOWN_TYPE},
    /* future_ts: more than 300 s ahead of NOW */
    {"ts 301 s ahead",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":1795400301000,"
     "\"call_id\":\"c\"}",
     CP_REJ_FUTURE_TS},
    {"rfc3339 in 2030",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\","
     "\"ts\":\"2030-01-01T00:00:00+08:00\",\"call_id\":\"c\"}",
     CP_REJ_FUTURE_TS},
};

START_TEST(test_bad_inputs) {
    const bad_case *c = &bad_cases[_i];
    char detail[256];
    cp_event ev;
    cp_reject got =
        cp_event_decode(c->json, strlen(c->json), NOW, &limits, &ev, detail, sizeof(detail));
    ck_assert_msg(got == c->want, "%s: got %s (%s), want %s", c->name, cp_reject_name(got), detail,
                  cp_reject_name(c->want));
    ck_assert_msg(detail[0] != '\0', "%s: empty detail", c->name);
}
END_TEST

/* Oversized input and 64-byte/128-byte boundaries are built at run time. */
START_TEST(test_too_large) {
    size_t n = 70000;
    char *buf = malloc(n), detail[256];
    cp_event ev;
    memset(buf, ' ', n);
    memcpy(buf, "{\"event_id\":\"", 13);
    buf[n - 2] = '"';
    buf[n - 1] = '}';
    ck_assert_int_eq(cp_event_decode(buf, n, NOW, &limits, &ev, detail, sizeof(detail)),
                     CP_REJ_TOO_LARGE);
    ck_assert_int_eq(cp_event_decode(buf, 65536, NOW, &limits, &ev, detail, sizeof(detail)),
                     CP_REJ_INVALID_JSON);
    free(buf);
}
END_TEST

START_TEST(test_id_length_bounds) {
    char json[1024], id[200], detail[256];
    cp_event ev;
    struct {
        const char *field;
        size_t len;
        cp_reject want;
    } cases[] = {{"agent_id", 64, CP_OK},  {"agent_id", 65, CP_REJ_BAD_ID},
                 {"event_id", 128, CP_OK}, {"event_id", 129, CP_REJ_BAD_ID},
                 {"call_id", 128, CP_OK},  {"call_id", 129, CP_REJ_BAD_ID},
                 {"team_id", 64, CP_OK},   {"team_id", 65, CP_REJ_BAD_ID}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(id, 'x', cases[i].len);
        id[cases[i].len] = '\0';
        snprintf(json, sizeof(json),
                 "{\"event_id\":\"%s\",\"type\":\"call_offered\",\"agent_id\":\"%s\","
                 "\"team_id\":\"%s\",\"ts\":1795399990000,\"call_id\":\"%s\"}",
                 strcmp(cases[i].field, "event_id") == 0 ? id : "e",
                 strcmp(cases[i].field, "agent_id") == 0 ? id : "a",
                 strcmp(cases[i].field, "team_id") == 0 ? id : "t",
                 strcmp(cases[i].field, "call_id") == 0 ? id : "c");
        cp_reject got =
            cp_event_decode(json, strlen(json), NOW, &limits, &ev, detail, sizeof(detail));
        ck_assert_msg(got == cases[i].want, "%s of %zu bytes: got %s", cases[i].field, cases[i].len,
                      cp_reject_name(got));
    }
}
END_TEST

START_TEST(test_null_buffer) {
    char detail[256];
    cp_event ev;
    ck_assert_int_eq(cp_event_decode(NULL, 0, NOW, &limits, &ev, detail, sizeof(detail)),
                     CP_REJ_INVALID_JSON);
}
END_TEST

/* ---- valid events -------------------------------------------------------- */

typedef struct good_case {
    const char *name;
    const char *json;
    cp_event_type type;
    long long ts_ms;
} good_case;

static const good_case good_cases[] = {
    {"offered, epoch ms, extra fields",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"team_id\":\"t1\","
     "\"ts\":1795399990000,\"call_id\":\"c1\",\"queue\":\"sales\",\"meta\":{\"x\":[1,2]}}",
     CP_EV_CALL_OFFERED, 1795399990000LL},
    {"answered, RFC 3339 Z",
     "{\"event_id\":\"e2\",\"type\":\"call_answered\",\"agent_id\":\"a1\","
     "\"ts\":\"2026-11-23T01:00:00Z\",\"call_id\":\"c1\",\"ring_s\":4.5}",
     CP_EV_CALL_ANSWERED, 1795395600000LL},
    {"missed, RFC 3339 +08:00 with fraction",
     "{\"event_id\":\"e3\",\"type\":\"call_missed\",\"agent_id\":\"\xe5\xbc\xa0\xe4\xb8\x89\","
     "\"ts\":\"2026-11-23T09:00:00.250+08:00\",\"call_id\":\"c2\"}",
     CP_EV_CALL_MISSED, 1795395600250LL},
    {"missed, lower-case t and z, micro fraction",
     "{\"event_id\":\"e4\",\"type\":\"call_missed\",\"agent_id\":\"a1\","
     "\"ts\":\"2026-11-23t01:00:00.123456z\",\"call_id\":\"c2\"}",
     CP_EV_CALL_MISSED, 1795395600123LL},
    {"wrapup, negative offset",
     "{\"event_id\":\"e5\",\"type\":\"wrapup_ended\",\"agent_id\":\"a1\","
     "\"ts\":\"2026-11-22T20:00:00-05:00\",\"call_id\":\"c1\",\"acw_s\":30}",
     CP_EV_WRAPUP_ENDED, 1795395600000LL},
    {"survey",
     "{\"event_id\":\"e6\",\"type\":\"survey\",\"agent_id\":\"a1\",\"ts\":1795399990000,"
     "\"call_id\":\"c1\",\"csat\":5}",
     CP_EV_SURVEY, 1795399990000LL},
    {"qa_scored, fractional score",
     "{\"event_id\":\"e7\",\"type\":\"qa_scored\",\"agent_id\":\"a1\",\"ts\":1795399990000,"
     "\"call_id\":\"c1\",\"qa_score\":87.5}",
     CP_EV_QA_SCORED, 1795399990000LL},
    {"agent_state, no call_id, null team",
     "{\"event_id\":\"e8\",\"type\":\"agent_state\",\"agent_id\":\"a1\",\"team_id\":null,"
     "\"ts\":1795399990000,\"state\":\"break\"}",
     CP_EV_AGENT_STATE, 1795399990000LL},
    {"ts exactly at the future limit",
     "{\"event_id\":\"e9\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":1795400300000,"
     "\"call_id\":\"c1\"}",
     CP_EV_CALL_OFFERED, 1795400300000LL},
    {"leap second",
     "{\"event_id\":\"e10\",\"type\":\"call_offered\",\"agent_id\":\"a1\","
     "\"ts\":\"2016-12-31T23:59:60Z\",\"call_id\":\"c1\"}",
     CP_EV_CALL_OFFERED, 1483228799999LL},
};

START_TEST(test_good_inputs) {
    const good_case *c = &good_cases[_i];
    char detail[256];
    cp_event ev;
    cp_reject got =
        cp_event_decode(c->json, strlen(c->json), NOW, &limits, &ev, detail, sizeof(detail));
    ck_assert_msg(got == CP_OK, "%s: rejected as %s: %s", c->name, cp_reject_name(got), detail);
    ck_assert_int_eq(ev.type, c->type);
    ck_assert_int_eq(ev.ts_ms, c->ts_ms);
}
END_TEST

START_TEST(test_call_ended_fields) {
    const char *json = ENDED(",\"team_id\":\"t9\",\"talk_s\":125.25,\"hold_s\":30,\"acw_s\":"
                             "12.5,\"transferred\":false,\"resolved\":true,\"complaint\":true,"
                             "\"sale\":true,\"sale_value\":99.99");
    char detail[256];
    cp_event ev;
    ck_assert_int_eq(cp_event_decode(json, strlen(json), NOW, &limits, &ev, detail, sizeof(detail)),
                     CP_OK);
    ck_assert_str_eq(ev.event_id, "e1");
    ck_assert_str_eq(ev.agent_id, "a1");
    ck_assert_str_eq(ev.team_id, "t9");
    ck_assert_str_eq(ev.call_id, "c1");
    ck_assert_int_eq(ev.talk_ms, 125250);
    ck_assert_int_eq(ev.hold_ms, 30000);
    ck_assert_int_eq(ev.acw_ms, 12500);
    ck_assert_int_eq(ev.sale_value_milli, 99990);
    ck_assert_uint_eq(ev.flags, CP_F_RESOLVED | CP_F_COMPLAINT | CP_F_SALE);
}
END_TEST

START_TEST(test_defaults_of_optional_fields) {
    const char *json = ENDED(",\"talk_s\":60");
    char detail[256];
    cp_event ev;
    ck_assert_int_eq(cp_event_decode(json, strlen(json), NOW, &limits, &ev, detail, sizeof(detail)),
                     CP_OK);
    ck_assert_int_eq(ev.hold_ms, 0);
    ck_assert_int_eq(ev.acw_ms, 0);
    ck_assert_uint_eq(ev.flags, 0);
    ck_assert_str_eq(ev.team_id, "");
}
END_TEST

START_TEST(test_not_nul_terminated) {
    /* the decoder must stop at len even when the buffer goes on */
    const char *json = "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\","
                       "\"ts\":1795399990000,\"call_id\":\"c1\"}GARBAGE";
    char detail[256];
    cp_event ev;
    ck_assert_int_eq(
        cp_event_decode(json, strlen(json) - 7, NOW, &limits, &ev, detail, sizeof(detail)), CP_OK);
}
END_TEST

START_TEST(test_reject_names) {
    const char *want[] = {"ok",        "invalid_json", "not_object", "missing_field",
                          "bad_type",  "bad_value",    "bad_id",     "unknown_type",
                          "too_large", "too_late",     "future_ts"};
    for (int r = 0; r < CP_REJ_COUNT; r++)
        ck_assert_str_eq(cp_reject_name((cp_reject)r), want[r]);
}
END_TEST

/* Every error code except too_late (judged by the consumer's clock) must
 * appear in the bad-input table. */
START_TEST(test_table_covers_every_code) {
    int seen[CP_REJ_COUNT] = {0};
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
        seen[bad_cases[i].want] = 1;
    seen[CP_REJ_TOO_LARGE] = 1; /* test_too_large */
    for (int r = 1; r < CP_REJ_COUNT; r++)
        if (r != CP_REJ_TOO_LATE)
            ck_assert_msg(seen[r], "no bad input for %s", cp_reject_name((cp_reject)r));
    ck_assert_int_ge(sizeof(bad_cases) / sizeof(bad_cases[0]), 50);
}
END_TEST

Suite *decoder_suite(void) {
    Suite *s = suite_create("decoder");
    TCase *tc = tcase_create("decode");
    tcase_add_loop_test(tc, test_bad_inputs, 0, (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
    tcase_add_loop_test(tc, test_good_inputs, 0, (int)(sizeof(good_cases) / sizeof(good_cases[0])));
    tcase_add_test(tc, test_too_large);
    tcase_add_test(tc, test_id_length_bounds);
    tcase_add_test(tc, test_null_buffer);
    tcase_add_test(tc, test_call_ended_fields);
    tcase_add_test(tc, test_defaults_of_optional_fields);
    tcase_add_test(tc, test_not_nul_terminated);
    tcase_add_test(tc, test_reject_names);
    tcase_add_test(tc, test_table_covers_every_code);
    suite_add_tcase(s, tc);
    return s;
}
