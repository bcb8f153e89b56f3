/* consumer.c -- the consumer group loop of `callpulse run` (consumer.h).
 *
 * One thread does everything, in the shape of librdkafka's
 * examples/consumer.c:
 *
 *   gather   rd_kafka_consumer_poll() for the first message (returns the
 *            moment one is there), then without waiting up to batch_max;
 *   decode   each message; a rejected one is produced to the DLQ and
 *            stays pending until acknowledged; an accepted one advances its
 *            partition's event-time clock and joins the batch in hand;
 *   apply    hand the batch to the KPI engine; only when Redis has stored
 *            it are its messages handled (and their offsets committable);
 *   service  serve the producer's delivery reports, retry failed dead
 *            letters, commit progress every kafka.commit_interval_ms.
 *
 * Redis works in parallel: a batch's writes are sent (cp_engine_submit) and
 * the next batch is gathered and decoded before their answers are read
 * (cp_engine_complete); only then are the first batch's messages handled.
 *
 * When Redis is unreachable the batch stays in hand, the assigned
 * partitions are paused (the poll keeps the group membership alive but
 * fetches nothing), and the batch is retried with a backoff that doubles
 * from 100 ms to 5 s; when it is stored, the partitions resume.
 *
 * The producer's queue wakes the consumer poll when a delivery report
 * arrives, so acknowledgements are never left waiting for a poll timeout.
 * Offsets are committed by us (enable.auto.commit=false) with the
 * partition clock as metadata; see progress.h. */
#include "consumer.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "deadletter.h"
#include "decodepool.h"
#include "engine.h"
#include "kafka_io.h"
#include "leaderboard.h"
#include "log.h"
#include "output.h"
#include "progress.h"

#define POLL_IDLE_MS      200  /* longest sleep in poll when nothing arrives */
#define SHUTDOWN_FLUSH_MS 5000 /* wait for dead-letter acks on shutdown */
#define REVOKE_FLUSH_MS   5000 /* ... and before giving partitions away */
#define COMMITTED_TIMEOUT 10000
#define STATS_INTERVAL_MS 10000 /* a progress line in the log */
#define RETRY_FIRST_MS    100   /* Redis retry backoff */
#define RETRY_MAX_MS      5000
#define STALL_MS          1000 /* the loop stood still this long: fetches are stale */

typedef struct cp_consumer {
    const cp_config *cfg;
    cp_metrics *metrics;
    cp_metrics_values local; /* counters not yet published */
    cp_hist stored_latency;  /* ... and latencies */
    int64_t next_lags_ms;
    rd_kafka_t *rk;       /* consumer */
    rd_kafka_t *producer; /* dead letters (and, later, outputs) */
    rd_kafka_queue_t *consumer_queue;
    rd_kafka_queue_t *producer_queue;
    cp_progress progress;
    cp_deadletter dl;
    cp_decode_limits limits;
    int64_t lateness_ms;
    rd_kafka_message_t **msgs; /* polled, not yet decoded */
    size_t n_msgs;
    cp_decode_pool pool; /* decoding threads */
    cp_decoded *decoded; /* per polled message: its decoding outcome */
    size_t capdecoded;
    rd_kafka_message_t **decoding; /* a large batch the threads decode */
    size_t ndecoding;
    cp_event *scratch; /* ... into here */
    size_t capscratch;
    cp_decode_job job;
    cp_batch batch;    /* decoded, not yet sent to Redis */
    cp_batch inflight; /* sent to Redis, answers not yet read */
    cp_engine engine;
    cp_output out;        /* alerts and rewards to their topics */
    cp_publisher boards;  /* leaderboard updates */
    uint64_t boards_done; /* progress generation whose board messages were re-produced */
    int64_t polled_ms;    /* when the polled messages' first one was taken */
    int64_t judged_ms;    /* when the batch being judged was */
    int64_t followed_ms;  /* when follow_wall_clock() last ran */
    int paused;           /* partitions paused while Redis is down */
    int64_t retry_at;     /* monotonic ms of the next apply attempt */
    int64_t backoff_ms;   /* 0 while Redis is fine */
    cp_health *health;    /* told when Redis writes fail and succeed again; may be NULL */
    int64_t next_commit_ms;
    int64_t next_stats_ms;
    cp_metrics_values last_stats; /* counters at the last progress line */
    int fatal;
    char *err;
    size_t errsz;
} cp_consumer;

/* ---- offsets ------------------------------------------------------------ */

static void on_commit(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                      rd_kafka_topic_partition_list_t *offsets, void *opaque) {
    cp_consumer *c = opaque;
    (void)rk;
    if (err == RD_KAFKA_RESP_ERR__NO_OFFSET)
        return;
    for (int i = 0; offsets && i < offsets->cnt; i++) {
        if (err || offsets->elems[i].err) {
            cp_progress_commit_failed(&c->progress, offsets->elems[i].partition);
            c->local.commit_failures++;
        }
    }
    if (err)
        cp_warn("offset commit failed, will retry: %s", rd_kafka_err2str(err));
}

