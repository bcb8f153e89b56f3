/* agentstore.c -- agent state in Redis (agentstore.h): the pipelines of
 * loads, writes, outbox deletions and the per-partition indexes.
 *
 * A write is one EVALSHA of agent_write.lua (its interface is at the top
 * of the file): KEYS st, ids, kpi window 1..n, points, calls, outbox, and
 * ARGV the expected version, the new one, the expiry, then operations.
 * The layout's operations (agentlayout.h) become the script's: each run of
 * operations of one kind on one key is one script operation with a count
 * ("H k n f1 v1 ..."), at most OP_MAX items long. */
#include "agentstore.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boards.h"
#include "grow.h"
#include "kafka_io.h"
#include "log.h"
#include "luascripts.h"
#include "numfmt.h"
#include "outbox.h"
#include "timefmt.h"

/* Items (fields, pairs) of one script operation: Redis's Lua unpacks at
 * most about 8000 values at once, so a longer run (a backlog's new ids, a
 * ledger's old days) is split into several operations. */
#define OP_MAX 1000

int cp_store_init(cp_store *s, cp_redis *r, const cp_config *cfg, const cp_windows *ws) {
    memset(s, 0, sizeof(*s));
    s->redis = r;
    snprintf(s->prefix, sizeof(s->prefix), "%s", cfg->redis_prefix);
    s->layout = (cp_layout){ws, (int64_t)cfg->lateness_s * 1000, cfg->ledger_days, &cfg->scorecard};
    s->expire_ms = (int64_t)cfg->idle_expire_s * 1000;
    return cp_redis_add_script(r, &cp_lua_agent_write);
}

void cp_store_free(cp_store *s) {
    cp_keyset_free(&s->drained);
    free(s->deleting);
    free(s->arena);
    free(s->offs);
    free(s->lens);
    free(s->argv);
    free(s->board_sorted);
    memset(s, 0, sizeof(*s));
}

/* ---- argument arena -------------------------------------------------------- */

static void args_reset(cp_store *s) {
    s->used = 0;
    s->n = 0;
    s->failed = NULL;
    s->op_kind = 0;
}

/* Room for one more argument of `bytes` bytes. */
static int reserve(cp_store *s, size_t bytes) {
    if (s->n < s->capoffs && s->n < s->caplens && s->used + bytes <= s->cap)
        return 0; /* the usual case: room already */
    if (cp_grow(s->offs, s->capoffs, s->n + 1) != 0 || cp_grow(s->lens, s->caplens, s->n + 1) != 0)
        return -1;
    return cp_grow(s->arena, s->cap, s->used + bytes);
}

/* Add an argument; once one is missing (s->failed) no other is added:
 * the write is not sent. */
static void arg(cp_store *s, const char *p, size_t len) {
    if (s->failed)
        return;
    if (reserve(s, len) != 0) {
        s->failed = "out of memory";
        return;
    }
    memcpy(s->arena + s->used, p, len);
    s->offs[s->n] = s->used;
    s->lens[s->n++] = len;
    s->used += len;
}

static void arg_i64(cp_store *s, int64_t v) {
    char buf[CP_NUM_TEXT_MAX];
    arg(s, buf, cp_fmt_i64(v, buf));
}

/* An agent key's name (agentlayout.h). */
static void arg_key(cp_store *s, int key, const cp_agent *a, const char *window) {
    char buf[256];
    size_t n = cp_layout_key_name(buf, sizeof(buf), s->prefix, key, a->id, window);
    if (n == 0)
        s->failed = s->failed ? s->failed : "a key name longer than 255 bytes";
    else
        arg(s, buf, n);
}

static const char **build_argv(cp_store *s) {
    if (cp_grow(s->argv, s->capargv, s->n) != 0)
        return NULL;
    for (size_t i = 0; i < s->n; i++)
        s->argv[i] = s->arena + s->offs[i];
    return s->argv;
}

/* ---- the write script's operations ---------------------------------------- */

/* KEYS index (1-based) of an agent key: st, ids, kpi 1..n, points,
 * calls, outbox (agent_write.lua). */
