/* decodepool.c -- parallel decoding of a batch (decodepool.h).
 *
 * Slice k of a job of n messages is [n*k/T, n*(k+1)/T) for T threads in
 * all; the caller decodes slice 0, worker w slice w+1. */
#include "decodepool.h"

#include <string.h>

#define PARALLEL_MIN 256 /* below this many messages, threads cost more than they save */

static void decode_slice(const cp_decode_job *job, int k, int total) {
    size_t from = job->n * (size_t)k / (size_t)total, to = job->n * (size_t)(k + 1) / (size_t)total;
    for (size_t i = from; i < to; i++) {
        const rd_kafka_message_t *m = job->msgs[i];
        job->out[i].reject =
            cp_event_decode(m->payload, m->len, job->now_ms, job->limits, &job->events[i],
                            job->out[i].detail, sizeof(job->out[i].detail));
    }
}

static void *worker(void *arg) {
    struct cp_decode_worker *w = arg;
    cp_decode_pool *p = w->pool;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->stop && p->round == seen)
            pthread_cond_wait(&p->work, &p->lock);
        if (p->stop)
            break;
        seen = p->round;
        const cp_decode_job *job = p->job;
        pthread_mutex_unlock(&p->lock);
        decode_slice(job, w->index + p->caller, p->nthreads + p->caller);
        pthread_mutex_lock(&p->lock);
        if (--p->pending == 0)
            pthread_cond_signal(&p->done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int cp_decode_pool_init(cp_decode_pool *p, int threads) {
    memset(p, 0, sizeof(*p));
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    if (threads > CP_DECODE_THREADS_MAX)
        threads = CP_DECODE_THREADS_MAX;
    for (int i = 0; i + 1 < threads; i++) {
        p->workers[i] = (struct cp_decode_worker){p, i};
        if (pthread_create(&p->threads[i], NULL, worker, &p->workers[i]) != 0)
            return -1;
        p->nthreads++;
    }
    return 0;
}

int cp_decode_pool_parallel(const cp_decode_pool *p, size_t n) {
    return p->nthreads > 0 && n >= PARALLEL_MIN;
}

static void hand_out(cp_decode_pool *p, const cp_decode_job *job, int caller) {
    pthread_mutex_lock(&p->lock);
    p->job = job;
    p->caller = caller;
    p->pending = p->nthreads;
    p->round++;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
}

void cp_decode_pool_wait(cp_decode_pool *p) {
    pthread_mutex_lock(&p->lock);
    while (p->pending > 0)
        pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

void cp_decode_pool_run(cp_decode_pool *p, const cp_decode_job *job) {
    if (!cp_decode_pool_parallel(p, job->n)) {
        decode_slice(job, 0, 1);
        return;
    }
    hand_out(p, job, 1);
    decode_slice(job, 0, p->nthreads + 1);
    cp_decode_pool_wait(p);
}

void cp_decode_pool_start(cp_decode_pool *p, const cp_decode_job *job) {
    hand_out(p, job, 0);
}

void cp_decode_pool_destroy(cp_decode_pool *p) {
    pthread_mutex_lock(&p->lock);
    p->stop = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->lock);
}
