/* harness.c -- real services for integration tests (harness.h). */
#include "harness.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int64_t h_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void h_sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int h_free_port(void) {
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    ck_assert_int_gt(port, 0);
    return port;
}

/* fork + exec with stdout/stderr appended to p->log; dies with us. */
static void spawn(h_proc *p, char *const argv[]) {
    pid_t parent = getpid();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int fd = open(p->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execvp(argv[0], argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    p->pid = pid;
}

int h_alive(const h_proc *p) {
    int status;
    return p->pid > 0 && waitpid(p->pid, &status, WNOHANG) == 0;
}

int h_wait(h_proc *p, int timeout_ms) {
    int64_t deadline = mono_ms() + timeout_ms;
    int status;
    if (p->pid <= 0)
        return -1;
    while (mono_ms() < deadline) {
        pid_t r = waitpid(p->pid, &status, WNOHANG);
        if (r == p->pid) {
            p->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        h_sleep_ms(20);
    }
    return -1;
}

int h_stop(h_proc *p, int sig, int timeout_ms) {
    if (p->pid <= 0)
        return -1;
    kill(p->pid, sig);
    int rc = h_wait(p, timeout_ms);
    if (rc == -1 && p->pid > 0) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
        p->pid = 0;
    }
    return rc;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = buf ? fread(buf, 1, (size_t)n, f) : 0;
    fclose(f);
    if (buf)
        buf[got] = '\0';
    return buf;
}

int h_wait_log(const h_proc *p, const char *text, int timeout_ms) {
    int64_t deadline = mono_ms() + timeout_ms;
    do {
        char *s = read_file(p->log);
        int found = s && strstr(s, text);
        free(s);
        if (found)
            return 0;
        h_sleep_ms(50);
    } while (mono_ms() < deadline);
    return -1;
}

json_t *h_run_summary(const h_proc *p) {
    char *s = read_file(p->log), *at, *last = NULL;
    json_t *j = NULL;
    for (at = s; at && (at = strstr(at, "stopped: {")); at++)
        last = at;
    if (last) {
        char *end = strchr(last, '\n');
        if (end)
            *end = '\0';
        j = json_loads(last + strlen("stopped: "), 0, NULL);
    }
    free(s);
    return j;
}

long long h_summary_int(const h_proc *p, const char *field) {
    json_t *j = h_run_summary(p);
    ck_assert_msg(j != NULL, "no summary line in %s", p->log);
    long long v = json_integer_value(json_object_get(j, field));
    json_decref(j);
    return v;
}

/* ---- services ------------------------------------------------------------ */

void h_redis_start(h_env *e) {
    char port[16];
    snprintf(port, sizeof(port), "%d", e->redis_port);
    snprintf(e->redis.log, sizeof(e->redis.log), "%s/redis.log", e->dir);
    char *argv[] = {"redis-server", "--port",           port,     "--bind",
                    "127.0.0.1",    "--save",           "",       "--appendonly",
                    "yes",          "--appendfsync",    "always", "--dir",
                    e->dir,         "--protected-mode", "no",     NULL};
    spawn(&e->redis, argv);
    int64_t deadline = mono_ms() + 10000;
    while (mono_ms() < deadline) {
        redisContext *c = redisConnect("127.0.0.1", e->redis_port);
        if (c && !c->err) {
            redisReply *r = redisCommand(c, "PING");
            int ok = r && r->type == REDIS_REPLY_STATUS;
            freeReplyObject(r);
            redisFree(c);
            if (ok)
                return;
        } else if (c) {
            redisFree(c);
        }
        h_sleep_ms(50);
    }
    ck_abort_msg("redis-server did not start on port %d (see %s)", e->redis_port, e->redis.log);
}

void h_redis_stop(h_env *e) {
    h_stop(&e->redis, SIGTERM, 5000);
}

void h_spawn(h_env *e, h_proc *p, const char *tag, char *const argv[]) {
    char *full[32];
    size_t n = 0;
    full[n++] = e->bin;
    for (size_t i = 0; argv[i] && n < 31; i++)
        full[n++] = argv[i];
    full[n] = NULL;
    snprintf(p->log, sizeof(p->log), "%s/%s.log", e->dir, tag);
    spawn(p, full);
}

static void start_broker(h_env *e, int partitions) {
    char parts[16], file[400];
    snprintf(parts, sizeof(parts), "%d", partitions);
    snprintf(file, sizeof(file), "%s/bootstrap", e->dir);
    char *argv[] = {"broker", "--partitions", parts, "--bootstrap-file", file, NULL};
    h_spawn(e, &e->broker, "broker", argv);
    int64_t deadline = mono_ms() + 20000;
    while (mono_ms() < deadline) {
        char *s = read_file(file);
        if (s) {
            s[strcspn(s, "\n")] = '\0';
            snprintf(e->brokers, sizeof(e->brokers), "%s", s);
            free(s);
            return;
        }
        ck_assert_msg(h_alive(&e->broker), "broker exited (see %s)", e->broker.log);
        h_sleep_ms(50);
    }
    ck_abort_msg("broker did not write %s", file);
}

/* CALLPULSE_KAFKA_SH, or NULL when unset or empty. */
static const char *kafka_sh(void) {
    const char *sh = getenv("CALLPULSE_KAFKA_SH");
    return sh && sh[0] ? sh : NULL;
}

/* A real Kafka through deploy/kafka.sh: its bootstrap= line. */
static void start_real_kafka(h_env *e, const char *kafka_sh, int partitions, int nodes) {
    char cmd[1024], line[512];
    snprintf(cmd, sizeof(cmd),
             "bash '%s' up --dir '%s/kafka' --partitions %d --brokers %d 2>'%s/kafka.log'",
             kafka_sh, e->dir, partitions, nodes, e->dir);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "bootstrap=", 10) == 0)
            snprintf(e->brokers, sizeof(e->brokers), "%.*s", (int)strcspn(line + 10, "\n"),
                     line + 10);
    int rc = pclose(f);
    ck_assert_msg(rc == 0 && e->brokers[0], "kafka.sh up failed (see %s/kafka.log)", e->dir);
    e->real_kafka = 1;
    e->kafka_nodes = nodes;
    /* its brokers run in their own session: a test that fails (and never
     * reaches h_env_stop) must not leave them behind. A guard process waits
     * for the test process to go (it is then re-parented) and stops them. */
    pid_t test = getpid();
    snprintf(cmd, sizeof(cmd), "bash '%s' down --dir '%s/kafka' >/dev/null 2>&1", kafka_sh, e->dir);
    e->kafka_guard = fork();
    ck_assert_int_ge(e->kafka_guard, 0);
    if (e->kafka_guard == 0) {
        /* out of the test's process group: Check kills that group
         * (killpg SIGKILL) as soon as a failed test has exited */
        setsid();
        while (getppid() == test)
            sleep(1);
        _exit(system(cmd) == 0 ? 0 : 1);
    }
}