static size_t script_key(const cp_store *s, int key) {
    size_t nkpi = (size_t)s->layout.ws->n;
    switch (key) {
    case CP_AK_ST:
        return 1;
    case CP_AK_IDS:
        return 2;
    case CP_AK_POINTS:
        return 3 + nkpi;
    case CP_AK_CALLS:
        return 4 + nkpi;
    case CP_AK_OUTBOX:
        return 5 + nkpi;
    default:
        return 3 + (size_t)(key - CP_AK_KPI);
    }
}

/* Fill the count of the open operation in (reserved as 10 characters and
 * trimmed in place). */
static void close_op(cp_store *s) {
    char buf[CP_NUM_TEXT_MAX];
    if (s->op_kind && !s->failed) {
        size_t len = cp_fmt_i64((int64_t)s->op_count, buf);
        memcpy(s->arena + s->offs[s->op_count_at], buf, len);
        s->lens[s->op_count_at] = len;
    }
    s->op_kind = 0;
}

/* Start operation `kind` on KEYS[key]; counted ones reserve their count. */
static void open_op(cp_store *s, char kind, size_t key, int counted) {
    close_op(s);
    arg(s, &kind, 1);
    arg_i64(s, (int64_t)key);
    if (!counted)
        return;
    arg(s, "0000000000", 10);
    s->op_kind = kind;
    s->op_key = key;
    s->op_count_at = s->n - 1;
    s->op_count = 0;
}

/* The layout's operation (cp_key_op_sink): H, D and Z items join the open
 * operation of their kind and key, X and R stand alone. */
static int put_op(void *ctx, const cp_key_op *op) {
    static const char kinds[] = {[CP_KEYOP_HSET] = 'H',
                                 [CP_KEYOP_HDEL] = 'D',
                                 [CP_KEYOP_DEL] = 'X',
                                 [CP_KEYOP_ZADD] = 'Z',
                                 [CP_KEYOP_ZREMBELOW] = 'R'};
    cp_store *s = ctx;
    char kind = kinds[op->kind];
    size_t key = script_key(s, op->key);
    if (kind == 'X' || kind == 'R') {
        open_op(s, kind, key, 0);
        if (kind == 'R')
            arg(s, op->value, op->value_len);
        return s->failed ? -1 : 0;
    }
    if (s->op_kind != kind || s->op_key != key || s->op_count == OP_MAX)
        open_op(s, kind, key, 1);
    if (kind == 'Z')
        arg(s, op->value, op->value_len); /* score, then member */
    arg(s, op->name, op->name_len);
    if (kind == 'H')
        arg(s, op->value, op->value_len);
    s->op_count++;
    return s->failed ? -1 : 0;
}

/* ---- reads ------------------------------------------------------------------ */

void cp_store_append_load(cp_store *s, const cp_agent *a) {
    static const int keys[] = {CP_AK_ST, CP_AK_IDS, CP_AK_POINTS, CP_AK_CALLS, CP_AK_OUTBOX};
    char key[256];
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (cp_layout_key_name(key, sizeof(key), s->prefix, keys[i], a->id, NULL) == 0) {
            cp_redis_fail_unsent(s->redis, "the keys of %s are longer than 255 bytes", a->id);
            return;
        }
        const char *argv[] = {keys[i] == CP_AK_IDS ? "ZRANGE" : "HGETALL", key, "0", "-1",
                              "WITHSCORES"};
        cp_redis_append_strs(s->redis, keys[i] == CP_AK_IDS ? 5 : 2, argv);
    }
}

/* The keys a load reads, in reply order, to name them in errors. */
static const char *const load_keys[CP_STORE_LOAD_REPLIES] = {"st", "ids", "points", "calls",
                                                             "outbox"};

/* An array reply of strings as cp_strings (pointers into the reply).
 * -1 out of memory, -2 an element is not a string. */
static int reply_strings(const redisReply *r, cp_strings *out) {
    out->n = 0;
    out->v = malloc((r->elements + 1) * sizeof(char *));
    out->len = malloc((r->elements + 1) * sizeof(size_t));
    if (!out->v || !out->len)
        return -1;
    for (size_t i = 0; i < r->elements; i++) {
        if (r->element[i]->type != REDIS_REPLY_STRING)
            return -2;
        out->v[i] = r->element[i]->str;
        out->len[i] = r->element[i]->len;
    }
    out->n = r->elements;
    return 0;
}

