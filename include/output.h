/* output.h -- producing alerts and rewards to their topics (contract
 * section 5) through the one produce path (produce.h), and reporting each
 * acknowledgement back to the engine, which then deletes the message from
 * the agent's outbox. A failed delivery is produced again after a fixed
 * 1 s; the outbox keeps it meanwhile, so a crash loses nothing. The time
 * from taking a batch from Kafka to the broker's acknowledgement of the
 * alerts and rewards it caused is recorded in the metrics' output latency
 * histogram. */
#ifndef CALLPULSE_OUTPUT_H
#define CALLPULSE_OUTPUT_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "metrics.h"
#include "outbox.h"

typedef struct cp_output {
    rd_kafka_t *producer; /* shared, not owned */
    const cp_config *cfg;
    cp_engine *engine;
    cp_metrics *metrics;
    cp_outbox retry; /* failed deliveries waiting for their next try */
    size_t in_flight;
    uint64_t acked, failed;
} cp_output;

/* Makes the engine's outbox a tracking list (outbox.h): a message this
 * process holds, from its commit or recovery until its deletion is sent,
 * is queued once, however often its outbox is read again. */
void cp_output_init(cp_output *o, rd_kafka_t *producer, const cp_config *cfg, cp_engine *engine,
                    cp_metrics *metrics);

/* Produce every message the engine committed, and retries that are due.
 * taken_ms: monotonic time the batch that caused them was taken from Kafka
 * (0 when unknown, e.g. messages recovered from outboxes). */
void cp_output_produce(cp_output *o, int64_t taken_ms);

void cp_output_destroy(cp_output *o);

#endif