static void stop_real_kafka(h_env *e) {
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "bash '%s' down --dir '%s/kafka' >/dev/null 2>&1", kafka_sh(),
             e->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "kafka.sh down failed in %s\n", e->dir);
    if (e->kafka_guard > 0) {
        kill(e->kafka_guard, SIGKILL);
        waitpid(e->kafka_guard, NULL, 0);
    }
}

/* Scratch dir and redis-server. */
static void env_init(h_env *e) {
    const char *bin = getenv("CALLPULSE_BIN");
    memset(e, 0, sizeof(*e));
    snprintf(e->bin, sizeof(e->bin), "%s", bin ? bin : "callpulse");
    snprintf(e->dir, sizeof(e->dir), "/tmp/callpulse-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(e->dir));
    e->redis_port = h_free_port();
    h_redis_start(e);
}

void h_env_start(h_env *e, int partitions) {
    if (kafka_sh())
        h_env_start_kafka(e, partitions, 1);
    else
        h_env_start_embedded(e, partitions);
}

void h_env_start_kafka(h_env *e, int partitions, int nodes) {
    ck_assert_msg(kafka_sh() != NULL,
                  "this test needs a real Kafka: set CALLPULSE_KAFKA_SH=/abs/path/deploy/kafka.sh");
    env_init(e);
    start_real_kafka(e, kafka_sh(), partitions, nodes);
}

void h_env_start_embedded(h_env *e, int partitions) {
    env_init(e);
    start_broker(e, partitions);
}

/* Stop the services; the scratch dir (logs) is removed only here, so a
 * failed test leaves it behind for inspection. */
void h_env_stop(h_env *e) {
    char cmd[300];
    if (e->real_kafka)
        stop_real_kafka(e);
    else
        h_stop(&e->broker, SIGTERM, 5000);
    h_redis_stop(e);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", e->dir);
}

/* ---- one node of a real Kafka -------------------------------------------- */

static void node_cmd(h_env *e, const char *what, int node, const char *extra) {
    char cmd[1024];
    ck_assert_msg(e->real_kafka && node >= 1 && node <= e->kafka_nodes,
                  "%s: no node %d of a real Kafka here", what, node);
    snprintf(cmd, sizeof(cmd), "bash '%s' %s --dir '%s/kafka' --node %d %s >>'%s/kafka.log' 2>&1",
             kafka_sh(), what, e->dir, node, extra, e->dir);
    ck_assert_msg(system(cmd) == 0, "kafka.sh %s --node %d failed (see %s/kafka.log)", what, node,
                  e->dir);
}

void h_kafka_node_stop(h_env *e, int node, int sig) {
    ck_assert_msg(sig == SIGTERM || sig == SIGKILL, "stop a node with SIGTERM or SIGKILL");
    node_cmd(e, "stop-node", node, sig == SIGKILL ? "--signal KILL" : "--signal TERM");
}

void h_kafka_node_start(h_env *e, int node) {
    node_cmd(e, "start-node", node, "");
}

int h_kafka_tool(const h_env *e, const char *cls, const char *args, char **out) {
    char cmd[2048], buf[4096];
    size_t len = 0, cap = 0;
    *out = NULL;
    ck_assert_msg(e->real_kafka, "%s: no real Kafka here", cls);
    snprintf(cmd, sizeof(cmd), "bash '%s' tool %s --bootstrap-server '%s' %s 2>>'%s/tools.log'",
             kafka_sh(), cls, e->brokers, args, e->dir);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    for (size_t n; (n = fread(buf, 1, sizeof(buf), f)) > 0; len += n) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            *out = realloc(*out, cap);
            ck_assert_ptr_nonnull(*out);
        }
        memcpy(*out + len, buf, n);
    }
    if (!*out)
        *out = calloc(1, 1);
    else
        (*out)[len] = '\0';
    int rc = pclose(f);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