/* Commit what is safely handled. sync: wait for the broker's answer. */
static void commit_progress(cp_consumer *c, int sync) {
    rd_kafka_topic_partition_list_t *list =
        cp_progress_commit_list(&c->progress, c->cfg->input_topic, 0);
    if (!list)
        return;
    rd_kafka_resp_err_t err = rd_kafka_commit(c->rk, list, sync ? 0 : 1);
    c->local.commits++;
    if (err) {
        cp_warn("offset commit of %d partition(s) failed: %s", list->cnt, rd_kafka_err2str(err));
        for (int i = 0; i < list->cnt; i++)
            cp_progress_commit_failed(&c->progress, list->elems[i].partition);
    }
    rd_kafka_topic_partition_list_destroy(list);
}

/* ---- producer ----------------------------------------------------------- */

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque) {
    cp_consumer *c = opaque;
    const cp_delivery_kind *kind = rkm->_private;
    (void)rk;
    if (kind && *kind == CP_DELIVERY_DEADLETTER) {
        cp_deadletter_on_delivery(&c->dl, rkm);
        if (!rkm->err)
            c->local.dlq_acked++;
    } else if (kind && *kind == CP_DELIVERY_BOARD) {
        cp_publisher_on_delivery(&c->boards, rkm);
    } else if (kind && *kind == CP_DELIVERY_OUTPUT) {
        cp_output_on_delivery(&c->out, rkm);
        if (!rkm->err)
            c->local.outputs_acked++;
        else
            c->local.outputs_failed++;
    }
}

/* The producer's queue became non-empty: wake the consumer poll. */
static void on_producer_event(rd_kafka_t *rk, void *opaque) {
    (void)rk;
    rd_kafka_queue_yield(opaque);
}

/* Wait until every dead letter is acknowledged or the deadline passes. */
static void drain_deliveries(cp_consumer *c, int timeout_ms) {
    int64_t deadline = cp_now_mono_ms() + timeout_ms;
    cp_output_produce(&c->out, 0);
    while ((cp_progress_pending_total(&c->progress) > 0 || c->out.in_flight > 0 ||
            c->boards.in_flight > 0) &&
           cp_now_mono_ms() < deadline) {
        rd_kafka_poll(c->producer, 50);
        cp_deadletter_service(&c->dl, cp_now_mono_ms());
    }
    if (c->out.in_flight > 0)
        cp_warn("%zu alert(s) or reward(s) not acknowledged in time; they stay in their outboxes",
                c->out.in_flight);
    if (cp_progress_pending_total(&c->progress) > 0)
        cp_warn("%zu dead letter(s) not acknowledged in time; their offsets stay uncommitted",
                cp_progress_pending_total(&c->progress));
}

/* ---- handling a batch --------------------------------------------------- */

static void send_dead_letter(cp_consumer *c, const rd_kafka_message_t *m, cp_partition *part,
                             cp_reject reason, const char *detail) {
    char err[CP_ERRBUF];
    c->local.invalid[reason]++;
    cp_debug("dead letter %d/%lld: %s: %s", (int)m->partition, (long long)m->offset,
             cp_reject_name(reason), detail);
    if (cp_deadletter_send(&c->dl, m, part, reason, detail, err, sizeof(err)) != 0)
        cp_error("%s", err);
}

/* After decoding (decodepool.c): the checks that depend on order and state,
 * then the message is a dead letter or an accepted event kept in the batch.
 * ev is its decoded slot; accepted events are kept contiguous. */
static void judge_message(cp_consumer *c, const rd_kafka_message_t *m, cp_event *ev,
                          cp_decoded *d) {
    cp_partition *part = cp_progress_find(&c->progress, m->partition);
    if (!part) /* not ours any more (revoked while in hand) */
        return;
    part->read_next = m->offset + 1;
    part->seen_ms = c->judged_ms;
    if (d->reject == CP_OK && m->key_len > c->limits.max_bytes) {
        d->reject = CP_REJ_TOO_LARGE;
        snprintf(d->detail, sizeof(d->detail), "message key is %zu bytes, the limit is %zu",
                 m->key_len, c->limits.max_bytes);
    }
    if (d->reject == CP_OK && part->clock_ms != CP_CLOCK_UNSET &&
        ev->ts_ms < part->clock_ms - c->lateness_ms) {
        d->reject = CP_REJ_TOO_LATE;
        snprintf(d->detail, sizeof(d->detail),
                 "ts is %lld ms behind partition %d's clock (lateness limit %lld ms)",
                 (long long)(part->clock_ms - ev->ts_ms), (int)m->partition,
                 (long long)c->lateness_ms);
    }
    cp_event *slot = d->reject == CP_OK ? cp_batch_slot(&c->batch) : NULL;
    if (d->reject == CP_OK && !slot) {
        d->reject = CP_REJ_TOO_LARGE; /* out of memory: never silently dropped */
        snprintf(d->detail, sizeof(d->detail), "out of memory holding the event");
    }
    if (d->reject != CP_OK) {
        send_dead_letter(c, m, part, d->reject, d->detail);
    } else {
        if (part->clock_ms == CP_CLOCK_UNSET || ev->ts_ms > part->clock_ms)
            part->clock_ms = ev->ts_ms;
        if (slot != ev)
            *slot = *ev;
        cp_batch_commit_event(&c->batch, m->partition, m->offset, part->clock_ms);
        c->local.events[slot->type]++;
    }
    if (cp_batch_add_message(&c->batch, m->partition, m->offset, part->clock_ms,
                             rd_kafka_message_timestamp(m, NULL)) != 0)
        cp_error("out of memory: %d/%lld stays unhandled", (int)m->partition, (long long)m->offset);
}

