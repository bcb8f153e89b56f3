/* engine.h -- the KPI engine: applies batches of accepted events to the
 * agents' windows in Redis, effectively exactly once (contract section 3).
 *
 * A batch is coalesced per agent before Redis is touched: each touched
 * agent costs one atomic script per batch, pipelined with all the others,
 * so Redis round trips grow with batches, not events. Agent states are
 * cached in the process while its partitions are assigned; Redis holds
 * the truth and refuses writes based on a stale copy. When a partition's
 * event-time clock moves, the windows of its quiet agents slide too. */
#ifndef CALLPULSE_ENGINE_H
#define CALLPULSE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "agentmap.h"
#include "agentstep.h"
#include "agentstore.h"
#include "boards.h"
#include "buddies.h"
#include "config.h"
#include "decoder.h"
#include "holds.h"
#include "outbox.h"
#include "redis_io.h"
#include "window.h"

/* Messages unread on a partition (at most batch_max) that make a backlog
 * there: live traffic that just arrived is written at once. */
#define CP_BEHIND_MIN_WAITING 1000

/* Write-behind (processor.write_behind_s; README "Write-behind"). While a
 * backlog lasts on its partition, an agent whose step changed something need not be
 * written at once: what its steps change accumulates in its record
 * (holds.h), which holds its partition at its first event not written
 * (with the clock just before it). It is written when the backlog ends (a
 * batch that is not a backlog, or an empty one), when write_behind_s of
 * its partition's event time passed since that first event, when it has
 * CP_BEHIND_EVENTS_MAX events waiting, when its key moves partition, and
 * on revoke and shutdown. Outputs stay a function of the input (contract
 * 3): the steps are the same, only the writes wait.
 *
 * Kafka's commits follow progress all the same (contract 7): each round
 * writes, with its agents and before its messages count as handled, the
 * lowest hold of every partition whose holds moved to Redis (resume.h),
 * where a new owner finds it. An agent behind that leaves the cache
 * unwritten (its batch failed, its write was refused as stale) leaves its
 * hold as lost, and so does a last owner's position below the committed
 * offset (found when the partition is claimed): the batch fails with
 * CP_ENGINE_BEHIND_LOST and the caller reads the partitions again from the
 * holds (cp_engine_holds, cp_engine_rewind; replays are skipped by
 * offset). */

typedef struct cp_engine_stats {
    uint64_t applied;         /* events that changed state */
    uint64_t duplicates;      /* events whose event_id was already applied */
    uint64_t replayed;        /* events whose offset was already applied */
    uint64_t writes;          /* agent state writes */
    uint64_t deferred;        /* agent writes left to a later batch (write-behind) */
    uint64_t slides;          /* writes of quiet agents whose windows slid */
    uint64_t stale;           /* writes refused for a stale version */
    uint64_t loads;           /* agent states read from Redis */
    uint64_t alerts, rewards; /* committed with the state that caused them */
    uint64_t board_ops;       /* leaderboard commands sent (ZADD, ZREM, teams) */
} cp_engine_stats;

typedef struct cp_work cp_work;

/* Told that Redis applied a command changing board's entries (boards.h),
 * for an agent state as of as_of (event-time ms). */
typedef void cp_board_changed_fn(void *ctx, const char *board, int64_t as_of);
typedef struct cp_idle_agent cp_idle_agent;

/* Why a batch was not stored. Every kind leaves the batch in hand, to be
 * retried whole after a backoff (replays are skipped by offset); e->err
 * says more. */
typedef enum {
    CP_ENGINE_STORED = 0,    /* no failure */
    CP_ENGINE_REDIS_FAILED,  /* Redis unreachable, timed out, or answered an error */
    CP_ENGINE_NO_MEMORY,     /* out of memory planning or computing the batch */
    CP_ENGINE_NOT_SENT,      /* a command could not be built (redis_io.h: unsent) */
    CP_ENGINE_STALE_REFUSED, /* writes kept being refused as stale: another process
                               keeps writing the same agents */
    CP_ENGINE_BEHIND_LOST    /* an agent whose write was behind was evicted: its
                                partitions must be read again from their holds */
} cp_engine_failure;