const char *h_write_config(h_env *e, const char *name, const char *json) {
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", e->dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(json, f);
    fclose(f);
    return path;
}

void h_run_start(h_env *e, h_proc *p, const char *config, const char *group, const char *tag) {
    char redis[64];
    snprintf(redis, sizeof(redis), "redis://127.0.0.1:%d", e->redis_port);
    char *argv[] = {"run",     "--config", (char *)config, "--brokers",   e->brokers,
                    "--redis", redis,      "--group",      (char *)group, NULL};
    h_spawn(e, p, tag, argv);
}

/* ---- Kafka client -------------------------------------------------------- */

static rd_kafka_conf_t *client_conf(const h_env *e) {
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    ck_assert(rd_kafka_conf_set(conf, "bootstrap.servers", e->brokers, err, sizeof(err)) ==
              RD_KAFKA_CONF_OK);
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    return conf;
}

typedef struct delivery {
    int done;
    rd_kafka_resp_err_t err;
    int32_t partition;
    int64_t offset;
} delivery;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    (void)opaque;
    delivery *d = m->_private;
    ck_assert_msg(m->err == 0, "delivery failed: %s", rd_kafka_err2str(m->err));
    if (!d)
        return;
    d->done = 1;
    d->err = m->err;
    d->partition = m->partition;
    d->offset = m->offset;
}

rd_kafka_t *h_producer(const h_env *e) {
    char err[256];
    rd_kafka_conf_t *conf = client_conf(e);
    rd_kafka_conf_set(conf, "linger.ms", "0", err, sizeof(err));
    rd_kafka_conf_set(conf, "enable.idempotence", "true", err, sizeof(err));
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    ck_assert_msg(rk != NULL, "%s", err);
    return rk;
}

void h_produce(rd_kafka_t *p, const char *topic, const void *key, size_t key_len, const void *value,
               size_t value_len, int32_t *partition, int64_t *offset) {
    delivery d = {0, 0, -1, -1};
    rd_kafka_resp_err_t err = rd_kafka_producev(
        p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key_len),
        RD_KAFKA_V_VALUE((void *)value, value_len), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE(&d), RD_KAFKA_V_END);
    ck_assert_msg(err == 0, "produce: %s", rd_kafka_err2str(err));
    int64_t deadline = mono_ms() + 20000;
    while (!d.done && mono_ms() < deadline)
        rd_kafka_poll(p, 10);
    ck_assert_msg(d.done && d.err == 0, "delivery failed: %s", rd_kafka_err2str(d.err));
    if (partition)
        *partition = d.partition;
    if (offset)
        *offset = d.offset;
}

