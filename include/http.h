/* http.h -- the operations endpoint on http.listen (contract 7), served by
 * libmicrohttpd on its own thread:
 *
 *   GET /metrics   the metrics in Prometheus text format (metrics.h)
 *   GET /healthz   200 "ok", or 503 with the reason while Redis or Kafka
 *                  cannot be reached (health.h)
 *
 * Anything else is 404; methods other than GET and HEAD are 405. */
#ifndef CALLPULSE_HTTP_H
#define CALLPULSE_HTTP_H

#include <stddef.h>

#include "config.h"
#include "health.h"
#include "metrics.h"

typedef struct cp_http {
    struct MHD_Daemon *daemon;
    const cp_config *cfg;
    cp_metrics *metrics;
    cp_health *health;
} cp_http;

/* Parse "ADDR:PORT" ("0.0.0.0:9464", "[::]:9464", ":9464" for every
 * address); -1 with err naming http.listen. */
int cp_http_listen_ok(const char *listen, char *err, size_t errsz);

/* Start serving when cfg->http_listen is set (else do nothing, 0). */
int cp_http_start(cp_http *h, const cp_config *cfg, cp_metrics *m, cp_health *health, char *err,
                  size_t errsz);
void cp_http_stop(cp_http *h);

#endif
