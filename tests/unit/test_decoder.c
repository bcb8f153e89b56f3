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

/* A valid call_offered with ts given as text: OFFERED("1.5"). */
#define OFFERED(ts)                                                                                \
    "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":" ts                \
    ",\"call_id\":\"c1\"}"

/* A valid call_offered with extra text before its closing brace. */
#define OFFERED_X(extra)                                                                           \
    "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":1795399990000,"     \
    "\"call_id\":\"c1\"" extra "}"

/* A valid survey with csat given as text: SURVEY("5.0"). */
#define SURVEY(csat)                                                                               \
    "{\"event_id\":\"e1\",\"type\":\"survey\",\"agent_id\":\"a1\",\"ts\":1795399990000,"           \
    "\"call_id\":\"c1\",\"csat\":" csat "}"

/* A valid qa_scored with qa_score given as text. */
#define QA(score)                                                                                  \
    "{\"event_id\":\"e1\",\"type\":\"qa_scored\",\"agent_id\":\"a1\",\"ts\":1795399990000,"        \
    "\"call_id\":\"c1\",\"qa_score\":" score "}"

/* An integer of 400 digits: valid JSON, beyond a double. */
#define DIGITS40 "1234567890123456789012345678901234567890"
#define DIGITS400                                                                                  \
    DIGITS40 DIGITS40 DIGITS40 DIGITS40 DIGITS40 DIGITS40 DIGITS40 DIGITS40 DIGITS40 DIGITS40

/* 300 zeros, for long spellings of ordinary numbers. */
#define ZEROS30  "000000000000000000000000000000"
#define ZEROS300 ZEROS30 ZEROS30 ZEROS30 ZEROS30 ZEROS30 ZEROS30 ZEROS30 ZEROS30 ZEROS30 ZEROS30

