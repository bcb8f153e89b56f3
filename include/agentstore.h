/* agentstore.h -- reading and writing agent state in Redis.
 *
 * A write is one EVALSHA of agent_write.lua (luascripts.h), which checks
 * the version of the agent's state hash and, only when it is the one this
 * process read, applies the state change, the dedup ids, the KPI hashes,
 * the ledger, the calls and the outbox in one atomic step, then bumps the
 * version. Every key it touches carries the agent's hash tag, so the step
 * is atomic on Redis Cluster too. A process that lost the agent (a zombie
 * after a rebalance) finds a newer version and writes nothing.
 *
 * The keys and fields, and how a state is encoded into them and decoded
 * back, are agentlayout.h's; this module does the I/O: the pipelines, the
 * write script's arguments, the replies, and the two per-partition
 * indexes: P agents:N (agent -> as_of), the agents whose windows a new
 * owner of partition N must keep sliding, and P outbox:pN, the agents
 * whose outbox it must deliver (see outbox.h).
 *
 * Every load of an agent also reads its outbox and queues what it holds
 * (contract section 5): a write whose reply was lost after Redis executed
 * it leaves messages that only a reload finds. Outboxes that acknowledged
 * messages emptied leave P outbox:pN again (cp_store_unindex_drained). */
#ifndef CALLPULSE_AGENTSTORE_H
#define CALLPULSE_AGENTSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "agentlayout.h"
#include "boards.h"
#include "config.h"
#include "keyset.h"
#include "outbox.h"
#include "redis_io.h"
#include "window.h"

/* An HDEL of an acknowledged message, until Redis is known to have run it. */
typedef struct cp_store_deletion {
    char agent[CP_AGENT_ID_MAX + 1];
    char id[256];
    uint64_t epoch, seq; /* its connection (0: not sent) and command number there */
} cp_store_deletion;

typedef struct cp_store {
    cp_redis *redis;
    char prefix[64];
    cp_layout layout; /* windows, lateness, ledger days, scorecard */
    int64_t expire_ms;
    /* the write being built: its arguments in one arena, referenced by
     * offset, and the script operation still open (agentstore.c) */
    char *arena;
    size_t used, cap;
    size_t *offs, *lens; /* n of each */
    size_t n, capoffs, caplens;
    const char **argv; /* built from the arena for each command */
    size_t capargv;
    const char *failed; /* why an argument is missing: the write is not sent */
    char op_kind;       /* the open operation: its letter, 0 for none */
    size_t op_key, op_count_at, op_count;
    /* agents whose outbox lost entries since the last unindex check (keys:
     * agent ids) */
    cp_keyset drained;
    cp_store_deletion *deleting; /* HDELs sent, not known to be done */
    size_t ndeleting, capdeleting;
    /* a round's board ops, sorted (cp_store_append_board_ops) */
    const cp_board_op **board_sorted;
    size_t capboard_sorted;
} cp_store;

/* Registers agent_write.lua with r; call before cp_redis_ensure(). */
int cp_store_init(cp_store *s, cp_redis *r, const cp_config *cfg, const cp_windows *ws);
void cp_store_free(cp_store *s);

/* Pipeline the reads of an agent's state: st, ids, points, calls and its
 * outbox (CP_STORE_LOAD_REPLIES replies). */
#define CP_STORE_LOAD_REPLIES 5
void cp_store_append_load(cp_store *s, const cp_agent *a);
/* What reading an agent's state came to. */
enum {
    CP_STORE_LOADED = 0,
    CP_STORE_LOAD_FAILED = -1,    /* the connection broke or a reply was an error (BUSY,
                                     LOADING, NOSCRIPT, ...): transient, retry the step */
    CP_STORE_LOAD_MALFORMED = -2, /* replies of the right type whose content cannot be
                                     decoded */
    CP_STORE_LOAD_NO_MEMORY = -3  /* out of memory decoding it: transient */
};

