/* judge.c -- decoding polled messages and judging them in order into the
 * batch or the dead-letter topic (judge.h). */
#include "judge.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "kafka_io.h"
#include "log.h"

int cp_judge_init(cp_judge *j, const cp_config *cfg, cp_progress *progress, cp_batch *batch,
                  cp_deadletter *dl, cp_metrics_values *local, char *err, size_t errsz) {
    memset(j, 0, sizeof(*j));
    j->limits.max_bytes = (size_t)cfg->max_event_bytes;
    j->limits.future_skew_ms = (int64_t)cfg->future_skew_s * 1000;
    j->lateness_ms = (int64_t)cfg->lateness_s * 1000;
    j->max_msgs = (size_t)cfg->batch_max;
    j->progress = progress;
    j->batch = batch;
    j->dl = dl;
    j->local = local;
    if (cp_decode_pool_init(&j->pool, cfg->decode_threads) != 0) {
        snprintf(err, errsz, "cannot start %d decoding threads", cfg->decode_threads);
        return -1;
    }
    j->msgs = calloc(j->max_msgs, sizeof(*j->msgs));
    j->decoding = calloc(j->max_msgs, sizeof(*j->decoding));
    if (!j->msgs || !j->decoding) {
        snprintf(err, errsz, "out of memory for a batch of %d messages", cfg->batch_max);
        return -1;
    }
    return 0;
}

void cp_judge_free(cp_judge *j) {
    cp_decode_pool_destroy(&j->pool);
    free(j->decoded);
    free(j->scratch);
    free(j->decoding);
    free(j->msgs);
}

int cp_judge_room(const cp_judge *j) {
    return j->n_msgs < j->max_msgs;
}

void cp_judge_hold(cp_judge *j, rd_kafka_message_t *m, int64_t now_ms) {
    if (j->n_msgs == 0)
        j->polled_ms = now_ms;
    j->msgs[j->n_msgs++] = m;
}

static void send_dead_letter(cp_judge *j, const rd_kafka_message_t *m, cp_partition *part,
                             cp_reject reason, const char *detail) {
    char err[CP_ERRBUF];
    j->local->invalid[reason]++;
    cp_debug("dead letter %d/%lld: %s: %s", (int)m->partition, (long long)m->offset,
             cp_reject_name(reason), detail);
    if (cp_deadletter_send(j->dl, m, part, reason, detail, err, sizeof(err)) != 0)
        cp_error("%s", err);
}

/* After decoding (decodepool.c): the checks that depend on order and state,
 * then the message is a dead letter or an accepted event kept in the batch.
 * ev is its decoded slot; accepted events are kept contiguous. */
static void judge_message(cp_judge *j, const rd_kafka_message_t *m, cp_event *ev, cp_decoded *d) {
    cp_partition *part = cp_progress_find(j->progress, m->partition);
    if (!part) /* not ours any more (revoked while in hand) */
        return;
    if (part->first_read < 0)
        part->first_read = m->offset;
    part->read_next = m->offset + 1;
    part->seen_ms = j->judged_ms;
    if (d->reject == CP_OK && m->key_len > j->limits.max_bytes) {
        d->reject = CP_REJ_TOO_LARGE;
        snprintf(d->detail, sizeof(d->detail), "message key is %zu bytes, the limit is %zu",
                 m->key_len, j->limits.max_bytes);
    }
    if (d->reject == CP_OK && part->clock_ms != CP_CLOCK_UNSET &&
        ev->ts_ms < part->clock_ms - j->lateness_ms) {
        d->reject = CP_REJ_TOO_LATE;
        snprintf(d->detail, sizeof(d->detail),
                 "ts is %lld ms behind partition %d's clock (lateness limit %lld ms)",
                 (long long)(part->clock_ms - ev->ts_ms), (int)m->partition,
                 (long long)j->lateness_ms);
    }
    cp_event *slot = d->reject == CP_OK ? cp_batch_slot(j->batch) : NULL;
    if (d->reject == CP_OK && !slot) {
        d->reject = CP_REJ_TOO_LARGE; /* out of memory: never silently dropped */
        snprintf(d->detail, sizeof(d->detail), "out of memory holding the event");
    }
    if (d->reject != CP_OK) {
        send_dead_letter(j, m, part, d->reject, d->detail);
    } else {
        if (part->clock_ms == CP_CLOCK_UNSET || ev->ts_ms > part->clock_ms)
            part->clock_ms = ev->ts_ms;
        if (slot != ev)
            *slot = *ev;
        cp_batch_commit_event(j->batch, m->partition, m->offset, part->clock_ms);
        j->local->events[slot->type]++;
    }
    if (cp_batch_add_message(j->batch, m->partition, m->offset, part->clock_ms,
                             rd_kafka_message_timestamp(m, NULL)) != 0)
        cp_error("out of memory: %d/%lld stays unhandled", (int)m->partition, (long long)m->offset);
}