static void publish_metrics(cp_consumer *c) {
    cp_metrics_add(c->metrics, &c->local);
    memset(&c->local, 0, sizeof(c->local));
    if (c->stored_latency.count) {
        cp_metrics_add_stored_latency(c->metrics, &c->stored_latency);
        memset(&c->stored_latency, 0, sizeof(c->stored_latency));
    }
}

/* Consumer lag per assigned partition, from the watermarks librdkafka
 * learnt with its last fetch (no request is sent). */
static void publish_lags(cp_consumer *c) {
    cp_lag lags[CP_LAG_MAX];
    size_t n = 0;
    for (size_t i = 0; i < c->progress.n && n < CP_LAG_MAX; i++) {
        const cp_partition *p = &c->progress.parts[i];
        int64_t lo = -1, hi = -1;
        if (rd_kafka_get_watermark_offsets(c->rk, c->cfg->input_topic, p->partition, &lo, &hi) !=
                RD_KAFKA_RESP_ERR_NO_ERROR ||
            hi < 0)
            continue;
        int64_t from = p->next >= 0 ? p->next : lo;
        lags[n++] = (cp_lag){p->partition, hi > from && from >= 0 ? hi - from : 0};
    }
    cp_metrics_set_lags(c->metrics, lags, n);
}

/* Room for per-message outcomes (and decoded events when `scratch`). */
static int reserve_decoding(cp_consumer *c, size_t n, int scratch) {
    if (n > c->capdecoded) {
        cp_decoded *d = realloc(c->decoded, n * sizeof(*d));
        if (!d)
            return -1;
        c->decoded = d;
        c->capdecoded = n;
    }
    if (scratch && n > c->capscratch) {
        cp_event *e = realloc(c->scratch, n * sizeof(*e));
        if (!e)
            return -1;
        c->scratch = e;
        c->capscratch = n;
    }
    return 0;
}

/* Nothing of this batch may be committed: stop, a restart replays it. */
static void out_of_memory(cp_consumer *c, rd_kafka_message_t **msgs, size_t n) {
    snprintf(c->err, c->errsz, "out of memory decoding %zu messages", n);
    c->fatal = 1;
    for (size_t i = 0; i < n; i++)
        rd_kafka_message_destroy(msgs[i]);
}

/* Judge decoded messages in order and release them. */
static void judge_all(cp_consumer *c, rd_kafka_message_t **msgs, cp_event *events, size_t n) {
    c->judged_ms = cp_now_mono_ms();
    for (size_t i = 0; i < n; i++) {
        judge_message(c, msgs[i], &events[i], &c->decoded[i]);
        rd_kafka_message_destroy(msgs[i]);
    }
    c->local.consumed += n;
    c->local.batches++;
    c->local.batch_events += n;
    c->local.batch_sizes[cp_batch_size_bucket(n)]++;
}

/* Decode what was polled. A small batch is decoded and judged now, on this
 * thread. A large one goes to the decoding threads while this thread
 * stores the previous batch (pump); finish_decode() judges it after. */
static void start_decode(cp_consumer *c) {
    size_t n = c->n_msgs;
    if (n == 0)
        return;
    if (c->batch.nmsgs == 0)
        c->batch.taken_ms = c->polled_ms;
    c->n_msgs = 0;
    if (!cp_decode_pool_parallel(&c->pool, n)) {
        cp_event *slots = reserve_decoding(c, n, 0) == 0 ? cp_batch_reserve(&c->batch, n) : NULL;
        if (!slots)
            return out_of_memory(c, c->msgs, n);
        cp_decode_job job = {c->msgs, slots, c->decoded, n, cp_now_wall_ms(), &c->limits};
        cp_decode_pool_run(&c->pool, &job);
        judge_all(c, c->msgs, slots, n);
        return;
    }
    if (reserve_decoding(c, n, 1) != 0)
        return out_of_memory(c, c->msgs, n);
    rd_kafka_message_t **t = c->decoding; /* the poll buffer is free again */
    c->decoding = c->msgs;
    c->msgs = t;
    c->ndecoding = n;
    c->job = (cp_decode_job){c->decoding, c->scratch, c->decoded, n, cp_now_wall_ms(), &c->limits};
    cp_decode_pool_start(&c->pool, &c->job);
}

