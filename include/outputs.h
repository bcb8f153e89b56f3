/* outputs.h -- everything `callpulse run` produces, as its consumer loop
 * drives it: the one producer (produce.h) and its senders, each taking
 * its own delivery reports:
 *
 *   alerts and rewards   output.h       from the engine's outboxes
 *   leaderboard updates  leaderboard.h  boards the engine changed
 *   dead letters         deadletter.h   rejected input (intake)
 *
 * The loop calls cp_outputs_send() once a batch is stored (and on every
 * pass, for retries and recovered messages) and cp_outputs_service() on
 * every pass; before partitions go and on shutdown it drains what is in
 * flight. The counters of the senders reach the metrics through
 * cp_outputs_count(). A new output topic is a new sender here, with its
 * topic name in the configuration: the consumer loop does not change. */
#ifndef CALLPULSE_OUTPUTS_H
#define CALLPULSE_OUTPUTS_H

#include <librdkafka/rdkafka.h>
#include <stdint.h>

#include "config.h"
#include "deadletter.h"
#include "engine.h"
#include "leaderboard.h"
#include "metrics.h"
#include "output.h"
#include "progress.h"

/* What the senders counted that the metrics already have. */
typedef struct cp_outputs_counted {
    uint64_t dlq_acked, outputs_acked, outputs_failed, board_publishes, board_unchanged;
} cp_outputs_counted;

typedef struct cp_outputs {
    const cp_config *cfg;
    rd_kafka_t *producer;   /* owned */
    rd_kafka_queue_t *wake; /* the producer's queue while it wakes a consumer poll */
    cp_progress *progress;  /* borrowed: assignments, dead letters pending */
    cp_output messages;     /* alerts and rewards */
    cp_publisher boards;    /* leaderboard updates, with their own Redis connection */
    cp_deadletter dl;       /* dead letters */
    uint64_t boards_done;   /* progress generation whose board messages were re-produced */
    cp_outputs_counted counted;
} cp_outputs;

/* The publisher's Redis connection (not yet connected), the producer and
 * the senders; the engine's changed boards are marked for publishing from
 * now on (cp_engine_watch_boards). engine and progress must outlive o.
 * 0, or -1 with err (a bad kafka property, for one). cp_outputs_close()
 * and cp_outputs_free() are safe after a failure. */
int cp_outputs_init(cp_outputs *o, const cp_config *cfg, cp_engine *engine, cp_progress *progress,
                    cp_metrics *metrics, char *err, size_t errsz);

/* Wake a consumer's poll (its queue) whenever a delivery report waits, so
 * acknowledgements never wait for a poll timeout. NULL stops it: before
 * that queue is destroyed. */
void cp_outputs_wake(cp_outputs *o, rd_kafka_queue_t *consumer_queue);

/* Serve the delivery reports that arrived (never waits). */
void cp_outputs_poll(cp_outputs *o);

/* Produce the alerts and rewards the engine committed (and retries that
 * are due), then serve delivery reports. taken_ms: monotonic ms the batch
 * that caused them was taken from Kafka, 0 when unknown (output.h). */
void cp_outputs_send(cp_outputs *o, int64_t taken_ms);

/* Publish the boards that are due (re-producing, after an assignment,
 * board messages a previous owner left unacknowledged) and produce again
 * the dead letters whose backoff passed. now_ms: monotonic. */
void cp_outputs_service(cp_outputs *o, int64_t now_ms);

/* Monotonic ms when cp_outputs_service() has a board to publish (now
 * when one is due), INT64_MAX when none waits: the consumer poll sleeps no
 * longer than that. */
int64_t cp_outputs_next_due(const cp_outputs *o, int64_t now_ms);

/* On the way out: publish the boards still marked, waiting out their
 * throttle (at most one interval), so wallboards end on the last state. */
void cp_outputs_publish_remaining(cp_outputs *o);

/* Wait until every alert, reward, board message and dead letter in flight
 * is acknowledged, or timeout_ms passed (warns of what is left). */
void cp_outputs_drain(cp_outputs *o, int timeout_ms);

/* Add what the senders counted since the last call to v (dead letters
 * acknowledged, outputs acknowledged and failed, boards published and
 * unchanged). */
void cp_outputs_count(cp_outputs *o, cp_metrics_values *v);

/* Flush the producer (up to 5 s), serve the last reports, free the
 * senders' retries and destroy the producer. Counters stay readable. */
void cp_outputs_close(cp_outputs *o);

/* Free the rest (the publisher's connection and boards). */
void cp_outputs_free(cp_outputs *o);

#endif
