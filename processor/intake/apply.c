/* apply.c -- handing batches to the engine, two at a time, and retrying
 * them while Redis fails (apply.h). */
#include "apply.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_io.h"
#include "log.h"

#define RETRY_FIRST_MS 100 /* Redis retry backoff */
#define RETRY_MAX_MS   5000

void cp_applier_init(cp_applier *a, cp_engine *engine, cp_progress *progress, cp_outputs *outputs,
                     cp_health *health, cp_metrics_values *local) {
    memset(a, 0, sizeof(*a));
    a->engine = engine;
    a->progress = progress;
    a->outputs = outputs;
    a->health = health;
    a->local = local;
    cp_batch_init(&a->batch);
    cp_batch_init(&a->inflight);
}

void cp_applier_free(cp_applier *a) {
    cp_batch_free(&a->batch);
    cp_batch_free(&a->inflight);
}

int cp_applier_waiting(const cp_applier *a) {
    return a->backoff_ms != 0;
}

/* The engine's counters since `last` (and the Redis ones since rt and
 * cmds), into the local metrics. */
static void count_engine(cp_applier *a, const cp_engine_stats *last, uint64_t rt, uint64_t cmds) {
    const cp_engine_stats *s = &a->engine->stats;
    cp_metrics_values *v = a->local;
    v->applied += s->applied - last->applied;
    v->duplicates += s->duplicates - last->duplicates;
    v->replayed += s->replayed - last->replayed;
    v->agent_writes += s->writes - last->writes;
    v->writes_deferred += s->deferred - last->deferred;
    v->slides += s->slides - last->slides;
    v->stale += s->stale - last->stale;
    v->redis_roundtrips += a->engine->redis.roundtrips - rt;
    v->redis_commands += a->engine->redis.commands - cmds;
    v->alerts += s->alerts - last->alerts;
    v->rewards += s->rewards - last->rewards;
    v->board_ops += s->board_ops - last->board_ops;
}

/* Partition clocks as the engine takes them. */
static size_t part_clocks(const cp_progress *p, cp_part_clock *out) {
    size_t n = 0;
    for (size_t i = 0; i < p->n; i++) { /* CP_CLOCK_UNSET is CP_NO_CLOCK */
        const cp_partition *part = &p->parts[i];
        out[n++] = (cp_part_clock){part->partition, part->clock_ms, part->handled_clock,
                                   part->next >= 0 ? part->next : part->first_read, part->waiting};
    }
    return n;
}

/* The messages of a stored batch are handled: their offsets may commit. */
static void mark_handled(cp_applier *a, cp_batch *b) {
    int64_t now = cp_now_wall_ms();
    for (size_t i = 0; i < b->nmsgs; i++) {
        const cp_batch_msg *m = &b->msgs[i];
        if (m->appended_ms > 0)
            cp_hist_add(&a->stored_latency, (double)(now - m->appended_ms));
        cp_partition *part = cp_progress_find(a->progress, m->partition);
        if (part && m->offset == CP_TICK_OFFSET)
            cp_progress_clock_step(part, m->clock_after);
        else if (part)
            cp_progress_handled(part, m->offset, m->clock_after);
    }
    cp_batch_clear(b);
}

/* Read the answers of the batch in flight. 0, or -1 (it stays in hand). */
static int complete_inflight(cp_applier *a) {
    cp_engine_stats before = a->engine->stats;
    uint64_t rt = a->engine->redis.roundtrips, cmds = a->engine->redis.commands;
    if (!a->engine->inflight)
        return a->inflight.nmsgs ? -1 : 0; /* in hand but not sent: apply it */
    int rc = cp_engine_complete(a->engine);
    count_engine(a, &before, rt, cmds);
    if (rc != 0)
        return -1;
    int64_t taken = a->inflight.taken_ms;
    cp_outputs_poll(a->outputs); /* acknowledgements that came meanwhile */
    mark_handled(a, &a->inflight);
    if (cp_rt.crash_after_commit && cp_engine_outbox(a->engine)->n > 0) {
        cp_warn("CALLPULSE_TEST_CRASH: dying between commit and produce");
        raise(SIGKILL);
    }
    cp_outputs_send(a->outputs, taken); /* committed: now they may leave */
    return 0;
}

/* Send the decoded batch; it becomes the batch in flight. */
static int submit_batch(cp_applier *a) {
    cp_engine_stats before = a->engine->stats;
    uint64_t rt = a->engine->redis.roundtrips, cmds = a->engine->redis.commands;
    if (a->inflight.nmsgs == 0)
        cp_batch_swap(&a->inflight, &a->batch);
    else if (cp_batch_append(&a->inflight, &a->batch) != 0)
        return -1;
    cp_part_clock *clocks = malloc(sizeof(*clocks) * (a->progress->n + 1));
    if (!clocks)
        return -1;
    size_t nclocks = part_clocks(a->progress, clocks);
    int rc = cp_engine_submit(a->engine, cp_batch_events(&a->inflight), a->inflight.nevents, clocks,
                              nclocks, a->inflight.backlog);
    free(clocks);
    count_engine(a, &before, rt, cmds);
    return rc;
}