/* A call_offered with a number beyond a double before its ts. */
#define HUGE_FIRST(ts)                                                                             \
    "{\"x\":1e400,\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":" ts    \
    ",\"call_id\":\"c1\"}"

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
    /* contract 2, "Numbers": integer fields take integral values only;
     * numbers beyond a double are out of range, not invalid JSON */
    {"ts fraction", OFFERED("1.5"), CP_REJ_BAD_VALUE},
    {"ts epoch ms and a half", OFFERED("1795399990000.5"), CP_REJ_BAD_VALUE},
    {"ts fraction in exponent form", OFFERED("1.7953999900005e12"), CP_REJ_BAD_VALUE},
    {"ts fraction from a negative exponent", OFFERED("17953999900005e-1"), CP_REJ_BAD_VALUE},
    {"ts half a millisecond", OFFERED("0.5"), CP_REJ_BAD_VALUE},
    {"ts -1.0", OFFERED("-1.0"), CP_REJ_BAD_VALUE},
    {"ts negative exponent form", OFFERED("-1e3"), CP_REJ_BAD_VALUE},
    {"ts after year 9999 as a float", OFFERED("253402300800000.0"), CP_REJ_BAD_VALUE},
    {"ts after year 9999 in exponent form", OFFERED("2.534023008e14"), CP_REJ_BAD_VALUE},
    {"ts beyond int64", OFFERED("1e19"), CP_REJ_BAD_VALUE},
    {"ts integer beyond int64", OFFERED("99999999999999999999"), CP_REJ_BAD_VALUE},
    {"ts 1e300", OFFERED("1e300"), CP_REJ_BAD_VALUE},
    {"ts 1e308", OFFERED("1e308"), CP_REJ_BAD_VALUE},
    {"ts beyond a double", OFFERED("1e400"), CP_REJ_BAD_VALUE},
    {"ts beyond a double, capital E and plus", OFFERED("1E+400"), CP_REJ_BAD_VALUE},
    {"ts beyond a double, negative", OFFERED("-1e400"), CP_REJ_BAD_VALUE},
    {"ts beyond a double, fraction", OFFERED("1.5e400"), CP_REJ_BAD_VALUE},
    {"ts beyond a double, 20-digit exponent", OFFERED("1e99999999999999999999"), CP_REJ_BAD_VALUE},
    {"ts of 400 digits", OFFERED(DIGITS400), CP_REJ_BAD_VALUE},
    {"ts as an array", OFFERED("[1795399990000]"), CP_REJ_BAD_TYPE},
    {"ts as an object", OFFERED("{\"ms\":1795399990000}"), CP_REJ_BAD_TYPE},
    {"ts 1.5 and a bad id after it: ts is checked first",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":1.5,"
     "\"call_id\":\"\"}",
     CP_REJ_BAD_VALUE},
    {"csat 4.5e0", SURVEY("4.5e0"), CP_REJ_BAD_VALUE},
    {"csat 5.5", SURVEY("5.5"), CP_REJ_BAD_VALUE},
    {"csat 0.0", SURVEY("0.0"), CP_REJ_BAD_VALUE},
    {"csat 6e0", SURVEY("6e0"), CP_REJ_BAD_VALUE},
    {"csat 5e-1", SURVEY("5e-1"), CP_REJ_BAD_VALUE},
    {"csat 1e-400 (rounds to 0)", SURVEY("1e-400"), CP_REJ_BAD_VALUE},
    {"csat -5", SURVEY("-5"), CP_REJ_BAD_VALUE},
    {"csat beyond a double", SURVEY("1e400"), CP_REJ_BAD_VALUE},
    {"csat beyond a double, negative", SURVEY("-1e400"), CP_REJ_BAD_VALUE},
    {"csat boolean", SURVEY("true"), CP_REJ_BAD_TYPE},
    {"csat array", SURVEY("[5]"), CP_REJ_BAD_TYPE},
    {"talk_s beyond a double", ENDED(",\"talk_s\":1e400"), CP_REJ_BAD_VALUE},
    {"sale_value beyond a double, negative", ENDED(",\"talk_s\":1,\"sale_value\":-1e999"),
     CP_REJ_BAD_VALUE},
    {"qa_score of 400 digits", QA(DIGITS400), CP_REJ_BAD_VALUE},
    /* a number beyond a double does not hide a syntax error */
    {"huge number then a bad token", OFFERED("1e400, x"), CP_REJ_INVALID_JSON},
    {"huge number with a trailing dot", OFFERED("1e400."), CP_REJ_INVALID_JSON},
    {"huge number with two exponents", OFFERED("1e400e5"), CP_REJ_INVALID_JSON},
    {"huge number, then one with a leading zero", OFFERED("1e400,\"x\":01e400"),
     CP_REJ_INVALID_JSON},
    {"huge number, then one with a plus sign", OFFERED("1e400,\"x\":+1e400"), CP_REJ_INVALID_JSON},
    {"huge number, then one with an empty fraction", OFFERED("1e400,\"x\":1.e400"),
     CP_REJ_INVALID_JSON},
    {"huge number, then one with an empty exponent", OFFERED("1e400,\"x\":1e"),
     CP_REJ_INVALID_JSON},
    {"huge number, then a lone minus", OFFERED("1e400,\"x\":-"), CP_REJ_INVALID_JSON},
    {"huge number then NUL escape elsewhere",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":1e400,"
     "\"call_id\":\"c\",\"x\":\"\\u0000\"}",
     CP_REJ_INVALID_JSON},
    {"huge number then invalid UTF-8 elsewhere",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":1e400,"
     "\"call_id\":\"c\",\"x\":\"\xff\"}",
     CP_REJ_INVALID_JSON},
    {"huge number then a duplicate key",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":1e400,"
     "\"call_id\":\"c\",\"ts\":1}",
     CP_REJ_INVALID_JSON},
    /* invalid_json: a NUL anywhere, escaped or raw, and invalid UTF-8
     * anywhere, also in fields that are otherwise ignored */
    {"escaped NUL in a key", OFFERED_X(",\"a\\u0000b\":1"), CP_REJ_INVALID_JSON},
    {"escaped NUL as a whole key", OFFERED_X(",\"\\u0000\":1"), CP_REJ_INVALID_JSON},
    {"escaped NUL in a nested key", OFFERED_X(",\"meta\":{\"k\\u0000\":1}"), CP_REJ_INVALID_JSON},
    {"escaped NUL in an ignored string", OFFERED_X(",\"note\":\"x\\u0000\""), CP_REJ_INVALID_JSON},
    {"escaped NUL deep in an ignored array", OFFERED_X(",\"meta\":{\"a\":[1,[\"\\u0000\"]]}"),
     CP_REJ_INVALID_JSON},
    {"escaped NUL in type",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\\u0000\",\"agent_id\":\"a1\",\"ts\":1,"
     "\"call_id\":\"c\"}",
     CP_REJ_INVALID_JSON},
    {"escaped NUL in agent_id",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a\\u00001\",\"ts\":1,"
     "\"call_id\":\"c\"}",
     CP_REJ_INVALID_JSON},
    {"escaped NUL in an RFC 3339 ts", OFFERED("\"2026-11-23T01:00:00Z\\u0000\""),
     CP_REJ_INVALID_JSON},
    {"escaped NUL in call_id",
     "{\"event_id\":\"e1\",\"type\":\"call_offered\",\"agent_id\":\"a1\",\"ts\":1,"
     "\"call_id\":\"\\u0000\"}",
     CP_REJ_INVALID_JSON},
    {"\\U0000 is no escape", OFFERED_X(",\"note\":\"\\U0000\""), CP_REJ_INVALID_JSON},
    {"invalid UTF-8 in a key", OFFERED_X(",\"k\xff\":1"), CP_REJ_INVALID_JSON},
    {"invalid UTF-8 in an ignored nested value", OFFERED_X(",\"meta\":{\"a\":[\"\xc3\"]}"),
     CP_REJ_INVALID_JSON},
    {"lone continuation byte", OFFERED_X(",\"note\":\"\x80\""), CP_REJ_INVALID_JSON},
    {"truncated 3-byte sequence", OFFERED_X(",\"note\":\"\xe5\xbc\""), CP_REJ_INVALID_JSON},
    {"UTF-8 encoded surrogate", OFFERED_X(",\"note\":\"\xed\xa0\x80\""), CP_REJ_INVALID_JSON},
    {"code point above U+10FFFF", OFFERED_X(",\"note\":\"\xf4\x90\x80\x80\""), CP_REJ_INVALID_JSON},
    {"overlong 3-byte slash", OFFERED_X(",\"note\":\"\xe0\x80\xaf\""), CP_REJ_INVALID_JSON},
    {"5-byte lead byte", OFFERED_X(",\"note\":\"\xf8\x88\x80\x80\x80\""), CP_REJ_INVALID_JSON},
    {"invalid UTF-8 between tokens", OFFERED_X(" \xff"), CP_REJ_INVALID_JSON},
    {"byte order mark", "\xef\xbb\xbf{\"event_id\":\"e1\"}", CP_REJ_INVALID_JSON},
    {"lone low surrogate escape", OFFERED_X(",\"note\":\"\\udc00\""), CP_REJ_INVALID_JSON},
    {"high surrogate escape then a letter", OFFERED_X(",\"note\":\"\\ud800\\u0041\""),
     CP_REJ_INVALID_JSON},
    {"raw control byte in a string", OFFERED_X(",\"note\":\"a\x01\""), CP_REJ_INVALID_JSON},
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

