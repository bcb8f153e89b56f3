/* consumer.c -- the consumer group loop of `callpulse run` (consumer.h).
 *
 * One thread does everything, in the shape of librdkafka's
 * examples/consumer.c:
 *
 *   gather   rd_kafka_consumer_poll() for the first message (returns the
 *            moment one is there), then without waiting up to batch_max;
 *   decode   and judge each message (judge.h): a rejected one is produced
 *            to the DLQ and stays pending until acknowledged; an accepted
 *            one advances its partition's event-time clock and joins the
 *            batch in hand;
 *   apply    hand the batch to the KPI engine (apply.h): only when Redis
 *            has stored it are its messages handled (and their offsets
 *            committable) and its alerts and rewards produced;
 *   service  quiet partitions' clocks follow the wall clock (wallclock.h);
 *            the outputs serve their delivery reports, retries and boards
 *            (outputs.h); progress is committed every
 *            kafka.commit_interval_ms.
 *
 * Redis works in parallel: a batch's writes are sent and the next batch is
 * gathered and decoded before their answers are read. When Redis is
 * unreachable the assigned partitions are paused (the poll keeps the group
 * membership alive but fetches nothing) until what is in hand is stored.
 *
 * The producer's queue wakes the consumer poll when a delivery report
 * arrives, so acknowledgements are never left waiting for a poll timeout.
 * Offsets are committed by us (enable.auto.commit=false) with the
 * partition clock as metadata; see progress.h. This file is the librdkafka
 * side: poll, rebalance, commit, shutdown. */
#include "consumer.h"

#include <stdlib.h>
#include <string.h>

#include "apply.h"
#include "engine.h"
#include "judge.h"
#include "kafka_io.h"
#include "log.h"
#include "outputs.h"
#include "progress.h"
#include "wallclock.h"

#define POLL_IDLE_MS      200  /* longest sleep in poll when nothing arrives */
#define SHUTDOWN_FLUSH_MS 5000 /* wait for dead-letter acks on shutdown */
#define REVOKE_FLUSH_MS   5000 /* ... and before giving partitions away */
#define COMMITTED_TIMEOUT 10000
#define SEEK_TIMEOUT_MS   10000 /* a rewind waits until no earlier fetch can arrive */
#define STATS_INTERVAL_MS 10000 /* a progress line in the log */

