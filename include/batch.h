/* batch.h -- the batch in hand: messages taken from Kafka and decoded, not
 * yet applied. It remembers, per message, where it came from and the
 * partition clock just after it (to mark it handled once the batch is
 * stored), and the accepted events themselves. It grows past batch_max only
 * while Redis is unreachable and pre-fetched messages keep arriving. */
#ifndef CALLPULSE_BATCH_H
#define CALLPULSE_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "decoder.h"
#include "engine.h"

typedef struct cp_batch_msg {
    int32_t partition;
    int64_t offset;
    int64_t clock_after;
    int64_t appended_ms; /* the Kafka message's timestamp; -1 unknown */
} cp_batch_msg;

typedef struct cp_batch {
    cp_batch_msg *msgs;
    size_t nmsgs, capmsgs;
    cp_event *events;
    cp_batch_event *bevs; /* events with their origin; pointers into events */
    size_t nevents, capevents, capbevs;
    int64_t taken_ms; /* monotonic ms its first message was taken from Kafka */
    int backlog;      /* more messages waited behind it when it was taken */
} cp_batch;

void cp_batch_init(cp_batch *b);
void cp_batch_free(cp_batch *b);
void cp_batch_clear(cp_batch *b);

/* Record a message (accepted or rejected); -1 on out of memory. */
int cp_batch_add_message(cp_batch *b, int32_t partition, int64_t offset, int64_t clock_after,
                         int64_t appended_ms);

/* The slot the next event is decoded into (NULL on out of memory), and
 * keeping it as an accepted event with its origin and its partition's
 * clock just after it. A slot not committed is reused. */
cp_event *cp_batch_slot(cp_batch *b);
/* Room for n more events: the slots events[nevents .. nevents+n). */
cp_event *cp_batch_reserve(cp_batch *b, size_t n);
void cp_batch_commit_event(cp_batch *b, int32_t partition, int64_t offset, int64_t clock_ms);

/* Record a wall-clock step of a quiet partition to clock_ms (contract 3,
 * "a quiet floor still moves"): a message and an event with offset
 * CP_TICK_OFFSET, handled in order with the others. -1 on out of memory. */
int cp_batch_add_tick(cp_batch *b, int32_t partition, int64_t clock_ms);

/* Record an accepted event (copied) with its partition's clock just after
 * it; -1 on out of memory. */
int cp_batch_add_event(cp_batch *b, const cp_event *ev, int32_t partition, int64_t offset,
                       int64_t clock_ms);

/* Move every message and event of `from` to the end of `to` (from ends
 * empty). -1 on out of memory. */
int cp_batch_append(cp_batch *to, cp_batch *from);

/* Exchange two batches. */
void cp_batch_swap(cp_batch *a, cp_batch *b);

/* The events as the engine takes them (valid until the next add). */
const cp_batch_event *cp_batch_events(cp_batch *b);

#endif
