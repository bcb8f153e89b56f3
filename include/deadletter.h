/* deadletter.h -- the dead-letter topic (contract section 6).
 *
 * A rejected input message is produced to the DLQ topic with its key and
 * value byte for byte and three headers: callpulse.error (the reason code),
 * callpulse.error.detail and callpulse.source ("topic/partition/offset").
 * Its input offset counts as handled only once the broker acknowledged the
 * dead letter (progress.h); a failed delivery is retried with backoff, so
 * the offset is never committed past a dead letter that was not stored.
 * Dead letters go through the one produce path (produce.h). */
#ifndef CALLPULSE_DEADLETTER_H
#define CALLPULSE_DEADLETTER_H

#include <librdkafka/rdkafka.h>
#include <stdint.h>

#include "decoder.h"
#include "progress.h"

typedef struct cp_dl_retry cp_dl_retry;

typedef struct cp_deadletter {
    rd_kafka_t *producer; /* shared, not owned */
    const char *topic;
    cp_progress *progress; /* where acknowledgements are recorded */
    cp_dl_retry *retries;  /* failed deliveries waiting for their next try */
    uint64_t sent, acked, failed;
} cp_deadletter;

void cp_deadletter_init(cp_deadletter *dl, rd_kafka_t *producer, const char *topic,
                        cp_progress *progress);

/* Produce the dead letter of msg. Records it as pending on part. Returns 0,
 * or -1 with err when librdkafka refused the message for good. Blocks
 * (serving delivery reports) while the producer queue is full. */
int cp_deadletter_send(cp_deadletter *dl, const rd_kafka_message_t *msg, cp_partition *part,
                       cp_reject reason, const char *detail, char *err, size_t errsz);

/* Re-produce failed dead letters whose backoff has passed. */
void cp_deadletter_service(cp_deadletter *dl, int64_t now_ms);

/* Free queued retries (on shutdown, after the producer is flushed). */
void cp_deadletter_destroy(cp_deadletter *dl);

#endif