typedef struct cp_engine {
    const cp_config *cfg;
    cp_windows ws;
    int64_t lateness_ms;
    cp_redis redis;
    cp_store store;
    cp_agentmap agents;
    /* partitions (with their clocks) whose agent index must still be read */
    cp_part_clock *index_pending;
    size_t nindex_pending, capindex_pending;
    cp_part_clock *assigned; /* every assigned partition */
    size_t nassigned, capassigned;
    int reindex;         /* a failed batch evicted agents: read the indexes again */
    size_t housekeeping; /* replies pending at the head of the pipeline */
    cp_step_ctx step;
    cp_outbox out;           /* committed alerts and rewards to produce */
    cp_outbox acked;         /* produced and acknowledged: to delete from outboxes */
    cp_board_ops board_ops;  /* board commands to send (boards.h) */
    cp_board_ops board_sent; /* ... sent, replies pending */
    /* told of each board whose commands Redis applied; may be NULL */
    cp_board_changed_fn *board_changed;
    void *board_ctx;
    struct cp_idle_agent {
        int32_t partition;
        char id[CP_AGENT_ID_MAX + 1];
    } * idle; /* agents evicted as idle, still in their partition's index */
    size_t nidle, capidle;
    /* write-behind: agents whose changes wait, holds, resume positions */
    int64_t write_behind_ms;    /* 0: every batch writes every agent it changed */
    int64_t behind_min_waiting; /* messages unread on a partition that make a backlog */
    int backlog;                /* the batch being submitted is part of a backlog */
    cp_holds holds;
    int64_t min_due;      /* no cached agent out of a batch is due earlier */
    int64_t swept_bucket; /* bucket of the latest clock when idle agents were last looked for */
    /* per-batch scratch */
    cp_work *work;
    size_t nwork, capwork;
    int32_t *next;       /* next event of the same agent */
    int32_t *pos;        /* each event's index in its partition's lane */
    int64_t *lane_clock; /* the lanes' points */
    size_t capnext, cappos, caplane_clock;
    cp_lane *lanes; /* by partition id */
    size_t nlanes, caplanes;
    cp_timeline timeline;
    cp_buddy_ask *asks; /* the firing alerts' buddy lookups */
    size_t capasks;
    /* the batch whose writes are in flight */
    int inflight;
    const cp_batch_event *evs;
    int64_t *clock_at;   /* partition id -> its clock in this batch */
    int64_t *before_at;  /* ... and where its handled messages end: the clock */
    int64_t *handled_at; /* ... and the offset */
    uint8_t *defer_at;   /* ... may its writes be left behind (messages wait, claimed) */
    size_t nclock_at, capclock_at, capbefore_at, caphandled_at, capdefer_at;
    cp_engine_stats stats;
    /* why the last batch was not stored (CP_ENGINE_STORED when it was) */
    cp_engine_failure failure;
    char err[512];
} cp_engine;

int cp_engine_init(cp_engine *e, const cp_config *cfg, char *err, size_t errsz);
void cp_engine_free(cp_engine *e);

/* Apply a batch: evs in offset order per partition, with the wall-clock
 * steps of quiet partitions among them (offset CP_TICK_OFFSET); clocks:
 * every assigned partition's clock. Returns 0 when every effect is stored,
 * -1 when it was not: e->failure says why (Redis, memory, stale refusals)
 * and e->err how; nothing is lost, the caller retries the same batch later
 * (replays are skipped by offset). */
int cp_engine_apply(cp_engine *e, const cp_batch_event *evs, size_t n, const cp_part_clock *clocks,
                    size_t nclocks);
/* cp_engine_apply with no events writes every agent whose write is behind
 * (the end of a backlog, a revoke, shutdown). */

/* The same in two halves, so that Redis executes a batch's writes while
 * the caller decodes the next one: submit computes and sends; complete
 * reads the answers (retrying stale agents). evs and clocks must stay valid
 * until complete returns. Submit completes a batch still in flight first.
 * backlog: more messages wait behind this batch, so writes may be left
 * behind (write-behind above); 0 writes every agent behind. */
int cp_engine_submit(cp_engine *e, const cp_batch_event *evs, size_t n, const cp_part_clock *clocks,
                     size_t nclocks, int backlog);

/* Agents whose write is behind (write-behind above). */
size_t cp_engine_behind(const cp_engine *e);

/* Every hold on a partition's commit (write-behind above): fn(ctx, hold)
 * for each agent behind and each lost one. */
void cp_engine_holds(const cp_engine *e, void (*fn)(void *ctx, const cp_hold *h), void *ctx);

/* Were agents behind lost (CP_ENGINE_BEHIND_LOST)? Then the caller drops
 * what it has in hand, revokes (cp_engine_revoke forgets the lost holds)
 * and reads the partitions again from the holds cp_engine_holds gave. */
int cp_engine_lost_behind(const cp_engine *e);
int cp_engine_complete(cp_engine *e);

/* Alerts and rewards committed to Redis (or recovered from the outboxes
 * of newly assigned partitions), waiting to be produced. The caller takes
 * them (cp_outbox_move) and reports each acknowledgement. */
cp_outbox *cp_engine_outbox(cp_engine *e);
void cp_engine_delivered(cp_engine *e, const char *agent, const char *id);

/* Send what waits for the next batch (deletions of acknowledged messages,
 * idle agents leaving the index) now. 0, or -1 when Redis failed. */
int cp_engine_housekeeping(cp_engine *e);

/* fn is told of every board whose entries changed, in the order Redis
 * applied the commands (the leaderboard publisher marks them); NULL: none. */
void cp_engine_watch_boards(cp_engine *e, cp_board_changed_fn *fn, void *ctx);

/* Partitions were assigned, with their clocks (CP_NO_CLOCK when unknown):
 * their agents are read before the next batch so that their windows slide
 * with the partition clock. 0, or -1 on out of memory (nothing noted). */
int cp_engine_assign(cp_engine *e, const cp_part_clock *partitions, size_t n);

/* Read the partitions again (CP_ENGINE_BEHIND_LOST): forget every cached
 * agent, those behind and the lost holds, and read the partitions'
 * indexes again; the caller seeks each partition to from[i] (its position
 * with the holds: cp_engine_holds) and drops what it has in hand. until:
 * where each partition's handled messages ended before; until reading
 * passes it again, where the handled messages end stays held in Redis
 * (resume.h). */
void cp_engine_rewind(cp_engine *e, const cp_hold *from, const int64_t *until, size_t n);

/* Partitions were revoked: forget every cached agent (those behind
 * included: the caller flushed them first, or they are held in Redis),
 * the lost holds and the resume positions. */
void cp_engine_revoke(cp_engine *e);

#endif
