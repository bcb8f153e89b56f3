/* agentlayout.h -- the agent's Redis layout (contract sections 3, 4 and 5):
 * the name of every key and hash field an agent's state lives in, how a
 * state is written into them and how it is read back. Both directions use
 * the names of agentlayout.c, so each is spelled once (as Redis's rdb.c
 * saves and loads one format in one file). The I/O is agentstore.h's, the
 * in-memory agent agent.h's.
 *
 * Keys (P = redis.prefix, A = agent id; {A} is the hash tag, so one script
 * may touch them all on Redis Cluster):
 *   P st:{A}      hash  the state:
 *                        v  version of this copy (set by agent_write.lua)
 *                        a  as_of            p  partition of its latest event
 *                        t  team             T, P  the team its board entries
 *                                                  are under, the one before
 *                        d  day number       s  day sums
 *                        o<partition>  applied offset
 *                        b<bucket>     pane sums
 *                        r:<rule id>   that rule's state (ruleeval.h)
 *                        k:<kind>      that rule kind's own state, for a
 *                                      kind that keeps one (kindstate.h)
 *                      A field starting with one of those letters but not
 *                      of that form is malformed; other letters belong to
 *                      later features and are left alone.
 *   P ids:{A}     zset  event id -> ts, within the lateness horizon
 *   P kpi:{A}:W   hash  as_of, every metric (kpi.h), score, tier; values
 *                      with no denominator are absent (written, not read)
 *   P points:{A}  hash  total, day:YYYY-MM-DD (ledger.h)
 *   P calls:{A}   hash  o:<call id> "ts,fired" (fired in hex), e:<call id> "ts"
 *   P outbox:{A}  hash  message id -> "A<json>" or "R<json>" (outbox.h)
 * and per input partition N:
 *   P agents:N    zset  agent -> as_of: the agents a new owner keeps sliding
 *   P outbox:pN   set   agents whose outbox may hold messages
 * Pane and day sums are packed sparsely: a letter per sum ('a' = offered,
 * ...) followed by its decimal value, zeros left out ("a2b1d1e185000"). */
#ifndef CALLPULSE_AGENTLAYOUT_H
#define CALLPULSE_AGENTLAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "outbox.h"
#include "rules.h"
#include "scorecard.h"
#include "window.h"

/* Key names: printf formats of (prefix, agent), the KPI hash's of
 * (prefix, agent, window name), the indexes' of (prefix, partition). */
#define CP_KEY_ST           "%sst:{%s}"
#define CP_KEY_IDS          "%sids:{%s}"
#define CP_KEY_KPI          "%skpi:{%s}:%s"
#define CP_KEY_POINTS       "%spoints:{%s}"
#define CP_KEY_CALLS        "%scalls:{%s}"
#define CP_KEY_OUTBOX       "%soutbox:{%s}"
#define CP_KEY_AGENTS_INDEX "%sagents:%d"
#define CP_KEY_OUTBOX_INDEX "%soutbox:p%d"

/* The name of one of an agent's keys (cp_agent_key; CP_AK_KPI + w takes
 * window w's name), the same text as the formats above, built without
 * printf into buf of `size` bytes. Its length, or 0 when it does not fit. */
size_t cp_layout_key_name(char *buf, size_t size, const char *prefix, int key, const char *agent,
                          const char *window);

/* A whole decimal integer (strtoll's) of exactly len bytes, as the
 * layout's integer fields are read: 0, or -1 when it is not one. */
int cp_layout_parse_i64(const char *s, size_t len, int64_t *out);

/* The version field of P st:{A}; agent_write.lua reads and sets it. */
#define CP_ST_VERSION "v"

/* An agent's keys, as the encoder names them; CP_AK_KPI + w is window w's
 * KPI hash. */
typedef enum {
    CP_AK_ST = 0,
    CP_AK_IDS,
    CP_AK_POINTS,
    CP_AK_CALLS,
    CP_AK_OUTBOX,
    CP_AK_KPI
} cp_agent_key;

/* What the layout needs of the configuration. */
typedef struct cp_layout {
    const cp_windows *ws;
    int64_t lateness_ms;           /* ids older than as_of - lateness are not kept */
    int ledger_days;               /* rewards.ledger_days (ledger.h) */
    const cp_scorecard *scorecard; /* the score and tier fields */
} cp_layout;

