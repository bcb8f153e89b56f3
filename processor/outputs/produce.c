/* produce.c -- producing a message and routing its delivery report
 * (produce.h): the one produce call, its QUEUE_FULL loop and its error
 * path, for every sender. */
#include "produce.h"

#include <stdlib.h>
#include <string.h>

#include "kafka_io.h"

#define QUEUE_FULL_POLL_MS 10 /* serve delivery reports this long, then try again */

/* The producer's delivery report callback: the message's own handle. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque) {
    cp_delivery *d = rkm->_private;
    (void)rk;
    (void)opaque;
    if (d)
        d->on_delivery(d, rkm);
}

/* Outputs leave at once (linger.ms=0, no Nagle delay on the socket):
 * they come in bursts after each stored batch, which batch by themselves
 * while a request is in flight. Idempotence is required, not a default:
 * without it a retried request may duplicate or reorder a key's messages
 * (a board's seq order, contract 4); it implies acks=all. */
rd_kafka_t *cp_producer_new(const cp_config *cfg, char *err, size_t errsz) {
    static const char *const defaults[] = {
        "linger.ms", "0", "message.max.bytes", "2000000", "socket.nagle.disable", "true", NULL};
    static const char *const required[] = {"enable.idempotence", "true", NULL};
    rd_kafka_conf_t *conf = cp_kafka_conf(cfg, defaults, required, err, errsz);
    if (!conf)
        return NULL;
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    return cp_kafka_new(RD_KAFKA_PRODUCER, conf, err, errsz);
}

rd_kafka_resp_err_t cp_produce(rd_kafka_t *producer, const cp_record *r, cp_delivery *d) {
    for (;;) {
        rd_kafka_resp_err_t err = rd_kafka_producev(
            producer, RD_KAFKA_V_TOPIC(r->topic), RD_KAFKA_V_KEY(r->key, r->key_len),
            RD_KAFKA_V_VALUE((void *)r->value, r->value_len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(r->headers),
            RD_KAFKA_V_OPAQUE(d), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return err;
        rd_kafka_poll(producer, QUEUE_FULL_POLL_MS);
    }
}

char *cp_copy_bytes(const void *p, size_t n) {
    char *c = malloc(n + 1);
    if (!c)
        return NULL;
    if (n)
        memcpy(c, p, n);
    c[n] = '\0';
    return c;
}

int64_t cp_retry_delay_ms(int attempts, int64_t first_ms, int64_t max_ms) {
    int64_t delay = first_ms;
    for (int i = 1; i < attempts && delay < max_ms; i++)
        delay *= 2;
    return delay < max_ms ? delay : max_ms;
}