static void finish_decode(cp_consumer *c) {
    if (c->ndecoding == 0)
        return;
    cp_decode_pool_wait(&c->pool);
    judge_all(c, c->decoding, c->scratch, c->ndecoding);
    c->ndecoding = 0;
}

/* Everything polled, decoded and judged (before revoking or stopping). */
static void decode_polled(cp_consumer *c) {
    finish_decode(c);
    start_decode(c);
    finish_decode(c);
}

/* The engine's counters since the last call, into the local metrics. */
static void collect_engine_stats(cp_consumer *c, cp_engine_stats *last, uint64_t *rt,
                                 uint64_t *cmds) {
    const cp_engine_stats *s = &c->engine.stats;
    c->local.applied += s->applied - last->applied;
    c->local.duplicates += s->duplicates - last->duplicates;
    c->local.replayed += s->replayed - last->replayed;
    c->local.agent_writes += s->writes - last->writes;
    c->local.slides += s->slides - last->slides;
    c->local.stale += s->stale - last->stale;
    c->local.redis_roundtrips += c->engine.redis.roundtrips - *rt;
    c->local.redis_commands += c->engine.redis.commands - *cmds;
    c->local.alerts += s->alerts - last->alerts;
    c->local.rewards += s->rewards - last->rewards;
    c->local.board_ops += s->board_ops - last->board_ops;
    *last = *s;
    *rt = c->engine.redis.roundtrips;
    *cmds = c->engine.redis.commands;
}

/* Partition clocks as the engine takes them. */
static size_t part_clocks(cp_consumer *c, cp_part_clock *out) {
    size_t n = 0;
    for (size_t i = 0; i < c->progress.n; i++)
        if (c->progress.parts[i].clock_ms != CP_CLOCK_UNSET)
            out[n++] =
                (cp_part_clock){c->progress.parts[i].partition, c->progress.parts[i].clock_ms};
    return n;
}

/* The messages of a stored batch are handled: their offsets may commit. */
static void mark_handled(cp_consumer *c, cp_batch *b) {
    int64_t now = cp_now_wall_ms();
    for (size_t i = 0; i < b->nmsgs; i++) {
        const cp_batch_msg *m = &b->msgs[i];
        if (m->appended_ms > 0)
            cp_hist_add(&c->stored_latency, (double)(now - m->appended_ms));
        cp_partition *part = cp_progress_find(&c->progress, m->partition);
        if (part && m->offset == CP_TICK_OFFSET)
            cp_progress_clock_step(part, m->clock_after);
        else if (part)
            cp_progress_handled(part, m->offset, m->clock_after);
    }
    cp_batch_clear(b);
}

/* Read the answers of the batch in flight. 0, or -1 (it stays in hand). */
static int complete_inflight(cp_consumer *c) {
    cp_engine_stats before = c->engine.stats;
    uint64_t rt = c->engine.redis.roundtrips, cmds = c->engine.redis.commands;
    if (!c->engine.inflight)
        return c->inflight.nmsgs ? -1 : 0; /* in hand but not sent: apply it */
    int rc = cp_engine_complete(&c->engine);
    collect_engine_stats(c, &before, &rt, &cmds);
    if (rc != 0)
        return -1;
    int64_t taken = c->inflight.taken_ms;
    rd_kafka_poll(c->producer, 0); /* acknowledgements that came meanwhile */
    mark_handled(c, &c->inflight);
    if (cp_rt.crash_after_commit && cp_engine_outbox(&c->engine)->n > 0) {
        cp_warn("CALLPULSE_TEST_CRASH: dying between commit and produce");
        raise(SIGKILL);
    }
    cp_output_produce(&c->out, taken); /* committed: now they may leave */
    rd_kafka_poll(c->producer, 0);
    return 0;
}

/* Send the decoded batch; it becomes the batch in flight. */
static int submit_batch(cp_consumer *c) {
    cp_engine_stats before = c->engine.stats;
    uint64_t rt = c->engine.redis.roundtrips, cmds = c->engine.redis.commands;
    if (c->inflight.nmsgs == 0)
        cp_batch_swap(&c->inflight, &c->batch);
    else if (cp_batch_append(&c->inflight, &c->batch) != 0)
        return -1;
    cp_part_clock *clocks = malloc(sizeof(*clocks) * (c->progress.n + 1));
    if (!clocks)
        return -1;
    size_t nclocks = part_clocks(c, clocks);
    int rc = cp_engine_submit(&c->engine, cp_batch_events(&c->inflight), c->inflight.nevents,
                              clocks, nclocks);
    free(clocks);
    collect_engine_stats(c, &before, &rt, &cmds);
    return rc;
}

/* Store everything in hand now: the batch in flight, then the decoded one.
 * 0, or -1 when Redis failed (both stay in hand, merged, in order). */
static int apply_batch(cp_consumer *c) {
    int rc = complete_inflight(c);
    if (rc == 0 && c->batch.nmsgs == 0)
        return 0;
    if (submit_batch(c) != 0 || complete_inflight(c) != 0) {
        c->local.redis_failures++;
        return -1;
    }
    return 0;
}