int cp_applier_flush(cp_applier *a) {
    if (cp_applier_store(a) != 0)
        return -1;
    if (cp_engine_behind(a->engine) == 0)
        return 0;
    cp_engine_stats before = a->engine->stats;
    uint64_t rt = a->engine->redis.roundtrips, cmds = a->engine->redis.commands;
    cp_part_clock *clocks = malloc(sizeof(*clocks) * (a->progress->n + 1));
    int rc = -1;
    if (clocks)
        rc = cp_engine_apply(a->engine, NULL, 0, clocks, part_clocks(a->progress, clocks));
    free(clocks);
    count_engine(a, &before, rt, cmds);
    if (rc != 0) {
        a->local->redis_failures++;
        return -1;
    }
    cp_outputs_send(a->outputs, 0); /* what the written agents emitted */
    return 0;
}

int cp_applier_store(cp_applier *a) {
    int rc = complete_inflight(a);
    if (rc == 0 && a->batch.nmsgs == 0)
        return 0;
    if (submit_batch(a) != 0 || complete_inflight(a) != 0) {
        a->local->redis_failures++;
        return -1;
    }
    return 0;
}

/* What a failure is called in the log: only a failure in Redis is Redis
 * being unavailable (engine.h: cp_engine_failure). */
static const char *failure_words(cp_engine_failure f) {
    switch (f) {
    case CP_ENGINE_NO_MEMORY:
        return "out of memory applying a batch";
    case CP_ENGINE_NOT_SENT:
        return "a write could not be built";
    case CP_ENGINE_STALE_REFUSED:
        return "writes refused as stale";
    case CP_ENGINE_BEHIND_LOST:
        return "writes left behind were lost";
    default:
        return "Redis unavailable";
    }
}

/* Storing failed at now: report why, back off. PAUSE on the first failure. */
static cp_apply_turn store_failed(cp_applier *a, int64_t now) {
    cp_apply_turn turn = CP_APPLY_GOING;
    const char *what = failure_words(a->engine->failure), *why = a->engine->err;
    if (a->health) /* /healthz: 503 when this lasts (health.h) */
        cp_health_writes_failed(a->health, now, why);
    if (!a->backoff_ms) {
        cp_warn("%s (%s); pausing consumption and retrying with backoff", what, why);
        a->failure = a->engine->failure;
        turn = CP_APPLY_PAUSE;
        a->backoff_ms = RETRY_FIRST_MS;
    } else {
        cp_debug("still failing: %s (%s)", what, why);
        a->backoff_ms = a->backoff_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : a->backoff_ms * 2;
    }
    a->retry_at = now + a->backoff_ms;
    return turn;
}

/* While storing fails: retry everything in hand when due. */
static cp_apply_turn retry(cp_applier *a, int64_t now) {
    if (now < a->retry_at)
        return CP_APPLY_GOING;
    if (cp_applier_store(a) != 0)
        return store_failed(a, now);
    if (a->failure == CP_ENGINE_REDIS_FAILED)
        cp_info("Redis is back; resuming consumption");
    else
        cp_info("batches are stored again (after: %s); resuming consumption",
                failure_words(a->failure));
    if (a->health)
        cp_health_writes_ok(a->health);
    a->backoff_ms = 0;
    a->retry_at = 0;
    return CP_APPLY_RESUME;
}

cp_apply_turn cp_applier_pump(cp_applier *a, int64_t now) {
    if (a->backoff_ms)
        return retry(a, now);
    if (a->inflight.nmsgs > 0 && complete_inflight(a) != 0) {
        a->local->redis_failures++;
        cp_batch_append(&a->inflight, &a->batch);
        return store_failed(a, now);
    }
    if (a->batch.nmsgs > 0 && submit_batch(a) != 0) {
        a->local->redis_failures++;
        return store_failed(a, now);
    }
    /* the backlog ended with nothing more to take: what is behind is written */
    if (a->batch.nmsgs == 0 && !a->batch.backlog && a->inflight.nmsgs == 0 &&
        cp_engine_behind(a->engine) > 0 && cp_applier_flush(a) != 0)
        return store_failed(a, now);
    return CP_APPLY_GOING;
}

void cp_applier_discard(cp_applier *a) {
    cp_batch_clear(&a->batch);
    cp_batch_clear(&a->inflight);
}

void cp_applier_reset(cp_applier *a) {
    a->backoff_ms = 0;
    a->retry_at = 0;
    if (a->health) /* the failing batch is gone; the next one reports again */
        cp_health_writes_ok(a->health);
}