/* Room for per-message outcomes (and decoded events when `scratch`). */
static int reserve_decoding(cp_judge *j, size_t n, int scratch) {
    if (cp_grow(j->decoded, j->capdecoded, n) != 0)
        return -1;
    return scratch ? cp_grow(j->scratch, j->capscratch, n) : 0;
}

/* Nothing of these messages may be committed: they are dropped, the
 * caller stops and a restart replays them. */
static int out_of_memory(rd_kafka_message_t **msgs, size_t n, char *err, size_t errsz) {
    snprintf(err, errsz, "out of memory decoding %zu messages", n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_message_destroy(msgs[i]);
    return -1;
}

/* Judge decoded messages in order and release them. */
static void judge_decoded(cp_judge *j, rd_kafka_message_t **msgs, cp_event *events, size_t n) {
    j->judged_ms = cp_now_mono_ms();
    for (size_t i = 0; i < n; i++) {
        judge_message(j, msgs[i], &events[i], &j->decoded[i]);
        rd_kafka_message_destroy(msgs[i]);
    }
    j->local->consumed += n;
    j->local->batches++;
    j->local->batch_events += n;
    j->local->batch_sizes[cp_batch_size_bucket(n)]++;
}

int cp_judge_start(cp_judge *j, char *err, size_t errsz) {
    size_t n = j->n_msgs;
    if (n == 0)
        return 0;
    if (j->batch->nmsgs == 0)
        j->batch->taken_ms = j->polled_ms;
    j->n_msgs = 0;
    if (!cp_decode_pool_parallel(&j->pool, n)) {
        cp_event *slots = reserve_decoding(j, n, 0) == 0 ? cp_batch_reserve(j->batch, n) : NULL;
        if (!slots)
            return out_of_memory(j->msgs, n, err, errsz);
        cp_decode_job job = {j->msgs, slots, j->decoded, n, cp_now_wall_ms(), &j->limits};
        cp_decode_pool_run(&j->pool, &job);
        judge_decoded(j, j->msgs, slots, n);
        return 0;
    }
    if (reserve_decoding(j, n, 1) != 0)
        return out_of_memory(j->msgs, n, err, errsz);
    rd_kafka_message_t **t = j->decoding; /* the poll buffer is free again */
    j->decoding = j->msgs;
    j->msgs = t;
    j->ndecoding = n;
    j->job = (cp_decode_job){j->decoding, j->scratch, j->decoded, n, cp_now_wall_ms(), &j->limits};
    cp_decode_pool_start(&j->pool, &j->job);
    return 0;
}

void cp_judge_finish(cp_judge *j) {
    if (j->ndecoding == 0)
        return;
    cp_decode_pool_wait(&j->pool);
    judge_decoded(j, j->decoding, j->scratch, j->ndecoding);
    j->ndecoding = 0;
}

int cp_judge_all(cp_judge *j, char *err, size_t errsz) {
    cp_judge_finish(j);
    int rc = cp_judge_start(j, err, errsz);
    cp_judge_finish(j);
    return rc;
}

void cp_judge_discard(cp_judge *j) {
    for (size_t i = 0; i < j->n_msgs; i++)
        rd_kafka_message_destroy(j->msgs[i]);
    j->n_msgs = 0;
}
