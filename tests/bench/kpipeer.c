/* kpipeer.c -- bench_kpi's Kafka Streams peer (kpipeer.h).
 *
 * Timing: the peer writes, in the same Redis pipeline as the window values
 * of each flush, per input partition the next offset not yet reflected
 * (peer:offsets) and the wall-clock ms of its first event (peer:first).
 * The peer is done when peer:offsets reaches every partition's high
 * watermark; its time runs from the earliest peer:first to the moment this
 * file sees that (polled every 10 ms), like callpulse's from its first
 * consumed event to its last stored one. Start-up (JVM, group join, state
 * stores) is reported apart. */
#include "kpipeer.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kafka_io.h"

#define PEER_TIMEOUT_MS (30 * 60 * 1000)
#define MAX_PARTS       1024

static const char *sum_names[] = {
#define CP_SUM(S_ID, M_ID, NAME, ...) NAME,
#include "kpi.def"
};
#define NSUMS ((int)(sizeof(sum_names) / sizeof(sum_names[0])))

static int fail(char *err, size_t errsz, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errsz, fmt, ap);
    va_end(ap);
    return -1;
}

static redisContext *connect_url(const char *url, char *hostport, size_t size) {
    char host[256];
    int port = 6379;
    if (sscanf(url, "redis://%255[^:/]:%d", host, &port) < 1)
        return NULL;
    if (hostport)
        snprintf(hostport, size, "%s:%d", host, port);
    redisContext *rc = redisConnect(host, port);
    if (rc && rc->err) {
        redisFree(rc);
        return NULL;
    }
    return rc;
}

/* Every partition's high watermark; the partition count, or -1. */
static int end_offsets(const char *brokers, const char *topic, int64_t *hi, char *err,
                       size_t errsz) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    int parts = -1;
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, errsz)) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, errsz);
    if (!rk)
        return -1;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) || md->topic_cnt != 1 ||
        md->topics[0].partition_cnt > MAX_PARTS) {
        fail(err, errsz, "no metadata for %s", topic);
        goto done;
    }
    parts = md->topics[0].partition_cnt;
    for (int p = 0; p < parts; p++) {
        int64_t lo;
        if (rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi[p], 10000)) {
            parts = fail(err, errsz, "no watermarks for %s/%d", topic, p);
            break;
        }
    }
done:
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return parts;
}

/* The peer's progress: 1 when every partition reached its end, with the
 * earliest first-event ms in *first. */
static int peer_done(redisContext *rc, const int64_t *hi, int parts, int64_t *first) {
    int done = 1;
    for (int p = 0; p < parts && done; p++) {
        if (hi[p] == 0)
            continue;
        redisReply *r = redisCommand(rc, "HGET peer:offsets %d", p);
        done = r && r->type == REDIS_REPLY_STRING && atoll(r->str) >= hi[p];
        freeReplyObject(r);
    }
    if (!done)
        return 0;
    redisReply *r = redisCommand(rc, "HVALS peer:first");
    *first = INT64_MAX;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
        if (atoll(r->element[i]->str) < *first)
            *first = atoll(r->element[i]->str);
    freeReplyObject(r);
    return 1;
}