/* Read their replies into a (which must be fresh) and push the messages
 * of its outbox into out (a tracking list skips those it holds). One of
 * CP_STORE_LOAD*, s->redis->err naming what went wrong. */
int cp_store_read_load(cp_store *s, cp_agent *a, const cp_rules *rules, cp_outbox *out);
/* The decoding half of cp_store_read_load, on replies in hand (pure but
 * for allocation; exposed for tests). r: the CP_STORE_LOAD_REPLIES
 * replies, none NULL. Same returns, err filled on each failure. */
int cp_store_decode_load(cp_agent *a, const cp_rules *rules, redisReply *const *r, cp_outbox *out,
                         char *err, size_t errsz);

/* Pipeline the write of what d and the rules changed in a, the KPI hashes
 * of the windows in `windows` (bit per window) at a->as_of, and the
 * messages into its outbox (cp_layout_encode). Returns the number of
 * commands appended, to give to cp_store_read_write. A write that cannot
 * be built whole (out of memory, a value that does not fit) is not sent:
 * it marks the connection broken (cp_redis_fail_unsent) with r->err naming the
 * agent and what failed, and the read then fails; never a short command. */
int cp_store_append_write(cp_store *s, cp_agent *a, const cp_agent_delta *d, uint32_t windows,
                          const cp_rules *rules, const cp_outmsg *msgs, size_t nmsgs);
/* 1 written (a->version moves on), 0 refused (stale version), -1 broken
 * connection or error reply. */
int cp_store_read_write(cp_store *s, cp_agent *a, int commands);
/* What a reply of agent_write.lua says: 1 written ("ok"), 0 refused
 * ("stale:<version found>"), -1 anything else (pure; exposed for tests). */
int cp_store_write_outcome(const redisReply *r);

/* Pipeline one leaderboard command (boards.h). */
void cp_store_append_board_op(cp_store *s, const cp_board_op *op);
/* Pipeline a round's leaderboard commands (boards.h) as few commands: for
 * each board, the last op of each agent (the one that decides its entry),
 * those that set an entry in one ZADD and those that remove one in one
 * ZREM (members are distinct, so the order among them does not matter);
 * team ops one by one. The boards end as the ops one by one would leave
 * them. Returns the number of commands appended (one reply each). */
size_t cp_store_append_board_ops(cp_store *s, const cp_board_op *ops, size_t n);

/* Pipeline the deletion of an acknowledged message from an outbox; the
 * agent is remembered for cp_store_unindex_drained, the deletion until
 * cp_store_settle_deletions finds it done. -1 when it cannot be
 * remembered (out of memory; it is sent all the same). */
int cp_store_append_outbox_done(cp_store *s, const char *agent, const char *id);

/* The deletions sent before: those Redis ran (a later reply was read on
 * the same connection) are reported to done() and forgotten; those whose
 * connection was lost before are pipelined again (HDEL is idempotent).
 * Returns the number of commands appended. The caller keeps such a
 * message from being queued again (outbox.h) until done() reports it, so
 * a lost deletion is retried instead of the message produced twice. */
size_t cp_store_settle_deletions(cp_store *s,
                                 void (*done)(void *ctx, const char *agent, const char *id),
                                 void *ctx);

/* Outboxes emptied by acknowledgements leave their partition's index
 * P outbox:pN (issue 10): for every agent remembered by
 * cp_store_append_outbox_done that `cached` finds (the engine's agents of
 * partitions it owns; others wait for the next assignment's scan), one
 * pipelined HLEN; each empty one gets SREM P outbox:pN and its
 * a->outbox_indexed reset, so that its next write with messages SADDs it
 * again first. Must be called with no reply pending (nothing in flight),
 * which orders every SREM before any later SADD on this connection; does
 * nothing otherwise. 0, or -1 when the connection broke. */
int cp_store_unindex_drained(cp_store *s, cp_agent *(*cached)(void *ctx, const char *agent),
                             void *ctx);

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
