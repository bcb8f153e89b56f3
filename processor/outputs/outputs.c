/* outputs.c -- the producer and its senders in the consumer loop
 * (outputs.h). */
#include "outputs.h"

#include <string.h>

#include "kafka_io.h"
#include "log.h"
#include "produce.h"

#define CLOSE_FLUSH_MS 5000 /* wait for the last acknowledgements */

/* The engine's board watch: the board is marked for publishing. */
static void board_changed(void *ctx, const char *board, int64_t as_of) {
    cp_publisher_mark(ctx, board, as_of);
}

int cp_outputs_init(cp_outputs *o, const cp_config *cfg, cp_engine *engine, cp_progress *progress,
                    cp_metrics *metrics, char *err, size_t errsz) {
    memset(o, 0, sizeof(*o));
    o->cfg = cfg;
    o->progress = progress;
    if (cp_publisher_init(&o->boards, cfg, NULL, err, errsz) != 0)
        return -1;
    if (!(o->producer = cp_producer_new(cfg, err, errsz)))
        return -1;
    o->boards.producer = o->producer;
    cp_output_init(&o->messages, o->producer, cfg, engine, metrics);
    cp_deadletter_init(&o->dl, o->producer, cfg->dlq_topic, progress);
    cp_engine_watch_boards(engine, board_changed, &o->boards);
    return 0;
}

/* The producer's queue became non-empty: wake the consumer poll. */
static void on_producer_event(rd_kafka_t *rk, void *opaque) {
    (void)rk;
    rd_kafka_queue_yield(opaque);
}

void cp_outputs_wake(cp_outputs *o, rd_kafka_queue_t *consumer_queue) {
    if (o->wake) {
        rd_kafka_queue_cb_event_enable(o->wake, NULL, NULL);
        rd_kafka_queue_destroy(o->wake);
        o->wake = NULL;
    }
    if (consumer_queue && o->producer) {
        o->wake = rd_kafka_queue_get_main(o->producer);
        rd_kafka_queue_cb_event_enable(o->wake, on_producer_event, consumer_queue);
    }
}

void cp_outputs_poll(cp_outputs *o) {
    rd_kafka_poll(o->producer, 0);
}

void cp_outputs_send(cp_outputs *o, int64_t taken_ms) {
    cp_output_produce(&o->messages, taken_ms);
    rd_kafka_poll(o->producer, 0);
}

/* Boards the engine changed are published when due (their own Redis
 * connection: never blocked behind a batch). */
static void publish_boards(cp_outputs *o) {
    /* at every assignment: partitions (and the boards their agents are on)
     * may come from a process that died with board messages unacknowledged */
    if (o->boards_done != o->progress->generation && o->progress->n > 0 &&
        cp_publisher_recover(&o->boards) == 0)
        o->boards_done = o->progress->generation;
    if (cp_publisher_run(&o->boards) < 0)
        cp_debug("leaderboard publishing waits for Redis: %s", o->boards.redis.err);
}

void cp_outputs_service(cp_outputs *o, int64_t now_ms) {
    publish_boards(o);
    cp_deadletter_service(&o->dl, now_ms);
}

int64_t cp_outputs_next_due(const cp_outputs *o, int64_t now_ms) {
    return cp_publisher_next_due(&o->boards, now_ms);
}

void cp_outputs_publish_remaining(cp_outputs *o) {
    int64_t deadline = cp_now_mono_ms() + o->cfg->publish_interval_ms + 500;
    for (;;) {
        publish_boards(o);
        if (!cp_publisher_marked(&o->boards) || cp_now_mono_ms() >= deadline)
            return;
        rd_kafka_poll(o->producer, 50);
    }
}

void cp_outputs_drain(cp_outputs *o, int timeout_ms) {
    int64_t deadline = cp_now_mono_ms() + timeout_ms;
    cp_output_produce(&o->messages, 0);
    while ((cp_progress_pending_total(o->progress) > 0 || o->messages.in_flight > 0 ||
            o->boards.in_flight > 0) &&
           cp_now_mono_ms() < deadline) {
        rd_kafka_poll(o->producer, 50);
        cp_deadletter_service(&o->dl, cp_now_mono_ms());
    }
    if (o->messages.in_flight > 0)
        cp_warn("%zu alert(s) or reward(s) not acknowledged in time; they stay in their outboxes",
                o->messages.in_flight);
    if (cp_progress_pending_total(o->progress) > 0)
        cp_warn("%zu dead letter(s) not acknowledged in time; their offsets stay uncommitted",
                cp_progress_pending_total(o->progress));
}

void cp_outputs_count(cp_outputs *o, cp_metrics_values *v) {
    cp_outputs_counted now = {o->dl.acked, o->messages.acked, o->messages.failed,
                              o->boards.published, o->boards.unchanged};
    v->dlq_acked += now.dlq_acked - o->counted.dlq_acked;
    v->outputs_acked += now.outputs_acked - o->counted.outputs_acked;
    v->outputs_failed += now.outputs_failed - o->counted.outputs_failed;
    v->board_publishes += now.board_publishes - o->counted.board_publishes;
    v->board_unchanged += now.board_unchanged - o->counted.board_unchanged;
    o->counted = now;
}

void cp_outputs_close(cp_outputs *o) {
    cp_outputs_wake(o, NULL);
    if (!o->producer)
        return;
    rd_kafka_flush(o->producer, CLOSE_FLUSH_MS);
    rd_kafka_poll(o->producer, 0);
    cp_deadletter_destroy(&o->dl);
    cp_output_destroy(&o->messages);
    rd_kafka_destroy(o->producer);
    o->producer = NULL;
}

void cp_outputs_free(cp_outputs *o) {
    cp_publisher_free(&o->boards);
}
