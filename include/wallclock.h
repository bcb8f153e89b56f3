/* wallclock.h -- a quiet floor still moves (contract 3): a partition with
 * no unread message for windows.idle_s lets its event-time clock follow
 * the wall clock, never ahead of it and never back, in steps of at least a
 * second. A step is a point of the batch like an event (cp_batch_add_tick):
 * its agents' windows slide and their deadlines pass, it is stored, then
 * committed with the partition.
 *
 * Whether a partition has unread messages is what librdkafka learnt of its
 * high watermark with its last fetch. While fetches are stopped (paused
 * for Redis, or the loop stood still) that is stale and events may wait
 * unread: quiet time then counts again from when fetches resume. */
#ifndef CALLPULSE_WALLCLOCK_H
#define CALLPULSE_WALLCLOCK_H

#include <librdkafka/rdkafka.h>
#include <stdint.h>

#include "batch.h"
#include "config.h"
#include "progress.h"

typedef struct cp_wallclock {
    int64_t quiet_ms;    /* windows.idle_s; 0: clocks never follow */
    int64_t followed_ms; /* monotonic ms of the last cp_wallclock_follow() */
} cp_wallclock;

void cp_wallclock_init(cp_wallclock *w, const cp_config *cfg);

/* Called on every pass of the consumer loop (mono: monotonic ms). Steps
 * the clock of each quiet, caught-up partition of `progress` to the wall
 * clock, as a tick in `batch`. rk and topic: the consumer and its input
 * topic (watermarks). fetches_stopped: partitions paused or a batch
 * waiting for Redis. */
void cp_wallclock_follow(cp_wallclock *w, rd_kafka_t *rk, const char *topic, cp_progress *progress,
                         cp_batch *batch, int fetches_stopped, int64_t mono);

#endif
