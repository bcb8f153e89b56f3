/* redis_io.c -- the Redis connection (redis_io.h).
 *
 * Scripts (luascripts.h: each embedded from its .lua file, registered
 * and called by its cp_lua_script) are loaded with SCRIPT LOAD on every
 * connect, so a Redis that restarted (and forgot its script cache) is
 * handled by the reconnect that its dropped connection causes; a cache
 * flushed under a live connection (SCRIPT FLUSH, a failover behind a
 * proxy) answers NOSCRIPT, and the next cp_redis_ensure() loads them
 * again. An error reply never breaks the
 * connection; an I/O error, a timeout or a command that cannot be
 * buffered always does, and the caller retries its whole step after
 * cp_redis_ensure(). */
#include "redis_io.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <hiredis/sds.h>

#include "grow.h"
#include "log.h"

int cp_redis_url_parse(const char *url, cp_redis_url *out, char *err, size_t errsz) {
    const char *at = url, *host, *end;
    size_t n;

    memset(out, 0, sizeof(*out));
    out->port = 6379;
    if (strncmp(at, "redis://", 8) != 0) {
        snprintf(err, errsz, "expected redis://[:password@]host[:port][/db]");
        return -1;
    }
    at += 8;
    const char *amp = strchr(at, '@');
    if (amp) {
        const char *pw = memchr(at, ':', (size_t)(amp - at));
        pw = pw ? pw + 1 : at; /* "user:pass@" or "pass@": the password */
        n = (size_t)(amp - pw);
        if (n >= sizeof(out->password)) {
            snprintf(err, errsz, "password too long");
            return -1;
        }
        memcpy(out->password, pw, n);
        at = amp + 1;
    }
    host = at;
    n = strcspn(host, ":/");
    if (n == 0 || n >= sizeof(out->host)) {
        snprintf(err, errsz, "missing or over-long host");
        return -1;
    }
    memcpy(out->host, host, n);
    at = host + n;
    if (*at == ':') {
        long p = strtol(at + 1, (char **)&end, 10);
        if (end == at + 1 || p < 1 || p > 65535 || (*end && *end != '/')) {
            snprintf(err, errsz, "port must be 1..65535");
            return -1;
        }
        out->port = (int)p;
        at = end;
    }
    if (*at == '/' && at[1]) {
        long db = strtol(at + 1, (char **)&end, 10);
        if (end == at + 1 || *end || db < 0 || db > 65535) {
            snprintf(err, errsz, "database must be a number");
            return -1;
        }
        out->db = (int)db;
    } else if (*at && strcmp(at, "/") != 0) {
        snprintf(err, errsz, "unexpected \"%s\"", at);
        return -1;
    }
    return 0;
}

void cp_redis_init(cp_redis *r, const cp_redis_url *url, int timeout_ms) {
    memset(r, 0, sizeof(*r));
    r->url = *url;
    r->timeout_ms = timeout_ms;
}

/* The registration of a script; NULL when it is not registered. */
static cp_redis_script *registered(cp_redis *r, const cp_lua_script *script) {
    for (int i = 0; i < r->nscripts; i++)
        if (r->scripts[i].lua == script)
            return &r->scripts[i];
    return NULL;
}

int cp_redis_add_script(cp_redis *r, const cp_lua_script *script) {
    if (registered(r, script))
        return 0;
    if (r->nscripts == CP_SCRIPTS_MAX)
        return -1;
    r->scripts[r->nscripts].lua = script;
    r->scripts[r->nscripts].sha[0] = '\0';
    r->nscripts++;
    return 0;
}

void cp_redis_disconnect(cp_redis *r) {
    if (r->ctx)
        redisFree(r->ctx);
    r->ctx = NULL;
    r->pending = 0;
}

void cp_redis_close(cp_redis *r) {
    cp_redis_disconnect(r);
    free(r->argv);
    free(r->argvlen);
    r->argv = NULL;
    r->argvlen = NULL;
    r->argvcap = r->argvlencap = 0;
}

/* A command during connection setup; the reply must not be an error. */
static int setup_command(cp_redis *r, redisReply **out, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    redisReply *reply = redisvCommand(r->ctx, fmt, ap);
    va_end(ap);
    r->roundtrips++;
    r->commands++;
    if (!reply) {
        snprintf(r->err, sizeof(r->err), "%s", r->ctx->errstr);
        return -1;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        snprintf(r->err, sizeof(r->err), "%s", reply->str);
        freeReplyObject(reply);
        return -1;
    }
    if (out)
        *out = reply;
    else
        freeReplyObject(reply);
    return 0;
}

/* Is msg's first word `word`? */
static int first_word(const char *msg, const char *word) {
    size_t n = strlen(word);
    return strncmp(msg, word, n) == 0 && (msg[n] == ' ' || msg[n] == '\0');
}

