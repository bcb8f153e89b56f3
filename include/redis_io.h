/* redis_io.h -- the connection to Redis: URL parsing, connecting with
 * timeouts, reconnecting, Lua scripts that survive a Redis restart, and
 * pipelines (append many commands, then read every reply).
 *
 * hiredis 0.14's synchronous API: a failed connection is detected by the
 * first command that fails; cp_redis_ensure() reconnects. Each round trip
 * and each command is counted for the metrics. */
#ifndef CALLPULSE_REDIS_IO_H
#define CALLPULSE_REDIS_IO_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#define CP_SCRIPTS_MAX 4

typedef struct cp_redis_url {
    char host[256];
    int port;
    char password[256];
    int db;
} cp_redis_url;

typedef struct cp_redis_script {
    const char *source;
    char sha[41];
} cp_redis_script;

typedef struct cp_redis {
    cp_redis_url url;
    int timeout_ms;
    redisContext *ctx; /* NULL while disconnected */
    cp_redis_script scripts[CP_SCRIPTS_MAX];
    int nscripts;
    size_t pending; /* commands appended, replies not yet read */
    uint64_t roundtrips, commands, reconnects;
    char err[512]; /* the last connection error */
} cp_redis;

/* Parse redis://[:password@]host[:port][/db]. */
int cp_redis_url_parse(const char *url, cp_redis_url *out, char *err, size_t errsz);

void cp_redis_init(cp_redis *r, const cp_redis_url *url, int timeout_ms);

/* Register a script; its SHA is computed by Redis on every (re)connect.
 * Returns its index. */
int cp_redis_add_script(cp_redis *r, const char *source);

/* Connected and scripts loaded? Connect if not. 0 on success, -1 with
 * r->err. Never blocks longer than about timeout_ms. */
int cp_redis_ensure(cp_redis *r);

/* Drop the connection (after an I/O error). */
void cp_redis_disconnect(cp_redis *r);

/* Pipelines: append commands, then cp_redis_read() one reply per command
 * in order. Append never fails (it buffers); read returns NULL when the
 * connection broke, after which cp_redis_disconnect() has been done. */
void cp_redis_append(cp_redis *r, int argc, const char **argv, const size_t *argvlen);
void cp_redis_appendf(cp_redis *r, const char *fmt, ...);
/* EVALSHA of script `idx` with nkeys keys then args. */
void cp_redis_append_script(cp_redis *r, int idx, int argc, const char **argv,
                            const size_t *argvlen);
redisReply *cp_redis_read(cp_redis *r);
/* Send everything appended without waiting for replies; -1 when the
 * connection broke. */
int cp_redis_flush(cp_redis *r);
/* Read and discard every pending reply; -1 when the connection broke or a
 * reply was an error. */
int cp_redis_drain(cp_redis *r);

/* One command, one reply (caller frees). NULL on a broken connection. */
redisReply *cp_redis_command(cp_redis *r, const char *fmt, ...);

void cp_redis_close(cp_redis *r);

#endif
