/* agentstore.c -- agent state in Redis (agentstore.h).
 *
 * The write is agent_write.lua (luascripts.h), a tiny interpreter of
 * operations so that one cached script serves every shape of change; its
 * KEYS, ARGV and operations are described at the top of that file. */
#include "agentstore.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boards.h"
#include "kafka_io.h"
#include "kpi.h"
#include "log.h"
#include "luascripts.h"
#include "outbox.h"
#include "timefmt.h"

int cp_store_init(cp_store *s, cp_redis *r, const cp_config *cfg, const cp_windows *ws) {
    memset(s, 0, sizeof(*s));
    s->redis = r;
    s->ws = ws;
    snprintf(s->prefix, sizeof(s->prefix), "%s", cfg->redis_prefix);
    s->lateness_ms = (int64_t)cfg->lateness_s * 1000;
    s->expire_ms = (int64_t)cfg->idle_expire_s * 1000;
    s->ledger_days = cfg->ledger_days;
    s->scorecard = &cfg->scorecard;
    return cp_redis_add_script(r, &cp_lua_agent_write);
}

void cp_store_free(cp_store *s) {
    cp_msgset_free(&s->drained);
    free(s->deleting);
    free(s->arena);
    free(s->offs);
    free(s->lens);
    free(s->argv);
    memset(s, 0, sizeof(*s));
}

/* ---- argument arena -------------------------------------------------------- */

static void args_reset(cp_store *s) {
    s->used = 0;
    s->n = 0;
    s->oom = 0;
}

static int reserve(cp_store *s, size_t bytes) {
    if (s->n == s->capn) {
        size_t c = s->capn ? s->capn * 2 : 256;
        size_t *o = realloc(s->offs, c * sizeof(*o)), *l;
        if (!o)
            return -1;
        s->offs = o;
        if (!(l = realloc(s->lens, c * sizeof(*l))))
            return -1;
        s->lens = l;
        s->capn = c;
    }
    if (s->used + bytes > s->cap) {
        size_t c = s->cap ? s->cap * 2 : 8192;
        while (c < s->used + bytes)
            c *= 2;
        char *a = realloc(s->arena, c);
        if (!a)
            return -1;
        s->arena = a;
        s->cap = c;
    }
    return 0;
}

static void arg(cp_store *s, const char *p, size_t len) {
    if (reserve(s, len) != 0) {
        s->oom = 1; /* the command is not sent: cp_store_append_write */
        return;
    }
    memcpy(s->arena + s->used, p, len);
    s->offs[s->n] = s->used;
    s->lens[s->n++] = len;
    s->used += len;
}

static void argf(cp_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void argf(cp_store *s, const char *fmt, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(buf))
        s->oom = 1; /* never a truncated argument: the command is not sent */
    else
        arg(s, buf, (size_t)n);
}

static void args_str(cp_store *s, const char *str) {
    arg(s, str, strlen(str));
}

/* Replace the count placeholder at index at by n. */
static void set_count(cp_store *s, size_t at, size_t n) {
    char buf[24];
    if (s->oom)
        return; /* `at` may not be the placeholder: the command is not sent */
    int len = snprintf(buf, sizeof(buf), "%zu", n);
    /* counts are reserved as 10 characters and trimmed in place */
    memcpy(s->arena + s->offs[at], buf, (size_t)len);
    s->lens[at] = (size_t)len;
}

static size_t count_placeholder(cp_store *s) {
    arg(s, "0000000000", 10);
    return s->n - 1;
}

static const char **build_argv(cp_store *s) {
    if (s->n > s->capargv) {
        const char **a = realloc(s->argv, s->n * sizeof(*a));
        if (!a)
            return NULL;
        s->argv = a;
        s->capargv = s->n;
    }
    for (size_t i = 0; i < s->n; i++)
        s->argv[i] = s->arena + s->offs[i];
    return s->argv;
}

/* ---- reads ------------------------------------------------------------------ */

