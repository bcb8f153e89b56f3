/* holds.h -- write-behind's bookkeeping (engine.h: "Write-behind"): the
 * agents whose write waits, each with what its steps changed and the hold
 * it puts on its partition (its first event not written, with the
 * partition clock just before it); the holds of such agents dropped from
 * the cache unwritten (lost); and every assigned partition's resume
 * position in Redis (resume.h): claimed when the partition is assigned,
 * written whenever the partition's lowest hold moves. */
#ifndef CALLPULSE_HOLDS_H
#define CALLPULSE_HOLDS_H

#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "agentstep.h"
#include "keyset.h"
#include "redis_io.h"
#include "resume.h"

/* Most events an agent's write waits for. */
#define CP_BEHIND_EVENTS_MAX 4096

/* A partition's event-time clock after the batch; where its handled
 * messages end, just before the batch (progress.h): the offset (-1
 * unknown; the first taken when none was handled) and the clock there; and
 * how many messages wait unread behind the batch. */
typedef struct cp_part_clock {
    int32_t partition;
    int64_t clock_ms;
    int64_t before_ms;
    int64_t handled;
    int64_t waiting;
} cp_part_clock;

/* An agent whose write waits. */
typedef struct cp_behind {
    cp_agent *agent;  /* cached; agent->behind is this record's index */
    cp_step step;     /* what its steps changed since its last write */
    cp_hold first;    /* its first event not written: its hold */
    int64_t since_ms; /* the partition clock just after that event */
    int events;       /* events waiting */
} cp_behind;

/* A partition's resume position as its owner keeps it (resume.h). */
typedef struct cp_part_resume {
    int32_t partition;
    int64_t epoch;        /* this owner's claim; 0 not yet claimed */
    int64_t start;        /* the committed offset it was assigned at; -1 none */
    int64_t reread_until; /* read again (a rewind): until the handled messages reach
                             this again, where they end is held too; -1 not */
    cp_hold written;      /* what Redis holds (offset -1: nothing), when known */
    int written_known;
    int sending; /* a write of `sent` waits for its reply */
    cp_hold sent;
} cp_part_resume;

typedef struct cp_holds {
    cp_behind *v; /* the agents whose write waits */
    size_t n, cap;
    cp_hold *lost; /* lowest lost hold per partition (room for every record's kept) */
    size_t nlost, caplost;
    cp_part_resume *parts; /* the assigned partitions */
    size_t nparts, capparts;
    cp_hold *lowest; /* scratch: the lowest hold by partition id */
    size_t caplowest;
    int dirty; /* holds changed since the resume positions were planned */
    /* agents lost while behind in this assignment: never left behind again,
     * so that one cannot make the partitions be read again twice */
    cp_keyset lost_agents;
} cp_holds;

void cp_holds_init(cp_holds *h);
void cp_holds_free(cp_holds *h);

/* Agent a's write waits: *step (what its step changed) goes to its record
 * and the record's buffers come back in *step. A record is made, holding
 * `first` (since_ms: the clock just after it), when a has none. 0, or -1
 * on out of memory (nothing changed: write it now). */
int cp_holds_keep(cp_holds *h, cp_agent *a, cp_step *step, const cp_hold *first, int64_t since_ms,
                  int events);

/* a's record (NULL: its write does not wait). */
const cp_behind *cp_holds_record(const cp_holds *h, const cp_agent *a);

/* a's record's step into *step (exchanged): a's next step adds to it. */
void cp_holds_take(cp_holds *h, cp_agent *a, cp_step *step);

/* a was written: its record and its hold go. */
void cp_holds_release(cp_holds *h, cp_agent *a);

/* a leaves the cache unwritten: its record goes, its hold stays as lost. */
void cp_holds_lose(cp_holds *h, cp_agent *a);

/* May a's write be left behind (it was not lost in this assignment)? */
int cp_holds_may_keep(const cp_holds *h, const cp_agent *a);

/* Is partition p claimed (its resume position can be written)? */
int cp_holds_claimed(const cp_holds *h, int32_t partition);

/* Is a hold lost (the partitions must be read again from the holds)? */
int cp_holds_any_lost(const cp_holds *h);

/* Forget every record and lost hold (the cached agents are dropped). */
void cp_holds_forget(cp_holds *h);

/* The assigned partitions, each from parts[i].handled (its committed
 * offset, -1 none), replacing any before, unclaimed. -1 on out of memory. */
int cp_holds_assign(cp_holds *h, const cp_part_clock *parts, size_t n);

/* The partitions are read again from `from` (a position and the clock
 * there): until their handled messages reach until[i] again, where they
 * end is held too (the caller makes the handled positions it passes to
 * cp_holds_append start at `from`). */
void cp_holds_reread(cp_holds *h, const cp_hold *from, const int64_t *until, size_t n);

/* Claim every assigned partition not claimed yet (resume.h), before any
 * write of its agents; a position its last owner left below its start is
 * a lost hold. 0, or -1 when Redis failed (r->err) or out of memory. */
int cp_holds_claim(cp_holds *h, cp_redis *r, const char *prefix);

/* Would cp_holds_append write anything? */
int cp_holds_wanted(const cp_holds *h);

/* Pipeline the resume position of every claimed partition whose lowest
 * hold (records, lost, a partition read again) is not what Redis holds.
 * handled_at, before_at: by partition id (n of them), where the handled
 * messages end (-1 unknown) and the clock there. -1 on out of memory. */
int cp_holds_append(cp_holds *h, cp_redis *r, const char *prefix, const int64_t *handled_at,
                    const int64_t *before_at, size_t n);

/* Read the replies of what cp_holds_append sent. 0; -1 the connection
 * broke or an error reply (r->err); -2 a newer owner claimed a partition
 * (why says which). */
int cp_holds_read(cp_holds *h, cp_redis *r, char *why, size_t whysz);

/* What was sent is unknown (the batch failed): written again next round. */
void cp_holds_unsent(cp_holds *h);

/* fn(ctx, hold) for every record's hold and every lost one. */
void cp_holds_each(const cp_holds *h, void (*fn)(void *ctx, const cp_hold *hold), void *ctx);

#endif