cp_redis_error cp_redis_error_kind(const char *msg) {
    static const char *const busy[] = {"BUSY", "LOADING", "TRYAGAIN", "CLUSTERDOWN"};
    if (!msg)
        return CP_REDIS_ERR_OTHER;
    if (first_word(msg, "NOSCRIPT"))
        return CP_REDIS_ERR_NOSCRIPT;
    if (first_word(msg, "READONLY") || first_word(msg, "MASTERDOWN"))
        return CP_REDIS_ERR_ROLE;
    for (size_t i = 0; i < sizeof(busy) / sizeof(busy[0]); i++)
        if (first_word(msg, busy[i]))
            return CP_REDIS_ERR_BUSY;
    return CP_REDIS_ERR_OTHER;
}

/* What an error reply asks of the next cp_redis_ensure(). */
static void note_error(cp_redis *r, const redisReply *reply) {
    switch (cp_redis_error_kind(reply->str)) {
    case CP_REDIS_ERR_NOSCRIPT:
        r->scripts_lost = 1;
        break;
    case CP_REDIS_ERR_ROLE:
        r->wrong_role = 1;
        break;
    default:
        break;
    }
}

void cp_redis_fail_unsent(cp_redis *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof(r->err), fmt, ap);
    va_end(ap);
    cp_redis_disconnect(r);
    r->unsent = 1;
}

static int load_scripts(cp_redis *r) {
    for (int i = 0; i < r->nscripts; i++) {
        redisReply *reply;
        if (setup_command(r, &reply, "SCRIPT LOAD %s", r->scripts[i].lua->source) != 0)
            return -1;
        snprintf(r->scripts[i].sha, sizeof(r->scripts[i].sha), "%s",
                 reply->type == REDIS_REPLY_STRING ? reply->str : "");
        freeReplyObject(reply);
    }
    return 0;
}

/* Connected, but a reply said the scripts are gone or the server is a
 * replica: reload them, or drop the connection to reconnect. */
static int repair(cp_redis *r) {
    if (r->pending > 0)
        return 0; /* replies are due: a command now would read theirs */
    if (r->wrong_role) {
        cp_info("Redis answered as a replica (READONLY or MASTERDOWN); reconnecting");
        cp_redis_disconnect(r);
        return 0;
    }
    if (!r->scripts_lost)
        return 0;
    cp_warn("Redis lost its scripts (SCRIPT FLUSH, restart or failover); loading them again");
    r->scripts_lost = 0;
    r->script_reloads++;
    if (load_scripts(r) != 0) {
        cp_redis_disconnect(r);
        return -1;
    }
    return 0;
}

int cp_redis_ensure(cp_redis *r) {
    struct timeval tv = {r->timeout_ms / 1000, (r->timeout_ms % 1000) * 1000};
    if (r->ctx && repair(r) != 0)
        return -1;
    if (r->ctx)
        return 0;
    r->scripts_lost = r->wrong_role = 0; /* a new connection loads them */
    r->unsent = 0;                       /* what fails now is Redis */
    r->ctx = redisConnectWithTimeout(r->url.host, r->url.port, tv);
    if (!r->ctx || r->ctx->err) {
        snprintf(r->err, sizeof(r->err), "connect %s:%d: %s", r->url.host, r->url.port,
                 r->ctx ? r->ctx->errstr : "out of memory");
        goto fail;
    }
    redisSetTimeout(r->ctx, tv);
    redisEnableKeepAlive(r->ctx);
    if ((r->url.password[0] && setup_command(r, NULL, "AUTH %s", r->url.password) != 0) ||
        (r->url.db && setup_command(r, NULL, "SELECT %d", r->url.db) != 0) || load_scripts(r) != 0)
        goto fail;
    r->reconnects++;
    r->epoch++;
    r->appended = r->replied = 0;
    return 0;
fail:
    cp_redis_disconnect(r);
    return -1;
}

/* ---- commands -------------------------------------------------------------- */

/* Hand one command to hiredis (redisAppendCommandArgv formats it into the
 * connection's output buffer); argvlen NULL takes each argument's length
 * by strlen. */
static void append_argv(cp_redis *r, int argc, const char **argv, const size_t *argvlen) {
    if (redisAppendCommandArgv(r->ctx, argc, argv, argvlen) != REDIS_OK) {
        size_t namelen = !argc ? 0 : argvlen ? argvlen[0] : strlen(argv[0]);
        cp_redis_fail_unsent(r, "cannot buffer a %.*s command: %s", (int)namelen,
                             argc ? argv[0] : "", r->ctx->errstr);
        return;
    }
    r->pending++;
    r->appended++;
    r->commands++;
}

