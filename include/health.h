/* health.h -- is the processor able to work: can it reach Redis and Kafka,
 * and does Redis store what it writes? (contract section 7)
 *
 * Answered for GET /healthz (http.h). First, the consumer's own report:
 * when its batches have failed in Redis (state writes, or the reads before
 * them) for more than CP_HEALTH_WRITES_GRACE_MS without a success, the
 * answer is 503 "Redis writes failing for 7 s: NOSCRIPT ...": a Redis
 * that answers PING but refuses the work (lost scripts, BUSY, READONLY, out
 * of memory) is unhealthy too. Then probing, at most once a second: a PING
 * on the prober's own Redis connection, and a metadata request on the
 * consumer's Kafka handle (librdkafka handles are thread-safe). The
 * consumer hands its handle over once created and takes it back before
 * destroying it; until then Kafka counts as unreachable.
 *
 * Threads: the HTTP thread checks, the consumer thread reports; the
 * report has its own lock, never held across I/O, so a slow probe never
 * blocks the consumer. */
#ifndef CALLPULSE_HEALTH_H
#define CALLPULSE_HEALTH_H

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "redis_io.h"

#define CP_HEALTH_PROBE_MS        1000 /* probe timeout, and how long an answer is reused */
#define CP_HEALTH_WRITES_GRACE_MS 5000 /* failing writes longer than this: 503 */

typedef struct cp_health {
    pthread_mutex_t lock; /* the probe: held across its I/O */
    rd_kafka_t *rk;       /* the consumer's handle while it exists; not owned */
    cp_redis redis;
    int64_t checked_ms; /* monotonic time of the last probe; 0 none */
    int ok;
    char why[256];
    pthread_mutex_t writes_lock; /* the consumer's report below */
    int64_t failing_since_ms;    /* monotonic ms the writes began failing; 0: they do not */
    char failing_why[256];       /* the latest failure */
} cp_health;

int cp_health_init(cp_health *h, const cp_config *cfg, char *err, size_t errsz);
void cp_health_free(cp_health *h);

/* The consumer's Kafka handle, or NULL before destroying it. */
void cp_health_set_kafka(cp_health *h, rd_kafka_t *rk);

/* The consumer's report: a batch failed in Redis at now_ms (monotonic)
 * because of why (the first failure of a run starts the clock), or one
 * succeeded (the clock stops). */
void cp_health_writes_failed(cp_health *h, int64_t now_ms, const char *why);
void cp_health_writes_ok(cp_health *h);

/* From the report alone, at now_ms: 1 when writes have not been failing
 * for more than CP_HEALTH_WRITES_GRACE_MS; else 0 with why ("Redis writes
 * failing for 7 s: ..."). No I/O. */
int cp_health_writes(cp_health *h, int64_t now_ms, char *why, size_t size);

/* 1 when writes succeed (above), Redis and Kafka answer; 0 with why. */
int cp_health_check(cp_health *h, char *why, size_t size);

#endif
