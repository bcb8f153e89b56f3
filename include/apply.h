/* apply.h -- the batches in hand on their way into Redis (contract 3).
 *
 * Two batches at most: the one being decoded (`batch`) and the one whose
 * writes the engine sent (`inflight`), so Redis executes a batch while the
 * next is gathered and decoded. Only once the engine has stored a batch
 * are its messages handled (progress.h: their offsets may commit) and the
 * alerts and rewards it committed produced (outputs.h).
 *
 * When Redis fails, both stay in hand, merged in order, and are retried
 * with a backoff that doubles from 100 ms to 5 s; the caller pauses its
 * partitions meanwhile (the poll keeps the group membership alive but
 * fetches nothing) and resumes them when the batch is stored. /healthz is
 * told of failing and recovered writes (health.h). */
#ifndef CALLPULSE_APPLY_H
#define CALLPULSE_APPLY_H

#include <stdint.h>

#include "batch.h"
#include "engine.h"
#include "health.h"
#include "metrics.h"
#include "outputs.h"
#include "progress.h"

typedef struct cp_applier {
    cp_engine *engine;         /* borrowed */
    cp_progress *progress;     /* borrowed: handled offsets are recorded there */
    cp_outputs *outputs;       /* borrowed: a stored batch's alerts and rewards go out */
    cp_health *health;         /* borrowed; may be NULL */
    cp_metrics_values *local;  /* borrowed: engine and Redis counters */
    cp_hist stored_latency;    /* appended to Kafka -> stored, not yet in the metrics */
    cp_batch batch;            /* decoded, not yet sent to Redis */
    cp_batch inflight;         /* sent to Redis, answers not yet read */
    int64_t retry_at;          /* monotonic ms of the next attempt while Redis fails */
    int64_t backoff_ms;        /* 0 while batches are stored */
    cp_engine_failure failure; /* what made it back off first */
} cp_applier;

void cp_applier_init(cp_applier *a, cp_engine *engine, cp_progress *progress, cp_outputs *outputs,
                     cp_health *health, cp_metrics_values *local);
void cp_applier_free(cp_applier *a);

/* What cp_applier_pump() asks of the caller's partitions. */
typedef enum {
    CP_APPLY_GOING,  /* nothing changes */
    CP_APPLY_PAUSE,  /* Redis started failing: pause them */
    CP_APPLY_RESUME, /* Redis is back, what was in hand is stored: resume them */
} cp_apply_turn;

/* Move batches along (now: monotonic ms): read the answers of the batch in
 * flight, send the decoded one. While Redis fails, retry everything in
 * hand when due. */
cp_apply_turn cp_applier_pump(cp_applier *a, int64_t now);

/* Store everything in hand now: the batch in flight, then the decoded one.
 * 0, or -1 when Redis failed (both stay in hand, merged, in order;
 * engine->redis.err says why). */
int cp_applier_store(cp_applier *a);

/* Store everything in hand, then write every agent whose write the
 * engine left behind (engine.h: write-behind): the end of a backlog, a
 * revoke, shutdown. 0, or -1 when Redis failed (holds stay; lost ones
 * make the caller read partitions again: cp_engine_lost_behind). */
int cp_applier_flush(cp_applier *a);

/* Is a batch waiting for Redis to come back? */
int cp_applier_waiting(const cp_applier *a);

/* Drop the batches in hand unprocessed (their partitions were lost). */
void cp_applier_discard(cp_applier *a);

/* Forget the failing batch and its backoff (partitions were revoked):
 * the next failure reports again. */
void cp_applier_reset(cp_applier *a);

#endif