/* Contract 2, "Numbers": any integral value in an integer field, however
 * it is written; numbers beyond a double in ignored fields are ignored. */
typedef struct number_case {
    const char *name;
    const char *json;
    long long ts_ms;
    int csat;          /* 0: not a survey */
    long long talk_ms; /* -1: not a call_ended */
} number_case;

static const number_case number_cases[] = {
    {"ts .0", OFFERED("1795399990000.0"), 1795399990000LL, 0, -1},
    {"ts .000", OFFERED("1795399990000.000"), 1795399990000LL, 0, -1},
    {"ts e0", OFFERED("1795399990000e0"), 1795399990000LL, 0, -1},
    {"ts E+0", OFFERED("1795399990000E+0"), 1795399990000LL, 0, -1},
    {"ts 1.79539999e12", OFFERED("1.79539999e12"), 1795399990000LL, 0, -1},
    {"ts 179539999e4", OFFERED("179539999e4"), 1795399990000LL, 0, -1},
    {"ts negative exponent", OFFERED("17953999900000e-1"), 1795399990000LL, 0, -1},
    {"ts 1764000000000.0 (the issue's case)", OFFERED("1764000000000.0"), 1764000000000LL, 0, -1},
    {"ts 1.764e12", OFFERED("1.764e12"), 1764000000000LL, 0, -1},
    {"ts exactly at the future limit, as a float", OFFERED("1795400300000.0"), 1795400300000LL, 0,
     -1},
    {"ts 0.0", OFFERED("0.0"), 0, 0, -1},
    {"ts -0", OFFERED("-0"), 0, 0, -1},
    {"ts -0.0e5", OFFERED("-0.0e5"), 0, 0, -1},
    {"csat 5", SURVEY("5"), 1795399990000LL, 5, -1},
    {"csat 5.0", SURVEY("5.0"), 1795399990000LL, 5, -1},
    {"csat 5e0", SURVEY("5e0"), 1795399990000LL, 5, -1},
    {"csat 0.5e1", SURVEY("0.5e1"), 1795399990000LL, 5, -1},
    {"csat 500e-2", SURVEY("500e-2"), 1795399990000LL, 5, -1},
    {"csat 1E0", SURVEY("1E0"), 1795399990000LL, 1, -1},
    {"csat 3.000", SURVEY("3.000"), 1795399990000LL, 3, -1},
    {"csat 2.0e+0", SURVEY("2.0e+0"), 1795399990000LL, 2, -1},
    {"talk_s 6e1", ENDED(",\"talk_s\":6e1"), 1795399990000LL, 0, 60000},
    {"talk_s 60.0", ENDED(",\"talk_s\":60.0"), 1795399990000LL, 0, 60000},
    {"ignored field beyond a double", OFFERED_X(",\"x\":1e400"), 1795399990000LL, 0, -1},
    {"ignored negative field beyond a double", OFFERED_X(",\"x\":-1e400"), 1795399990000LL, 0, -1},
    {"ignored field of 400 digits", OFFERED_X(",\"x\":" DIGITS400), 1795399990000LL, 0, -1},
    {"ignored huge numbers nested, next to a string of digits",
     OFFERED_X(",\"meta\":{\"a\":[1e999,{\"b\":-2E+400}],\"s\":\"1e400\"}"), 1795399990000LL, 0,
     -1},
    {"ignored integer beyond int64", OFFERED_X(",\"x\":123456789012345678901234567890"),
     1795399990000LL, 0, -1},
    {"ignored field of 1e308", OFFERED_X(",\"x\":1e308"), 1795399990000LL, 0, -1},
    {"ignored huge number before the fields read",
     "{\"x\":1e400,\"event_id\":\"e1\",\"type\":"
     "\"survey\",\"agent_id\":\"a1\",\"ts\":1795399990000,\"call_id\":\"c1\",\"csat\":4.0}",
     1795399990000LL, 4, -1},
    {"ignored underflow", OFFERED_X(",\"x\":1e-400"), 1795399990000LL, 0, -1},
    /* next to a huge number (clamped), long spellings of a plain ts: the
     * clamp judges a number by its value, not by its exponent alone */
    {"ts with 300 zeros and e-300", HUGE_FIRST("1795399990000" ZEROS300 "e-300"), 1795399990000LL,
     0, -1},
    {"ts with 310 zeros after the point and e323",
     HUGE_FIRST("0." ZEROS300 "00000000001795399990000e323"), 1795399990000LL, 0, -1},
};

