/* stream.h -- a generated call-event stream (oracle.h) as the integration
 * suites produce it: the events, their Kafka messages keyed by agent, the
 * day offset that makes the stream cross a local midnight, and the config
 * the processor runs with. */
#ifndef CALLPULSE_TEST_STREAM_H
#define CALLPULSE_TEST_STREAM_H

#include <stddef.h>

#include "harness.h"
#include "oracle.h"

#define STREAM_TOPIC  "call-events"
#define STREAM_BUCKET 60000

typedef struct stream {
    o_event *evs;
    size_t n;
    h_out *out;
    int day_offset_min;
    int chunks;
    char config[1024];
} stream;

/* `events` events of `agents` agents over the last three hours, the last
 * `quiet` of them silent after the first hour; duplicates and too-late
 * events included. Produced later in `chunks` equal parts. */
void stream_make(stream *s, uint64_t seed, int agents, int quiet, int events, int chunks,
                 int commit_interval_ms);
/* The processor's config (s->config): the stream's day offset, a quick
 * group re-form, batches of 500, commits every commit_interval_ms. */
void stream_write_config(stream *s, int commit_interval_ms);
void stream_produce_chunk(stream *s, rd_kafka_t *p, int chunk);
/* Once every chunk was produced: where each event landed, and which count. */
void stream_accept(stream *s);
void stream_free(stream *s);

#endif