/* Pause or resume every assigned partition. */
static void set_paused(cp_consumer *c, int paused) {
    rd_kafka_topic_partition_list_t *parts = NULL;
    if (c->paused == paused || rd_kafka_assignment(c->rk, &parts) != 0 || !parts)
        return;
    if (paused)
        rd_kafka_pause_partitions(c->rk, parts);
    else
        rd_kafka_resume_partitions(c->rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    c->paused = paused;
}

static void redis_failed(cp_consumer *c, int64_t now) {
    if (c->health) /* /healthz: 503 when this lasts (health.h) */
        cp_health_writes_failed(c->health, now, c->engine.redis.err);
    if (!c->backoff_ms) {
        cp_warn("Redis unavailable (%s); pausing consumption and retrying with backoff",
                c->engine.redis.err);
        set_paused(c, 1);
        c->backoff_ms = RETRY_FIRST_MS;
    } else {
        cp_debug("Redis still unavailable: %s", c->engine.redis.err);
        c->backoff_ms = c->backoff_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : c->backoff_ms * 2;
    }
    c->retry_at = now + c->backoff_ms;
}

/* Move batches along: read the answers of the batch in flight, send the
 * decoded one. While Redis is down, retry everything in hand when due. */
static void pump(cp_consumer *c) {
    int64_t now = cp_now_mono_ms();
    if (c->backoff_ms) {
        if (now < c->retry_at)
            return;
        if (apply_batch(c) != 0) {
            redis_failed(c, now);
            return;
        }
        cp_info("Redis is back; resuming consumption");
        if (c->health)
            cp_health_writes_ok(c->health);
        set_paused(c, 0);
        c->backoff_ms = 0;
        c->retry_at = 0;
        return;
    }
    if (c->inflight.nmsgs > 0 && complete_inflight(c) != 0) {
        c->local.redis_failures++;
        cp_batch_append(&c->inflight, &c->batch);
        redis_failed(c, now);
        return;
    }
    if (c->batch.nmsgs > 0 && submit_batch(c) != 0) {
        c->local.redis_failures++;
        redis_failed(c, now);
    }
}

/* Drop the messages in hand unprocessed (their partitions were lost). */
static void discard_batch(cp_consumer *c) {
    for (size_t i = 0; i < c->n_msgs; i++)
        rd_kafka_message_destroy(c->msgs[i]);
    c->n_msgs = 0;
    cp_batch_clear(&c->batch);
    cp_batch_clear(&c->inflight);
}

/* ---- rebalance ---------------------------------------------------------- */

static void on_assign(cp_consumer *c, rd_kafka_topic_partition_list_t *parts) {
    rd_kafka_resp_err_t err = rd_kafka_committed(c->rk, parts, COMMITTED_TIMEOUT);
    if (err)
        cp_warn("cannot read committed offsets (%s); partition clocks restart empty",
                rd_kafka_err2str(err));
    if (cp_progress_assign(&c->progress, parts) != 0) {
        snprintf(c->err, c->errsz, "out of memory on partition assignment");
        c->fatal = 1;
    }
    for (size_t i = 0; i < c->progress.n; i++) /* quiet from now on, if nothing comes */
        c->progress.parts[i].seen_ms = cp_now_mono_ms();
    cp_part_clock *clocks = malloc(sizeof(*clocks) * (size_t)(parts->cnt + 1));
    for (int i = 0; i < parts->cnt; i++) {
        const cp_partition *part = cp_progress_find(&c->progress, parts->elems[i].partition);
        if (clocks)
            clocks[i] = (cp_part_clock){parts->elems[i].partition,
                                        part && part->clock_ms != CP_CLOCK_UNSET ? part->clock_ms
                                                                                 : CP_NO_CLOCK};
        if (parts->elems[i].offset >= 0)
            cp_info("assigned %s [%d] at committed offset %lld", parts->elems[i].topic,
                    (int)parts->elems[i].partition, (long long)parts->elems[i].offset);
        else /* RD_KAFKA_OFFSET_INVALID: auto.offset.reset decides */
            cp_info("assigned %s [%d] with no committed offset (auto.offset.reset applies)",
                    parts->elems[i].topic, (int)parts->elems[i].partition);
    }
    if (clocks)
        cp_engine_assign(&c->engine, clocks, (size_t)parts->cnt);
    free(clocks);
    c->paused = 0; /* a new assignment starts unpaused */
    err = rd_kafka_assign(c->rk, parts);
    if (err) {
        snprintf(c->err, c->errsz, "assign failed: %s", rd_kafka_err2str(err));
        c->fatal = 1;
    }
}

/* Finish what is in hand, wait for dead-letter acks, commit, let go. */
static void on_revoke(cp_consumer *c, rd_kafka_topic_partition_list_t *parts) {
    int lost = rd_kafka_assignment_lost(c->rk);
    cp_info("revoking %d partition(s)%s", parts->cnt, lost ? " (assignment lost)" : "");
    if (!lost) {
        decode_polled(c);
        if (apply_batch(c) != 0)
            cp_warn("batch in hand not stored (%s); the next owner replays it",
                    c->engine.redis.err);
        drain_deliveries(c, REVOKE_FLUSH_MS);
        cp_engine_housekeeping(&c->engine);
        commit_progress(c, 1);
    }
    discard_batch(c);
    cp_engine_revoke(&c->engine);
    cp_progress_clear(&c->progress);
    c->backoff_ms = 0;
    c->retry_at = 0;
    if (c->health) /* the failing batch is gone; the next one reports again */
        cp_health_writes_ok(c->health);
    rd_kafka_assign(c->rk, NULL);
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
    cp_consumer *c = opaque;
    (void)rk;
    c->local.rebalances++;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        on_assign(c, parts);
    } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
        on_revoke(c, parts);
    } else {
        cp_error("rebalance error: %s", rd_kafka_err2str(err));
        discard_batch(c);
        cp_engine_revoke(&c->engine);
        cp_progress_clear(&c->progress);
        rd_kafka_assign(c->rk, NULL);
    }
    publish_metrics(c);
}

