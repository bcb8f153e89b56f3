/* http.c -- /metrics and /healthz over libmicrohttpd (http.h). */
#include "http.h"

#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"

#define HTTP_CONNECTIONS 32 /* scrapers and probes at once */
#define HTTP_TIMEOUT_S   10

/* host and port of "ADDR:PORT", "[V6]:PORT" or ":PORT". */
static int split_listen(const char *listen, char *host, size_t hsize, char *port, size_t psize) {
    const char *colon = strrchr(listen, ':');
    if (!colon || colon[1] == '\0' || strlen(colon + 1) >= psize)
        return -1;
    for (const char *p = colon + 1; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    size_t hlen = (size_t)(colon - listen);
    const char *h = listen;
    if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen >= hsize)
        return -1;
    snprintf(host, hsize, "%.*s", (int)hlen, h);
    snprintf(port, psize, "%s", colon + 1);
    long n = strtol(port, NULL, 10);
    return n >= 0 && n <= 65535 ? 0 : -1;
}

static int resolve(const char *listen, struct addrinfo **out, char *err, size_t errsz) {
    char host[256], port[8];
    struct addrinfo hints;
    if (split_listen(listen, host, sizeof(host), port, sizeof(port)) != 0) {
        snprintf(err, errsz, "http.listen: expected ADDR:PORT, [ADDR]:PORT or :PORT, got \"%s\"",
                 listen);
        return -1;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(host[0] ? host : NULL, port, &hints, out);
    if (rc != 0) {
        snprintf(err, errsz, "http.listen: %s: %s", listen, gai_strerror(rc));
        return -1;
    }
    return 0;
}

int cp_http_listen_ok(const char *listen, char *err, size_t errsz) {
    struct addrinfo *ai = NULL;
    if (resolve(listen, &ai, err, errsz) != 0)
        return -1;
    freeaddrinfo(ai);
    return 0;
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, char *body,
                               const char *type) {
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

static char *text_of(const char *s) {
    size_t n = strlen(s);
    char *b = malloc(n + 2);
    if (b) {
        memcpy(b, s, n);
        b[n] = '\n';
        b[n + 1] = '\0';
    }
    return b;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
    static const char *plain = "text/plain; charset=utf-8";
    cp_http *h = cls;
    char *body;
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return (body = text_of("method not allowed")) ? respond(conn, 405, body, plain) : MHD_NO;
    if (strcmp(url, "/metrics") == 0) {
        cp_metrics_all *all = malloc(sizeof(*all));
        if (!all)
            return MHD_NO;
        cp_metrics_snapshot_all(h->metrics, all);
        body = cp_metrics_exposition(all, h->cfg->input_topic);
        free(all);
        return body ? respond(conn, 200, body, "text/plain; version=0.0.4; charset=utf-8") : MHD_NO;
    }
    if (strcmp(url, "/healthz") == 0) {
        char why[512];
        int ok = cp_health_check(h->health, why, sizeof(why));
        return (body = text_of(why)) ? respond(conn, ok ? 200 : 503, body, plain) : MHD_NO;
    }
    return (body = text_of("not found: try /metrics or /healthz")) ? respond(conn, 404, body, plain)
                                                                   : MHD_NO;
}

int cp_http_start(cp_http *h, const cp_config *cfg, cp_metrics *m, cp_health *health, char *err,
                  size_t errsz) {
    struct addrinfo *ai = NULL;
    memset(h, 0, sizeof(*h));
    h->cfg = cfg;
    h->metrics = m;
    h->health = health;
    if (!cfg->http_listen[0])
        return 0;
    if (resolve(cfg->http_listen, &ai, err, errsz) != 0)
        return -1;
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | (ai->ai_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    h->daemon =
        MHD_start_daemon(flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTIONS,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_S, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!h->daemon) {
        snprintf(err, errsz, "http.listen: cannot listen on %s", cfg->http_listen);
        return -1;
    }
    /* port 0 lets the system choose: say which one it chose */
    const union MHD_DaemonInfo *bound = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    cp_info("serving /metrics and /healthz on %s (port %u)", cfg->http_listen,
            bound ? (unsigned)bound->port : 0u);
    return 0;
}

void cp_http_stop(cp_http *h) {
    if (h->daemon)
        MHD_stop_daemon(h->daemon);
    h->daemon = NULL;
}
