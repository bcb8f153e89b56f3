/* decoder.h -- call events: the validated in-memory form of contract
 * section 2, and the decoder that turns one Kafka message value into it or
 * into a precise rejection (contract section 6).
 *
 * A decoded event owns no heap memory: strings are copied into bounded
 * inline buffers, so batches of events are plain arrays. Durations and
 * fractional amounts are fixed point in thousandths (milliseconds for
 * seconds), so sums are exact whatever order events are applied in. */
#ifndef CALLPULSE_DECODER_H
#define CALLPULSE_DECODER_H

#include <stddef.h>
#include <stdint.h>

#define CP_EVENT_ID_MAX 128
#define CP_AGENT_ID_MAX 64
#define CP_CALL_ID_MAX  128

/* Upper bound of any duration field, in seconds (one day). */
#define CP_DURATION_MAX_S 86400
/* Upper bound of sale_value. */
#define CP_SALE_VALUE_MAX 1000000000.0

typedef enum {
    CP_EV_CALL_OFFERED = 0,
    CP_EV_CALL_ANSWERED,
    CP_EV_CALL_MISSED,
    CP_EV_CALL_ENDED,
    CP_EV_WRAPUP_ENDED,
    CP_EV_SURVEY,
    CP_EV_QA_SCORED,
    CP_EV_AGENT_STATE,
    CP_EV_TYPE_COUNT
} cp_event_type;

typedef enum {
    CP_STATE_AVAILABLE = 0,
    CP_STATE_BUSY,
    CP_STATE_ACW,
    CP_STATE_BREAK,
    CP_STATE_OFFLINE,
    CP_STATE_COUNT
} cp_agent_state;

/* Rejection reasons, named exactly as the callpulse.error header values. */
typedef enum {
    CP_OK = 0,
    CP_REJ_INVALID_JSON,
    CP_REJ_NOT_OBJECT,
    CP_REJ_MISSING_FIELD,
    CP_REJ_BAD_TYPE,
    CP_REJ_BAD_VALUE,
    CP_REJ_BAD_ID,
    CP_REJ_UNKNOWN_TYPE,
    CP_REJ_TOO_LARGE,
    CP_REJ_TOO_LATE,
    CP_REJ_FUTURE_TS,
    CP_REJ_COUNT
} cp_reject;

/* Flags of call_ended. */
#define CP_F_TRANSFERRED (1u << 0)
#define CP_F_RESOLVED    (1u << 1)
#define CP_F_COMPLAINT   (1u << 2)
#define CP_F_SALE        (1u << 3)

typedef struct cp_event {
    cp_event_type type;
    int64_t ts_ms;
    uint8_t event_id_len, agent_id_len, team_id_len, call_id_len;
    char event_id[CP_EVENT_ID_MAX + 1];
    char agent_id[CP_AGENT_ID_MAX + 1];
    char team_id[CP_AGENT_ID_MAX + 1]; /* empty: keep the agent's last team */
    char call_id[CP_CALL_ID_MAX + 1];  /* empty for agent_state */
    /* Type-specific values; absent optional numbers are 0. */
    int64_t ring_ms, talk_ms, hold_ms, acw_ms; /* seconds x 1000 */
    int64_t sale_value_milli;                  /* sale_value x 1000 */
    int64_t qa_milli;                          /* qa_score x 1000 */
    int csat;                                  /* 1..5 */
    unsigned flags;                            /* CP_F_* */
    cp_agent_state state;
} cp_event;

typedef struct cp_decode_limits {
    size_t max_bytes;       /* input.max_event_bytes */
    int64_t future_skew_ms; /* windows.future_skew_s * 1000 */
} cp_decode_limits;

/* Decode and validate one message value. now_ms is wall-clock time, used
 * only for the future_ts check. On rejection, detail receives one readable
 * sentence naming the field. Never reads past len; buf need not be
 * NUL-terminated. Lateness (too_late) is judged by the caller, which owns
 * the event-time clock.
 *
 * Numbers (contract 2): an integer field (ts in epoch ms, csat) takes any
 * JSON number with an integral value (5, 5.0, 5e0, 1.764e12); a fraction
 * there, or a value out of the field's range (also one beyond a double,
 * such as 1e400), is bad_value. A \u0000 escape or a NUL byte anywhere
 * (any string, any key, ignored fields too) and invalid UTF-8 anywhere are
 * invalid_json. */
cp_reject cp_event_decode(const void *buf, size_t len, int64_t now_ms,
                          const cp_decode_limits *limits, cp_event *ev, char *detail,
                          size_t detail_size);

/* "invalid_json", "not_object", ... ; "ok" for CP_OK. */
const char *cp_reject_name(cp_reject r);

/* "call_offered", ... */
const char *cp_event_type_name(cp_event_type t);

/* "available", ... */
const char *cp_agent_state_name(cp_agent_state s);

/* The identifier rule of agent_id and team_id: 1..64 bytes of valid UTF-8
 * with no whitespace, control characters, '{' or '}'. Returns 0 when valid,
 * else -1 with the reason in why. */
int cp_validate_agent_id(const char *s, size_t len, const char **why);

#endif