/* ---- the loop ----------------------------------------------------------- */

/* A consumer error message: fatal ones stop the processor. */
static void consumer_error(cp_consumer *c, rd_kafka_message_t *m) {
    if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
        char reason[512];
        rd_kafka_fatal_error(c->rk, reason, sizeof(reason));
        snprintf(c->err, c->errsz, "fatal Kafka error: %s", reason);
        c->fatal = 1;
    } else {
        cp_warn("consumer: %s", rd_kafka_message_errstr(m));
    }
    rd_kafka_message_destroy(m);
}

/* Poll until the batch is full or no message is immediately available. */
static void gather(cp_consumer *c) {
    int timeout = POLL_IDLE_MS;
    if (c->backoff_ms) { /* a batch waits for Redis: sleep until its retry */
        int64_t left = c->retry_at - cp_now_mono_ms();
        timeout = left <= 0 ? 0 : left < POLL_IDLE_MS ? (int)left : POLL_IDLE_MS;
    } else if (c->engine.inflight) { /* its answers are due: do not sleep */
        timeout = 0;
    }
    while (c->n_msgs < (size_t)c->cfg->batch_max && !cp_rt.stop && !c->fatal) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, timeout);
        if (!m)
            return;
        if (m->err) {
            consumer_error(c, m);
            continue;
        }
        if (c->n_msgs == 0)
            c->polled_ms = cp_now_mono_ms();
        c->msgs[c->n_msgs++] = m;
        timeout = 0;
    }
}

/* Boards the engine changed are published when due (their own Redis
 * connection: never blocked behind a batch). */
static void publish_boards(cp_consumer *c) {
    cp_dirty_board d[64];
    size_t n;
    while ((n = cp_engine_take_dirty(&c->engine, d, 64)) > 0)
        cp_publisher_mark(&c->boards, d, n);
    /* at every assignment: partitions (and the boards their agents are on)
     * may come from a process that died with board messages unacknowledged */
    if (c->boards_done != c->progress.generation && c->progress.n > 0 &&
        cp_publisher_recover(&c->boards) == 0)
        c->boards_done = c->progress.generation;
    uint64_t published = c->boards.published, unchanged = c->boards.unchanged;
    if (cp_publisher_run(&c->boards) < 0)
        cp_debug("leaderboard publishing waits for Redis: %s", c->boards.redis.err);
    c->local.board_publishes += c->boards.published - published;
    c->local.board_unchanged += c->boards.unchanged - unchanged;
}

/* On the way out: publish the boards still marked, waiting out their
 * throttle (at most one interval), so wallboards end on the last state. */
static void publish_remaining_boards(cp_consumer *c) {
    int64_t deadline = cp_now_mono_ms() + c->cfg->publish_interval_ms + 500;
    for (;;) {
        publish_boards(c);
        int marked = 0;
        for (size_t i = 0; i < c->boards.nboards; i++)
            marked |= c->boards.boards[i].dirty;
        if (!marked || cp_now_mono_ms() >= deadline)
            return;
        rd_kafka_poll(c->producer, 50);
    }
}

/* One log line of progress since the last one, when anything moved. */
static void log_progress(cp_consumer *c) {
    cp_metrics_values v;
    cp_metrics_snapshot(c->metrics, &v);
    uint64_t consumed = v.consumed - c->last_stats.consumed;
    if (consumed > 0)
        cp_info("progress: %llu consumed (%.0f/s), %llu valid, %llu dead letters; totals %llu "
                "consumed, %llu dead letters",
                (unsigned long long)consumed, consumed * 1000.0 / STATS_INTERVAL_MS,
                (unsigned long long)(cp_metrics_events_total(&v) -
                                     cp_metrics_events_total(&c->last_stats)),
                (unsigned long long)(cp_metrics_invalid_total(&v) -
                                     cp_metrics_invalid_total(&c->last_stats)),
                (unsigned long long)v.consumed, (unsigned long long)cp_metrics_invalid_total(&v));
    c->last_stats = v;
}