START_TEST(test_integral_numbers) {
    const number_case *c = &number_cases[_i];
    char detail[256];
    cp_event ev;
    cp_reject got =
        cp_event_decode(c->json, strlen(c->json), NOW, &limits, &ev, detail, sizeof(detail));
    ck_assert_msg(got == CP_OK, "%s: rejected as %s: %s", c->name, cp_reject_name(got), detail);
    ck_assert_msg(ev.ts_ms == c->ts_ms, "%s: ts %lld, want %lld", c->name, (long long)ev.ts_ms,
                  c->ts_ms);
    if (c->csat)
        ck_assert_msg(ev.csat == c->csat, "%s: csat %d, want %d", c->name, ev.csat, c->csat);
    if (c->talk_ms >= 0)
        ck_assert_msg(ev.talk_ms == c->talk_ms, "%s: talk_ms %lld", c->name, (long long)ev.talk_ms);
}
END_TEST

/* A number beyond a double names the field in its detail, as out of range. */
START_TEST(test_huge_number_detail) {
    const char *json = OFFERED("-1e400");
    char detail[256];
    cp_event ev;
    ck_assert_int_eq(cp_event_decode(json, strlen(json), NOW, &limits, &ev, detail, sizeof(detail)),
                     CP_REJ_BAD_VALUE);
    ck_assert_msg(strstr(detail, "'ts'") && strstr(detail, "0..253402300799999"), "%s", detail);
    json = OFFERED("1795399990000.5");
    ck_assert_int_eq(cp_event_decode(json, strlen(json), NOW, &limits, &ev, detail, sizeof(detail)),
                     CP_REJ_BAD_VALUE);
    ck_assert_msg(strstr(detail, "must be an integer, got 1795399990000.5"), "%s", detail);
}
END_TEST