/* ---- writing ---------------------------------------------------------------- */

/* One Redis operation on one of the agent's keys. Names and values are
 * bytes with their lengths (not NUL-terminated). */
typedef enum {
    CP_KEYOP_HSET,      /* field name = value */
    CP_KEYOP_HDEL,      /* field name */
    CP_KEYOP_DEL,       /* the whole key */
    CP_KEYOP_ZADD,      /* member name with score value (decimal) */
    CP_KEYOP_ZREMBELOW, /* members with a score below value (decimal), exclusive */
} cp_key_op_kind;

typedef struct cp_key_op {
    cp_key_op_kind kind;
    int key; /* cp_agent_key */
    const char *name, *value;
    size_t name_len, value_len;
} cp_key_op;

/* Where the encoder puts its operations, in order: put returns 0, or -1
 * when it is out of memory (the encoder then stops: nothing is dropped). */
typedef struct cp_key_op_sink {
    int (*put)(void *ctx, const cp_key_op *op);
    void *ctx;
} cp_key_op_sink;

/* What one write carries: the change d made (NULL: the whole state, a
 * snapshot), the KPI hashes to write (bit per window; a snapshot writes
 * them all) and the messages for the outbox. */
typedef struct cp_agent_change {
    const cp_agent_delta *d;
    uint32_t windows;
    const cp_outmsg *msgs;
    size_t nmsgs;
} cp_agent_change;

/* The operations that bring a's keys to its state (every field but the
 * version, which the write script sets): with a delta, the fields it and
 * the rules' dirty marks say changed, the KPI fields whose text changed
 * since a->written (the hash rewritten whole when unknown), the ids inside
 * the lateness horizon, the ledger days to delete (rewards.ledger_days)
 * and the calls hash rewritten whole when it changed; as a snapshot (no
 * delta: a takeover of a malformed state), the state, ids and points keys
 * deleted first and then every field. Updates what a knows Redis holds:
 * a->written, a->written_known and the ledger's span. 0; -1 with err
 * naming what could not be encoded (out of memory, a value that does not
 * fit): the write must not be sent. */
int cp_layout_encode(const cp_layout *l, const cp_rules *rules, cp_agent *a,
                     const cp_agent_change *c, const cp_key_op_sink *out, char *err, size_t errsz);

/* ---- reading ---------------------------------------------------------------- */

/* A Redis reply flattened: n strings with their lengths. */
typedef struct cp_strings {
    char **v;
    size_t *len;
    size_t n;
} cp_strings;

/* What a load read: field/value pairs of the hashes (HGETALL), and the ids
 * zset's member/score pairs (ZRANGE WITHSCORES). */
typedef struct cp_agent_read {
    cp_strings st, ids, points, calls;
} cp_agent_read;

/* Rebuild a fresh agent from what a load read. Rule states are matched to
 * `rules` by id (a rule no longer configured is ignored). 0,
 * CP_LOAD_MALFORMED on a field that cannot be decoded, CP_LOAD_NO_MEMORY
 * when an allocation failed (a transient failure: the caller retries, the
 * state is not malformed). */
#define CP_LOAD_MALFORMED (-1)
#define CP_LOAD_NO_MEMORY (-2)
int cp_layout_decode(cp_agent *a, const cp_rules *rules, const cp_agent_read *in);

/* One entry of P outbox:{agent} (NUL-terminated id) pushed into out (a
 * tracking list skips one it holds; out of memory loses it until the next
 * load). 0, or -1 when the value is not a message (it is left in Redis). */
int cp_layout_decode_message(const char *agent, const char *id, const char *value, size_t len,
                             cp_outbox *out);

/* ---- values ----------------------------------------------------------------- */

/* Pane sums codec. buf needs CP_SUMS_TEXT_MAX bytes. */
#define CP_SUMS_TEXT_MAX (CP_S_COUNT * 21 + 1)
size_t cp_sums_encode(const cp_sums *s, char *buf);
int cp_sums_decode(const char *text, size_t len, cp_sums *out);

#endif
