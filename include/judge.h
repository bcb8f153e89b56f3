/* judge.h -- from polled messages to the batch in hand (contracts 2, 3
 * and 6): each message is decoded (decoder.h; a large batch on the
 * decoding threads, decodepool.h, while the caller stores the previous
 * batch), then judged in offset order against its partition's state: a
 * key too large, an event too late for the partition's clock (lateness
 * limit) or one that cannot be held becomes a dead letter (deadletter.h);
 * an accepted event advances its partition's clock and joins the batch.
 * Every message is recorded in the batch either way, so its offset is
 * handled once the batch is stored. */
#ifndef CALLPULSE_JUDGE_H
#define CALLPULSE_JUDGE_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "config.h"
#include "deadletter.h"
#include "decodepool.h"
#include "decoder.h"
#include "metrics.h"
#include "progress.h"

typedef struct cp_judge {
    cp_decode_limits limits;
    int64_t lateness_ms;
    size_t max_msgs;           /* batch.max_messages: room for polled messages */
    cp_progress *progress;     /* borrowed: partition clocks and offsets read */
    cp_batch *batch;           /* borrowed: where accepted events go */
    cp_deadletter *dl;         /* borrowed: where rejected messages go */
    cp_metrics_values *local;  /* borrowed: counters by type and reason */
    rd_kafka_message_t **msgs; /* polled, not yet decoded */
    size_t n_msgs;
    int64_t polled_ms;   /* when the polled messages' first one was taken */
    cp_decode_pool pool; /* decoding threads */
    cp_decoded *decoded; /* per message: its decoding outcome */
    size_t capdecoded;
    rd_kafka_message_t **decoding; /* a large batch the threads decode */
    size_t ndecoding;
    cp_event *scratch; /* ... into here */
    size_t capscratch;
    cp_decode_job job;
    int64_t judged_ms; /* when the messages being judged were */
} cp_judge;

/* Start the decoding threads and make room for batch.max_messages polled
 * messages. 0, or -1 with err. cp_judge_free() is safe after a failure. */
int cp_judge_init(cp_judge *j, const cp_config *cfg, cp_progress *progress, cp_batch *batch,
                  cp_deadletter *dl, cp_metrics_values *local, char *err, size_t errsz);
void cp_judge_free(cp_judge *j);

/* Room for another polled message? */
int cp_judge_room(const cp_judge *j);

/* Keep a polled message (taken from Kafka at now_ms, monotonic) until it
 * is decoded; it is destroyed once judged. Needs room. */
void cp_judge_hold(cp_judge *j, rd_kafka_message_t *m, int64_t now_ms);

/* Decode what was polled: a small batch now, on this thread, judged at
 * once; a large one on the decoding threads, judged by cp_judge_finish().
 * 0, or -1 with err when out of memory (nothing of those messages may be
 * committed: the caller stops, a restart replays them). */
int cp_judge_start(cp_judge *j, char *err, size_t errsz);
void cp_judge_finish(cp_judge *j);

/* Everything polled decoded and judged (before revoking or stopping). */
int cp_judge_all(cp_judge *j, char *err, size_t errsz);

/* Drop the polled messages not yet decoded (their partitions were lost). */
void cp_judge_discard(cp_judge *j);

#endif
