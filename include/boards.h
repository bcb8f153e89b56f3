/* boards.h -- the leaderboards in Redis (contract section 4):
 *
 *   P lb:all:WINDOW        agent -> score, every agent with a score there
 *   P lb:team:TEAM:WINDOW  the same, per last known team
 *   P agent-teams          agent -> its board team (for the entries' team_id)
 *
 * A board follows the KPI hashes: after an agent's state is stored, its
 * score in each window decides its membership (ZADD with the absolute score,
 * or ZREM). Boards are shared by every agent, so they cannot share an
 * agent's hash tag and are not written in its atomic step; the commands are
 * idempotent and sent only once the step succeeded. The team the agent's
 * board entries were last put under is kept in its state (field T), with
 * the one before (field P), so a process that reloads the agent can take
 * it off its old team's boards and put it on the right ones (a resync). */
#ifndef CALLPULSE_BOARDS_H
#define CALLPULSE_BOARDS_H

#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "scorecard.h"
#include "window.h"

#define CP_BOARD_ID_MAX (CP_AGENT_ID_MAX + 32)

typedef enum { CP_BOARD_ZADD, CP_BOARD_ZREM, CP_BOARD_TEAM } cp_board_op_kind;

typedef struct cp_board_op {
    cp_board_op_kind kind;
    char board[CP_BOARD_ID_MAX]; /* "all:15m", "team:t1:15m" (ZADD, ZREM) */
    char agent[CP_AGENT_ID_MAX + 1];
    char team[CP_AGENT_ID_MAX + 1]; /* CP_BOARD_TEAM */
    double score;
    int64_t as_of;
} cp_board_op;

typedef struct cp_board_ops {
    cp_board_op *v;
    size_t n, cap;
} cp_board_ops;

/* The commands that bring agent a's board entries in line with its
 * windows at a->as_of, appended to ops; the agent's board cache is updated
 * as if they were applied. With `resync`, what is known of its entries is
 * ignored: its previous team's entries are removed and every window's
 * entry is set. -1 on out of memory. */
int cp_boards_plan(cp_agent *a, const cp_windows *ws, const cp_scorecard *sc, int resync,
                   cp_board_ops *ops);

void cp_board_ops_clear(cp_board_ops *ops);
/* Room for one more op; -1 on out of memory. */
int cp_board_ops_reserve(cp_board_ops *ops);
void cp_board_ops_free(cp_board_ops *ops);

/* "all:15m" or "team:t1:15m". */
void cp_board_id(char *buf, size_t size, const char *team, const char *window);

#endif
