/* consumer.h -- `callpulse run`: the consumer group loop.
 *
 * Polls batches of call events, decodes and validates them, sends rejected
 * ones to the dead-letter topic, hands accepted ones to the engine, and
 * commits the group's offsets as progress is made (never past a message
 * that is not fully handled). Finishes and commits before partitions are
 * revoked; on SIGTERM/SIGINT finishes the batch in hand, commits, flushes
 * and returns. */
#ifndef CALLPULSE_CONSUMER_H
#define CALLPULSE_CONSUMER_H

#include <stddef.h>

#include "config.h"
#include "health.h"
#include "metrics.h"

/* Run until cp_rt.stop is set. Returns 0 after a clean shutdown, -1 with
 * err on a failure that stops the processor (fatal Kafka error, setup).
 * The consumer's Kafka handle is lent to `health` (may be NULL) while it
 * exists. */
int cp_consumer_run(const cp_config *cfg, cp_metrics *metrics, cp_health *health, char *err,
                    size_t errsz);

#endif
