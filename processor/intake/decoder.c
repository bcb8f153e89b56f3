/* decoder.c -- call event decoding and validation (contract sections 2, 6).
 *
 * Checks run in a fixed order so that an event with several faults always
 * gets the same error code: size, JSON syntax (strict UTF-8, no duplicate
 * keys, no NUL), top-level object, then the common fields in the contract's
 * order (event_id, type, agent_id, team_id, ts, call_id), then the fields of
 * the type, and last the wall-clock future check. A field whose value is
 * JSON null is treated as absent. Unknown fields are ignored.
 *
 * Numbers (contract 2, "Numbers"): every JSON number is read as a double,
 * so an integer field (ts, csat) takes any integral value however it is
 * written (5, 5.0, 5e0) and a fraction there is bad_value. A number too
 * large for a double (1e400, a 400-digit integer) is valid JSON that
 * jansson cannot hold: such numbers are clamped to +-1e300 and the message
 * parsed again, so they fail a field's range check (bad_value) or are
 * ignored in an unknown field, like any other out-of-range number. */
#include "decoder.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

static const char *reject_names[CP_REJ_COUNT] = {
    "ok",     "invalid_json", "not_object", "missing_field", "bad_type", "bad_value",
    "bad_id", "unknown_type", "too_large",  "too_late",      "future_ts"};

static const char *type_names[CP_EV_TYPE_COUNT] = {"call_offered", "call_answered", "call_missed",
                                                   "call_ended",   "wrapup_ended",  "survey",
                                                   "qa_scored",    "agent_state"};

static const char *state_names[CP_STATE_COUNT] = {"available", "busy", "acw", "break", "offline"};

const char *cp_reject_name(cp_reject r) {
    return (r >= 0 && r < CP_REJ_COUNT) ? reject_names[r] : "unknown";
}

const char *cp_event_type_name(cp_event_type t) {
    return (t >= 0 && t < CP_EV_TYPE_COUNT) ? type_names[t] : "unknown";
}

const char *cp_agent_state_name(cp_agent_state s) {
    return (s >= 0 && s < CP_STATE_COUNT) ? state_names[s] : "unknown";
}

/* One decoding pass: the parsed object and where to report a rejection. */
typedef struct decode_ctx {
    json_t *obj;
    char *detail;
    size_t detail_size;
} decode_ctx;

static cp_reject reject(decode_ctx *c, cp_reject r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static cp_reject reject(decode_ctx *c, cp_reject r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->detail, c->detail_size, fmt, ap);
    va_end(ap);
    return r;
}

static const char *json_kind(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    default:
        return "null";
    }
}

/* The field's value, or NULL when absent or null. */
static json_t *field(decode_ctx *c, const char *name) {
    json_t *v = json_object_get(c->obj, name);
    return json_is_null(v) ? NULL : v;
}

/* Decode one UTF-8 code point; returns its length or 0 when malformed
 * (jansson already rejects malformed UTF-8, this is defence in depth). */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp) {
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t n = (s[0] & 0xE0) == 0xC0   ? 2
               : (s[0] & 0xF0) == 0xE0 ? 3
               : (s[0] & 0xF8) == 0xF0 ? 4
                                       : 0;
    if (n == 0 || n > len)
        return 0;
    uint32_t v = s[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    *cp = v;
    return n;
}

/* Whitespace and control characters of Unicode that an id must not hold. */
static int forbidden_code_point(uint32_t cp) {
    if (cp <= 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0xA0))
        return 1; /* C0, space, DEL, C1, no-break space */
    if (cp == '{' || cp == '}')
        return 1;
    if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B) || cp == 0x2028 || cp == 0x2029 ||
        cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF)
        return 1; /* Unicode spaces, separators, zero-width space, BOM */
    return 0;
}