/* An outbox hash's messages into out; those that cannot be parsed are
 * left in Redis and counted. */
static size_t push_outbox(const char *agent, const redisReply *h, cp_outbox *out) {
    size_t bad = 0;
    for (size_t k = 0; k + 1 < h->elements; k += 2) {
        const redisReply *id = h->element[k], *value = h->element[k + 1];
        if (id->type != REDIS_REPLY_STRING || value->type != REDIS_REPLY_STRING ||
            cp_layout_decode_message(agent, id->str, value->str, value->len, out) != 0)
            bad++;
    }
    return bad;
}

/* A reply that is an error or not an array: the step is retried. */
static int transient_reply(const cp_agent *a, redisReply *const *r, char *err, size_t errsz) {
    for (int i = 0; i < CP_STORE_LOAD_REPLIES; i++) {
        if (r[i]->type == REDIS_REPLY_ERROR) {
            snprintf(err, errsz, "reading %s:{%s}: %.400s", load_keys[i], a->id, r[i]->str);
            return 1;
        }
        if (r[i]->type != REDIS_REPLY_ARRAY) {
            snprintf(err, errsz, "reading %s:{%s}: unexpected reply of type %d", load_keys[i],
                     a->id, r[i]->type);
            return 1;
        }
    }
    return 0;
}

/* What a takeover of a state hash that cannot be decoded needs
 * (cp_agent_take_over): the version text found (NULL when none), which its
 * write must match, and the version to go on from: the number found, else
 * the wall-clock ms, above any version issued before, so a process still
 * caching an older copy stays refused (contract 3). 0, or -1 on out of
 * memory. */
static int note_found_version(cp_agent *a, const cp_strings *st) {
    int64_t found = -1;
    free(a->found_version);
    a->found_version = NULL;
    a->found_version_len = 0;
    for (size_t i = 0; i + 1 < st->n; i += 2)
        if (st->len[i] == 1 && st->v[i][0] == CP_ST_VERSION[0]) {
            size_t n = st->len[i + 1];
            char *v = realloc(a->found_version, n + 1);
            if (!v)
                return -1;
            memcpy(v, st->v[i + 1], n);
            v[n] = '\0';
            a->found_version = v;
            a->found_version_len = n;
        }
    if (!a->found_version || cp_layout_parse_i64(a->found_version, a->found_version_len, &found) ||
        found < 0)
        found = cp_now_wall_ms();
    a->version = (uint64_t)found;
    return 0;
}

int cp_store_decode_load(cp_agent *a, const cp_rules *rules, redisReply *const *r, cp_outbox *out,
                         char *err, size_t errsz) {
    cp_agent_read in;
    cp_strings *str[4] = {&in.st, &in.ids, &in.points, &in.calls};
    int rc = 0;
    memset(&in, 0, sizeof(in));
    if (transient_reply(a, r, err, errsz))
        return CP_STORE_LOAD_FAILED;
    size_t bad = push_outbox(a->id, r[4], out);
    if (bad > 0)
        cp_warn("agent %s: %zu unreadable message(s) left in outbox:{%s}", a->id, bad, a->id);
    for (int i = 0; i < 4 && rc == 0; i++) {
        int got = reply_strings(r[i], str[i]);
        if (got != 0) {
            snprintf(err, errsz, "%s:{%s}: %s", load_keys[i], a->id,
                     got == -1 ? "out of memory reading it" : "an element is not a string");
            rc = got == -1 ? CP_STORE_LOAD_NO_MEMORY : CP_STORE_LOAD_MALFORMED;
        }
    }
    int loaded = rc == 0 ? cp_layout_decode(a, rules, &in) : 0;
    if ((rc == CP_STORE_LOAD_MALFORMED || (loaded != 0 && loaded != CP_LOAD_NO_MEMORY)) &&
        note_found_version(a, &in.st) != 0)
        loaded = CP_LOAD_NO_MEMORY;    /* transient: the batch is retried */
    if (loaded == CP_LOAD_NO_MEMORY) { /* transient: the batch is retried */
        snprintf(err, errsz, "out of memory loading the state of {%s}", a->id);
        rc = CP_STORE_LOAD_NO_MEMORY;
    } else if (loaded != 0) {
        snprintf(err, errsz, "st, ids, points or calls of {%s}: a field cannot be decoded", a->id);
        rc = CP_STORE_LOAD_MALFORMED;
    }
    if (rc == 0)
        a->loaded = 1;
    for (int i = 0; i < 4; i++) {
        free(str[i]->v);
        free(str[i]->len);
    }
    return rc;
}

