/* checks.h -- what callpulse stored in Redis against the oracle, shared by
 * the suites: every KPI hash field by field at its own as_of (quiet agents'
 * windows slid), and every board's members and scores (each agent on its
 * last team's boards only, agent-teams right). Failures fail the test. */
#ifndef CALLPULSE_TEST_CHECKS_H
#define CALLPULSE_TEST_CHECKS_H

#include <hiredis/hiredis.h>

#include "harness.h"
#include "oracle.h"
#include "stream.h"

#define CHECK_WINDOWS 3
struct check_window {
    const char *name;
    o_window w;
};
extern const struct check_window check_windows[CHECK_WINDOWS]; /* 15m, 60m, day */

/* Agents a0..a(agents-1), the last `quiet` of them quiet. Accepts the
 * stream (stream_accept) first. Returns the number of hashes compared. */
int check_kpi_hashes(h_env *e, stream *s, int agents, int quiet);
void check_boards(h_env *e, const stream *s, int agents, int quiet);

long long check_zcard(redisContext *rc, const char *board);

#endif