int cp_validate_agent_id(const char *s, size_t len, const char **why) {
    size_t i = 0;
    if (len == 0) {
        *why = "is empty";
        return -1;
    }
    if (len > CP_AGENT_ID_MAX) {
        *why = "is longer than 64 bytes";
        return -1;
    }
    while (i < len) {
        uint32_t cp;
        size_t n = utf8_next((const unsigned char *)s + i, len - i, &cp);
        if (n == 0) {
            *why = "is not valid UTF-8";
            return -1;
        }
        if (forbidden_code_point(cp)) {
            *why = (cp == '{' || cp == '}') ? "contains a brace"
                   : (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
                       ? "contains a control character"
                       : "contains whitespace";
            return -1;
        }
        i += n;
    }
    return 0;
}

/* A required or optional string field copied into buf (max bytes). */
static cp_reject get_string(decode_ctx *c, const char *name, int required, char *buf, size_t max,
                            uint8_t *len_out, json_t **raw) {
    json_t *v = field(c, name);
    *raw = v;
    if (!v) {
        if (required)
            return reject(c, CP_REJ_MISSING_FIELD, "required field '%s' is missing", name);
        buf[0] = '\0';
        *len_out = 0;
        return CP_OK;
    }
    if (!json_is_string(v))
        return reject(c, CP_REJ_BAD_TYPE, "field '%s' must be a string, got %s", name,
                      json_kind(v));
    size_t len = json_string_length(v);
    if (len == 0 || len > max)
        return reject(c, CP_REJ_BAD_ID, "field '%s' must be 1..%zu bytes, got %zu", name, max, len);
    memcpy(buf, json_string_value(v), len);
    buf[len] = '\0';
    *len_out = (uint8_t)len;
    return CP_OK;
}

static cp_reject get_agent_id(decode_ctx *c, const char *name, int required, char *buf,
                              uint8_t *len_out) {
    json_t *raw;
    const char *why;
    cp_reject r = get_string(c, name, required, buf, CP_AGENT_ID_MAX, len_out, &raw);
    if (r == CP_REJ_BAD_ID && raw && json_string_length(raw) > CP_AGENT_ID_MAX)
        return reject(c, CP_REJ_BAD_ID, "field '%s' is longer than %d bytes", name,
                      CP_AGENT_ID_MAX);
    if (r != CP_OK || !raw)
        return r;
    if (cp_validate_agent_id(buf, *len_out, &why) != 0)
        return reject(c, CP_REJ_BAD_ID, "field '%s' %s", name, why);
    return CP_OK;
}

/* An integer field's number v in min..max (contract 2, "Numbers"): any
 * integral value, however written; out of range or with a fraction it is
 * bad_value. The bounds are checked on the double before it is converted,
 * so a huge value never overflows the conversion. */
static cp_reject integer_value(decode_ctx *c, const char *name, const json_t *v, int64_t min,
                               int64_t max, int64_t *out) {
    double d = json_number_value(v);
    if (!(d >= (double)min && d <= (double)max))
        return reject(c, CP_REJ_BAD_VALUE, "field '%s' must be an integer in %lld..%lld, got %.15g",
                      name, (long long)min, (long long)max, d);
    if (d != trunc(d))
        return reject(c, CP_REJ_BAD_VALUE, "field '%s' must be an integer, got %.15g", name, d);
    *out = (int64_t)d;
    return CP_OK;
}

static cp_reject get_ts(decode_ctx *c, int64_t *ts) {
    char why[128];
    json_t *v = field(c, "ts");
    if (!v)
        return reject(c, CP_REJ_MISSING_FIELD, "required field 'ts' is missing");
    if (json_is_number(v))
        return integer_value(c, "ts", v, 0, CP_TS_MAX_MS, ts);
    if (!json_is_string(v))
        return reject(c, CP_REJ_BAD_TYPE,
                      "field 'ts' must be integer epoch ms or an RFC 3339 string, got %s",
                      json_kind(v));
    if (json_string_length(v) > 64)
        return reject(c, CP_REJ_BAD_VALUE, "field 'ts' is too long for an RFC 3339 timestamp");
    if (cp_rfc3339_parse(json_string_value(v), json_string_length(v), ts, why, sizeof(why)) != 0)
        return reject(c, CP_REJ_BAD_VALUE, "field 'ts': %s", why);
    if (*ts < 0 || *ts > CP_TS_MAX_MS)
        return reject(c, CP_REJ_BAD_VALUE, "field 'ts' is before 1970 or after 9999");
    return CP_OK;
}

/* A number >= 0 and <= max, as thousandths. */
static cp_reject get_amount(decode_ctx *c, const char *name, int required, double max,
                            int64_t *out) {
    json_t *v = field(c, name);
    *out = 0;
    if (!v)
        return required ? reject(c, CP_REJ_MISSING_FIELD, "required field '%s' is missing", name)
                        : CP_OK;
    if (!json_is_number(v))
        return reject(c, CP_REJ_BAD_TYPE, "field '%s' must be a number, got %s", name,
                      json_kind(v));
    double d = json_number_value(v);
    if (!(d >= 0.0) || d > max)
        return reject(c, CP_REJ_BAD_VALUE, "field '%s' must be in 0..%g, got %g", name, max, d);
    *out = llround(d * 1000.0);
    return CP_OK;
}

static cp_reject get_flag(decode_ctx *c, const char *name, unsigned bit, unsigned *flags) {
    json_t *v = field(c, name);
    if (!v)
        return CP_OK;
    if (!json_is_boolean(v))
        return reject(c, CP_REJ_BAD_TYPE, "field '%s' must be a boolean, got %s", name,
                      json_kind(v));
    if (json_is_true(v))
        *flags |= bit;
    return CP_OK;
}

static cp_reject decode_call_ended(decode_ctx *c, cp_event *ev) {
    static const struct {
        const char *name;
        unsigned bit;
    } flags[] = {{"transferred", CP_F_TRANSFERRED},
                 {"resolved", CP_F_RESOLVED},
                 {"complaint", CP_F_COMPLAINT},
                 {"sale", CP_F_SALE}};
    cp_reject r;
    if ((r = get_amount(c, "talk_s", 1, CP_DURATION_MAX_S, &ev->talk_ms)) ||
        (r = get_amount(c, "hold_s", 0, CP_DURATION_MAX_S, &ev->hold_ms)) ||
        (r = get_amount(c, "acw_s", 0, CP_DURATION_MAX_S, &ev->acw_ms)))
        return r;
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        if ((r = get_flag(c, flags[i].name, flags[i].bit, &ev->flags)))
            return r;
    return get_amount(c, "sale_value", 0, CP_SALE_VALUE_MAX, &ev->sale_value_milli);
}

static cp_reject decode_survey(decode_ctx *c, cp_event *ev) {
    json_t *v = field(c, "csat");
    if (!v)
        return reject(c, CP_REJ_MISSING_FIELD, "required field 'csat' is missing");
    if (!json_is_number(v))
        return reject(c, CP_REJ_BAD_TYPE, "field 'csat' must be a number, got %s", json_kind(v));
    int64_t csat;
    cp_reject r = integer_value(c, "csat", v, 1, 5, &csat);
    if (r == CP_OK)
        ev->csat = (int)csat;
    return r;
}

static cp_reject decode_state(decode_ctx *c, cp_event *ev) {
    json_t *v = field(c, "state");
    if (!v)
        return reject(c, CP_REJ_MISSING_FIELD, "required field 'state' is missing");
    if (!json_is_string(v))
        return reject(c, CP_REJ_BAD_TYPE, "field 'state' must be a string, got %s", json_kind(v));
    for (int s = 0; s < CP_STATE_COUNT; s++) {
        if (strcmp(json_string_value(v), state_names[s]) == 0) {
            ev->state = (cp_agent_state)s;
            return CP_OK;
        }
    }
    return reject(c, CP_REJ_BAD_VALUE,
                  "field 'state' must be available, busy, acw, break or offline");
}

static cp_reject decode_type_fields(decode_ctx *c, cp_event *ev) {
    switch (ev->type) {
    case CP_EV_CALL_ANSWERED:
        return get_amount(c, "ring_s", 0, CP_DURATION_MAX_S, &ev->ring_ms);
    case CP_EV_CALL_ENDED:
        return decode_call_ended(c, ev);
    case CP_EV_WRAPUP_ENDED:
        return get_amount(c, "acw_s", 1, CP_DURATION_MAX_S, &ev->acw_ms);
    case CP_EV_SURVEY:
        return decode_survey(c, ev);
    case CP_EV_QA_SCORED:
        return get_amount(c, "qa_score", 1, 100.0, &ev->qa_milli);
    case CP_EV_AGENT_STATE:
        return decode_state(c, ev);
    default:
        return CP_OK;
    }
}

static cp_reject get_type(decode_ctx *c, cp_event *ev) {
    json_t *v = field(c, "type");
    if (!v)
        return reject(c, CP_REJ_MISSING_FIELD, "required field 'type' is missing");
    if (!json_is_string(v))
        return reject(c, CP_REJ_BAD_TYPE, "field 'type' must be a string, got %s", json_kind(v));
    for (int t = 0; t < CP_EV_TYPE_COUNT; t++) {
        if (strcmp(json_string_value(v), type_names[t]) == 0) {
            ev->type = (cp_event_type)t;
            return CP_OK;
        }
    }
    return reject(c, CP_REJ_UNKNOWN_TYPE, "unknown event type '%.64s'", json_string_value(v));
}

static cp_reject decode_fields(decode_ctx *c, cp_event *ev) {
    json_t *raw;
    cp_reject r;
    if ((r = get_string(c, "event_id", 1, ev->event_id, CP_EVENT_ID_MAX, &ev->event_id_len,
                        &raw)) ||
        (r = get_type(c, ev)) ||
        (r = get_agent_id(c, "agent_id", 1, ev->agent_id, &ev->agent_id_len)) ||
        (r = get_agent_id(c, "team_id", 0, ev->team_id, &ev->team_id_len)) ||
        (r = get_ts(c, &ev->ts_ms)))
        return r;
    if (ev->type != CP_EV_AGENT_STATE &&
        (r = get_string(c, "call_id", 1, ev->call_id, CP_CALL_ID_MAX, &ev->call_id_len, &raw)))
        return r;
    return decode_type_fields(c, ev);
}

/* ---- numbers beyond a double --------------------------------------------- */

/* Strict JSON: every number is a double (integer fields check integrality). */
#define PARSE_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL)

/* Numbers of magnitude 1e308 and more are clamped (a double holds up to
 * 1.8e308). Each is at least as long as its replacement: "1e308" and
 * "1e300", "-1e308" and "-1e300". */
#define HUGE_EXP10 308

/* Is s[0..len) a number of RFC 8259 whose magnitude is 1e308 or more? Its
 * decimal exponent is computed from the text (no strtod: no locale, no
 * limit on the digits); the exponent saturates, so 1e99999999999 is huge
 * and 1e-99999999999 is not. */
static int huge_number(const char *s, size_t len) {
    size_t i = s[0] == '-', lead = SIZE_MAX;
    int64_t exp10 = 0, e = 0;
    if (i >= len || s[i] < '0' || s[i] > '9' ||
        (s[i] == '0' && i + 1 < len && s[i + 1] >= '0' && s[i + 1] <= '9'))
        return 0; /* not a number of JSON (a leading zero, no digit) */
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
        if (lead == SIZE_MAX && s[i] != '0')
            lead = i;
    if (lead != SIZE_MAX)
        exp10 = (int64_t)(i - lead) - 1; /* digits after the leading one */
    if (i < len && s[i] == '.') {
        size_t frac_from = ++i;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            if (lead == SIZE_MAX && s[i] != '0') {
                lead = i;
                exp10 = -(int64_t)(i - frac_from) - 1;
            }
        if (i == frac_from)
            return 0;
    }
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        int neg = ++i < len && s[i] == '-';
        if (i < len && (s[i] == '-' || s[i] == '+'))
            i++;
        size_t exp_from = i;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            if (e < 1000000000)
                e = e * 10 + (s[i] - '0');
        if (i == exp_from)
            return 0;
        exp10 += neg ? -e : e;
    }
    return i == len && lead != SIZE_MAX && exp10 >= HUGE_EXP10;
}

