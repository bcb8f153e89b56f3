/* produce.h -- the one way callpulse produces a message, to any output
 * topic (alerts, rewards, leaderboard updates, dead letters, and those to
 * come), and the producer's one delivery-report callback.
 *
 * Every message carries a delivery handle as its opaque: a cp_delivery,
 * the first member of its sender's token, naming the function that takes
 * the broker's report for that message and the sender it reports to (in
 * the manner of nginx's ngx_event_actions_t: the operations travel with
 * the object). The producer's callback only calls it, so a new output
 * topic brings its own sender module and its topic name in the
 * configuration, and touches neither this module nor the consumer.
 *
 * What a sender does with a failed delivery is its own retry policy; the
 * delays between attempts come from cp_retry_delay_ms(). */
#ifndef CALLPULSE_PRODUCE_H
#define CALLPULSE_PRODUCE_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

typedef struct cp_delivery cp_delivery;

/* Takes the broker's report (rkm->err: 0 when stored) for the message
 * whose handle is d; called once per message produced, on the thread that
 * polls the producer. It owns the token from then on (frees or keeps it). */
typedef void cp_delivery_fn(cp_delivery *d, const rd_kafka_message_t *rkm);

struct cp_delivery {
    cp_delivery_fn *on_delivery;
    void *sender; /* the module that produced the message, for on_delivery */
};

/* One message to produce. Key and value are copied; NULL is a null key or
 * value. headers (may be NULL) become librdkafka's when produced. */
typedef struct cp_record {
    const char *topic;
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
    rd_kafka_headers_t *headers;
} cp_record;

/* The producer of `callpulse run`: idempotent, no linger, messages up to
 * 2 MB (the user's kafka.properties may change these), with the delivery
 * callback above. NULL with err on failure. */
rd_kafka_t *cp_producer_new(const cp_config *cfg, char *err, size_t errsz);

/* Produce one message, partitioned by its key, with d as its delivery
 * handle. While the producer's queue is full it serves delivery reports
 * (which may call any sender's on_delivery) and tries again. Returns
 * RD_KAFKA_RESP_ERR_NO_ERROR: d->on_delivery is called later with the
 * report; otherwise librdkafka refused the message for good (unknown
 * topic, too large, ...): d and the headers stay the caller's. */
rd_kafka_resp_err_t cp_produce(rd_kafka_t *producer, const cp_record *r, cp_delivery *d);

/* A copy of n bytes (a failed message's key or value, to produce it
 * again) with a NUL after them; NULL on out of memory. Caller frees. */
char *cp_copy_bytes(const void *p, size_t n);

/* The delay before producing again a message whose attempt number
 * `attempts` (1 for the first) failed: first_ms, doubled for each further
 * attempt, never more than max_ms (first_ms == max_ms: a fixed delay). */
int64_t cp_retry_delay_ms(int attempts, int64_t first_ms, int64_t max_ms);

#endif