int cp_store_read_load(cp_store *s, cp_agent *a, const cp_rules *rules, cp_outbox *out) {
    redisReply *r[CP_STORE_LOAD_REPLIES] = {NULL};
    int rc = CP_STORE_LOAD_FAILED;
    for (int i = 0; i < CP_STORE_LOAD_REPLIES; i++) /* read them all, to stay in step */
        if (!(r[i] = cp_redis_read(s->redis)))
            goto done; /* broken: the connection is dropped, r->err says why */
    rc = cp_store_decode_load(a, rules, r, out, s->redis->err, sizeof(s->redis->err));
done:
    for (int i = 0; i < CP_STORE_LOAD_REPLIES; i++)
        if (r[i])
            freeReplyObject(r[i]);
    return rc;
}

/* ---- writes ----------------------------------------------------------------- */

/* The indexes go before the write: the outbox index must never miss an
 * entry. Returns the commands appended. */
static int append_indexes(cp_store *s, cp_agent *a, int has_messages, int64_t wall) {
    int commands = 0;
    if (has_messages && a->outbox_indexed != a->partition) {
        cp_redis_appendf(s->redis, "SADD " CP_KEY_OUTBOX_INDEX " %s", s->prefix, (int)a->partition,
                         a->id);
        a->outbox_indexed = a->partition;
        commands++;
    }
    if (a->indexed_partition != a->partition || wall - a->indexed_ms >= 3600000) {
        cp_redis_appendf(s->redis, "ZADD " CP_KEY_AGENTS_INDEX " %lld %s", s->prefix,
                         (int)a->partition, (long long)a->as_of, a->id);
        a->indexed_partition = a->partition;
        a->indexed_ms = wall;
        commands++;
    }
    return commands;
}

/* numkeys, KEYS and the first three ARGV of agent_write.lua. */
static void write_header(cp_store *s, cp_agent *a, int64_t wall) {
    const cp_windows *ws = s->layout.ws;
    arg_i64(s, ws->n + 5);
    arg_key(s, CP_AK_ST, a, NULL);
    arg_key(s, CP_AK_IDS, a, NULL);
    for (int w = 0; w < ws->n; w++)
        arg_key(s, CP_AK_KPI + w, a, ws->w[w].name);
    arg_key(s, CP_AK_POINTS, a, NULL);
    arg_key(s, CP_AK_CALLS, a, NULL);
    arg_key(s, CP_AK_OUTBOX, a, NULL);
    if (a->takeover) /* what was found, however malformed */
        arg(s, a->found_version ? a->found_version : "", a->found_version_len);
    else if (a->version) /* versions stay far below 2^63 */
        arg_i64(s, (int64_t)a->version);
    else
        arg(s, "", 0);
    arg_i64(s, (int64_t)(a->version + 1));
    /* renewing the keys' expiry on every write costs a PEXPIRE per key;
     * once an hour is plenty against an expiry of days */
    int renew = a->version == 0 || wall - a->expire_set_ms >= 3600000;
    arg_i64(s, renew ? s->expire_ms : 0);
    if (renew)
        a->expire_set_ms = wall;
}

int cp_store_append_write(cp_store *s, cp_agent *a, const cp_agent_delta *d, uint32_t windows,
                          const cp_rules *rules, const cp_outmsg *msgs, size_t nmsgs) {
    int64_t wall = cp_now_wall_ms();
    int commands = 1 + append_indexes(s, a, nmsgs > 0, wall);
    /* a takeover replaces every key: written whole (agentlayout.h) */
    cp_agent_change change = {a->takeover ? NULL : d, windows, msgs, nmsgs};
    cp_key_op_sink sink = {put_op, s};
    char why[256] = "";
    args_reset(s);
    write_header(s, a, wall);
    int rc =
        s->failed ? -1 : cp_layout_encode(&s->layout, rules, a, &change, &sink, why, sizeof(why));
    close_op(s);
    const char **argv = rc == 0 && !s->failed ? build_argv(s) : NULL;
    if (argv)
        cp_redis_append_script(s->redis, &cp_lua_agent_write, (int)s->n, argv, s->lens);
    else /* never a short command: the whole step fails and is retried */
        cp_redis_fail_unsent(s->redis, "state write of %s not sent: %s", a->id,
                             why[0]      ? why
                             : s->failed ? s->failed
                                         : "out of memory");
    return commands;
}

