/* wallclock.c -- quiet partitions' clocks following the wall clock
 * (wallclock.h). */
#include "wallclock.h"

#include "kafka_io.h"
#include "log.h"

#define STALL_MS 1000 /* the loop stood still this long: fetches are stale */

void cp_wallclock_init(cp_wallclock *w, const cp_config *cfg) {
    w->quiet_ms = (int64_t)cfg->idle_s * 1000;
    w->followed_ms = 0;
}

/* Has the partition no unread message, as far as the last fetch tells? */
static int caught_up(rd_kafka_t *rk, const char *topic, const cp_partition *p) {
    int64_t lo = -1, hi = -1;
    return rd_kafka_get_watermark_offsets(rk, topic, p->partition, &lo, &hi) ==
               RD_KAFKA_RESP_ERR_NO_ERROR &&
           hi >= 0 && p->read_next >= 0 && hi <= p->read_next;
}

void cp_wallclock_follow(cp_wallclock *w, rd_kafka_t *rk, const char *topic, cp_progress *progress,
                         cp_batch *batch, int fetches_stopped, int64_t mono) {
    int64_t wall = cp_now_wall_ms();
    int stalled = w->followed_ms && mono - w->followed_ms > STALL_MS;
    w->followed_ms = mono;
    if (w->quiet_ms <= 0)
        return;
    if (fetches_stopped || stalled) {
        /* While paused (Redis down) or stalled, fetches stopped: what the
         * last one said of the watermarks is stale and events may wait
         * unread. Quiet time counts again from here, after fresh fetches. */
        for (size_t i = 0; i < progress->n; i++)
            progress->parts[i].seen_ms = mono;
        return;
    }
    for (size_t i = 0; i < progress->n; i++) {
        cp_partition *p = &progress->parts[i];
        if (p->clock_ms == CP_CLOCK_UNSET || wall - p->clock_ms < 1000 ||
            mono - p->seen_ms < w->quiet_ms || !caught_up(rk, topic, p))
            continue;
        if (cp_batch_add_tick(batch, p->partition, wall) != 0) {
            cp_warn("out of memory: partition %d's clock waits", (int)p->partition);
            return;
        }
        p->clock_ms = wall;
    }
}
