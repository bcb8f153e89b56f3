/* health.c -- the consumer's report on its Redis writes, and probing Redis
 * and Kafka, for /healthz (health.h). */
#include "health.h"

#include <stdio.h>
#include <string.h>

#include "kafka_io.h"

int cp_health_init(cp_health *h, const cp_config *cfg, char *err, size_t errsz) {
    cp_redis_url url;
    memset(h, 0, sizeof(*h));
    if (cp_redis_url_parse(cfg->redis_url, &url, err, errsz) != 0)
        return -1;
    cp_redis_init(&h->redis, &url,
                  cfg->redis_timeout_ms < CP_HEALTH_PROBE_MS ? cfg->redis_timeout_ms
                                                             : CP_HEALTH_PROBE_MS);
    pthread_mutex_init(&h->lock, NULL);
    pthread_mutex_init(&h->writes_lock, NULL);
    return 0;
}

void cp_health_free(cp_health *h) {
    cp_redis_close(&h->redis);
    pthread_mutex_destroy(&h->lock);
    pthread_mutex_destroy(&h->writes_lock);
}

void cp_health_writes_failed(cp_health *h, int64_t now_ms, const char *why) {
    pthread_mutex_lock(&h->writes_lock);
    if (!h->failing_since_ms)
        h->failing_since_ms = now_ms > 0 ? now_ms : 1;
    snprintf(h->failing_why, sizeof(h->failing_why), "%s", why ? why : "");
    pthread_mutex_unlock(&h->writes_lock);
}

void cp_health_writes_ok(cp_health *h) {
    pthread_mutex_lock(&h->writes_lock);
    h->failing_since_ms = 0;
    h->failing_why[0] = '\0';
    pthread_mutex_unlock(&h->writes_lock);
}

int cp_health_writes(cp_health *h, int64_t now_ms, char *why, size_t size) {
    pthread_mutex_lock(&h->writes_lock);
    int64_t since = h->failing_since_ms;
    int ok = !since || now_ms - since <= CP_HEALTH_WRITES_GRACE_MS;
    if (!ok)
        snprintf(why, size, "Redis writes failing for %lld s: %s",
                 (long long)((now_ms - since) / 1000), h->failing_why);
    pthread_mutex_unlock(&h->writes_lock);
    return ok;
}

void cp_health_set_kafka(cp_health *h, rd_kafka_t *rk) {
    pthread_mutex_lock(&h->lock); /* waits for a probe using the old handle */
    h->rk = rk;
    h->checked_ms = 0;
    pthread_mutex_unlock(&h->lock);
}

static int probe_redis(cp_health *h) {
    if (cp_redis_ensure(&h->redis) != 0) {
        snprintf(h->why, sizeof(h->why), "redis unreachable: %.200s", h->redis.err);
        return 0;
    }
    redisReply *r = cp_redis_command(&h->redis, "PING");
    int ok = r && r->type == REDIS_REPLY_STATUS;
    if (!ok) {
        snprintf(h->why, sizeof(h->why), "redis does not answer PING: %.200s",
                 r && r->type == REDIS_REPLY_ERROR ? r->str : h->redis.err);
        cp_redis_disconnect(&h->redis);
    }
    if (r)
        freeReplyObject(r);
    return ok;
}

static int probe_kafka(cp_health *h) {
    const struct rd_kafka_metadata *md = NULL;
    if (!h->rk) {
        snprintf(h->why, sizeof(h->why), "kafka consumer not running");
        return 0;
    }
    rd_kafka_resp_err_t e = rd_kafka_metadata(h->rk, 0, NULL, &md, CP_HEALTH_PROBE_MS);
    if (md)
        rd_kafka_metadata_destroy(md);
    if (e) {
        snprintf(h->why, sizeof(h->why), "kafka unreachable: %s", rd_kafka_err2str(e));
        return 0;
    }
    return 1;
}

int cp_health_check(cp_health *h, char *why, size_t size) {
    if (!cp_health_writes(h, cp_now_mono_ms(), why, size))
        return 0;
    pthread_mutex_lock(&h->lock);
    int64_t now = cp_now_mono_ms();
    if (!h->checked_ms || now - h->checked_ms >= CP_HEALTH_PROBE_MS) {
        h->why[0] = '\0';
        h->ok = probe_redis(h) && probe_kafka(h);
        h->checked_ms = cp_now_mono_ms();
    }
    int ok = h->ok;
    snprintf(why, size, "%s", ok ? "ok" : h->why);
    pthread_mutex_unlock(&h->lock);
    return ok;
}