typedef struct cp_consumer {
    const cp_config *cfg;
    cp_metrics *metrics;
    cp_metrics_values local; /* counters not yet published */
    int64_t next_lags_ms;
    rd_kafka_t *rk; /* consumer */
    rd_kafka_queue_t *consumer_queue;
    cp_progress progress;
    cp_engine engine;
    cp_judge judge;         /* polled messages -> batch or dead letters */
    cp_applier apply;       /* batches -> Redis */
    cp_outputs outputs;     /* the producer and its senders */
    cp_wallclock wallclock; /* quiet partitions' clocks */
    int paused;             /* partitions paused while Redis is down */
    cp_health *health;      /* lent the consumer handle; may be NULL */
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

/* The engine's holds on the read positions (engine.h: write-behind). */
static void hold_at(void *ctx, const cp_hold *h) {
    cp_progress_hold(ctx, h->partition, h->offset, h->clock_ms);
}

static void note_holds(cp_consumer *c) {
    cp_progress_holds_clear(&c->progress);
    cp_engine_holds(&c->engine, hold_at, &c->progress);
}

/* Commit what is safely handled. sync: wait for the broker's answer. */
static void commit_progress(cp_consumer *c, int sync) {
    note_holds(c);
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

/* ---- metrics ------------------------------------------------------------ */

static void publish_metrics(cp_consumer *c) {
    cp_outputs_count(&c->outputs, &c->local);
    cp_metrics_add(c->metrics, &c->local);
    memset(&c->local, 0, sizeof(c->local));
    if (c->apply.stored_latency.count) {
        cp_metrics_add_stored_latency(c->metrics, &c->apply.stored_latency);
        memset(&c->apply.stored_latency, 0, sizeof(c->apply.stored_latency));
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

/* ---- batches ------------------------------------------------------------ */

/* Decode and judge everything polled; out of memory stops the processor. */
static void judge_polled(cp_consumer *c) {
    if (cp_judge_all(&c->judge, c->err, c->errsz) != 0)
        c->fatal = 1;
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

/* Move batches along (apply.h); fetches stop while Redis is down. */
static void pump(cp_consumer *c) {
    cp_apply_turn turn = cp_applier_pump(&c->apply, cp_now_mono_ms());
    if (turn == CP_APPLY_PAUSE)
        set_paused(c, 1);
    else if (turn == CP_APPLY_RESUME)
        set_paused(c, 0);
}

/* Drop the messages in hand unprocessed (their partitions were lost). */
static void discard_batch(cp_consumer *c) {
    cp_judge_discard(&c->judge);
    cp_applier_discard(&c->apply);
}

/* ---- rebalance ---------------------------------------------------------- */

/* Progress and the engine start over at parts' offsets and clocks. */
static void take_positions(cp_consumer *c, const rd_kafka_topic_partition_list_t *parts) {
    if (cp_progress_assign(&c->progress, parts) != 0) {
        snprintf(c->err, c->errsz, "out of memory on partition assignment");
        c->fatal = 1;
    }
    for (size_t i = 0; i < c->progress.n; i++) /* quiet from now on, if nothing comes */
        c->progress.parts[i].seen_ms = cp_now_mono_ms();
    cp_part_clock *clocks = malloc(sizeof(*clocks) * (size_t)(parts->cnt + 1));
    for (int i = 0; i < parts->cnt; i++) {
        const cp_partition *part = cp_progress_find(&c->progress, parts->elems[i].partition);
        int64_t clock = part && part->clock_ms != CP_CLOCK_UNSET ? part->clock_ms : CP_NO_CLOCK;
        if (clocks)
            clocks[i] =
                (cp_part_clock){parts->elems[i].partition, clock, clock,
                                parts->elems[i].offset >= 0 ? parts->elems[i].offset : -1, 0};
    }
    if (!clocks || cp_engine_assign(&c->engine, clocks, (size_t)parts->cnt) != 0)
        cp_error("out of memory noting the assigned partitions: their quiet agents are read "
                 "when an event of theirs comes, not before");
    free(clocks);
}

static void on_assign(cp_consumer *c, rd_kafka_topic_partition_list_t *parts) {
    rd_kafka_resp_err_t err = rd_kafka_committed(c->rk, parts, COMMITTED_TIMEOUT);
    if (err)
        cp_warn("cannot read committed offsets (%s); partition clocks restart empty",
                rd_kafka_err2str(err));
    take_positions(c, parts);
    for (int i = 0; i < parts->cnt; i++) {
        if (parts->elems[i].offset >= 0)
            cp_info("assigned %s [%d] at committed offset %lld", parts->elems[i].topic,
                    (int)parts->elems[i].partition, (long long)parts->elems[i].offset);
        else /* RD_KAFKA_OFFSET_INVALID: auto.offset.reset decides */
            cp_info("assigned %s [%d] with no committed offset (auto.offset.reset applies)",
                    parts->elems[i].topic, (int)parts->elems[i].partition);
    }
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
        judge_polled(c);
        if (cp_applier_flush(&c->apply) != 0) /* in hand, and the writes behind */
            cp_warn("batch in hand not stored (%s); the next owner replays it",
                    c->engine.redis.err);
        cp_outputs_drain(&c->outputs, REVOKE_FLUSH_MS);
        cp_engine_housekeeping(&c->engine);
        commit_progress(c, 1);
    }
    discard_batch(c);
    cp_engine_revoke(&c->engine);
    cp_progress_clear(&c->progress);
    cp_applier_reset(&c->apply);
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

/* How long the poll may sleep when no message comes: until the next
 * thing due (a Redis retry, a board's publish turn), at most POLL_IDLE_MS;
 * not at all while a batch's answers are due. */
static int poll_timeout(cp_consumer *c) {
    int64_t now = cp_now_mono_ms(), wake = cp_outputs_next_due(&c->outputs, now);
    if (cp_applier_waiting(&c->apply)) { /* a batch waits for Redis: until its retry */
        if (c->apply.retry_at < wake)
            wake = c->apply.retry_at;
    } else if (c->engine.inflight) {
        return 0;
    }
    int64_t left = wake - now;
    return left <= 0 ? 0 : left < POLL_IDLE_MS ? (int)left : POLL_IDLE_MS;
}

/* Poll until the batch is full or no message is immediately available. */
static void gather(cp_consumer *c) {
    int timeout = poll_timeout(c);
    while (cp_judge_room(&c->judge) && !cp_rt.stop && !c->fatal) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, timeout);
        if (!m)
            return;
        if (m->err) {
            consumer_error(c, m);
            continue;
        }
        cp_judge_hold(&c->judge, m, cp_now_mono_ms());
        timeout = 0;
    }
}

/* What waits unread behind the batch just judged, per partition (the
 * watermarks of the last fetches; no request is sent): where messages
 * wait, writes may be left behind (engine.h: write-behind). The batch is
 * part of a backlog when any partition waits. */
static void note_backlog(cp_consumer *c) {
    int64_t waiting = 0;
    for (size_t i = 0; i < c->progress.n; i++) {
        cp_partition *p = &c->progress.parts[i];
        int64_t lo = -1, hi = -1;
        p->waiting = 0;
        if (rd_kafka_get_watermark_offsets(c->rk, c->cfg->input_topic, p->partition, &lo, &hi) ==
                RD_KAFKA_RESP_ERR_NO_ERROR &&
            p->read_next >= 0 && hi > p->read_next)
            p->waiting = hi - p->read_next;
        waiting += p->waiting;
    }
    c->apply.batch.backlog = waiting > 0;
}

/* Agents whose writes the engine left behind were lost (engine.h): every
 * assigned partition is read again from where nothing is lost (its safe
 * position, holds included) with the clock it had there, as after a
 * restart; replays are skipped by offset. What is in hand is dropped. */
static void rewind_partitions(cp_consumer *c) {
    note_holds(c);
    rd_kafka_topic_partition_list_t *at = cp_progress_positions(&c->progress, c->cfg->input_topic);
    rd_kafka_topic_partition_list_t *seek = rd_kafka_topic_partition_list_new(at ? at->cnt : 1);
    cp_hold *from = malloc(sizeof(*from) * (c->progress.n + 1));
    int64_t *until = malloc(sizeof(*until) * (c->progress.n + 1));
    rd_kafka_error_t *error = NULL;
    if (!at || !seek || !from || !until) {
        snprintf(c->err, c->errsz, "out of memory reading partitions again");
        c->fatal = 1;
        goto done;
    }
    for (int i = 0; i < at->cnt; i++)
        if (at->elems[i].offset >= 0)
            rd_kafka_topic_partition_list_add(seek, at->elems[i].topic, at->elems[i].partition)
                ->offset = at->elems[i].offset;
    cp_warn("writes left behind were lost (%s); reading %d partition(s) again from their holds",
            c->engine.err, seek->cnt);
    c->local.rewinds++;
    size_t n = 0; /* from where, and until where they were handled */
    for (int i = 0; i < at->cnt && n < c->progress.n; i++) {
        const cp_partition *part = cp_progress_find(&c->progress, at->elems[i].partition);
        int64_t clock = CP_NO_CLOCK;
        if (!part || at->elems[i].offset < 0)
            continue;
        cp_progress_metadata_parse(at->elems[i].metadata, at->elems[i].metadata_size, &clock);
        from[n] = (cp_hold){part->partition, at->elems[i].offset, clock};
        until[n++] = part->next;
    }
    discard_batch(c);
    cp_engine_rewind(&c->engine, from, until, n);
    cp_applier_reset(&c->apply);
    if (cp_progress_assign(&c->progress, at) != 0) {
        snprintf(c->err, c->errsz, "out of memory reading partitions again");
        c->fatal = 1;
        goto done;
    }
    for (size_t i = 0; i < c->progress.n; i++) /* quiet from now on, if nothing comes */
        c->progress.parts[i].seen_ms = cp_now_mono_ms();
    if (seek->cnt > 0 && (error = rd_kafka_seek_partitions(c->rk, seek, SEEK_TIMEOUT_MS))) {
        snprintf(c->err, c->errsz, "cannot read partitions again: %s",
                 rd_kafka_error_string(error));
        c->fatal = 1; /* a restart reads them from the commits, which held */
        goto done;
    }
    for (int i = 0; i < seek->cnt; i++) {
        if (seek->elems[i].err) {
            snprintf(c->err, c->errsz, "cannot read partition %d again: %s",
                     (int)seek->elems[i].partition, rd_kafka_err2str(seek->elems[i].err));
            c->fatal = 1;
        }
    }
    set_paused(c, 0);
done:
    free(from);
    free(until);
    if (error)
        rd_kafka_error_destroy(error);
    if (at)
        rd_kafka_topic_partition_list_destroy(at);
    if (seek)
        rd_kafka_topic_partition_list_destroy(seek);
}

static void service(cp_consumer *c) {
    int64_t now = cp_now_mono_ms();
    int waiting = cp_applier_waiting(&c->apply);
    cp_wallclock_follow(&c->wallclock, c->rk, c->cfg->input_topic, &c->progress, &c->apply.batch,
                        waiting || c->paused, now);
    cp_outputs_send(&c->outputs, 0);     /* recovered from outboxes, and retries */
    if (!c->engine.inflight && !waiting) /* acknowledged: out of the outboxes */
        cp_engine_housekeeping(&c->engine);
    cp_outputs_service(&c->outputs, now);
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

/* Latency defaults (README "Configuration"): a broker holds a fetch at
 * most 10 ms (librdkafka's default is 500). Real Kafka answers a fetch as
 * soon as data is there, but a partition that becomes fetchable while a
 * held fetch is in flight (resumed after a Redis outage, newly assigned)
 * waits for that fetch to return, and the embedded broker holds every
 * fetch for the whole wait (README "Embedded broker"). No Nagle delay on
 * the socket. The cost: about 100 fetch requests a second per broker while
 * the input is idle. */
static int create_consumer(cp_consumer *c) {
    static const char *const consumer_defaults[] = {"auto.offset.reset",
                                                    "earliest",
                                                    "partition.assignment.strategy",
                                                    "range,roundrobin",
                                                    "client.id",
                                                    "callpulse",
                                                    "fetch.wait.max.ms",
                                                    "10",
                                                    "socket.nagle.disable",
                                                    "true",
                                                    NULL};
    static const char *const consumer_required[] = {"enable.auto.commit",
                                                    "false",
                                                    "enable.auto.offset.store",
                                                    "false",
                                                    "enable.partition.eof",
                                                    "false",
                                                    NULL};
    rd_kafka_conf_t *conf =
        cp_kafka_conf(c->cfg, consumer_defaults, consumer_required, c->err, c->errsz);
    if (!conf)
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
    cp_outputs_wake(&c->outputs, c->consumer_queue);
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
        judge_polled(c);
        if (cp_applier_flush(&c->apply) != 0) /* in hand, and the writes behind */
            cp_warn("batch in hand not stored (%s); it is replayed on restart",
                    c->engine.redis.err);
        cp_engine_housekeeping(&c->engine); /* boards, acknowledged messages */
        cp_outputs_publish_remaining(&c->outputs);
        cp_outputs_drain(&c->outputs, SHUTDOWN_FLUSH_MS);
        cp_engine_housekeeping(&c->engine); /* delete what was acknowledged */
        commit_progress(c, 1);
        rd_kafka_consumer_close(c->rk); /* revoke callback commits again */
    }
    cp_outputs_wake(&c->outputs, NULL); /* before the queue it wakes goes */
    if (c->consumer_queue)
        rd_kafka_queue_destroy(c->consumer_queue);
    if (c->rk)
        rd_kafka_destroy(c->rk);
    cp_outputs_close(&c->outputs);
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
    cp_progress_init(&c.progress);
    cp_applier_init(&c.apply, &c.engine, &c.progress, &c.outputs, health, &c.local);
    cp_wallclock_init(&c.wallclock, cfg);
    err[0] = '\0';
    if (cp_engine_init(&c.engine, cfg, err, errsz) != 0)
        goto done;
    if (cp_judge_init(&c.judge, cfg, &c.progress, &c.apply.batch, &c.outputs.dl, &c.local, err,
                      errsz) != 0)
        goto done;
    if (cp_outputs_init(&c.outputs, cfg, &c.engine, &c.progress, metrics, err, errsz) != 0)
        goto done;
    if (create_consumer(&c) != 0)
        goto done;
    if (health)
        cp_health_set_kafka(health, c.rk);
    if (subscribe(&c) != 0)
        goto done;
    c.next_commit_ms = cp_now_mono_ms() + cfg->commit_interval_ms;
    c.next_stats_ms = cp_now_mono_ms() + STATS_INTERVAL_MS;

    while (!cp_rt.stop && !c.fatal) {
        gather(&c);
        if (cp_judge_start(&c.judge, err, errsz) != 0)
            c.fatal = 1;
        pump(&c); /* stores the previous batch while threads decode this one */
        cp_judge_finish(&c.judge);
        note_backlog(&c);
        if (cp_engine_lost_behind(&c.engine))
            rewind_partitions(&c);
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
    cp_outputs_free(&c.outputs);
    cp_judge_free(&c.judge);
    cp_applier_free(&c.apply);
    return rc;
}
