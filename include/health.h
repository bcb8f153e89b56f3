/* health.h -- is the processor able to work: can it reach Redis and Kafka?
 *
 * Answered for GET /healthz (http.h) by probing, at most once a second:
 * a PING on the prober's own Redis connection, and a metadata request on
 * the consumer's Kafka handle (librdkafka handles are thread-safe). The
 * consumer hands its handle over once created and takes it back before
 * destroying it; until then Kafka counts as unreachable. */
#ifndef CALLPULSE_HEALTH_H
#define CALLPULSE_HEALTH_H

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "redis_io.h"

#define CP_HEALTH_PROBE_MS 1000 /* probe timeout, and how long an answer is reused */

typedef struct cp_health {
    pthread_mutex_t lock;
    rd_kafka_t *rk; /* the consumer's handle while it exists; not owned */
    cp_redis redis;
    int64_t checked_ms; /* monotonic time of the last probe; 0 none */
    int ok;
    char why[256];
} cp_health;

int cp_health_init(cp_health *h, const cp_config *cfg, char *err, size_t errsz);
void cp_health_free(cp_health *h);

/* The consumer's Kafka handle, or NULL before destroying it. */
void cp_health_set_kafka(cp_health *h, rd_kafka_t *rk);

/* 1 when Redis and Kafka answer; 0 with why. */
int cp_health_check(cp_health *h, char *why, size_t size);

#endif
