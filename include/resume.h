/* resume.h -- where a new owner of an input partition must start reading
 * (engine.h: write-behind), kept in Redis beside the agents' state.
 *
 * Kafka's committed offset follows the consumer's progress (contract 7),
 * but while a backlog lasts an agent's write may wait: events it applied
 * are then committed in Kafka and not yet in Redis. The owner keeps the
 * first such offset of each partition, with the partition clock just
 * before it, in
 *
 *   P resume:pN   hash: e the owner's epoch, o the offset, c the clock
 *                 (o and c "" when nothing is held)
 *
 * written before the Kafka commit passes it. A new owner claims the
 * partition (HINCRBY e: every later write of an older owner is refused)
 * and reads from the lower of the committed offset and o, with o's clock;
 * replays are skipped by the agents' applied offsets (contract 3). */
#ifndef CALLPULSE_RESUME_H
#define CALLPULSE_RESUME_H

#include <stdint.h>

#include "redis_io.h"

#define CP_KEY_RESUME "%sresume:p%d"

/* A partition's read position: an offset and the partition clock just
 * before it (CP_NO_CLOCK / INT64_MIN when unknown); offset -1: none. */
typedef struct cp_hold {
    int32_t partition;
    int64_t offset, clock_ms;
} cp_hold;

/* Register resume_write.lua with r (before cp_redis_ensure). 0, or -1. */
int cp_resume_init(cp_redis *r);

/* Claim partition N (one round trip, no reply pending): *epoch becomes
 * this owner's, *found the position the last owner left (offset -1 when
 * none). 0, or -1 when Redis failed (r->err) or the key is malformed. */
int cp_resume_claim(cp_redis *r, const char *prefix, int32_t partition, int64_t *epoch,
                    cp_hold *found);

/* Pipeline the write of partition h->partition's resume position (h->offset
 * -1: nothing held) under epoch. One reply, for cp_resume_read_write. */
void cp_resume_append_write(cp_redis *r, const char *prefix, int64_t epoch, const cp_hold *h);

/* 1 written, 0 refused (a newer owner claimed the partition), -1 broken
 * connection or an error reply. */
int cp_resume_read_write(cp_redis *r);

#endif
