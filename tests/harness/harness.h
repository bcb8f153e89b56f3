/* harness.h -- real services for integration tests.
 *
 * Starts a real redis-server on a free loopback port, the embedded broker
 * (`callpulse broker`) and `callpulse run` processes, and offers a real
 * Kafka client to produce input and read topics and committed offsets.
 * Every child process dies with the test process (PR_SET_PDEATHSIG), so a
 * failed assertion never leaves servers behind. */
#ifndef CALLPULSE_HARNESS_H
#define CALLPULSE_HARNESS_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct h_proc {
    pid_t pid;
    char log[512]; /* its stderr (and stdout) */
} h_proc;

typedef struct h_env {
    char dir[256]; /* scratch directory of this test */
    char bin[512]; /* the callpulse program */
    int redis_port;
    h_proc redis;
    char brokers[256];
    h_proc broker;     /* the embedded broker, unless real_kafka */
    int real_kafka;    /* CALLPULSE_KAFKA_SH is set: deploy/kafka.sh runs a real Kafka */
    int kafka_nodes;   /* its node count (node ids 1..kafka_nodes) */
    pid_t kafka_guard; /* stops that Kafka when the test process dies */
} h_env;

/* Scratch dir, redis-server and broker with `partitions` per topic. Fails
 * the test on error. The broker is the embedded one (`callpulse broker`),
 * or a real Apache Kafka when CALLPULSE_KAFKA_SH names deploy/kafka.sh
 * (contract 1: `kafka.sh up --dir DIR --partitions N`). */
void h_env_start(h_env *e, int partitions);
/* Always a real Kafka, of `nodes` brokers (`kafka.sh up --brokers N`:
 * replication 3 and min.insync.replicas 2 from 3 on); fails the test at
 * once when CALLPULSE_KAFKA_SH is not set. */
void h_env_start_kafka(h_env *e, int partitions, int nodes);
/* Always the embedded broker (a reference run beside a real-Kafka one). */
void h_env_start_embedded(h_env *e, int partitions);
void h_env_stop(h_env *e);

/* ---- one node of a real Kafka (kafka.sh stop-node / start-node / tool) --- */

/* Stop node `node` (1..kafka_nodes) with SIGTERM or SIGKILL and wait until
 * it is gone; start it again with its data; it then accepts connections. */
void h_kafka_node_stop(h_env *e, int node, int sig);
void h_kafka_node_start(h_env *e, int node);
/* The node id leading partition of topic in fresh metadata, -1 when none
 * does or the metadata request failed. */
int h_kafka_leader(const h_env *e, const char *topic, int32_t partition);
/* Wait until every partition of topic has a leader other than `not_node`
 * (0: any) that is among the brokers metadata lists; fails the test after
 * timeout_ms. Returns the leader of partition 0 in that same metadata (a
 * second request may reach a broker whose metadata is older). */
int h_kafka_wait_leaders(const h_env *e, const char *topic, int not_node, int timeout_ms);
/* Run one of the release's tools (`kafka.sh tool CLASS --bootstrap-server
 * BROKERS ARGS`; args is shell text, its words trusted): its exit status,
 * stdout into *out (caller frees), stderr appended to DIR/tools.log. */
int h_kafka_tool(const h_env *e, const char *cls, const char *args, char **out);

/* redis-server alone (stop/start for outage tests). */
void h_redis_start(h_env *e);
void h_redis_stop(h_env *e);

/* Write a config file into the scratch dir; returns its path (static). The
 * text is a JSON object; brokers and redis URL are passed as flags. */
const char *h_write_config(h_env *e, const char *name, const char *json);

/* Start `callpulse run --config CFG --brokers .. --redis .. --group G`. */
void h_run_start(h_env *e, h_proc *p, const char *config, const char *group, const char *tag);

/* Start any callpulse subcommand; argv is NULL-terminated, without the
 * program name. */
void h_spawn(h_env *e, h_proc *p, const char *tag, char *const argv[]);

int h_alive(const h_proc *p);
/* Signal and wait up to timeout_ms; returns the exit status, or -1 when
 * it did not exit in time (it is then killed), or 128+sig when killed. */
int h_stop(h_proc *p, int sig, int timeout_ms);
/* Wait for exit without signalling. */
int h_wait(h_proc *p, int timeout_ms);

