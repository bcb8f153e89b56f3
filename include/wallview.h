/* wallview.h -- what a wallboard shows, and drawing it as text.
 *
 * The model holds the latest message of every board (from the
 * leaderboard-updates topic, contract 4) and the latest alerts and rewards
 * (contract 5); the renderer draws one frame for a terminal of a given
 * size: the chosen board's ranks, agents, teams, scores, tiers and rank
 * moves, then the latest alerts and rewards. Pure: no I/O, no clock.
 *
 * Input comes from topics anyone can write to, so everything is bounded
 * and cleaned: a message over CP_WALL_MSG_MAX bytes or of the wrong shape
 * is counted and ignored, strings are cut to their fields' sizes, and any
 * byte outside printable ASCII is drawn as '?', so a message can never
 * send escape sequences to the terminal. */
#ifndef CALLPULSE_WALLVIEW_H
#define CALLPULSE_WALLVIEW_H

#include <stddef.h>
#include <stdint.h>

#define CP_WALL_MSG_MAX    (256 * 1024) /* bytes of one message */
#define CP_WALL_BOARDS_MAX 256          /* boards remembered */
#define CP_WALL_ENTRIES    50           /* entries kept of a board */
#define CP_WALL_FEED       16           /* alerts, and rewards, kept */
#define CP_WALL_ID         72           /* agent, team, board, message ids */
#define CP_WALL_TEXT       256          /* an alert's or reward's sentence */

typedef struct cp_wall_entry {
    int rank, prev_rank; /* prev_rank 0: a newcomer */
    char agent[CP_WALL_ID], team[CP_WALL_ID], tier[24];
    double score;
} cp_wall_entry;

typedef struct cp_wall_board {
    char id[CP_WALL_ID];
    long long seq, size;
    int64_t as_of;
    int n;
    cp_wall_entry e[CP_WALL_ENTRIES];
} cp_wall_board;

typedef struct cp_wall_item {
    char id[CP_WALL_ID * 2]; /* alert_id / reward_id: re-deliveries are dropped */
    char label[24];          /* severity and state, or "+N points" */
    char agent[CP_WALL_ID];
    char text[CP_WALL_TEXT];
    int64_t as_of;
} cp_wall_item;

typedef struct cp_wall_feed {
    cp_wall_item v[CP_WALL_FEED]; /* newest as_of first: partitions arrive in any order */
    size_t n;
} cp_wall_feed;

typedef struct cp_wall {
    cp_wall_board *boards; /* sorted by id */
    size_t nboards;
    char shown[CP_WALL_ID]; /* the board on screen */
    cp_wall_feed alerts, rewards;
    uint64_t ignored; /* messages too big or of the wrong shape */
} cp_wall;

/* Show board `shown` ("all:15m" when NULL). -1 on out of memory. */
int cp_wall_init(cp_wall *w, const char *shown);
void cp_wall_free(cp_wall *w);

/* A message of each topic. 1 when it changed what is shown, 0 when not
 * (an older seq of a board, an alert already seen), -1 when ignored. */
int cp_wall_on_board(cp_wall *w, const void *value, size_t len);
int cp_wall_on_alert(cp_wall *w, const void *value, size_t len);
int cp_wall_on_reward(cp_wall *w, const void *value, size_t len);

/* Show the next (step 1) or previous (-1) board known. */
void cp_wall_cycle(cp_wall *w, int step);

/* Is id a well-formed board id ("all:W" or "team:T:W")? */
int cp_wall_board_id_ok(const char *id);

/* Render flags: CP_WALL_TTY colours and clears every line to its end;
 * CP_WALL_UTF8 draws non-ASCII characters (wide ones in two columns, by
 * the locale's wcwidth) and arrows for rank moves, where plain frames draw
 * '?' and +N / -N. */
#define CP_WALL_TTY  1
#define CP_WALL_UTF8 2

/* One frame of cols x rows into buf (NUL-terminated, cut at size), lines
 * separated by "\n". Times are drawn in the local zone. Returns the number
 * of lines. */
int cp_wall_render(const cp_wall *w, int cols, int rows, int flags, char *buf, size_t size);

#endif