/* Clamping huge numbers leaves the strings alone, escaped quotes included. */
START_TEST(test_clamping_keeps_strings) {
    const char *json = "{\"event_id\":\"-1e400\",\"type\":\"call_offered\",\"agent_id\":\"a1\","
                       "\"ts\":1795399990000,\"call_id\":\"q\\\"1e4000\\\\\",\"x\":1e400}";
    char detail[256];
    cp_event ev;
    ck_assert_int_eq(cp_event_decode(json, strlen(json), NOW, &limits, &ev, detail, sizeof(detail)),
                     CP_OK);
    ck_assert_str_eq(ev.event_id, "-1e400");
    ck_assert_str_eq(ev.call_id, "q\"1e4000\\");
}
END_TEST

/* A NUL byte in the message, raw rather than escaped, anywhere. */
START_TEST(test_raw_nul_bytes) {
    static const char in_string[] = "{\"event_id\":\"e\0\",\"type\":\"call_offered\"}";
    static const char between[] = "{\"event_id\":\"e1\",\0\"type\":\"call_offered\"}";
    static const char after[] = OFFERED_X("") "\0";
    char detail[256];
    cp_event ev;
    ck_assert_int_eq(cp_event_decode(in_string, sizeof(in_string) - 1, NOW, &limits, &ev, detail,
                                     sizeof(detail)),
                     CP_REJ_INVALID_JSON);
    ck_assert_int_eq(
        cp_event_decode(between, sizeof(between) - 1, NOW, &limits, &ev, detail, sizeof(detail)),
        CP_REJ_INVALID_JSON);
    ck_assert_int_eq(
        cp_event_decode(after, sizeof(after) - 1, NOW, &limits, &ev, detail, sizeof(detail)),
        CP_REJ_INVALID_JSON);
    ck_assert_int_eq(
        cp_event_decode(after, sizeof(after) - 2, NOW, &limits, &ev, detail, sizeof(detail)),
        CP_OK); /* the same message without its NUL */
}
END_TEST

/* Many huge numbers in one message of the maximum size: clamped in one
 * pass, not one parse per number. */
START_TEST(test_many_huge_numbers) {
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap), detail[256];
    cp_event ev;
    n = (size_t)snprintf(buf, cap, "%s", OFFERED_X(",\"x\":[")) - 1; /* without its brace */
    while (n + 16 < cap) {
        memcpy(buf + n, "1e999,", 6);
        n += 6;
    }
    memcpy(buf + n, "1]}", 3);
    n += 3;
    ck_assert_int_eq(cp_event_decode(buf, n, NOW, &limits, &ev, detail, sizeof(detail)), CP_OK);
    free(buf);
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
    tcase_add_loop_test(tc, test_integral_numbers, 0,
                        (int)(sizeof(number_cases) / sizeof(number_cases[0])));
    tcase_add_test(tc, test_huge_number_detail);
    tcase_add_test(tc, test_clamping_keeps_strings);
    tcase_add_test(tc, test_raw_nul_bytes);
    tcase_add_test(tc, test_many_huge_numbers);
    tcase_add_test(tc, test_call_ended_fields);
    tcase_add_test(tc, test_defaults_of_optional_fields);
    tcase_add_test(tc, test_not_nul_terminated);
    tcase_add_test(tc, test_reject_names);
    tcase_add_test(tc, test_table_covers_every_code);
    suite_add_tcase(s, tc);
    return s;
}
