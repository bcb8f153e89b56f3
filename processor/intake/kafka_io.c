/* kafka_io.c -- librdkafka client construction (see kafka_io.h). */
#include "kafka_io.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

int64_t cp_now_mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t cp_now_wall_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* librdkafka syslog levels -> ours. */
static void on_kafka_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    cp_log_level l = level <= 3   ? CP_LOG_ERROR
                     : level <= 4 ? CP_LOG_WARN
                     : level <= 6 ? CP_LOG_INFO
                                  : CP_LOG_DEBUG;
    /* kafka.properties go to every client: a consumer property on the
     * producer (or the reverse) is expected, not worth a warning */
    if (strcmp(fac, "CONFWARN") == 0 && strstr(buf, "property and will be ignored by this"))
        l = CP_LOG_DEBUG;
    cp_log(l, "kafka %s %s: %s", rd_kafka_name(rk), fac, buf);
}

static void on_kafka_error(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    (void)opaque;
    /* Transport errors are retried by librdkafka; they are worth a warning,
     * not an error, and "all brokers down" is what operators look for. */
    cp_log(err == RD_KAFKA_RESP_ERR__FATAL ? CP_LOG_ERROR : CP_LOG_WARN, "kafka %s: %s: %s",
           rd_kafka_name(rk), rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

static int set_prop(rd_kafka_conf_t *conf, const char *name, const char *value, char *err,
                    size_t errsz) {
    char rkerr[256];
    if (rd_kafka_conf_set(conf, name, value, rkerr, sizeof(rkerr)) != RD_KAFKA_CONF_OK) {
        snprintf(err, errsz, "kafka property %s=%s: %s", name, value, rkerr);
        return -1;
    }
    return 0;
}

static const char *user_value(const cp_config *cfg, const char *name) {
    for (size_t i = 0; i < cfg->kafka_props_n; i++)
        if (strcmp(cfg->kafka_props[i].key, name) == 0)
            return cfg->kafka_props[i].value;
    return NULL;
}

rd_kafka_conf_t *cp_kafka_conf(const cp_config *cfg, const char *const *defaults,
                               const char *const *required, char *err, size_t errsz) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();

    if (set_prop(conf, "bootstrap.servers", cfg->brokers, err, errsz) != 0)
        goto fail;
    for (size_t i = 0; defaults && defaults[i]; i += 2)
        if (set_prop(conf, defaults[i], defaults[i + 1], err, errsz) != 0)
            goto fail;
    for (size_t i = 0; i < cfg->kafka_props_n; i++)
        if (set_prop(conf, cfg->kafka_props[i].key, cfg->kafka_props[i].value, err, errsz) != 0)
            goto fail;
    for (size_t i = 0; required && required[i]; i += 2) {
        const char *asked = user_value(cfg, required[i]);
        if (asked && strcmp(asked, required[i + 1]) != 0)
            cp_warn("kafka.properties.%s=%s ignored: callpulse needs %s for its delivery "
                    "guarantees",
                    required[i], asked, required[i + 1]);
        if (set_prop(conf, required[i], required[i + 1], err, errsz) != 0)
            goto fail;
    }
    rd_kafka_conf_set_log_cb(conf, on_kafka_log);
    rd_kafka_conf_set_error_cb(conf, on_kafka_error);
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

rd_kafka_t *cp_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf, char *err, size_t errsz) {
    char rkerr[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, rkerr, sizeof(rkerr));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(err, errsz, "cannot create Kafka %s: %s",
                 type == RD_KAFKA_PRODUCER ? "producer" : "consumer", rkerr);
    }
    return rk;
}