/* Has the partition no unread message, as far as the last fetch tells? */
static int caught_up(cp_consumer *c, const cp_partition *p) {
    int64_t lo = -1, hi = -1;
    return rd_kafka_get_watermark_offsets(c->rk, c->cfg->input_topic, p->partition, &lo, &hi) ==
               RD_KAFKA_RESP_ERR_NO_ERROR &&
           hi >= 0 && p->read_next >= 0 && hi <= p->read_next;
}

/* A quiet floor still moves (contract 3): a partition with no unread
 * message for windows.idle_s lets its clock follow the wall clock, never
 * ahead of it and never back, in steps of at least a second. A step is a
 * point of the batch like an event: its agents' windows slide and their
 * deadlines pass, it is stored, then committed with the partition. */
static void follow_wall_clock(cp_consumer *c, int64_t mono) {
    int64_t wall = cp_now_wall_ms(), quiet_ms = (int64_t)c->cfg->idle_s * 1000;
    int stalled = c->followed_ms && mono - c->followed_ms > STALL_MS;
    c->followed_ms = mono;
    if (quiet_ms <= 0)
        return;
    if (c->backoff_ms || c->paused || stalled) {
        /* While paused (Redis down) or stalled, fetches stopped: what the
         * last one said of the watermarks is stale and events may wait
         * unread. Quiet time counts again from here, after fresh fetches. */
        for (size_t i = 0; i < c->progress.n; i++)
            c->progress.parts[i].seen_ms = mono;
        return;
    }
    for (size_t i = 0; i < c->progress.n; i++) {
        cp_partition *p = &c->progress.parts[i];
        if (p->clock_ms == CP_CLOCK_UNSET || wall - p->clock_ms < 1000 ||
            mono - p->seen_ms < quiet_ms || !caught_up(c, p))
            continue;
        if (cp_batch_add_tick(&c->batch, p->partition, wall) != 0) {
            cp_warn("out of memory: partition %d's clock waits", (int)p->partition);
            return;
        }
        p->clock_ms = wall;
    }
}

static void service(cp_consumer *c) {
    int64_t now = cp_now_mono_ms();
    follow_wall_clock(c, now);
    cp_output_produce(&c->out, 0); /* recovered from outboxes, and retries */
    rd_kafka_poll(c->producer, 0);
    if (!c->engine.inflight && !c->backoff_ms) /* acknowledged: out of the outboxes */
        cp_engine_housekeeping(&c->engine);
    publish_boards(c);
    cp_deadletter_service(&c->dl, now);
    if (now >= c->next_commit_ms) {
        commit_progress(c, 0);
        c->next_commit_ms = now + c->cfg->commit_interval_ms;
    }
    publish_metrics(c);
    if (now >= c->next_lags_ms) {
        publish_lags(c);
        c->next_lags_ms = now + 1000;
    }
    if (now >= c->next_stats_ms) {
        log_progress(c);
        c->next_stats_ms = now + STATS_INTERVAL_MS;
    }
}

/* ---- setup and teardown ------------------------------------------------- */

static int create_clients(cp_consumer *c) {
    static const char *const producer_defaults[] = {
        "enable.idempotence", "true", "linger.ms", "0", "message.max.bytes", "2000000", NULL};
    static const char *const consumer_defaults[] = {"auto.offset.reset",
                                                    "earliest",
                                                    "partition.assignment.strategy",
                                                    "range,roundrobin",
                                                    "client.id",
                                                    "callpulse",
                                                    NULL};
    static const char *const consumer_required[] = {"enable.auto.commit",
                                                    "false",
                                                    "enable.auto.offset.store",
                                                    "false",
                                                    "enable.partition.eof",
                                                    "false",
                                                    NULL};
    rd_kafka_conf_t *conf;

    if (!(conf = cp_kafka_conf(c->cfg, producer_defaults, NULL, c->err, c->errsz)))
        return -1;
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, c);
    if (!(c->producer = cp_kafka_new(RD_KAFKA_PRODUCER, conf, c->err, c->errsz)))
        return -1;

    if (!(conf = cp_kafka_conf(c->cfg, consumer_defaults, consumer_required, c->err, c->errsz)))
        return -1;
    if (rd_kafka_conf_set(conf, "group.id", c->cfg->group_id, c->err, c->errsz) !=
        RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    rd_kafka_conf_set_offset_commit_cb(conf, on_commit);
    rd_kafka_conf_set_opaque(conf, c);
    if (!(c->rk = cp_kafka_new(RD_KAFKA_CONSUMER, conf, c->err, c->errsz)))
        return -1;
    rd_kafka_poll_set_consumer(c->rk);

    c->consumer_queue = rd_kafka_queue_get_consumer(c->rk);
    c->producer_queue = rd_kafka_queue_get_main(c->producer);
    rd_kafka_queue_cb_event_enable(c->producer_queue, on_producer_event, c->consumer_queue);
    return 0;
}