void h_produce_nowait(rd_kafka_t *p, const char *topic, const void *key, size_t key_len,
                      const void *value, size_t value_len) {
    for (;;) {
        rd_kafka_resp_err_t err =
            rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key_len),
                              RD_KAFKA_V_VALUE((void *)value, value_len),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            ck_assert_msg(err == 0, "produce: %s", rd_kafka_err2str(err));
            return;
        }
        rd_kafka_poll(p, 10);
    }
}

void h_flush(rd_kafka_t *p) {
    ck_assert_int_eq(rd_kafka_flush(p, 30000), 0);
}

void h_produce_many(rd_kafka_t *p, const char *topic, h_out *msgs, size_t n) {
    delivery *d = calloc(n, sizeof(*d));
    for (size_t i = 0; i < n; i++) {
        for (;;) {
            rd_kafka_resp_err_t err = rd_kafka_producev(
                p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(msgs[i].key, msgs[i].key_len),
                RD_KAFKA_V_VALUE((void *)msgs[i].value, msgs[i].value_len),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&d[i]), RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                ck_assert_msg(err == 0, "produce: %s", rd_kafka_err2str(err));
                break;
            }
            rd_kafka_poll(p, 10);
        }
    }
    ck_assert_int_eq(rd_kafka_flush(p, 30000), 0);
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(d[i].done && d[i].err == 0, "message %zu not delivered", i);
        msgs[i].partition = d[i].partition;
        msgs[i].offset = d[i].offset;
    }
    free(d);
}

redisContext *h_redis_connect(const h_env *e) {
    redisContext *c = redisConnect("127.0.0.1", e->redis_port);
    ck_assert_msg(c && !c->err, "cannot connect to the test's Redis");
    return c;
}

static void copy_header(rd_kafka_headers_t *h, const char *name, char *out, size_t size) {
    const void *v;
    size_t len;
    out[0] = '\0';
    if (h && rd_kafka_header_get_last(h, name, &v, &len) == 0 && v) {
        if (len >= size)
            len = size - 1;
        memcpy(out, v, len);
        out[len] = '\0';
    }
}

static void *dup_bytes(const void *p, size_t n) {
    if (!p)
        return NULL;
    void *c = malloc(n ? n : 1);
    memcpy(c, p, n);
    return c;
}

static void push_msg(h_msgs *out, const rd_kafka_message_t *m) {
    rd_kafka_headers_t *h = NULL;
    if (out->n == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 64;
        out->v = realloc(out->v, out->cap * sizeof(h_msg));
    }
    h_msg *x = &out->v[out->n++];
    memset(x, 0, sizeof(*x));
    x->partition = m->partition;
    x->offset = m->offset;
    x->timestamp = rd_kafka_message_timestamp(m, NULL);
    x->key = dup_bytes(m->key, m->key_len);
    x->key_len = m->key_len;
    x->value = dup_bytes(m->payload, m->len);
    x->value_len = m->len;
    rd_kafka_message_headers(m, &h);
    copy_header(h, "callpulse.error", x->error, sizeof(x->error));
    copy_header(h, "callpulse.error.detail", x->detail, sizeof(x->detail));
    copy_header(h, "callpulse.source", x->source, sizeof(x->source));
}

void h_read_topic(const h_env *e, const char *topic, h_msgs *out) {
    char err[256];
    const struct rd_kafka_metadata *md;
    rd_kafka_conf_t *conf = client_conf(e);
    rd_kafka_conf_set(conf, "group.id", "harness-reader", err, sizeof(err));
    rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    ck_assert_msg(rk != NULL, "%s", err);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    ck_assert_int_eq(rd_kafka_metadata(rk, 0, rkt, &md, 10000), 0);
    int nparts = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);

    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(nparts);
    int remaining = 0;
    for (int p = 0; p < nparts; p++) {
        int64_t lo, hi;
        ck_assert_int_eq(rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 10000), 0);
        if (hi > lo) {
            rd_kafka_topic_partition_list_add(l, topic, p)->offset = lo;
            remaining++;
        }
    }
    memset(out, 0, sizeof(*out));
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    int64_t deadline = mono_ms() + 30000;
    while (remaining > 0 && mono_ms() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
            remaining--;
        else if (!m->err)
            push_msg(out, m);
        rd_kafka_message_destroy(m);
    }
    ck_assert_msg(remaining == 0, "reading %s timed out", topic);
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

