/* redis_io.h -- the connection to Redis: URL parsing, connecting with
 * timeouts, reconnecting, Lua scripts that survive a Redis restart, a
 * SCRIPT FLUSH or a failover, and pipelines (append many commands, then
 * read every reply).
 *
 * hiredis 0.14's synchronous API: a failed connection is detected by the
 * first command that fails; cp_redis_ensure() reconnects. Error replies
 * are classified as they are read (cp_redis_error_kind): NOSCRIPT makes
 * the next cp_redis_ensure() load the scripts again, READONLY and
 * MASTERDOWN (a replica, after a failover) make it reconnect. Each round
 * trip and each command is counted for the metrics. */
#ifndef CALLPULSE_REDIS_IO_H
#define CALLPULSE_REDIS_IO_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "luascripts.h"

#define CP_SCRIPTS_MAX 4

typedef struct cp_redis_url {
    char host[256];
    int port;
    char password[256];
    int db;
} cp_redis_url;

typedef struct cp_redis_script {
    const cp_lua_script *lua; /* registered: its name and source */
    char sha[41];             /* as SCRIPT LOAD answered on this connection */
} cp_redis_script;

typedef struct cp_redis {
    cp_redis_url url;
    int timeout_ms;
    redisContext *ctx; /* NULL while disconnected */
    cp_redis_script scripts[CP_SCRIPTS_MAX];
    int nscripts;
    int scripts_lost; /* a NOSCRIPT reply was read: load them again */
    int wrong_role;   /* READONLY or MASTERDOWN was read: reconnect */
    size_t pending;   /* commands appended, replies not yet read */
    /* this connection: its number (bumped by every connect), commands
     * appended and replies read on it; a command appended as the n-th has
     * been executed once `replied` reaches n on the same `epoch` */
    uint64_t epoch, appended, replied;
    uint64_t roundtrips, commands, reconnects, script_reloads;
    char err[512]; /* the last connection error */
    int unsent;    /* the step failed before Redis: cp_redis_fail_unsent() */
    /* an EVALSHA's arguments, reused across commands (grown, never shrunk) */
    const char **argv;
    size_t *argvlen;
    size_t argvcap, argvlencap;
} cp_redis;

/* What an error reply says about the connection and the step that got it.
 * Every kind is transient for the step (it is retried); none means that
 * data is malformed. */
typedef enum cp_redis_error {
    CP_REDIS_ERR_OTHER,    /* anything else (ERR, OOM, WRONGTYPE, ...) */
    CP_REDIS_ERR_NOSCRIPT, /* the script cache was flushed: load the scripts again */
    CP_REDIS_ERR_BUSY,     /* BUSY, LOADING, TRYAGAIN, CLUSTERDOWN: wait and retry */
    CP_REDIS_ERR_ROLE      /* READONLY, MASTERDOWN: a replica answers: reconnect */
} cp_redis_error;

/* The kind of an error reply's text (its first word; pure). */
cp_redis_error cp_redis_error_kind(const char *msg);

/* Parse redis://[:password@]host[:port][/db]. */
int cp_redis_url_parse(const char *url, cp_redis_url *out, char *err, size_t errsz);

void cp_redis_init(cp_redis *r, const cp_redis_url *url, int timeout_ms);

/* Register a script (luascripts.h) with this connection: it is loaded
 * (SCRIPT LOAD) on every (re)connect and again after a NOSCRIPT. Callers
 * then name it by the same cp_lua_script. 0 (also when it was registered
 * already), -1 when CP_SCRIPTS_MAX are registered. */
int cp_redis_add_script(cp_redis *r, const cp_lua_script *script);

/* Connected and scripts loaded? Connect if not; load the scripts again
 * after a NOSCRIPT, reconnect after READONLY or MASTERDOWN. Call it with
 * no reply pending. 0 on success, -1 with r->err. Never blocks longer than
 * about timeout_ms per command. */
int cp_redis_ensure(cp_redis *r);

/* Drop the connection (after an I/O error). */
void cp_redis_disconnect(cp_redis *r);

/* A command of this step could not be built here (out of memory, a
 * script not registered, a write that cannot be encoded): r->err says why
 * (printf format), r->unsent is set, and the connection is dropped, so
 * every later read of this step returns NULL and the step is retried.
 * Never a half-sent step; and never reported as Redis failing. */
void cp_redis_fail_unsent(cp_redis *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Pipelines: append commands, then cp_redis_read() one reply per command
 * in order. An append that cannot buffer its command (out of memory)
 * marks the connection broken (cp_redis_fail_unsent): no command is ever left
 * out silently. Read returns NULL when the connection broke, after which
 * cp_redis_disconnect() has been done; an error reply is returned (and
 * classified: see cp_redis_error). */
void cp_redis_append(cp_redis *r, int argc, const char **argv, const size_t *argvlen);
/* The same with the arguments' lengths taken by strlen (NUL-terminated). */
void cp_redis_append_strs(cp_redis *r, int argc, const char *const *argv);
/* hiredis's format string (redisAppendCommand): off the hot path only,
 * where the convenience is worth its format parsing. */
void cp_redis_appendf(cp_redis *r, const char *fmt, ...);
/* EVALSHA of a registered script; argv is numkeys, the keys, then the
 * args. A script not registered with r marks the connection broken
 * (cp_redis_fail_unsent, naming it), as any command that cannot be appended. */
void cp_redis_append_script(cp_redis *r, const cp_lua_script *script, int argc, const char **argv,
                            const size_t *argvlen);
redisReply *cp_redis_read(cp_redis *r);

/* One EVALSHA of a registered script with its reply (caller frees); after
 * a NOSCRIPT, the scripts are loaded again and it is sent once more. Call
 * it with no reply pending. NULL when the connection broke or could not be
 * made (r->err). */
redisReply *cp_redis_eval(cp_redis *r, const cp_lua_script *script, int argc, const char **argv,
                          const size_t *argvlen);
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