int cp_store_write_outcome(const redisReply *r) {
    if (r->type == REDIS_REPLY_STRING && strcmp(r->str, "ok") == 0)
        return 1;
    if (r->type == REDIS_REPLY_STRING && strncmp(r->str, "stale:", 6) == 0)
        return 0;
    return -1;
}

int cp_store_read_write(cp_store *s, cp_agent *a, int commands) {
    redisReply *r;
    while (commands-- > 1) { /* the indexes went first */
        if (!(r = cp_redis_read(s->redis)))
            return -1;
        freeReplyObject(r);
    }
    if (!(r = cp_redis_read(s->redis)))
        return -1;
    int rc = cp_store_write_outcome(r);
    if (rc == 1) {
        a->version++;
        a->takeover = 0; /* taken over: what was found is no longer needed */
        free(a->found_version);
        a->found_version = NULL;
        a->found_version_len = 0;
    } else if (rc < 0)
        snprintf(s->redis->err, sizeof(s->redis->err), "state write of %s: %s", a->id,
                 r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
    freeReplyObject(r);
    return rc;
}

void cp_store_append_unindex(cp_store *s, int32_t partition, const char *agent) {
    cp_redis_appendf(s->redis, "ZREM " CP_KEY_AGENTS_INDEX " %s", s->prefix, (int)partition, agent);
}

int cp_store_scan_index(cp_store *s, int32_t partition,
                        void (*fn)(void *ctx, const char *agent, size_t len), void *ctx) {
    redisReply *r = cp_redis_command(s->redis, "ZRANGE " CP_KEY_AGENTS_INDEX " 0 -1", s->prefix,
                                     (int)partition);
    if (!r)
        return -1;
    if (r->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < r->elements; i++)
            if (r->element[i]->type == REDIS_REPLY_STRING)
                fn(ctx, r->element[i]->str, r->element[i]->len);
    freeReplyObject(r);
    return 0;
}

int cp_store_prune_index(cp_store *s, int32_t partition, int64_t min_as_of) {
    redisReply *r =
        cp_redis_command(s->redis, "ZREMRANGEBYSCORE " CP_KEY_AGENTS_INDEX " -inf (%lld", s->prefix,
                         (int)partition, (long long)min_as_of);
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}

/* Pipeline d's HDEL and note where it went (epoch 0: nowhere). */
static void send_deletion(cp_store *s, cp_store_deletion *d) {
    cp_redis_appendf(s->redis, "HDEL " CP_KEY_OUTBOX " %s", s->prefix, d->agent, d->id);
    d->epoch = s->redis->ctx ? s->redis->epoch : 0;
    d->seq = s->redis->appended;
    /* out of memory: the next assignment's scan unindexes it */
    cp_keyset_put(&s->drained, d->agent, strlen(d->agent), 0);
}

int cp_store_append_outbox_done(cp_store *s, const char *agent, const char *id) {
    if (cp_grow(s->deleting, s->capdeleting, s->ndeleting + 1) != 0) {
        cp_store_deletion d; /* sent, not followed */
        snprintf(d.agent, sizeof(d.agent), "%s", agent);
        snprintf(d.id, sizeof(d.id), "%s", id);
        send_deletion(s, &d);
        return -1;
    }
    cp_store_deletion *d = &s->deleting[s->ndeleting++];
    snprintf(d->agent, sizeof(d->agent), "%s", agent);
    snprintf(d->id, sizeof(d->id), "%s", id);
    send_deletion(s, d);
    return 0;
}

size_t cp_store_settle_deletions(cp_store *s,
                                 void (*done)(void *ctx, const char *agent, const char *id),
                                 void *ctx) {
    const cp_redis *r = s->redis;
    uint64_t before = r->appended, epoch = r->epoch;
    size_t keep = 0;
    for (size_t i = 0; i < s->ndeleting; i++) {
        cp_store_deletion *d = &s->deleting[i];
        if (d->epoch == r->epoch && d->epoch != 0 && r->replied >= d->seq) {
            done(ctx, d->agent, d->id); /* Redis ran it */
            continue;
        }
        if (d->epoch != r->epoch && r->ctx) /* its connection was lost: again */
            send_deletion(s, d);
        s->deleting[keep++] = *d;
    }
    s->ndeleting = keep;
    return r->epoch == epoch ? (size_t)(r->appended - before) : 0;
}

/* The cached agents of s->drained, each with an HLEN appended. */
static size_t ask_lengths(cp_store *s, cp_agent *(*cached)(void *ctx, const char *agent), void *ctx,
                          cp_agent **asked) {
    size_t n = 0, at = 0;
    const char *agent;
    while (cp_keyset_next(&s->drained, &at, &agent, NULL, NULL)) {
        cp_agent *a = cached(ctx, agent);
        if (!a)
            continue;
        cp_redis_appendf(s->redis, "HLEN " CP_KEY_OUTBOX, s->prefix, a->id);
        asked[n++] = a;
    }
    cp_keyset_clear(&s->drained);
    return n;
}

int cp_store_unindex_drained(cp_store *s, cp_agent *(*cached)(void *ctx, const char *agent),
                             void *ctx) {
    int rc = 0;
    size_t removed = 0;
    if (s->drained.n == 0 || s->redis->pending > 0)
        return 0;
    cp_agent **asked = malloc(s->drained.n * sizeof(*asked));
    if (!asked)
        return 0; /* the set stays for the next call */
    size_t n = ask_lengths(s, cached, ctx, asked);
    for (size_t i = 0; i < n; i++) {
        redisReply *r = cp_redis_read(s->redis);
        if (!r) {
            rc = -1;
            goto done;
        }
        if (r->type == REDIS_REPLY_INTEGER && r->integer == 0) {
            /* appended before any later write of the agent: it SADDs again */
            cp_redis_appendf(s->redis, "SREM " CP_KEY_OUTBOX_INDEX " %s", s->prefix,
                             (int)asked[i]->partition, asked[i]->id);
            asked[i]->outbox_indexed = -1;
            removed++;
        }
        freeReplyObject(r);
    }
    if (removed > 0 && cp_redis_drain(s->redis) != 0 && !s->redis->ctx)
        rc = -1;
done:
    free(asked);
    return rc;
}

int cp_store_scan_outbox(cp_store *s, int32_t partition, cp_outbox *out) {
    redisReply *members =
        cp_redis_command(s->redis, "SMEMBERS " CP_KEY_OUTBOX_INDEX, s->prefix, (int)partition);
    int rc = 0;
    if (!members)
        return -1;
    if (members->type != REDIS_REPLY_ARRAY || members->elements == 0)
        goto done;
    for (size_t i = 0; i < members->elements; i++)
        cp_redis_appendf(s->redis, "HGETALL " CP_KEY_OUTBOX, s->prefix, members->element[i]->str);
    for (size_t i = 0; i < members->elements; i++) {
        const char *agent = members->element[i]->str;
        redisReply *h = cp_redis_read(s->redis);
        if (!h) {
            rc = -1;
            goto done;
        }
        if (h->type == REDIS_REPLY_ARRAY && h->elements == 0)
            cp_redis_appendf(s->redis, "SREM " CP_KEY_OUTBOX_INDEX " %s", s->prefix, (int)partition,
                             agent);
        if (h->type == REDIS_REPLY_ARRAY)
            push_outbox(agent, h, out); /* unreadable ones: the agent's load warns */
        freeReplyObject(h);
    }
    if (cp_redis_drain(s->redis) != 0)
        rc = -1;
done:
    freeReplyObject(members);
    return rc;
}

/* P lb:BOARD, or P agent-teams when board is NULL, into buf (room for
 * the prefix, "lb:" and a board id). */
static void board_key(const cp_store *s, const char *board, char *buf) {
    size_t n = strlen(s->prefix);
    const char *name = board ? "lb:" : "agent-teams";
    memcpy(buf, s->prefix, n);
    memcpy(buf + n, name, strlen(name));
    n += strlen(name);
    if (board) {
        size_t len = strnlen(board, CP_BOARD_ID_MAX - 1);
        memcpy(buf + n, board, len);
        n += len;
    }
    buf[n] = '\0';
}

void cp_store_append_board_op(cp_store *s, const cp_board_op *op) {
    char key[sizeof(s->prefix) + CP_BOARD_ID_MAX + 16], score[CP_NUM_TEXT_MAX];
    const char *argv[4] = {NULL, key, NULL, NULL};
    int argc = 3;
    board_key(s, op->kind == CP_BOARD_TEAM ? NULL : op->board, key);
    switch (op->kind) {
    case CP_BOARD_ZADD: /* the score as "%.2f" */
        cp_fmt_fixed(op->score, 2, score);
        argv[0] = "ZADD", argv[2] = score, argv[3] = op->agent, argc = 4;
        break;
    case CP_BOARD_ZREM:
        argv[0] = "ZREM", argv[2] = op->agent;
        break;
    default:
        if (op->team[0])
            argv[0] = "HSET", argv[2] = op->agent, argv[3] = op->team, argc = 4;
        else
            argv[0] = "HDEL", argv[2] = op->agent;
        break;
    }
    cp_redis_append_strs(s->redis, argc, argv);
}

/* Board, then agent, then the order they came in. */
static int board_op_order(const void *x, const void *y) {
    const cp_board_op *a = *(const cp_board_op *const *)x, *b = *(const cp_board_op *const *)y;
    int c = strcmp(a->board, b->board);
    if (c == 0)
        c = strcmp(a->agent, b->agent);
    return c != 0 ? c : (a > b) - (a < b);
}

/* The last op of each agent among sorted[from, to) (one board), of `kind`,
 * as one command: ZADD key score agent ..., or ZREM key agent ...; 1 when
 * one was appended. */
static size_t board_command(cp_store *s, const cp_board_op **sorted, size_t from, size_t to,
                            cp_board_op_kind kind) {
    char key[sizeof(s->prefix) + CP_BOARD_ID_MAX + 16];
    size_t argc = 0;
    board_key(s, sorted[from]->board, key);
    args_reset(s);
    arg(s, kind == CP_BOARD_ZADD ? "ZADD" : "ZREM", 4);
    arg(s, key, strlen(key));
    for (size_t i = from; i < to; i++) {
        const cp_board_op *op = sorted[i];
        if (i + 1 < to && strcmp(sorted[i + 1]->agent, op->agent) == 0)
            continue; /* a later op of the same agent decides */
        if (op->kind != kind)
            continue;
        if (kind == CP_BOARD_ZADD) { /* the score as "%.2f" */
            char score[CP_NUM_TEXT_MAX];
            arg(s, score, cp_fmt_fixed(op->score, 2, score));
        }
        arg(s, op->agent, strlen(op->agent));
        argc++;
    }
    if (argc == 0)
        return 0;
    const char **argv = !s->failed ? build_argv(s) : NULL;
    if (!argv) {
        cp_redis_fail_unsent(s->redis, "board commands of %s not sent: out of memory", key);
        return 0;
    }
    cp_redis_append(s->redis, (int)s->n, argv, s->lens);
    return 1;
}

size_t cp_store_append_board_ops(cp_store *s, const cp_board_op *ops, size_t n) {
    size_t commands = 0, m = 0;
    if (n == 0)
        return 0;
    if (cp_grow(s->board_sorted, s->capboard_sorted, n) != 0) { /* one by one, then */
        for (size_t i = 0; i < n; i++)
            cp_store_append_board_op(s, &ops[i]);
        return n;
    }
    for (size_t i = 0; i < n; i++) {
        if (ops[i].kind != CP_BOARD_TEAM) {
            s->board_sorted[m++] = &ops[i];
            continue;
        }
        cp_store_append_board_op(s, &ops[i]);
        commands++;
    }
    qsort(s->board_sorted, m, sizeof(*s->board_sorted), board_op_order);
    for (size_t from = 0, to; from < m; from = to) {
        for (to = from + 1;
             to < m && strcmp(s->board_sorted[to]->board, s->board_sorted[from]->board) == 0; to++)
            ;
        commands += board_command(s, s->board_sorted, from, to, CP_BOARD_ZADD);
        commands += board_command(s, s->board_sorted, from, to, CP_BOARD_ZREM);
    }
    return commands;
}
