/* fuzz_decoder.c -- libFuzzer target for event decoding.
 *
 * Any byte string must decode or be rejected with a named reason, never
 * crash, leak or read out of bounds; an accepted event must satisfy every
 * rule of contract section 2. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decoder.h"
#include "timefmt.h"

#define NOW 1795400000000LL

static void check_accepted(const cp_event *ev) {
    const char *why;
    if (ev->type < 0 || ev->type >= CP_EV_TYPE_COUNT)
        abort();
    if (ev->ts_ms < 0 || ev->ts_ms > NOW + 300000)
        abort();
    if (cp_validate_agent_id(ev->agent_id, ev->agent_id_len, &why) != 0)
        abort();
    if (ev->team_id_len && cp_validate_agent_id(ev->team_id, ev->team_id_len, &why) != 0)
        abort();
    if (ev->event_id_len == 0 || ev->event_id_len > CP_EVENT_ID_MAX ||
        strlen(ev->event_id) > CP_EVENT_ID_MAX)
        abort();
    if (ev->type != CP_EV_AGENT_STATE && ev->call_id_len == 0)
        abort();
    if (ev->type == CP_EV_SURVEY && (ev->csat < 1 || ev->csat > 5))
        abort();
    if (ev->talk_ms < 0 || ev->hold_ms < 0 || ev->acw_ms < 0 || ev->ring_ms < 0 ||
        ev->talk_ms > CP_DURATION_MAX_S * 1000LL || ev->qa_milli > 100000)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cp_decode_limits limits = {4096, 300000};
    char detail[256];
    cp_event ev;
    cp_reject r = cp_event_decode(data, size, NOW, &limits, &ev, detail, sizeof(detail));
    if (r == CP_OK)
        check_accepted(&ev);
    else if (r <= CP_OK || r >= CP_REJ_COUNT || detail[0] == '\0')
        abort();
    /* the RFC 3339 parser directly, on the same bytes */
    int64_t ms;
    cp_rfc3339_parse((const char *)data, size < 64 ? size : 64, &ms, detail, sizeof(detail));
    return 0;
}
