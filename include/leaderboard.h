/* leaderboard.h -- publishing leaderboard updates (contract section 4).
 *
 * When a board's entries change (boards.h), its top leaderboard.top_n are
 * read back from Redis and, if they or their scores (to 0.1) differ from
 * the last message of that board, a message is published to the
 * leaderboard-updates topic, keyed by board id, at most once per board per
 * leaderboard.publish_interval_ms:
 *
 *   {"board","scope","window","as_of","seq","size",
 *    "entries":[{"rank","agent_id","team_id","score","tier","prev_rank"}]}
 *
 * Boards are global across processes, so what was last published lives in
 * Redis, per board: P lbpub:BOARD holds seq, the last top entries, when it
 * was published and the message itself until the broker acknowledges it.
 * A message takes the next seq only through a compare-and-set on that hash,
 * so two processes never publish the same seq, and a process that crashes
 * after it leaves the message for the next one to re-produce (at
 * assignment; P lbpub-boards lists the boards). prev_rank is the entry's
 * rank in the board's previous message, null when it was not in it. Ties
 * rank by agent id, descending (Redis's ZREVRANGE order). */
#ifndef CALLPULSE_LEADERBOARD_H
#define CALLPULSE_LEADERBOARD_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "boards.h"
#include "config.h"
#include "redis_io.h"

typedef struct cp_board_state {
    char board[CP_BOARD_ID_MAX];
    int64_t as_of;
    int dirty;
    int64_t due_ms; /* monotonic: not before */
} cp_board_state;

typedef struct cp_publisher {
    const cp_config *cfg;
    cp_redis redis;       /* its own connection: publishing never waits on a batch */
    rd_kafka_t *producer; /* shared, not owned */
    cp_board_state *boards;
    size_t nboards, capboards;
    size_t in_flight;
    uint64_t published, unchanged; /* counters, read by the consumer */
} cp_publisher;

int cp_publisher_init(cp_publisher *p, const cp_config *cfg, rd_kafka_t *producer, char *err,
                      size_t errsz);
void cp_publisher_free(cp_publisher *p);

/* A board whose entries changed, for an agent state as of as_of (the
 * engine tells it: cp_engine_watch_boards). Out of memory: not marked. */
void cp_publisher_mark(cp_publisher *p, const char *board, int64_t as_of);

/* Is a board still marked (to publish, or waiting for its interval)? */
int cp_publisher_marked(const cp_publisher *p);

/* Monotonic ms when the next marked board is due (now when one is due
 * already), or INT64_MAX when none is marked. */
int64_t cp_publisher_next_due(const cp_publisher *p, int64_t now);

/* Publish every marked board that is due. Returns the number published,
 * -1 when Redis failed (boards stay marked). */
int cp_publisher_run(cp_publisher *p);

/* Produce again the messages that a process published and the broker did
 * not acknowledge (after a crash). -1 when Redis failed. */
int cp_publisher_recover(cp_publisher *p);

/* The JSON of one board message from its parts (exposed for tests):
 * agents/teams/scores of the top entries in rank order, prev_top the
 * previous message's canonical top ("" for none). */
char *cp_board_message(const cp_config *cfg, const char *board, int64_t as_of, long long seq,
                       long long size, char **agents, char **teams, const double *scores, size_t n,
                       const char *prev_top);

/* Whether a board's message goes out now (pure, exposed for tests):
 * UNCHANGED when a message was published before (seq > 0) and its
 * canonical top equals top; LATER when the last one went out less than
 * interval_ms ago, *wait_ms then saying how long to wait (never more than
 * interval_ms, also when the wall clock stepped back); NOW otherwise. */
typedef enum { CP_PUBLISH_NOW, CP_PUBLISH_UNCHANGED, CP_PUBLISH_LATER } cp_publish_verdict;
cp_publish_verdict cp_publish_decide(long long seq, const char *top, const char *prev_top,
                                     int64_t now_ms, int64_t last_at_ms, int interval_ms,
                                     int64_t *wait_ms);

/* The canonical text of top entries compared to decide whether to publish:
 * one line "agent\tteam\tscore to 0.1" per entry. Caller frees. */
char *cp_board_top(char **agents, char **teams, const double *scores, size_t n);

#endif