void h_msgs_free(h_msgs *m) {
    for (size_t i = 0; i < m->n; i++) {
        free(m->v[i].key);
        free(m->v[i].value);
    }
    free(m->v);
    memset(m, 0, sizeof(*m));
}

int64_t h_group_lag(const h_env *e, const char *group, const char *topic) {
    char err[256];
    const struct rd_kafka_metadata *md;
    int64_t lag = 0;
    rd_kafka_conf_t *conf = client_conf(e);
    rd_kafka_conf_set(conf, "group.id", group, err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    if (!rk)
        return -1;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) != 0) {
        rd_kafka_topic_destroy(rkt);
        rd_kafka_destroy(rk);
        return -1;
    }
    int nparts = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(nparts);
    for (int p = 0; p < nparts; p++)
        rd_kafka_topic_partition_list_add(l, topic, p);
    if (rd_kafka_committed(rk, l, 10000) != 0) {
        lag = -1;
        goto done;
    }
    for (int i = 0; i < l->cnt; i++) {
        int64_t lo, hi;
        if (rd_kafka_query_watermark_offsets(rk, topic, l->elems[i].partition, &lo, &hi, 10000) !=
            0) {
            lag = -1;
            goto done;
        }
        lag += hi - (l->elems[i].offset >= 0 ? l->elems[i].offset : lo);
    }
done:
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
    return lag;
}

/* Fresh metadata of topic from a new client: *rk and *md to release with
 * metadata_free; -1 when the request fails. */
static int topic_metadata(const h_env *e, const char *topic, rd_kafka_t **rk,
                          const struct rd_kafka_metadata **md) {
    char err[256];
    *md = NULL;
    *rk = rd_kafka_new(RD_KAFKA_PRODUCER, client_conf(e), err, sizeof(err));
    ck_assert_msg(*rk != NULL, "%s", err);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(*rk, topic, NULL);
    int rc = rd_kafka_metadata(*rk, 0, rkt, md, 5000) == 0 && (*md)->topic_cnt == 1 &&
                     (*md)->topics[0].err == 0
                 ? 0
                 : -1;
    rd_kafka_topic_destroy(rkt);
    return rc;
}

static void metadata_free(rd_kafka_t *rk, const struct rd_kafka_metadata *md) {
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_destroy(rk);
}

int h_kafka_leader(const h_env *e, const char *topic, int32_t partition) {
    rd_kafka_t *rk;
    const struct rd_kafka_metadata *md;
    int leader = -1;
    if (topic_metadata(e, topic, &rk, &md) == 0)
        for (int i = 0; i < md->topics[0].partition_cnt; i++)
            if (md->topics[0].partitions[i].id == partition && md->topics[0].partitions[i].err == 0)
                leader = md->topics[0].partitions[i].leader;
    metadata_free(rk, md);
    return leader;
}

/* Whether every partition of the topic has a listed leader, not not_node. */
static int leaders_ok(const struct rd_kafka_metadata *md, int not_node) {
    const struct rd_kafka_metadata_topic *t = &md->topics[0];
    for (int i = 0; i < t->partition_cnt; i++) {
        int listed = 0, leader = t->partitions[i].leader;
        for (int b = 0; b < md->broker_cnt; b++)
            listed |= md->brokers[b].id == leader;
        if (t->partitions[i].err != 0 || leader < 0 || leader == not_node || !listed)
            return 0;
    }
    return t->partition_cnt > 0;
}

int h_kafka_wait_leaders(const h_env *e, const char *topic, int not_node, int timeout_ms) {
    int64_t deadline = mono_ms() + timeout_ms;
    for (;;) {
        rd_kafka_t *rk;
        const struct rd_kafka_metadata *md;
        int leader0 = -1;
        int ok = topic_metadata(e, topic, &rk, &md) == 0 && leaders_ok(md, not_node);
        for (int i = 0; ok && i < md->topics[0].partition_cnt; i++)
            if (md->topics[0].partitions[i].id == 0)
                leader0 = md->topics[0].partitions[i].leader;
        metadata_free(rk, md);
        if (ok)
            return leader0;
        ck_assert_msg(mono_ms() < deadline, "%s: partitions without a leader after %d ms", topic,
                      timeout_ms);
        h_sleep_ms(250);
    }
}