static int number_byte(char ch) {
    return (ch >= '0' && ch <= '9') || ch == '-' || ch == '+' || ch == '.' || ch == 'e' ||
           ch == 'E';
}

/* Replace, in text[0..len), every number outside strings that a double
 * cannot hold by 1e300 or -1e300, padded with spaces to its length (JSON
 * allows whitespace after any value). Returns how many were replaced. */
static size_t clamp_huge_numbers(char *text, size_t len) {
    size_t i = 0, n = 0;
    while (i < len) {
        if (text[i] == '"') { /* a string: its digits are not numbers */
            for (i++; i < len && text[i] != '"'; i++)
                if (text[i] == '\\')
                    i++;
            i++;
            continue;
        }
        if (text[i] != '-' && (text[i] < '0' || text[i] > '9')) {
            i++;
            continue;
        }
        size_t from = i;
        while (i < len && number_byte(text[i]))
            i++;
        if (!huge_number(text + from, i - from))
            continue;
        const char *with = text[from] == '-' ? "-1e300" : "1e300";
        size_t wlen = strlen(with);
        if (i - from < wlen)
            continue; /* cannot happen: such a number fits a double */
        memcpy(text + from, with, wlen);
        memset(text + from + wlen, ' ', i - from - wlen);
        n++;
    }
    return n;
}