void cp_store_append_load(cp_store *s, const cp_agent *a) {
    cp_redis_appendf(s->redis, "HGETALL %sst:{%s}", s->prefix, a->id);
    cp_redis_appendf(s->redis, "ZRANGE %sids:{%s} 0 -1 WITHSCORES", s->prefix, a->id);
    cp_redis_appendf(s->redis, "HGETALL %spoints:{%s}", s->prefix, a->id);
    cp_redis_appendf(s->redis, "HGETALL %scalls:{%s}", s->prefix, a->id);
    cp_redis_appendf(s->redis, "HGETALL %soutbox:{%s}", s->prefix, a->id);
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
        cp_emit_kind kind;
        char *json;
        if (id->type != REDIS_REPLY_STRING || value->type != REDIS_REPLY_STRING ||
            cp_outbox_parse(value->str, value->len, &kind, &json) != 0) {
            bad++;
            continue;
        }
        cp_outbox_push(out, kind, agent, id->str, json); /* out of memory: next load */
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

int cp_store_decode_load(cp_agent *a, const cp_rules *rules, redisReply *const *r, cp_outbox *out,
                         char *err, size_t errsz) {
    cp_strings str[4];
    int rc = 0;
    memset(str, 0, sizeof(str));
    if (transient_reply(a, r, err, errsz))
        return -1;
    size_t bad = push_outbox(a->id, r[4], out);
    if (bad > 0)
        cp_warn("agent %s: %zu unreadable message(s) left in outbox:{%s}", a->id, bad, a->id);
    for (int i = 0; i < 4 && rc == 0; i++) {
        int got = reply_strings(r[i], &str[i]);
        if (got != 0) {
            snprintf(err, errsz, "%s:{%s}: %s", load_keys[i], a->id,
                     got == -1 ? "out of memory reading it" : "an element is not a string");
            rc = got == -1 ? -1 : -2;
        }
    }
    int loaded = rc == 0 ? cp_agent_load(a, rules, &str[0], &str[1], &str[2], &str[3]) : 0;
    if (loaded == CP_LOAD_NO_MEMORY) { /* transient: the batch is retried */
        snprintf(err, errsz, "out of memory loading the state of {%s}", a->id);
        rc = -1;
    } else if (loaded != 0) {
        snprintf(err, errsz, "st, ids, points or calls of {%s}: a field cannot be decoded", a->id);
        rc = -2;
    }
    if (rc == 0)
        a->loaded = 1;
    for (int i = 0; i < 4; i++) {
        free(str[i].v);
        free(str[i].len);
    }
    return rc;
}

int cp_store_read_load(cp_store *s, cp_agent *a, const cp_rules *rules, cp_outbox *out) {
    redisReply *r[CP_STORE_LOAD_REPLIES] = {NULL};
    int rc = -1;
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

/* H st: as_of, partition, team, applied offsets, changed panes, the day. */
static void state_fields(cp_store *s, const cp_agent *a, const cp_agent_delta *d,
                         const cp_rules *rules) {
    char sums[CP_SUMS_TEXT_MAX];
    args_str(s, "H");
    args_str(s, "1");
    size_t count = count_placeholder(s), pairs = 0;
    args_str(s, "a");
    argf(s, "%" PRId64, a->as_of);
    args_str(s, "p");
    argf(s, "%" PRId32, a->partition);
    pairs += 2;
    if (d->team_changed || a->version == 0) {
        args_str(s, "t");
        args_str(s, a->team);
        pairs++;
    }
    if (strcmp(a->boards.team, a->team) != 0) { /* its board entries move: boards.h */
        args_str(s, "T");
        args_str(s, a->team);
        args_str(s, "P");
        args_str(s, a->boards.team);
        pairs += 2;
    }
    for (size_t i = 0; i < d->noffsets; i++, pairs++) {
        argf(s, "o%" PRId32, d->offsets[i].partition);
        argf(s, "%" PRId64, d->offsets[i].offset);
    }
    for (size_t i = 0; i < d->nbuckets; i++) {
        const cp_bucket *b = cp_wstore_find(&a->w, d->buckets[i]);
        if (!b)
            continue; /* pruned in the same step */
        argf(s, "b%" PRId64, b->b);
        arg(s, sums, cp_sums_encode(&b->s, sums));
        pairs++;
    }
    if (d->applied || d->day_rolled || a->version == 0) {
        args_str(s, "d");
        argf(s, "%" PRId64, a->w.day);
        args_str(s, "s");
        arg(s, sums, cp_sums_encode(&a->w.day_sums, sums));
        pairs += 2;
    }
    for (int r = 0; r < rules->n && r < a->rules.nstate && r < 64; r++, pairs++) {
        if (!(a->rules.dirty_rules & (1ULL << r))) {
            pairs--;
            continue;
        }
        char state[128];
        argf(s, "r:%s", rules->v[r].id);
        arg(s, state, cp_rule_state_encode(&a->rules.state[r], state, sizeof(state)));
    }
    set_count(s, count, pairs);
}

/* The calls hash is rewritten whole when it changed (16 entries at most). */
static void call_ops(cp_store *s, const cp_agent *a, int key) {
    const cp_agent_rules *ar = &a->rules;
    if (!ar->calls_dirty)
        return;
    args_str(s, "X");
    argf(s, "%d", key);
    if (ar->nopen + ar->nended == 0)
        return;
    args_str(s, "H");
    argf(s, "%d", key);
    argf(s, "%d", ar->nopen + ar->nended);
    for (int i = 0; i < ar->nopen; i++) {
        argf(s, "o:%s", ar->open[i].call_id);
        argf(s, "%" PRId64 ",%llx", ar->open[i].ts, (unsigned long long)ar->open[i].fired);
    }
    for (int i = 0; i < ar->nended; i++) {
        argf(s, "e:%s", ar->ended[i].call_id);
        argf(s, "%" PRId64, ar->ended[i].ts);
    }
}

/* The points ledger: total and the days whose points changed, and, in the
 * same atomic step, the deletion of the day fields older than
 * rewards.ledger_days before the newest day granted (ledger.h). The span
 * of day fields in Redis moves on as this write leaves it; a write that
 * fails reloads the agent, span included. */
static void points_ops(cp_store *s, cp_agent *a, int key) {
    cp_agent_rules *ar = &a->rules;
    cp_ledger_span *span = &ar->points.stored;
    int64_t newest = INT64_MIN, from = 0, to = -1;
    char field[CP_LEDGER_FIELD_SIZE];
    if (!ar->points_dirty)
        return;
    for (int i = 0; i < CP_POINT_DAYS && ar->points_days_dirty[i] != CP_NO_DAY; i++)
        if (ar->points_days_dirty[i] > newest)
            newest = ar->points_days_dirty[i];
    int64_t keep_from = cp_ledger_keep_from(newest, s->ledger_days);
    cp_ledger_prune(span, keep_from, &from, &to);
    args_str(s, "H");
    argf(s, "%d", key);
    size_t count = count_placeholder(s), pairs = 1;
    args_str(s, "total");
    argf(s, "%" PRId64, ar->points.total);
    for (int i = 0; i < CP_POINT_DAYS && ar->points_days_dirty[i] != CP_NO_DAY; i++) {
        for (int k = 0; k < CP_POINT_DAYS; k++) {
            int64_t day = ar->points.days[k].day;
            if (day != ar->points_days_dirty[i] || day < keep_from)
                continue; /* a day before those kept is not written */
            arg(s, field, cp_ledger_field(day, field, sizeof(field)));
            argf(s, "%" PRId64, ar->points.days[k].points);
            cp_ledger_span_add(span, day);
            pairs++;
        }
    }
    set_count(s, count, pairs);
    while (from <= to) { /* D k n day:... in chunks the script can unpack */
        int64_t n = to - from + 1 < CP_LEDGER_DELETE_CHUNK ? to - from + 1 : CP_LEDGER_DELETE_CHUNK;
        args_str(s, "D");
        argf(s, "%d", key);
        argf(s, "%" PRId64, n);
        for (int64_t i = 0; i < n; i++, from++)
            arg(s, field, cp_ledger_field(from, field, sizeof(field)));
    }
}

static void outbox_ops(cp_store *s, const cp_outmsg *msgs, size_t n, int key) {
    if (n == 0)
        return;
    args_str(s, "H");
    argf(s, "%d", key);
    argf(s, "%zu", n);
    for (size_t i = 0; i < n; i++) {
        args_str(s, msgs[i].id);
        char *v = cp_outbox_value(msgs[i].kind, msgs[i].json);
        if (v) {
            args_str(s, v);
            free(v);
        } else {
            s->oom = 1; /* the command is not sent: cp_store_append_write */
        }
    }
}

static void dropped_fields(cp_store *s, const cp_agent_delta *d) {
    if (d->ndropped == 0)
        return;
    args_str(s, "D");
    args_str(s, "1");
    argf(s, "%zu", d->ndropped);
    for (size_t i = 0; i < d->ndropped; i++)
        argf(s, "b%" PRId64, d->dropped[i]);
}

/* Ids older than the horizon are left out: the prune would drop them in
 * the same step (a backlog batch spans hours of event time). */
static void id_ops(cp_store *s, const cp_agent *a, const cp_agent_delta *d) {
    int64_t horizon = a->as_of - s->lateness_ms;
    size_t keep = 0;
    for (size_t i = 0; i < d->nnew_ids; i++)
        keep += d->new_ids[i]->ts_ms >= horizon;
    if (keep > 0) {
        args_str(s, "Z");
        args_str(s, "2");
        argf(s, "%zu", keep);
        for (size_t i = 0; i < d->nnew_ids; i++) {
            if (d->new_ids[i]->ts_ms < horizon)
                continue;
            argf(s, "%" PRId64, d->new_ids[i]->ts_ms);
            arg(s, d->new_ids[i]->event_id, d->new_ids[i]->event_id_len);
        }
    }
    if (d->ids_pruned == 0)
        return; /* Redis holds no more ids than the cache: nothing to prune */
    args_str(s, "R");
    args_str(s, "2");
    argf(s, "%" PRId64, a->as_of - s->lateness_ms);
}

/* The fields of a KPI hash besides as_of: every metric, then score and
 * tier (section 4). */
#define KPI_FIELDS (CP_M_COUNT + 2)

static const char *field_name(int f) {
    return f < CP_M_COUNT ? cp_metric_name((cp_metric)f) : f == CP_M_COUNT ? "score" : "tier";
}

/* The sums a field depends on (score and tier: all of them). */
static uint32_t field_inputs(int f) {
    return f < CP_M_COUNT ? cp_metric_inputs((cp_metric)f) : 0xFFFFFFFFu;
}

/* A field's text; "" when absent (no denominator, or no score). */
static void field_text(const cp_store *s, const cp_sums *sums, int f, char *buf, size_t size) {
    double score;
    if (f < CP_M_COUNT) {
        cp_metric_format(sums, (cp_metric)f, buf, size);
    } else if (cp_score(s->scorecard, sums, &score) != 0) {
        buf[0] = '\0';
    } else if (f == CP_M_COUNT) {
        snprintf(buf, size, "%.2f", score);
    } else {
        snprintf(buf, size, "%s", cp_tier_name(cp_tier_of(s->scorecard, score)));
    }
}

/* One KPI hash at a->as_of. When the sums last written are known, only
 * the fields whose text changed are set (and vanished ones deleted): a
 * survey touches a handful of fields, not 30. Otherwise the hash is
 * rewritten whole. */
static void kpi_fields(cp_store *s, const cp_agent *a, int w, const cp_sums *sums) {
    char value[64], old[64];
    int diff = (a->written_known & (1u << w)) != 0;
    uint32_t changed = 0; /* sums that differ from what was written */
    size_t gone = 0;
    for (int i = 0; diff && i < CP_S_COUNT; i++)
        if (sums->v[i] != a->written[w].v[i])
            changed |= 1u << i;
    if (!diff) {
        args_str(s, "X");
        argf(s, "%d", 3 + w);
    }
    args_str(s, "H");
    argf(s, "%d", 3 + w);
    size_t count = count_placeholder(s), pairs = 1;
    args_str(s, "as_of"); /* when these sums became what they are (agentstep.h) */
    argf(s, "%" PRId64, a->kpi_as_of[w]);
    for (int f = 0; f < KPI_FIELDS; f++) {
        if (diff && !(field_inputs(f) & changed))
            continue; /* its inputs did not move: neither did its text */
        field_text(s, sums, f, value, sizeof(value));
        if (diff) {
            field_text(s, &a->written[w], f, old, sizeof(old));
            if (strcmp(old, value) == 0)
                continue;
            if (!value[0]) {
                gone++;
                continue;
            }
        } else if (!value[0]) {
            continue; /* absent */
        }
        args_str(s, field_name(f));
        args_str(s, value);
        pairs++;
    }
    set_count(s, count, pairs);
    if (gone == 0)
        return;
    args_str(s, "D");
    argf(s, "%d", 3 + w);
    argf(s, "%zu", gone);
    for (int f = 0; f < KPI_FIELDS; f++) {
        if (!(field_inputs(f) & changed))
            continue;
        field_text(s, sums, f, value, sizeof(value));
        field_text(s, &a->written[w], f, old, sizeof(old));
        if (!value[0] && old[0])
            args_str(s, field_name(f));
    }
}

int cp_store_append_write(cp_store *s, cp_agent *a, const cp_agent_delta *d, uint32_t windows,
                          const cp_rules *rules, const cp_outmsg *msgs, size_t nmsgs) {
    cp_sums sums;
    int nk = 2 + s->ws->n, commands = 1;
    int64_t wall = cp_now_wall_ms();
    /* the indexes go first: the outbox index must never miss an entry */
    if (nmsgs > 0 && a->outbox_indexed != a->partition) {
        cp_redis_appendf(s->redis, "SADD %soutbox:p%d %s", s->prefix, (int)a->partition, a->id);
        a->outbox_indexed = a->partition;
        commands++;
    }
    if (a->indexed_partition != a->partition || wall - a->indexed_ms >= 3600000) {
        cp_redis_appendf(s->redis, "ZADD %sagents:%d %lld %s", s->prefix, (int)a->partition,
                         (long long)a->as_of, a->id);
        a->indexed_partition = a->partition;
        a->indexed_ms = wall;
        commands++;
    }
    args_reset(s);
    argf(s, "%d", nk + 3);
    argf(s, "%sst:{%s}", s->prefix, a->id);
    argf(s, "%sids:{%s}", s->prefix, a->id);
    for (int w = 0; w < s->ws->n; w++)
        argf(s, "%skpi:{%s}:%s", s->prefix, a->id, s->ws->w[w].name);
    argf(s, "%spoints:{%s}", s->prefix, a->id);
    argf(s, "%scalls:{%s}", s->prefix, a->id);
    argf(s, "%soutbox:{%s}", s->prefix, a->id);
    if (a->version)
        argf(s, "%" PRIu64, a->version);
    else
        arg(s, "", 0);
    argf(s, "%" PRIu64, a->version + 1);
    /* renewing the keys' expiry on every write costs a PEXPIRE per key;
     * once an hour is plenty against an expiry of days */
    int renew = a->version == 0 || wall - a->expire_set_ms >= 3600000;
    argf(s, "%" PRId64, renew ? s->expire_ms : 0);
    if (renew)
        a->expire_set_ms = wall;
    state_fields(s, a, d, rules);
    dropped_fields(s, d);
    id_ops(s, a, d);
    for (int w = 0; w < s->ws->n; w++) {
        if (!(windows & (1u << w)))
            continue;
        cp_wstore_window(&a->w, s->ws, w, a->as_of, &sums);
        kpi_fields(s, a, w, &sums);
        a->written[w] = sums;
        a->written_known |= 1u << w;
    }
    points_ops(s, a, nk + 1);
    call_ops(s, a, nk + 2);
    outbox_ops(s, msgs, nmsgs, nk + 3);
    const char **argv = s->oom ? NULL : build_argv(s);
    if (argv)
        cp_redis_append_script(s->redis, &cp_lua_agent_write, (int)s->n, argv, s->lens);
    else /* never a short command: the whole step fails and is retried */
        cp_redis_fail(s->redis,
                      "cannot build the state write of %s (out of memory or an over-long argument)",
                      a->id);
    return commands;
}

int cp_store_read_write(cp_store *s, cp_agent *a, int commands) {
    redisReply *r;
    int rc;
    while (commands-- > 1) { /* the indexes went first */
        if (!(r = cp_redis_read(s->redis)))
            return -1;
        freeReplyObject(r);
    }
    if (!(r = cp_redis_read(s->redis)))
        return -1;
    if (r->type == REDIS_REPLY_STRING && strcmp(r->str, "ok") == 0) {
        a->version++;
        rc = 1;
    } else if (r->type == REDIS_REPLY_STRING && strncmp(r->str, "stale:", 6) == 0) {
        rc = 0;
    } else {
        snprintf(s->redis->err, sizeof(s->redis->err), "state write of %s: %s", a->id,
                 r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
        rc = -1;
    }
    freeReplyObject(r);
    return rc;
}

void cp_store_append_unindex(cp_store *s, int32_t partition, const char *agent) {
    cp_redis_appendf(s->redis, "ZREM %sagents:%d %s", s->prefix, (int)partition, agent);
}

int cp_store_scan_index(cp_store *s, int32_t partition,
                        void (*fn)(void *ctx, const char *agent, size_t len), void *ctx) {
    redisReply *r =
        cp_redis_command(s->redis, "ZRANGE %sagents:%d 0 -1", s->prefix, (int)partition);
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
    redisReply *r = cp_redis_command(s->redis, "ZREMRANGEBYSCORE %sagents:%d -inf (%lld", s->prefix,
                                     (int)partition, (long long)min_as_of);
    if (!r)
        return -1;
    freeReplyObject(r);
    return 0;
}

/* Pipeline d's HDEL and note where it went (epoch 0: nowhere). */
static void send_deletion(cp_store *s, cp_store_deletion *d) {
    cp_redis_appendf(s->redis, "HDEL %soutbox:{%s} %s", s->prefix, d->agent, d->id);
    d->epoch = s->redis->ctx ? s->redis->epoch : 0;
    d->seq = s->redis->appended;
    cp_msgset_add(&s->drained, d->agent, ""); /* out of memory: the next assignment's scan */
}

int cp_store_append_outbox_done(cp_store *s, const char *agent, const char *id) {
    if (s->ndeleting == s->capdeleting) {
        size_t cap = s->capdeleting ? s->capdeleting * 2 : 64;
        cp_store_deletion *v = realloc(s->deleting, cap * sizeof(*v));
        if (!v) {
            cp_store_deletion d;
            snprintf(d.agent, sizeof(d.agent), "%s", agent);
            snprintf(d.id, sizeof(d.id), "%s", id);
            send_deletion(s, &d);
            return -1;
        }
        s->deleting = v;
        s->capdeleting = cap;
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
    const char *agent, *none;
    while (cp_msgset_next(&s->drained, &at, &agent, &none)) {
        cp_agent *a = cached(ctx, agent);
        if (!a)
            continue;
        cp_redis_appendf(s->redis, "HLEN %soutbox:{%s}", s->prefix, a->id);
        asked[n++] = a;
    }
    cp_msgset_clear(&s->drained);
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
            cp_redis_appendf(s->redis, "SREM %soutbox:p%d %s", s->prefix, (int)asked[i]->partition,
                             asked[i]->id);
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
        cp_redis_command(s->redis, "SMEMBERS %soutbox:p%d", s->prefix, (int)partition);
    int rc = 0;
    if (!members)
        return -1;
    if (members->type != REDIS_REPLY_ARRAY || members->elements == 0)
        goto done;
    for (size_t i = 0; i < members->elements; i++)
        cp_redis_appendf(s->redis, "HGETALL %soutbox:{%s}", s->prefix, members->element[i]->str);
    for (size_t i = 0; i < members->elements; i++) {
        const char *agent = members->element[i]->str;
        redisReply *h = cp_redis_read(s->redis);
        if (!h) {
            rc = -1;
            goto done;
        }
        if (h->type == REDIS_REPLY_ARRAY && h->elements == 0)
            cp_redis_appendf(s->redis, "SREM %soutbox:p%d %s", s->prefix, (int)partition, agent);
        for (size_t k = 0; h->type == REDIS_REPLY_ARRAY && k + 1 < h->elements; k += 2) {
            cp_emit_kind kind;
            char *json;
            if (cp_outbox_parse(h->element[k + 1]->str, h->element[k + 1]->len, &kind, &json) == 0)
                cp_outbox_push(out, kind, agent, h->element[k]->str, json);
        }
        freeReplyObject(h);
    }
    if (cp_redis_drain(s->redis) != 0)
        rc = -1;
done:
    freeReplyObject(members);
    return rc;
}

void cp_store_append_board_op(cp_store *s, const cp_board_op *op) {
    switch (op->kind) {
    case CP_BOARD_ZADD:
        cp_redis_appendf(s->redis, "ZADD %slb:%s %.2f %s", s->prefix, op->board, op->score,
                         op->agent);
        break;
    case CP_BOARD_ZREM:
        cp_redis_appendf(s->redis, "ZREM %slb:%s %s", s->prefix, op->board, op->agent);
        break;
    default:
        if (op->team[0])
            cp_redis_appendf(s->redis, "HSET %sagent-teams %s %s", s->prefix, op->agent, op->team);
        else
            cp_redis_appendf(s->redis, "HDEL %sagent-teams %s", s->prefix, op->agent);
        break;
    }
}
