/* agent.h -- one agent's KPI state, as cached in the processor and stored
 * in Redis (contract section 3).
 *
 * The state is: the panes of its windows (window.h), the input offsets
 * already applied per partition (so a replayed event is skipped), the
 * event ids seen within the lateness horizon (so a duplicate counts once),
 * its last known team, its clock (as_of) and the version of its Redis
 * copy (so a write from a process that lost the partition is refused).
 * Which keys and fields hold it in Redis, and how it is written and read
 * back, is agentlayout.h's; the reads and writes are agentstore.h's. */
#ifndef CALLPULSE_AGENT_H
#define CALLPULSE_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "decoder.h"
#include "keyset.h"
#include "ruleeval.h"
#include "window.h"

#define CP_NO_CLOCK INT64_MIN

typedef struct cp_applied {
    int32_t partition;
    int64_t offset;
} cp_applied;

/* Where the agent's leaderboard entries are (boards.h). */
typedef struct cp_agent_boards {
    uint32_t on;                         /* windows whose boards hold it */
    double score[CP_WINDOWS_MAX];        /* ... with this score */
    char team[CP_AGENT_ID_MAX + 1];      /* the team boards it is on (state field T) */
    char prev_team[CP_AGENT_ID_MAX + 1]; /* the team before (state field P) */
    int synced;                          /* 0 after a load: resync its entries */
} cp_agent_boards;

typedef struct cp_agent {
    char id[CP_AGENT_ID_MAX + 1];
    char team[CP_AGENT_ID_MAX + 1];
    int32_t partition; /* partition of its latest event; its clock slides it */
    uint64_t version;  /* of the Redis copy; 0 when there is none */
    int64_t as_of;     /* CP_NO_CLOCK before the first computation */
    cp_applied *applied;
    size_t napplied, capapplied;
    cp_wstore w;
    cp_keyset ids;        /* event ids inside the lateness horizon; tag: the event's ts */
    cp_agent_rules rules; /* alert and reward state, points */
    cp_agent_boards boards;
    cp_sums written[CP_WINDOWS_MAX];   /* window sums in Redis, when known */
    int64_t kpi_as_of[CP_WINDOWS_MAX]; /* the clock each window's sums last changed at (or
                                          an event was applied): its KPI hash's as_of */
    uint32_t written_known;            /* bit per window */
    int loaded;                        /* state read from Redis (or known new) */
    /* Its state in Redis could not be decoded: it started empty, and its
     * next write replaces its keys, guarded by the version text found
     * there (found_version, owned, NULL when none; cp_agent_take_over). */
    int takeover;
    char *found_version;
    size_t found_version_len;
    int64_t expire_set_ms;     /* wall time its keys' expiry was last renewed */
    int64_t indexed_ms;        /* wall time it was last put in its partition's index */
    int32_t indexed_partition; /* ... of that partition */
    int32_t outbox_indexed;    /* partition whose outbox index holds it, or -1 */
    int32_t slot;              /* engine scratch: its work item, or -1 */
    int32_t behind;            /* engine: its write-behind record, or -1 (engine.h) */
    int64_t due;               /* engine: its next deadline (agentstep.h) ... */
    int due_known;             /* ... when set */
    struct cp_agent *next;     /* hash chain of the agent map */
} cp_agent;

/* An event id to remember: id_text[off, off + len) of its delta, with the
 * event's ts (epoch ms). */
typedef struct cp_delta_id {
    size_t off;
    int len;
    int64_t ts;
} cp_delta_id;

/* What applying one or more batches did to an agent since its last write,
 * for building its Redis write. */
typedef struct cp_agent_delta {
    int applied, duplicates, skipped; /* events: applied, duplicate ids, replays */
    int team_changed, day_rolled;
    int64_t *buckets; /* buckets written (sorted, unique) */
    size_t nbuckets, capbuckets;
    int64_t *dropped; /* buckets pruned */
    size_t ndropped, capdropped;
    cp_applied *offsets; /* applied offsets that moved */
    size_t noffsets, capoffsets;
    cp_delta_id *new_ids; /* ids to remember, their texts in id_text */
    size_t nnew_ids, capnew_ids;
    char *id_text; /* owned copies: a delta outlives the batch's events (write-behind) */
    size_t id_used, id_cap;
    size_t ids_pruned; /* ids forgotten past the lateness horizon */
} cp_agent_delta;

cp_agent *cp_agent_new(const char *id, size_t len);
void cp_agent_free(cp_agent *a);

/* Its state in Redis could not be decoded (contract 3 still holds for every
 * other agent): forget whatever was decoded of it, start it empty and
 * loaded with nrules rule states, and mark its next write as a takeover
 * (found_version kept). Its id, partition, index and engine places stay,
 * and so do the team boards it was on (so the resync takes it off them)
 * and its version, which the load that found it malformed set to continue
 * above any issued before (cp_store_decode_load). 0, or -1 on out of
 * memory (the agent is then empty, not loaded). */
int cp_agent_take_over(cp_agent *a, int nrules);

/* Applied offset of a partition; -1 when none. */
int64_t cp_agent_applied(const cp_agent *a, int32_t partition);

/* Record offset as applied for partition (loading). 0, or -1 on out of
 * memory. */
int cp_agent_set_applied(cp_agent *a, int32_t partition, int64_t offset);

/* Apply one event at input (partition, offset) for clock T: skipped when
 * the offset was already applied, counted once per event_id within the
 * lateness horizon: an id whose earlier copy has a ts older than
 * T - lateness_ms counts again (the same in the cache and after a reload
 * from Redis, which keeps only ids inside the horizon; contract 3). Returns
 * 0 or -1 on out of memory. */
int cp_agent_apply(cp_agent *a, const cp_windows *ws, const cp_event *ev, int32_t partition,
                   int64_t offset, int64_t T, int64_t lateness_ms, cp_agent_delta *d);

/* Move the agent to clock T: roll the day, prune panes and ids. */
void cp_agent_advance(cp_agent *a, const cp_windows *ws, int64_t T, int64_t lateness_ms,
                      cp_agent_delta *d);

/* The text of a remembered id (not NUL-terminated: id->len bytes). */
const char *cp_delta_id_text(const cp_agent_delta *d, const cp_delta_id *id);

void cp_agent_delta_reset(cp_agent_delta *d);
void cp_agent_delta_free(cp_agent_delta *d);

#endif