/* The message parsed again with its huge numbers clamped; NULL with jerr
 * set (or left as it was) when it still fails. */
static json_t *parse_clamped(const void *buf, size_t len, json_error_t *jerr) {
    char *copy = malloc(len);
    json_t *obj = NULL;
    if (!copy)
        return NULL;
    memcpy(copy, buf, len);
    if (clamp_huge_numbers(copy, len) > 0)
        obj = json_loadb(copy, len, PARSE_FLAGS, jerr);
    free(copy);
    return obj;
}

cp_reject cp_event_decode(const void *buf, size_t len, int64_t now_ms,
                          const cp_decode_limits *limits, cp_event *ev, char *detail,
                          size_t detail_size) {
    json_error_t jerr;
    decode_ctx c = {NULL, detail, detail_size};
    cp_reject r;

    memset(ev, 0, sizeof(*ev));
    detail[0] = '\0';
    if (len > limits->max_bytes)
        return reject(&c, CP_REJ_TOO_LARGE, "event is %zu bytes, the limit is %zu", len,
                      limits->max_bytes);
    if (!buf || len == 0)
        return reject(&c, CP_REJ_INVALID_JSON, "empty message value");
    c.obj = json_loadb(buf, len, PARSE_FLAGS, &jerr);
    if (!c.obj && json_error_code(&jerr) == json_error_numeric_overflow)
        c.obj = parse_clamped(buf, len, &jerr);
    if (!c.obj)
        return reject(&c, CP_REJ_INVALID_JSON, "invalid JSON at byte %d: %s", jerr.position,
                      jerr.text);
    if (!json_is_object(c.obj)) {
        r = reject(&c, CP_REJ_NOT_OBJECT, "event must be a JSON object, got %s", json_kind(c.obj));
        goto done;
    }
    r = decode_fields(&c, ev);
    if (r == CP_OK && ev->ts_ms > now_ms + limits->future_skew_ms)
        r = reject(&c, CP_REJ_FUTURE_TS, "ts is %lld ms ahead of wall-clock time (limit %lld)",
                   (long long)(ev->ts_ms - now_ms), (long long)limits->future_skew_ms);
done:
    json_decref(c.obj);
    return r;
}
