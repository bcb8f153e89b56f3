/* deadletter.c -- producing rejected input to the DLQ topic (deadletter.h).
 *
 * Each dead letter carries a heap token with its delivery handle
 * (produce.h): which input partition/offset it stands for and in which
 * assignment generation. The token lives until the broker acknowledges the
 * dead letter. A failed delivery is copied (key, value, headers) into the
 * retry list and produced again after a backoff that doubles from 250 ms
 * up to 30 s. */
#include "deadletter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka_io.h"
#include "log.h"
#include "produce.h"

#define RETRY_BASE_MS 250
#define RETRY_MAX_MS  30000

typedef struct dl_token {
    cp_delivery d; /* must stay first */
    int32_t partition;
    int64_t offset;
    uint64_t generation;
    int attempts;
} dl_token;

struct cp_dl_retry {
    dl_token *token;
    void *key, *value;
    size_t key_len, value_len;
    int key_null, value_null;
    rd_kafka_headers_t *headers;
    int64_t due_ms;
    cp_dl_retry *next;
};

void cp_deadletter_init(cp_deadletter *dl, rd_kafka_t *producer, const char *topic,
                        cp_progress *progress) {
    memset(dl, 0, sizeof(*dl));
    dl->producer = producer;
    dl->topic = topic;
    dl->progress = progress;
}

static void on_delivery(cp_delivery *d, const rd_kafka_message_t *rkm);

/* Produce (produce.h). Headers are owned by librdkafka on success and stay
 * ours on failure. */
static rd_kafka_resp_err_t produce(cp_deadletter *dl, const void *key, size_t key_len,
                                   const void *value, size_t value_len, rd_kafka_headers_t *headers,
                                   dl_token *token) {
    cp_record r = {dl->topic, key, key_len, value, value_len, headers};
    return cp_produce(dl->producer, &r, &token->d);
}

int cp_deadletter_send(cp_deadletter *dl, const rd_kafka_message_t *msg, cp_partition *part,
                       cp_reject reason, const char *detail, char *err, size_t errsz) {
    char source[512];
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(3);
    dl_token *token = calloc(1, sizeof(*token));
    rd_kafka_resp_err_t kerr;

    if (!token || cp_progress_pending_add(part, msg->offset) != 0) {
        snprintf(err, errsz, "out of memory queueing a dead letter");
        goto fail;
    }
    snprintf(source, sizeof(source), "%s/%d/%lld", rd_kafka_topic_name(msg->rkt),
             (int)msg->partition, (long long)msg->offset);
    rd_kafka_header_add(hdrs, "callpulse.error", -1, cp_reject_name(reason), -1);
    rd_kafka_header_add(hdrs, "callpulse.error.detail", -1, detail, -1);
    rd_kafka_header_add(hdrs, "callpulse.source", -1, source, -1);
    *token =
        (dl_token){{on_delivery, dl}, msg->partition, msg->offset, dl->progress->generation, 1};
    kerr = produce(dl, msg->key, msg->key_len, msg->payload, msg->len, hdrs, token);
    if (kerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(err, errsz, "cannot produce dead letter of %s: %s", source,
                 rd_kafka_err2str(kerr));
        goto fail;
    }
    dl->sent++;
    return 0;
fail:
    rd_kafka_headers_destroy(hdrs);
    free(token);
    return -1;
}

/* Keep a copy of a failed dead letter for a later attempt. */
static void queue_retry(cp_deadletter *dl, const rd_kafka_message_t *rkm, dl_token *token) {
    rd_kafka_headers_t *hdrs = NULL;
    cp_dl_retry *r = calloc(1, sizeof(*r));

    if (!r)
        goto oom;
    r->key_null = rkm->key == NULL;
    r->value_null = rkm->payload == NULL;
    r->key = cp_copy_bytes(rkm->key, rkm->key_len);
    r->value = cp_copy_bytes(rkm->payload, rkm->len);
    if (!r->key || !r->value)
        goto oom;
    r->key_len = rkm->key_len;
    r->value_len = rkm->len;
    if (rd_kafka_message_headers(rkm, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR)
        r->headers = rd_kafka_headers_copy(hdrs);
    r->token = token;
    r->due_ms = cp_now_mono_ms() + cp_retry_delay_ms(token->attempts, RETRY_BASE_MS, RETRY_MAX_MS);
    r->next = dl->retries;
    dl->retries = r;
    return;
oom:
    /* The offset stays pending: it is never committed, so a restart
     * replays the input message and dead-letters it again. */
    cp_error("out of memory keeping dead letter %d/%lld for retry", (int)token->partition,
             (long long)token->offset);
    if (r) {
        free(r->key);
        free(r->value);
    }
    free(r);
    free(token);
}

/* The broker's report on one dead letter (a cp_delivery_fn). */
static void on_delivery(cp_delivery *d, const rd_kafka_message_t *rkm) {
    dl_token *token = (dl_token *)d;
    cp_deadletter *dl = d->sender;
    if (rkm->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        dl->acked++;
        cp_progress_pending_done(dl->progress, token->generation, token->partition, token->offset);
        free(token);
        return;
    }
    dl->failed++;
    cp_error("dead letter of input partition %d offset %lld not stored (attempt %d): %s",
             (int)token->partition, (long long)token->offset, token->attempts,
             rd_kafka_err2str(rkm->err));
    if (token->generation != dl->progress->generation) {
        free(token); /* partition moved on: its new owner re-reads the input */
        return;
    }
    queue_retry(dl, rkm, token);
}

static void free_retry(cp_dl_retry *r) {
    if (r->headers)
        rd_kafka_headers_destroy(r->headers);
    free(r->key);
    free(r->value);
    free(r);
}

void cp_deadletter_service(cp_deadletter *dl, int64_t now_ms) {
    cp_dl_retry **pp = &dl->retries;
    while (*pp) {
        cp_dl_retry *r = *pp;
        if (r->due_ms > now_ms) {
            pp = &r->next;
            continue;
        }
        *pp = r->next;
        r->token->attempts++;
        if (r->token->generation != dl->progress->generation) {
            free(r->token);
        } else if (produce(dl, r->key_null ? NULL : r->key, r->key_len,
                           r->value_null ? NULL : r->value, r->value_len, r->headers,
                           r->token) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            r->headers = NULL; /* now owned by librdkafka */
        } else {
            cp_error("dead letter of partition %d offset %lld cannot be produced; it stays "
                     "uncommitted and is retried after a restart",
                     (int)r->token->partition, (long long)r->token->offset);
            free(r->token);
        }
        free_retry(r);
    }
}

void cp_deadletter_destroy(cp_deadletter *dl) {
    while (dl->retries) {
        cp_dl_retry *r = dl->retries;
        dl->retries = r->next;
        free(r->token);
        free_retry(r);
    }
}