static pid_t spawn(const char *cmd, const char *brokers, const char *hostport, const char *app,
                   const char *dir) {
    char line[4096], log[600];
    snprintf(line, sizeof(line), "exec %s %s %s %s %s/state", cmd, brokers, hostport, app, dir);
    snprintf(log, sizeof(log), "%s/peer.log", dir);
    fflush(stdout); /* else the child's copy of the buffer is written too */
    pid_t pid = fork();
    if (pid == 0) {
        FILE *f = freopen(log, "w", stdout);
        if (f && dup2(fileno(f), 2) >= 0)
            execl("/bin/sh", "sh", "-c", line, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* SIGTERM (the peer closes its streams), SIGKILL after 30 s. */
static void stop(pid_t pid) {
    int status;
    kill(pid, SIGTERM);
    for (int i = 0; i < 3000; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            return;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
}

int bench_peer_run(const char *cmd, const char *brokers, const char *redis_url, const char *topic,
                   int round, long n, bench_peer_result *out, char *err, size_t errsz) {
    char dir[] = "/tmp/callpulse-bench-peer-XXXXXX", app[64], hostport[300], rm[128];
    int64_t hi[MAX_PARTS], first = 0;
    int status, rc = -1, parts = end_offsets(brokers, topic, hi, err, errsz);
    redisContext *redis = connect_url(redis_url, hostport, sizeof(hostport));
    pid_t pid = -1;
    if (parts < 0 || !redis || !mkdtemp(dir)) {
        if (parts >= 0)
            fail(err, errsz, "redis %s or temp dir: %s", redis_url, strerror(errno));
        goto done;
    }
    snprintf(app, sizeof(app), "bench-peer-%d-%ld", round, (long)getpid());
    int64_t launched = cp_now_wall_ms();
    if ((pid = spawn(cmd, brokers, hostport, app, dir)) < 0) {
        fail(err, errsz, "fork: %s", strerror(errno));
        goto done;
    }
    while (!peer_done(redis, hi, parts, &first)) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            pid = -1;
            fail(err, errsz, "the peer exited early, see %s/peer.log", dir);
            goto done;
        }
        if (cp_now_wall_ms() - launched > PEER_TIMEOUT_MS) {
            fail(err, errsz, "the peer took over %d s, see %s/peer.log", PEER_TIMEOUT_MS / 1000,
                 dir);
            goto done;
        }
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    int64_t stored = cp_now_wall_ms();
    out->events_per_s = (double)n / ((double)(stored - first) / 1000.0);
    out->startup_s = (double)(first - launched) / 1000.0;
    rc = 0;
done:
    if (pid > 0)
        stop(pid);
    if (rc == 0) { /* kept for a look when it failed */
        snprintf(rm, sizeof(rm), "rm -rf %s", dir);
        if (system(rm) != 0)
            fprintf(stderr, "bench_kpi: could not remove %s\n", dir);
    }
    if (redis)
        redisFree(redis);
    return rc;
}

/* A hash's sums in thousandths (missing: 0). */
static void sums_of(redisContext *rc, const char *key, long long *v) {
    redisReply *r = redisCommand(rc, "HGETALL %s", key);
    memset(v, 0, sizeof(*v) * NSUMS);
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2)
        for (int s = 0; s < NSUMS; s++)
            if (!strcmp(r->element[i]->str, sum_names[s]))
                v[s] = llround(strtod(r->element[i + 1]->str, NULL) * 1000.0);
    freeReplyObject(r);
}

/* Compares the window of `suffix` ("{A}:W"); 1 when they differ. */
static int differs(redisContext *rc, const char *suffix, int print) {
    char key[512];
    long long cp[NSUMS], peer[NSUMS];
    snprintf(key, sizeof(key), "cp:kpi:%s", suffix);
    sums_of(rc, key, cp);
    snprintf(key, sizeof(key), "peer:kpi:%s", suffix);
    sums_of(rc, key, peer);
    for (int s = 0; s < NSUMS; s++)
        if (cp[s] != peer[s]) {
            if (print)
                fprintf(stderr,
                        "bench_kpi: %s: %s is %lld/1000 in callpulse, %lld/1000 in the peer\n",
                        suffix, sum_names[s], cp[s], peer[s]);
            return 1;
        }
    return 0;
}

int bench_peer_compare(const char *redis_url, long *compared, long *differ, char *err,
                       size_t errsz) {
    static const char *sides[] = {"cp:kpi:", "peer:kpi:"};
    redisContext *rc = connect_url(redis_url, NULL, 0);
    if (!rc)
        return fail(err, errsz, "redis %s", redis_url);
    *compared = *differ = 0;
    for (int side = 0; side < 2; side++) {
        redisReply *keys = redisCommand(rc, "KEYS %s*", sides[side]);
        for (size_t i = 0; keys && keys->type == REDIS_REPLY_ARRAY && i < keys->elements; i++) {
            const char *suffix = keys->element[i]->str + strlen(sides[side]);
            if (side == 1) { /* a peer window callpulse does not have: compared once */
                redisReply *e = redisCommand(rc, "EXISTS cp:kpi:%s", suffix);
                int both = e && e->type == REDIS_REPLY_INTEGER && e->integer;
                freeReplyObject(e);
                if (both)
                    continue;
            }
            ++*compared;
            if (differs(rc, suffix, *differ < 5))
                ++*differ;
        }
        freeReplyObject(keys);
    }
    redisFree(rc);
    return 0;
}