/* Wait until the log file of p contains text; 0 when found. */
int h_wait_log(const h_proc *p, const char *text, int timeout_ms);
/* The JSON summary in the "stopped: {...}" line; caller frees with
 * json_decref. NULL when absent. */
struct json_t *h_run_summary(const h_proc *p);
/* One integer field of that summary; fails the test when there is none. */
long long h_summary_int(const h_proc *p, const char *field);

/* ---- Kafka client ------------------------------------------------------- */

typedef struct h_msg {
    int32_t partition;
    int64_t offset;
    int64_t timestamp; /* ms, as the producer set it */
    void *key, *value; /* NULL for a null key/value */
    size_t key_len, value_len;
    char error[64], detail[256], source[256]; /* callpulse.* headers */
} h_msg;

typedef struct h_msgs {
    h_msg *v;
    size_t n, cap;
} h_msgs;

rd_kafka_t *h_producer(const h_env *e);
/* Produce and wait for the acknowledgement; fills partition/offset. */
void h_produce(rd_kafka_t *p, const char *topic, const void *key, size_t key_len, const void *value,
               size_t value_len, int32_t *partition, int64_t *offset);

/* Produce without waiting (NULL key allowed); h_flush waits for all. */
void h_produce_nowait(rd_kafka_t *p, const char *topic, const void *key, size_t key_len,
                      const void *value, size_t value_len);
void h_flush(rd_kafka_t *p);

/* Produce many and wait for every acknowledgement; fills each message's
 * partition and offset. */
typedef struct h_out {
    const void *key;
    size_t key_len;
    const void *value;
    size_t value_len;
    int32_t partition;
    int64_t offset;
} h_out;
void h_produce_many(rd_kafka_t *p, const char *topic, h_out *msgs, size_t n);

/* A hiredis connection to the test's Redis (caller frees). */
struct redisContext *h_redis_connect(const h_env *e);

/* Read every message of topic from the beginning up to its current end. */
void h_read_topic(const h_env *e, const char *topic, h_msgs *out);
void h_msgs_free(h_msgs *m);

/* Sum over partitions of (high watermark - committed offset of group);
 * -1 on error. A group with no commit on a non-empty partition counts the
 * whole partition. */
int64_t h_group_lag(const h_env *e, const char *group, const char *topic);

/* Wait until the group's committed offsets reach the end of topic, while
 * proc stays alive; fails the test after timeout_s. */
void h_wait_caught_up(const h_env *e, const char *group, const char *topic, const h_proc *proc,
                      int timeout_s);

/* A free TCP port on loopback. */
int h_free_port(void);

/* GET path from 127.0.0.1:port: the status (-1 when it cannot connect) and
 * the body (static, NUL-terminated, cut at 1 MB). */
int h_http_get(int port, const char *path, const char **body);

/* Milliseconds since the epoch and a monotonic sleep. */
int64_t h_now_ms(void);
void h_sleep_ms(int ms);

/* ---- faults on the test's Redis (chaos tests) ---------------------------- */

/* One command on the test's Redis over a fresh connection, like redis-cli:
 * 0 with the reply as text in out (a status or string as is, an integer in
 * decimal, "(nil)", or "array of N"); -1 when the reply is an error (its
 * text in out) or there is none (connection refused or closed: out says
 * so, as after SHUTDOWN). fmt is hiredis's (%s, %b, ...). The connection
 * waits at most timeout_ms. */
int h_redis_cmd(const h_env *e, int timeout_ms, char *out, size_t outsz, const char *fmt, ...);

/* SIGSTOP the redis-server (it keeps its sockets and answers nothing),
 * and SIGCONT it again. */
/* Wait until no agent under key prefix `prefix` has a message in its
 * outbox: every alert and reward committed so far has been acknowledged by
 * the broker (and so can be read from its topic). Fails the test after
 * timeout_ms. */
void h_wait_outboxes_empty(const h_env *e, const char *prefix, int timeout_ms);

void h_redis_freeze(h_env *e);
void h_redis_thaw(h_env *e);

/* A clean stop: SHUTDOWN (the AOF is fsynced) and wait up to timeout_ms
 * for the exit. Returns the exit status, -1 when it did not exit in time
 * (it is then killed). Start it again with h_redis_start. */
int h_redis_shutdown(h_env *e, int timeout_ms);

#endif
