/* output.c -- producing alerts and rewards (output.h).
 *
 * Each message carries a heap token with its delivery handle (produce.h):
 * which outbox entry it is and when its batch was taken from Kafka. A
 * message not produced, or not delivered, waits in the retry list with a
 * copy of its JSON and is produced again after RETRY_MS, in order. */
#include "output.h"

#include <stdlib.h>
#include <string.h>

#include "kafka_io.h"
#include "log.h"
#include "produce.h"

#define RETRY_MS 1000

typedef struct out_token {
    cp_delivery d; /* must stay first */
    cp_emit_kind emit;
    char agent[CP_AGENT_ID_MAX + 1];
    char id[256];
    int64_t taken_ms;
} out_token;

void cp_output_init(cp_output *o, rd_kafka_t *producer, const cp_config *cfg, cp_engine *engine,
                    cp_metrics *metrics) {
    memset(o, 0, sizeof(*o));
    o->producer = producer;
    o->cfg = cfg;
    o->engine = engine;
    o->metrics = metrics;
    /* an outbox read again (a reload, an assignment) never queues what is
     * queued, in flight, retrying or acknowledged and not yet deleted */
    cp_outbox_track(cp_engine_outbox(engine));
}

static void on_delivery(cp_delivery *d, const rd_kafka_message_t *rkm);

/* 0 when handed to librdkafka; the message stays ours on failure. */
static int produce_one(cp_output *o, cp_outmsg *m, int64_t taken_ms) {
    out_token *t = malloc(sizeof(*t));
    if (!t)
        return -1;
    t->d = (cp_delivery){on_delivery, o};
    t->emit = m->kind;
    memcpy(t->agent, m->agent, sizeof(t->agent));
    memcpy(t->id, m->id, sizeof(t->id));
    t->taken_ms = taken_ms;
    const char *topic = m->kind == CP_EMIT_ALERT ? o->cfg->alerts_topic : o->cfg->rewards_topic;
    cp_record r = {topic, m->agent, strlen(m->agent), m->json, strlen(m->json), NULL};
    rd_kafka_resp_err_t err = cp_produce(o->producer, &r, &t->d);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        cp_error("cannot produce %s to %s: %s", m->id, topic, rd_kafka_err2str(err));
        free(t);
        return -1;
    }
    o->in_flight++;
    return 0;
}

void cp_output_produce(cp_output *o, int64_t taken_ms) {
    cp_outbox *out = cp_engine_outbox(o->engine);
    int64_t now = cp_now_mono_ms();
    for (size_t i = 0; i < out->n; i++) {
        cp_outmsg *m = &out->v[i];
        if (produce_one(o, m, taken_ms) != 0) {
            m->due_ms = now + RETRY_MS;
            if (cp_outbox_push(&o->retry, m->kind, m->agent, m->id, m->json) == 0)
                o->retry.v[o->retry.n - 1].due_ms = m->due_ms;
            else /* out of memory: the next read of its outbox queues it */
                cp_outbox_release(out, m->agent, m->id);
            m->json = NULL;
        }
    }
    cp_outbox_clear(out);
    /* due retries: produce those, keep the rest in order */
    size_t keep = 0;
    for (size_t i = 0; i < o->retry.n; i++) {
        cp_outmsg *m = &o->retry.v[i];
        if (m->due_ms <= now && produce_one(o, m, 0) == 0) {
            free(m->json);
            continue;
        }
        if (m->due_ms <= now)
            m->due_ms = now + RETRY_MS;
        o->retry.v[keep++] = *m;
    }
    o->retry.n = keep;
}

/* The broker's report on one alert or reward (a cp_delivery_fn). */
static void on_delivery(cp_delivery *d, const rd_kafka_message_t *rkm) {
    out_token *t = (out_token *)d;
    cp_output *o = d->sender;
    o->in_flight--;
    if (rkm->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        o->acked++;
        cp_engine_delivered(o->engine, t->agent, t->id);
        if (t->taken_ms)
            cp_metrics_output_latency(o->metrics, (double)(cp_now_mono_ms() - t->taken_ms));
    } else {
        o->failed++;
        cp_warn("%s not delivered (%s); produced again in %d ms", t->id, rd_kafka_err2str(rkm->err),
                RETRY_MS);
        char *json = cp_copy_bytes(rkm->payload, rkm->len);
        if (json && cp_outbox_push(&o->retry, t->emit, t->agent, t->id, json) == 0)
            o->retry.v[o->retry.n - 1].due_ms = cp_now_mono_ms() + RETRY_MS;
        else /* out of memory: the next read of its outbox queues it */
            cp_outbox_release(cp_engine_outbox(o->engine), t->agent, t->id);
    }
    free(t);
}

void cp_output_destroy(cp_output *o) {
    cp_outbox_free(&o->retry);
}