void h_wait_caught_up(const h_env *e, const char *group, const char *topic, const h_proc *proc,
                      int timeout_s) {
    int64_t lag = -1;
    for (int i = 0; i < timeout_s * 10 && lag != 0; i++) {
        h_sleep_ms(100);
        lag = h_group_lag(e, group, topic);
        ck_assert_msg(h_alive(proc), "processor died (see %s)", proc->log);
    }
    ck_assert_msg(lag == 0, "group %s still %lld behind after %d s", group, (long long)lag,
                  timeout_s);
}

int h_http_get(int port, const char *path, const char **body) {
    static char buf[1 << 20];
    struct sockaddr_in a;
    char req[512];
    size_t got = 0;
    int status = -1;
    buf[0] = '\0';
    *body = buf;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
        goto done;
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    if (write(fd, req, (size_t)n) != n)
        goto done;
    for (ssize_t r; got < sizeof(buf) - 1 && (r = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0;)
        got += (size_t)r;
    buf[got] = '\0';
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
        status = -1;
    char *start = strstr(buf, "\r\n\r\n");
    *body = start ? start + 4 : buf + got;
done:
    if (fd >= 0)
        close(fd);
    return status;
}

/* ---- faults on the test's Redis (chaos tests) ---------------------------- */

static void reply_text(const redisReply *r, char *out, size_t outsz) {
    switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
        snprintf(out, outsz, "%.*s", (int)r->len, r->str);
        break;
    case REDIS_REPLY_INTEGER:
        snprintf(out, outsz, "%lld", r->integer);
        break;
    case REDIS_REPLY_ARRAY:
        snprintf(out, outsz, "array of %zu", r->elements);
        break;
    default:
        snprintf(out, outsz, "(nil)");
        break;
    }
}

int h_redis_cmd(const h_env *e, int timeout_ms, char *out, size_t outsz, const char *fmt, ...) {
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    redisReply *r = NULL;
    int rc = -1;
    va_list ap;
    redisContext *c = redisConnectWithTimeout("127.0.0.1", e->redis_port, tv);
    if (!c || c->err) {
        snprintf(out, outsz, "no connection: %s", c ? c->errstr : "out of memory");
        goto cleanup;
    }
    redisSetTimeout(c, tv);
    va_start(ap, fmt);
    r = redisvCommand(c, fmt, ap);
    va_end(ap);
    if (!r) {
        snprintf(out, outsz, "no reply: %s", c->errstr);
        goto cleanup;
    }
    reply_text(r, out, outsz);
    rc = r->type == REDIS_REPLY_ERROR ? -1 : 0;
cleanup:
    if (r)
        freeReplyObject(r);
    if (c)
        redisFree(c);
    return rc;
}

void h_wait_outboxes_empty(const h_env *e, const char *prefix, int timeout_ms) {
    char out[256] = "";
    int64_t deadline = mono_ms() + timeout_ms;
    do {
        if (h_redis_cmd(e, 2000, out, sizeof(out), "EVAL %s 0 %s",
                        "return #redis.call('KEYS', ARGV[1] .. 'outbox:{*')", prefix) == 0 &&
            strcmp(out, "0") == 0)
            return;
        h_sleep_ms(50);
    } while (mono_ms() < deadline);
    ck_abort_msg("outboxes not empty after %d ms (%s agents hold messages)", timeout_ms, out);
}

void h_redis_freeze(h_env *e) {
    ck_assert_msg(e->redis.pid > 0 && kill(e->redis.pid, SIGSTOP) == 0, "cannot SIGSTOP Redis");
}

void h_redis_thaw(h_env *e) {
    ck_assert_msg(e->redis.pid > 0 && kill(e->redis.pid, SIGCONT) == 0, "cannot SIGCONT Redis");
}

int h_redis_shutdown(h_env *e, int timeout_ms) {
    char out[256];
    /* no reply is the normal outcome: the server closes as it exits */
    if (h_redis_cmd(e, timeout_ms, out, sizeof(out), "SHUTDOWN") == 0 ||
        strncmp(out, "no reply", 8) != 0)
        fprintf(stderr, "SHUTDOWN answered %s\n", out);
    int rc = h_wait(&e->redis, timeout_ms);
    if (rc == -1 && e->redis.pid > 0) {
        kill(e->redis.pid, SIGKILL);
        waitpid(e->redis.pid, NULL, 0);
        e->redis.pid = 0;
    }
    return rc;
}