/* While disconnected nothing is appended: the step's reads return NULL. */
void cp_redis_append(cp_redis *r, int argc, const char **argv, const size_t *argvlen) {
    if (r->ctx)
        append_argv(r, argc, argv, argvlen);
}

void cp_redis_append_strs(cp_redis *r, int argc, const char *const *argv) {
    if (r->ctx)
        append_argv(r, argc, (const char **)argv, NULL);
}

void cp_redis_appendf(cp_redis *r, const char *fmt, ...) {
    va_list ap;
    if (!r->ctx)
        return;
    va_start(ap, fmt);
    int rc = redisvAppendCommand(r->ctx, fmt, ap);
    va_end(ap);
    if (rc != REDIS_OK) {
        cp_redis_fail_unsent(r, "cannot buffer a command: %s", r->ctx->errstr);
        return;
    }
    r->pending++;
    r->appended++;
    r->commands++;
}

void cp_redis_append_script(cp_redis *r, const cp_lua_script *script, int argc, const char **argv,
                            const size_t *argvlen) {
    if (!r->ctx)
        return;
    const cp_redis_script *s = registered(r, script);
    if (!s) {
        cp_redis_fail_unsent(r, "script %s is not registered with this connection", script->name);
        return;
    }
    if (cp_grow(r->argv, r->argvcap, (size_t)argc + 2) != 0 ||
        cp_grow(r->argvlen, r->argvlencap, (size_t)argc + 2) != 0) {
        cp_redis_fail_unsent(r, "cannot buffer an EVALSHA of %s with %d arguments (out of memory)",
                             script->name, argc);
        return;
    }
    r->argv[0] = "EVALSHA";
    r->argvlen[0] = 7;
    r->argv[1] = s->sha;
    r->argvlen[1] = strlen(s->sha);
    memcpy(r->argv + 2, argv, sizeof(*argv) * (size_t)argc);
    memcpy(r->argvlen + 2, argvlen, sizeof(*argvlen) * (size_t)argc);
    append_argv(r, argc + 2, r->argv, r->argvlen);
}

redisReply *cp_redis_read(cp_redis *r) {
    void *reply = NULL;
    if (!r->ctx || r->pending == 0)
        return NULL;
    /* the first read after appending flushes the buffer: one round trip */
    if (sdslen(r->ctx->obuf) > 0)
        r->roundtrips++;
    if (redisGetReply(r->ctx, &reply) != REDIS_OK || !reply) {
        snprintf(r->err, sizeof(r->err), "%s", r->ctx->errstr[0] ? r->ctx->errstr : "no reply");
        cp_redis_disconnect(r);
        return NULL;
    }
    r->pending--;
    r->replied++;
    if (((redisReply *)reply)->type == REDIS_REPLY_ERROR)
        note_error(r, reply);
    return reply;
}

int cp_redis_flush(cp_redis *r) {
    int done = 0;
    if (!r->ctx)
        return -1;
    if (sdslen(r->ctx->obuf) > 0)
        r->roundtrips++;
    while (!done) {
        if (redisBufferWrite(r->ctx, &done) != REDIS_OK) {
            snprintf(r->err, sizeof(r->err), "%s", r->ctx->errstr);
            cp_redis_disconnect(r);
            return -1;
        }
    }
    return 0;
}

int cp_redis_drain(cp_redis *r) {
    int rc = 0;
    while (r->pending > 0) {
        redisReply *reply = cp_redis_read(r);
        if (!reply)
            return -1;
        if (reply->type == REDIS_REPLY_ERROR) {
            snprintf(r->err, sizeof(r->err), "%s", reply->str);
            rc = -1;
        }
        freeReplyObject(reply);
    }
    return rc;
}

redisReply *cp_redis_command(cp_redis *r, const char *fmt, ...) {
    va_list ap;
    if (!r->ctx)
        return NULL;
    va_start(ap, fmt);
    int ok = redisvAppendCommand(r->ctx, fmt, ap) == REDIS_OK;
    va_end(ap);
    if (!ok) {
        cp_redis_fail_unsent(r, "cannot buffer a command: %s", r->ctx->errstr);
        return NULL;
    }
    r->pending++;
    r->appended++;
    r->commands++;
    return cp_redis_read(r);
}

redisReply *cp_redis_eval(cp_redis *r, const cp_lua_script *script, int argc, const char **argv,
                          const size_t *argvlen) {
    for (int attempt = 0;; attempt++) {
        if (cp_redis_ensure(r) != 0)
            return NULL;
        cp_redis_append_script(r, script, argc, argv, argvlen);
        redisReply *reply = cp_redis_read(r);
        if (!reply || attempt == 1 || !r->scripts_lost)
            return reply; /* scripts_lost: this reply was a NOSCRIPT */
        freeReplyObject(reply);
    }
}
