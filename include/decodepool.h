/* decodepool.h -- decoding a batch of messages on several threads.
 *
 * Decoding (JSON parsing and validation) is most of the processor's work
 * per event and is pure, so a large batch is cut into slices decoded in
 * parallel: the calling thread takes the first slice, worker threads the
 * others, and the call returns when all are done. Everything order- or
 * state-dependent (lateness, partition clocks, dead letters) stays with the
 * caller, in order. Small batches are decoded on the calling thread only. */
#ifndef CALLPULSE_DECODEPOOL_H
#define CALLPULSE_DECODEPOOL_H

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "decoder.h"

#define CP_DECODE_THREADS_MAX 16
#define CP_DETAIL_SIZE        256

/* The outcome of decoding message i. */
typedef struct cp_decoded {
    cp_reject reject;
    char detail[CP_DETAIL_SIZE];
} cp_decoded;

typedef struct cp_decode_job {
    rd_kafka_message_t **msgs;
    cp_event *events; /* events[i] receives message i */
    cp_decoded *out;
    size_t n;
    int64_t now_ms;
    const cp_decode_limits *limits;
} cp_decode_job;

typedef struct cp_decode_pool {
    int nthreads; /* workers besides the caller */
    pthread_t threads[CP_DECODE_THREADS_MAX];
    struct cp_decode_worker {
        struct cp_decode_pool *pool;
        int index;
    } workers[CP_DECODE_THREADS_MAX];
    pthread_mutex_t lock;
    pthread_cond_t work, done;
    const cp_decode_job *job;
    uint64_t round; /* bumped for every job */
    int pending;    /* workers still decoding the current job */
    int caller;     /* 1 when the caller takes the first slice itself */
    int stop;
} cp_decode_pool;

/* Start `threads` threads in all (the caller counts as one: 1 means no
 * workers). -1 when a thread cannot be started. */
int cp_decode_pool_init(cp_decode_pool *p, int threads);

/* Decode every message of the job; returns when all are decoded. */
void cp_decode_pool_run(cp_decode_pool *p, const cp_decode_job *job);

/* Large enough to be worth other threads? */
int cp_decode_pool_parallel(const cp_decode_pool *p, size_t n);

/* Hand the whole job to the worker threads and return at once, so the
 * caller works on something else meanwhile; cp_decode_pool_wait() returns
 * when it is decoded. Needs workers (cp_decode_pool_parallel). */
void cp_decode_pool_start(cp_decode_pool *p, const cp_decode_job *job);
void cp_decode_pool_wait(cp_decode_pool *p);

void cp_decode_pool_destroy(cp_decode_pool *p);

#endif
