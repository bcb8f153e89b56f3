/* boards.c -- planning leaderboard commands for an agent (boards.h). */
#include "boards.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"

void cp_board_id(char *buf, size_t size, const char *team, const char *window) {
    if (team && team[0])
        snprintf(buf, size, "team:%s:%s", team, window);
    else
        snprintf(buf, size, "all:%s", window);
}

int cp_board_ops_reserve(cp_board_ops *ops) {
    return cp_grow(ops->v, ops->cap, ops->n + 1);
}

static cp_board_op *add(cp_board_ops *ops, cp_board_op_kind kind, const char *agent,
                        int64_t as_of) {
    if (cp_board_ops_reserve(ops) != 0)
        return NULL;
    cp_board_op *op = &ops->v[ops->n++];
    memset(op, 0, sizeof(*op));
    op->kind = kind;
    snprintf(op->agent, sizeof(op->agent), "%s", agent);
    op->as_of = as_of;
    return op;
}

static int entry(cp_board_ops *ops, cp_board_op_kind kind, const cp_agent *a, const char *team,
                 const char *window, double score) {
    cp_board_op *op = add(ops, kind, a->id, a->as_of);
    if (!op)
        return -1;
    cp_board_id(op->board, sizeof(op->board), team, window);
    op->score = score;
    return 0;
}

/* Set or remove the agent's entry on one board (all, or a team's). */
static int put(cp_board_ops *ops, const cp_agent *a, const char *team, const char *window, int has,
               double score) {
    return entry(ops, has ? CP_BOARD_ZADD : CP_BOARD_ZREM, a, team, window, score);
}

int cp_boards_plan(cp_agent *a, const cp_windows *ws, const cp_scorecard *sc, int resync,
                   cp_board_ops *ops) {
    cp_agent_boards *b = &a->boards;
    int moved = strcmp(b->team, a->team) != 0;
    if (resync && b->prev_team[0] && strcmp(b->prev_team, a->team) != 0)
        for (int w = 0; w < ws->n; w++) /* a move whose removals may have been lost */
            if (entry(ops, CP_BOARD_ZREM, a, b->prev_team, ws->w[w].name, 0) != 0)
                return -1;
    if (moved && b->team[0])
        for (int w = 0; w < ws->n; w++)
            if ((resync || (b->on & (1u << w))) &&
                entry(ops, CP_BOARD_ZREM, a, b->team, ws->w[w].name, 0) != 0)
                return -1;
    if (moved || resync) {
        cp_board_op *op = add(ops, CP_BOARD_TEAM, a->id, a->as_of);
        if (!op)
            return -1;
        snprintf(op->team, sizeof(op->team), "%s", a->team);
    }
    for (int w = 0; w < ws->n; w++) {
        cp_sums sums;
        double score = 0;
        cp_wstore_window(&a->w, ws, w, a->as_of, &sums);
        int has = cp_score(sc, &sums, &score) == 0;
        int was = (b->on & (1u << w)) != 0;
        if (!resync && !moved && has == was && (!has || score == b->score[w]))
            continue;
        if ((has || was || resync) && put(ops, a, NULL, ws->w[w].name, has, score) != 0)
            return -1;
        if (a->team[0] && (has || (was && !moved) || resync) &&
            put(ops, a, a->team, ws->w[w].name, has, score) != 0)
            return -1;
        b->on = has ? b->on | (1u << w) : b->on & ~(1u << w);
        b->score[w] = score;
    }
    if (moved) {
        snprintf(b->prev_team, sizeof(b->prev_team), "%s", b->team);
        snprintf(b->team, sizeof(b->team), "%s", a->team);
    }
    return 0;
}

void cp_board_ops_clear(cp_board_ops *ops) {
    ops->n = 0;
}

void cp_board_ops_free(cp_board_ops *ops) {
    free(ops->v);
    memset(ops, 0, sizeof(*ops));
}