static int subscribe(cp_consumer *c) {
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, c->cfg->input_topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(c->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) {
        snprintf(c->err, c->errsz, "cannot subscribe to %s: %s", c->cfg->input_topic,
                 rd_kafka_err2str(err));
        return -1;
    }
    cp_info("consuming %s as group %s from %s", c->cfg->input_topic, c->cfg->group_id,
            c->cfg->brokers);
    return 0;
}

/* Finish, commit, leave the group, flush, destroy: the order matters
 * (rd_kafka_destroy hangs while objects of the instance are alive). */
static void shutdown_clients(cp_consumer *c) {
    if (c->rk) {
        decode_polled(c);
        if (apply_batch(c) != 0)
            cp_warn("batch in hand not stored (%s); it is replayed on restart",
                    c->engine.redis.err);
        cp_engine_housekeeping(&c->engine); /* boards, acknowledged messages */
        publish_remaining_boards(c);
        drain_deliveries(c, SHUTDOWN_FLUSH_MS);
        cp_engine_housekeeping(&c->engine); /* delete what was acknowledged */
        commit_progress(c, 1);
        rd_kafka_consumer_close(c->rk); /* revoke callback commits again */
    }
    if (c->producer_queue) {
        rd_kafka_queue_cb_event_enable(c->producer_queue, NULL, NULL);
        rd_kafka_queue_destroy(c->producer_queue);
    }
    if (c->consumer_queue)
        rd_kafka_queue_destroy(c->consumer_queue);
    if (c->rk)
        rd_kafka_destroy(c->rk);
    if (c->producer) {
        rd_kafka_flush(c->producer, SHUTDOWN_FLUSH_MS);
        rd_kafka_poll(c->producer, 0);
        cp_deadletter_destroy(&c->dl);
        cp_output_destroy(&c->out);
        rd_kafka_destroy(c->producer);
    }
    publish_metrics(c);
}

int cp_consumer_run(const cp_config *cfg, cp_metrics *metrics, cp_health *health, char *err,
                    size_t errsz) {
    cp_consumer c;
    int rc = -1;

    memset(&c, 0, sizeof(c));
    c.cfg = cfg;
    c.metrics = metrics;
    c.err = err;
    c.errsz = errsz;
    c.health = health;
    c.limits.max_bytes = (size_t)cfg->max_event_bytes;
    c.limits.future_skew_ms = (int64_t)cfg->future_skew_s * 1000;
    c.lateness_ms = (int64_t)cfg->lateness_s * 1000;
    cp_progress_init(&c.progress);
    cp_batch_init(&c.batch);
    cp_batch_init(&c.inflight);
    err[0] = '\0';
    if (cp_engine_init(&c.engine, cfg, err, errsz) != 0)
        goto done;
    if (cp_publisher_init(&c.boards, cfg, NULL, err, errsz) != 0)
        goto done;
    if (cp_decode_pool_init(&c.pool, cfg->decode_threads) != 0) {
        snprintf(err, errsz, "cannot start %d decoding threads", cfg->decode_threads);
        goto done;
    }

    c.msgs = calloc((size_t)cfg->batch_max, sizeof(*c.msgs));
    c.decoding = calloc((size_t)cfg->batch_max, sizeof(*c.decoding));
    if (!c.msgs || !c.decoding) {
        snprintf(err, errsz, "out of memory for a batch of %d messages", cfg->batch_max);
        goto done;
    }
    if (create_clients(&c) != 0)
        goto done;
    if (health)
        cp_health_set_kafka(health, c.rk);
    cp_deadletter_init(&c.dl, c.producer, cfg->dlq_topic, &c.progress);
    cp_output_init(&c.out, c.producer, cfg, &c.engine, metrics);
    c.boards.producer = c.producer;
    if (subscribe(&c) != 0)
        goto done;
    c.next_commit_ms = cp_now_mono_ms() + cfg->commit_interval_ms;
    c.next_stats_ms = cp_now_mono_ms() + STATS_INTERVAL_MS;

    while (!cp_rt.stop && !c.fatal) {
        gather(&c);
        start_decode(&c);
        pump(&c); /* stores the previous batch while threads decode this one */
        finish_decode(&c);
        service(&c);
    }
    if (!c.fatal) {
        cp_info("stop requested (signal %d): finishing", (int)cp_rt.signal);
        rc = 0;
    }
done:
    if (health)
        cp_health_set_kafka(health, NULL);
    shutdown_clients(&c);
    cp_progress_clear(&c.progress);
    cp_engine_free(&c.engine);
    cp_publisher_free(&c.boards);
    cp_decode_pool_destroy(&c.pool);
    free(c.decoded);
    free(c.scratch);
    free(c.decoding);
    cp_batch_free(&c.batch);
    cp_batch_free(&c.inflight);
    free(c.msgs);
    return rc;
}
