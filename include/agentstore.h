/* agentstore.h -- reading and writing agent state in Redis.
 *
 * A write is one EVALSHA of a small script that checks the version of the
 * agent's state hash and, only when it is the one this process read, applies
 * the state change, the dedup ids and the KPI hashes in one atomic step,
 * then bumps the version. Every key it touches carries the agent's hash tag,
 * so the step is atomic on Redis Cluster too. A process that lost the agent
 * (a zombie after a rebalance) finds a newer version and writes nothing.
 *
 * Keys (P = redis.prefix): P st:{A}, P ids:{A}, P kpi:{A}:WINDOW,
 * P points:{A}, P calls:{A}, P outbox:{A}, and two per-partition indexes:
 * P agents:N (agent -> as_of), the agents whose windows a new owner of
 * partition N must keep sliding, and P outbox:pN, the agents whose outbox
 * it must deliver (see outbox.h). */
#ifndef CALLPULSE_AGENTSTORE_H
#define CALLPULSE_AGENTSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "boards.h"
#include "config.h"
#include "outbox.h"
#include "redis_io.h"
#include "window.h"

typedef struct cp_store {
    cp_redis *redis;
    int script;
    char prefix[64];
    const cp_windows *ws;
    int64_t lateness_ms;
    int64_t expire_ms;
    const cp_scorecard *scorecard;
    /* argument scratch: strings in one arena, referenced by offset */
    char *arena;
    size_t used, cap;
    size_t *offs, *lens;
    size_t n, capn;
    const char **argv; /* built from the arena for each command */
    size_t capargv;
} cp_store;

/* Registers the script with r; call before cp_redis_ensure(). */
int cp_store_init(cp_store *s, cp_redis *r, const cp_config *cfg, const cp_windows *ws);
void cp_store_free(cp_store *s);

/* Pipeline the four reads of an agent's state (st, ids, points, calls). */
void cp_store_append_load(cp_store *s, const cp_agent *a);
/* Read their replies into a (which must be fresh). 0, -1 when the
 * connection broke, -2 when the stored state is malformed. */
int cp_store_read_load(cp_store *s, cp_agent *a, const cp_rules *rules);

/* Pipeline the write of what d and the rules changed in a, the KPI hashes
 * of the windows in `windows` (bit per window) at a->as_of, and the
 * messages into its outbox. Returns the number of commands appended, to
 * give to cp_store_read_write. */
int cp_store_append_write(cp_store *s, cp_agent *a, const cp_agent_delta *d, uint32_t windows,
                          const cp_rules *rules, const cp_outmsg *msgs, size_t nmsgs);
/* 1 written (a->version moves on), 0 refused (stale version), -1 broken
 * connection or error reply. */
int cp_store_read_write(cp_store *s, cp_agent *a, int commands);

/* Pipeline one leaderboard command (boards.h). */
void cp_store_append_board_op(cp_store *s, const cp_board_op *op);

/* Pipeline the deletion of an acknowledged message from an outbox. */
void cp_store_append_outbox_done(cp_store *s, const char *agent, const char *id);

/* Every message left in the outboxes of partition N's agents, appended to
 * out (index entries of empty outboxes are dropped). -1 when the
 * connection broke. */
int cp_store_scan_outbox(cp_store *s, int32_t partition, cp_outbox *out);

/* Pipeline ZREM of an agent from partition N's index. */
void cp_store_append_unindex(cp_store *s, int32_t partition, const char *agent);

/* Every agent in partition N's index (one round trip). Calls fn for each;
 * -1 when the connection broke. */
int cp_store_scan_index(cp_store *s, int32_t partition,
                        void (*fn)(void *ctx, const char *agent, size_t len), void *ctx);

/* Drop index entries of partition N with as_of < min_as_of. */
int cp_store_prune_index(cp_store *s, int32_t partition, int64_t min_as_of);

#endif
