/* outputs.c -- the outputs suite's stream generator, runner and
 * comparison (outputs.h). */
#include "outputs.h"

#include <check.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIN_MS 60000LL

/* ---- the generated stream -------------------------------------------------- */

static uint64_t rng_next(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Uniform in lo..hi (inclusive). */
static int64_t rng_range(uint64_t *s, int64_t lo, int64_t hi) {
    return lo + (int64_t)(rng_next(s) % (uint64_t)(hi - lo + 1));
}

static int rng_chance(uint64_t *s, double p) {
    return (double)(rng_next(s) % 1000000) < p * 1000000.0;
}

/* What one agent does over the two hours. */
typedef struct agent_plan {
    char id[16], team[8];
    int fast;       /* short calls: reaches the answer-rate goal */
    int star;       /* complaints turned round: past the daily cap */
    int64_t capper; /* a star whose points pass the cap in a partial clip:
                       after this local midnight its day is one 5-star
                       survey (10), then only 50s, 25s and 100s */
    int capper_surveyed;
    int64_t degrade_from, degrade_to; /* bad calls in between (0, 0: never) */
    int64_t quiet_at;                 /* no event from then on */
    int64_t long_at;                  /* the first call offered after it is long (0: none) */
    int long_alone;                   /* nothing else of the agent while it lasts */
    int64_t open_at;                  /* a call answered then, never ended (0: none) */
} agent_plan;

/* A stream under construction. */
typedef struct gen {
    out_event *ev;
    size_t n, cap;
    uint64_t rng;
    uint64_t seed;
    int64_t end_ms;
    unsigned seq; /* event ids */
} gen;

/* The stream's time stamps: epoch ms, or RFC 3339 in UTC or at +08:00. */
static void format_ts(int64_t ts, uint64_t *rng, char *buf, size_t size) {
    int pick = (int)(rng_next(rng) % 10), off = pick == 9 ? 480 : 0;
    if (pick < 7) {
        snprintf(buf, size, "%lld", (long long)ts);
        return;
    }
    time_t secs = (time_t)((ts + off * MIN_MS) / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, size, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03d%s\"", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ts % 1000),
             off ? "+08:00" : "Z");
}

/* Append one event of agent a at ts (dropped when past the stream's end);
 * extra holds the type's own fields, starting with a comma. */
static out_event *emit(gen *g, const agent_plan *a, const char *type, int64_t ts, const char *call,
                       out_kind kind, const char *extra) {
    char t[64], team[32] = "", callf[64] = "";
    if (ts > g->end_ms)
        return NULL;
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 4096;
        g->ev = realloc(g->ev, g->cap * sizeof(*g->ev));
        ck_assert_ptr_nonnull(g->ev);
    }
    out_event *e = &g->ev[g->n++];
    memset(e, 0, sizeof(*e));
    snprintf(e->id, sizeof(e->id), "g%llu-%s-%u", (unsigned long long)g->seed, a->id, g->seq++);
    snprintf(e->agent, sizeof(e->agent), "%s", a->id);
    snprintf(e->call, sizeof(e->call), "%s", call ? call : "");
    e->kind = kind;
    e->ts = ts;
    /* disorder: a quarter arrive up to 150 s late, some surveys up to 300 s;
     * never near the 600 s lateness horizon */
    e->send = ts;
    if (rng_chance(&g->rng, 0.25))
        e->send += rng_range(&g->rng, 0, 150000);
    if (strcmp(type, "survey") == 0 && rng_chance(&g->rng, 0.3))
        e->send += rng_range(&g->rng, 0, 300000);
    format_ts(ts, &g->rng, t, sizeof(t));
    if (!rng_chance(&g->rng, 0.2)) /* an event without team_id keeps the last one */
        snprintf(team, sizeof(team), ",\"team_id\":\"%s\"", a->team);
    if (call)
        snprintf(callf, sizeof(callf), ",\"call_id\":\"%s\"", call);
    int n = snprintf(e->json, sizeof(e->json),
                     "{\"event_id\":\"%s\",\"type\":\"%s\",\"agent_id\":\"%s\"%s,\"ts\":%s%s%s}",
                     e->id, type, a->id, team, t, callf, extra ? extra : "");
    ck_assert_int_lt(n, (int)sizeof(e->json));
    e->json_len = (size_t)n;
    return e;
}

static int degraded(const agent_plan *a, int64_t t) {
    return a->degrade_from && t >= a->degrade_from && t < a->degrade_to;
}

static int pick_csat(gen *g, const agent_plan *a, int bad) {
    int64_t r = rng_range(&g->rng, 0, 99);
    if (bad)
        return r < 80 ? 1 + (int)(r % 2) : 3;
    if (a->star)
        return r < 90 ? 5 : 4;
    return r < 45 ? 5 : r < 80 ? 4 : r < 92 ? 3 : r < 97 ? 2 : 1;
}

/* A survey and a QA score some minutes after a call, sometimes; none once
 * the agent has gone quiet. */
static void aftermath(gen *g, agent_plan *a, const char *call, int64_t end, int bad) {
    char x[64];
    if (a->capper) { /* its day's points stay 10 more than a multiple of 25 */
        if (!a->capper_surveyed && end >= a->capper) {
            a->capper_surveyed = 1;
            emit(g, a, "survey", end + 60000, call, OUT_EV_OTHER, ",\"csat\":5");
        }
        return;
    }
    if (rng_chance(&g->rng, bad ? 0.7 : a->star ? 0.6 : 0.35)) {
        int64_t ts = end + rng_range(&g->rng, 60000, 540000);
        snprintf(x, sizeof(x), ",\"csat\":%d", pick_csat(g, a, bad));
        if (ts < a->quiet_at)
            emit(g, a, "survey", ts, call, OUT_EV_OTHER, x);
    }
    if (rng_chance(&g->rng, 0.15)) {
        int64_t ts = end + rng_range(&g->rng, 300000, 1500000);
        snprintf(x, sizeof(x), ",\"qa_score\":%.1f",
                 (double)rng_range(&g->rng, bad ? 20 : 60, bad ? 70 : 99) + 0.5);
        if (ts < a->quiet_at)
            emit(g, a, "qa_scored", ts, call, OUT_EV_OTHER, x);
    }
}

/* One answered call from t, ended and wrapped up (its survey and QA are
 * drawn by the caller). is_long: 16 to 25 minutes on the line. Returns
 * when the agent is free again; *end when the call ended. */
static int64_t answered_call(gen *g, const agent_plan *a, const char *call, int64_t t, int is_long,
                             int64_t *end) {
    char x[400];
    int bad = degraded(a, t);
    int64_t ring = rng_range(&g->rng, 3000, 20000), answered = t + ring;
    snprintf(x, sizeof(x), ",\"ring_s\":%lld", (long long)(ring / 1000));
    emit(g, a, "call_answered", answered, call, OUT_EV_ANSWERED, x);
    /* a degraded agent's system reports long talk, hold and wrap-up on
     * calls that end quickly (so five of them fit a 15-minute window) */
    int64_t dur = is_long   ? rng_range(&g->rng, 960000, 1500000)
                  : bad     ? rng_range(&g->rng, 40000, 90000)
                  : a->fast ? rng_range(&g->rng, 30000, 150000)
                            : rng_range(&g->rng, 60000, 360000);
    if (!is_long && !bad && rng_chance(&g->rng, 0.03))
        dur = rng_range(&g->rng, 2000, 9000); /* a short call */
    int64_t talk = bad ? rng_range(&g->rng, 420, 700) : dur / 1000;
    int64_t hold = bad ? rng_range(&g->rng, 60, 150) : rng_range(&g->rng, 0, a->fast ? 15 : 40);
    int64_t acw = bad ? rng_range(&g->rng, 60, 200) : rng_range(&g->rng, 10, 60);
    int transferred = rng_chance(&g->rng, bad ? 0.6 : 0.07);
    int resolved = a->capper || rng_chance(&g->rng, bad ? 0.2 : a->star ? 0.95 : 0.75);
    int complaint = a->capper || rng_chance(&g->rng, bad ? 0.3 : a->star ? 0.45 : 0.05);
    int sale = rng_chance(&g->rng, 0.12);
    int acw_inline = bad || rng_chance(&g->rng, 0.6);
    static const char *by[] = {"agent", "customer", "system"};
    *end = answered + dur;
    int n = snprintf(x, sizeof(x),
                     ",\"talk_s\":%lld,\"hold_s\":%lld,\"transferred\":%s,\"resolved\":%s,"
                     "\"complaint\":%s,\"sale\":%s,\"disconnected_by\":\"%s\"",
                     (long long)talk, (long long)hold, transferred ? "true" : "false",
                     resolved ? "true" : "false", complaint ? "true" : "false",
                     sale ? "true" : "false", by[rng_next(&g->rng) % 3]);
    if (sale)
        n += snprintf(x + n, sizeof(x) - (size_t)n, ",\"sale_value\":%lld.%02lld",
                      (long long)rng_range(&g->rng, 10, 900), (long long)rng_range(&g->rng, 0, 99));
    if (acw_inline)
        snprintf(x + n, sizeof(x) - (size_t)n, ",\"acw_s\":%lld", (long long)acw);
    emit(g, a, "call_ended", *end, call, OUT_EV_ENDED, x);
    if (!acw_inline) {
        snprintf(x, sizeof(x), ",\"acw_s\":%lld", (long long)acw);
        emit(g, a, "wrapup_ended", *end + acw * 1000, call, OUT_EV_OTHER, x);
    }
    return *end + (bad ? rng_range(&g->rng, 5000, 15000) : acw * 1000);
}

static void state(gen *g, const agent_plan *a, int64_t ts, const char *st, const char *reason) {
    char x[96];
    if (reason)
        snprintf(x, sizeof(x), ",\"state\":\"%s\",\"reason\":\"%s\"", st, reason);
    else
        snprintf(x, sizeof(x), ",\"state\":\"%s\"", st);
    emit(g, a, "agent_state", ts, NULL, OUT_EV_OTHER, x);
}

/* The gap before the agent's next call. */
static int64_t gap(gen *g, const agent_plan *a, int64_t t) {
    if (degraded(a, t) || a->fast)
        return rng_range(&g->rng, 5000, 40000);
    return rng_range(&g->rng, 20000, 120000);
}

/* The call before a lonely long call leaves nothing that lands inside it:
 * no survey or QA score of a call that ended less than 26 minutes before. */
static int keeps_quiet(const agent_plan *a, int64_t end) {
    return a->long_alone && a->long_at && end >= a->long_at - 26 * MIN_MS;
}

/* Every event of one agent, from its first call to its quiet time. */
static void agent_events(gen *g, agent_plan *a, int64_t start) {
    char call[40];
    int k = 0;
    int64_t t = start + rng_range(&g->rng, 0, 180000), end;
    state(g, a, t, "available", NULL);
    while (t < a->quiet_at && t <= g->end_ms) {
        if (a->open_at && t >= a->open_at) { /* answered, still on the line at the end */
            snprintf(call, sizeof(call), "c-%s-%d", a->id, k++);
            emit(g, a, "call_offered", t, call, OUT_EV_OTHER, "");
            emit(g, a, "call_answered", t + 5000, call, OUT_EV_ANSWERED, ",\"ring_s\":5");
            return;
        }
        if (!degraded(a, t) && rng_chance(&g->rng, 0.04)) { /* a break */
            int64_t len = rng_range(&g->rng, 4 * MIN_MS, 20 * MIN_MS);
            state(g, a, t, "break", rng_chance(&g->rng, 0.5) ? "lunch" : "coffee");
            state(g, a, t + len, "available", NULL);
            t += len + 1000;
            continue;
        }
        int bad = degraded(a, t);
        snprintf(call, sizeof(call), "c-%s-%d", a->id, k++);
        emit(g, a, "call_offered", t, call, OUT_EV_OTHER, "");
        if (rng_chance(&g->rng, bad ? 0.4 : a->star ? 0.0 : 0.05)) {
            int64_t ring = rng_range(&g->rng, 5000, 25000);
            emit(g, a, "call_missed", t + ring, call, OUT_EV_OTHER, "");
            t += ring + gap(g, a, t);
            continue;
        }
        int is_long = a->long_at && t >= a->long_at;
        if (is_long)
            a->long_at = 0;
        t = answered_call(g, a, call, t, is_long, &end);
        if (!keeps_quiet(a, end))
            aftermath(g, a, call, end, bad);
        t += gap(g, a, t);
    }
    if (t <= g->end_ms)
        state(g, a, t, "offline", NULL);
}

/* Who does what: the agent's index decides its part. */
static void plan(agent_plan *a, int i, int agents, int64_t start, int64_t midnight, uint64_t *rng) {
    memset(a, 0, sizeof(*a));
    snprintf(a->id, sizeof(a->id), "p%03d", i);
    snprintf(a->team, sizeof(a->team), "t%d", i % 10);
    a->star = i == 2 || i == 10;
    a->fast = i % 4 == 1 || a->star;
    if (i == 10)
        a->capper = midnight;
    a->quiet_at = INT64_MAX;
    if (i % 8 == 3) { /* degrades, then recovers: its bad surveys slide out before the end */
        a->degrade_from = start + rng_range(rng, 10, 20) * MIN_MS;
        a->degrade_to = start + rng_range(rng, 30, 40) * MIN_MS;
    }
    if (i % 10 == 7) /* goes quiet */
        a->quiet_at = start + rng_range(rng, 60, 100) * MIN_MS;
    if (i % 16 == 11) { /* degrades, then goes quiet while degraded */
        a->quiet_at = start + rng_range(rng, 70, 80) * MIN_MS;
        a->degrade_to = a->quiet_at;
    }
    if (i % 7 == 2 && !a->star) { /* a long call with nothing else of the agent meanwhile */
        a->long_at = start + rng_range(rng, 20, 80) * MIN_MS;
        a->long_alone = 1;
    }
    if (i % 7 == 4) /* a long call while its surveys keep coming */
        a->long_at = start + rng_range(rng, 20, 90) * MIN_MS;
    if (i == agents - 1)
        a->open_at = start + 100 * MIN_MS;
}

/* A day offset that puts a local midnight at at_ms (to the minute). */
static int offset_with_midnight_at(int64_t at_ms) {
    int64_t minute_of_day = (at_ms / MIN_MS) % 1440;
    int off = (int)((1440 - minute_of_day) % 1440);
    return off > 840 ? off - 1440 : off;
}

static int by_send(const void *x, const void *y) {
    const out_event *a = x, *b = y;
    if (a->send != b->send)
        return a->send < b->send ? -1 : 1;
    return strcmp(a->id, b->id); /* a re-send is always sent later than its original */
}

/* Re-sends of about 3% of the events, byte for byte, up to 100 s after the
 * original: with its own delay (up to 450 s) still inside the 600 s
 * lateness horizon, so every re-send is recognised as a duplicate. */
static void add_duplicates(gen *g) {
    size_t n = g->n;
    for (size_t i = 0; i < n; i++) {
        if (!rng_chance(&g->rng, 0.03))
            continue;
        if (g->n == g->cap) {
            g->cap *= 2;
            g->ev = realloc(g->ev, g->cap * sizeof(*g->ev));
            ck_assert_ptr_nonnull(g->ev);
        }
        out_event *d = &g->ev[g->n++];
        *d = g->ev[i];
        d->dup = 1;
        d->send += rng_range(&g->rng, 1000, 100000);
    }
}

void out_stream_from_events(out_stream *s, out_event *ev, size_t n, int day_offset_min) {
    memset(s, 0, sizeof(*s));
    s->ev = ev;
    s->n = n;
    s->day_offset_min = day_offset_min;
    s->out = calloc(n, sizeof(*s->out));
    s->partition = malloc(n * sizeof(*s->partition));
    s->offset = malloc(n * sizeof(*s->offset));
    ck_assert(s->out && s->partition && s->offset);
    for (size_t i = 0; i < n; i++) {
        s->out[i] = (h_out){ev[i].agent, strlen(ev[i].agent), ev[i].json, ev[i].json_len, -1, -1};
        s->partition[i] = -1;
        s->offset[i] = -1;
    }
}

void out_stream_make(out_stream *s, uint64_t seed, int agents, int64_t end_ms) {
    gen g = {.rng = seed * 2654435761ULL + 7, .seed = seed, .end_ms = end_ms};
    int64_t start = end_ms - 120 * MIN_MS, midnight = (start + 40 * MIN_MS) / MIN_MS * MIN_MS;
    agent_plan a;
    for (int i = 0; i < agents; i++) {
        plan(&a, i, agents, start, midnight, &g.rng);
        agent_events(&g, &a, start);
    }
    add_duplicates(&g);
    qsort(g.ev, g.n, sizeof(*g.ev), by_send); /* (send, id) is unique: deterministic */
    out_stream_from_events(s, g.ev, g.n, offset_with_midnight_at(midnight));
    s->start_ms = start;
    s->end_ms = end_ms;
}

void out_stream_free(out_stream *s) {
    free(s->ev);
    free(s->out);
    free(s->partition);
    free(s->offset);
    memset(s, 0, sizeof(*s));
}

/* ---- running a stream ------------------------------------------------------ */

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void out_config(char *cfg, size_t size, int day_offset_min, int batch_max) {
    snprintf(cfg, size,
             "{\"windows\":{\"idle_s\":0,\"day_offset_min\":%d},"
             "\"kafka\":{\"commit_interval_ms\":100,\"properties\":{\"session.timeout.ms\":"
             "\"6000\",\"heartbeat.interval.ms\":\"500\",\"fetch.wait.max.ms\":\"10\"}},"
             "\"processor\":{\"batch_max\":%d}}",
             day_offset_min, batch_max);
}

/* The sum of the group's committed offsets on OUT_TOPIC; -1 on error. */
static int64_t committed_total(rd_kafka_t *rk, int partitions) {
    int64_t sum = 0;
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++)
        rd_kafka_topic_partition_list_add(l, OUT_TOPIC, p);
    if (rd_kafka_committed(rk, l, 5000) != 0)
        sum = -1;
    for (int i = 0; sum >= 0 && i < l->cnt; i++)
        if (l->elems[i].offset > 0)
            sum += l->elems[i].offset;
    rd_kafka_topic_partition_list_destroy(l);
    return sum;
}

/* A client that reads the group's committed offsets. */
static rd_kafka_t *group_reader(const h_env *e, const char *group) {
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    ck_assert(rd_kafka_conf_set(conf, "bootstrap.servers", e->brokers, err, sizeof(err)) ==
              RD_KAFKA_CONF_OK);
    rd_kafka_conf_set(conf, "group.id", group, err, sizeof(err));
    rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    ck_assert_msg(rk != NULL, "%s", err);
    return rk;
}

/* Partitions whose resume position in Redis (resume.h: cp:resume:pN o) is
 * below the group's committed offset: a write was left behind there
 * (engine.h: write-behind) and a new owner must read from it. */
static int partitions_held(const h_env *e, const char *group, int partitions) {
    rd_kafka_t *rk = group_reader(e, group);
    redisContext *rc = h_redis_connect(e);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(partitions);
    int held = 0;
    for (int p = 0; p < partitions; p++)
        rd_kafka_topic_partition_list_add(l, OUT_TOPIC, p);
    ck_assert_int_eq(rd_kafka_committed(rk, l, 5000), 0);
    for (int i = 0; i < l->cnt; i++) {
        redisReply *r = redisCommand(rc, "HGET cp:resume:p%d o", (int)l->elems[i].partition);
        ck_assert(r != NULL);
        if (r->type == REDIS_REPLY_STRING && r->len > 0 && atoll(r->str) < l->elems[i].offset)
            held++;
        freeReplyObject(r);
    }
    rd_kafka_topic_partition_list_destroy(l);
    redisFree(rc);
    rd_kafka_destroy(rk);
    return held;
}

int out_wait_committed(const h_env *e, const char *group, int partitions, int64_t target,
                       const h_proc *proc, int timeout_ms) {
    int rc = -1;
    rd_kafka_t *rk = group_reader(e, group);
    int64_t deadline = mono_ms() + timeout_ms;
    for (;;) {
        if (committed_total(rk, partitions) >= target) {
            rc = 0;
            break;
        }
        if (mono_ms() >= deadline || (proc && !h_alive(proc)))
            break;
        h_sleep_ms(20);
    }
    rd_kafka_destroy(rk);
    return rc;
}

/* Produce s->out[from..to) and check where each event landed against the
 * first run: the premise of every comparison is the same partition order. */
static void produce_range(out_stream *s, rd_kafka_t *prod, size_t from, size_t to) {
    h_produce_many(prod, OUT_TOPIC, s->out + from, to - from);
    for (size_t i = from; i < to; i++) {
        if (s->partition[i] < 0) {
            s->partition[i] = s->out[i].partition;
            s->offset[i] = s->out[i].offset;
        }
        ck_assert_msg(s->partition[i] == s->out[i].partition && s->offset[i] == s->out[i].offset,
                      "event %s landed at %d/%lld, in the first run at %d/%lld: the runs do not "
                      "share one partition order",
                      s->ev[i].id, (int)s->out[i].partition, (long long)s->out[i].offset,
                      (int)s->partition[i], (long long)s->offset[i]);
    }
}

/* The live ways of feeding: small chunks with short sleeps, or one event
 * at a time, each once the previous one is committed. */
static int produce_live(out_stream *s, const out_run *r, h_env *e, rd_kafka_t *prod,
                        const h_proc *run, int partitions) {
    if (r->mode == OUT_PACED) {
        for (size_t from = 0; from < s->n; from += 150) {
            produce_range(s, prod, from, from + 150 < s->n ? from + 150 : s->n);
            h_sleep_ms(25);
        }
        return 0;
    }
    for (size_t i = 0; i < s->n; i++) {
        produce_range(s, prod, i, i + 1);
        if (out_wait_committed(e, r->name, partitions, (int64_t)i + 1, run, 20000) != 0)
            return -1;
    }
    return 0;
}

/* Kill -9 the processor (or Redis) once half the input is committed, and
 * start it again. 0, or -1 with why. */
static int fault(out_stream *s, const out_run *r, h_env *e, h_proc *run, const char *cfg,
                 int partitions, char *why, size_t whysz) {
    if (out_wait_committed(e, r->name, partitions, (int64_t)s->n / 2, run, 60000) != 0) {
        snprintf(why, whysz, "half the input never committed (see %s)", run->log);
        return -1;
    }
    if (r->mode == OUT_KILL9) {
        ck_assert_int_eq(h_stop(run, SIGKILL, 5000), 128 + SIGKILL);
        if (out_wait_committed(e, r->name, partitions, (int64_t)s->n, NULL, 0) == 0) {
            snprintf(why, whysz, "killed after the end of the input: not mid-stream");
            return -1;
        }
        /* committed in Kafka, not yet in Redis: the restart must find it */
        if (partitions_held(e, r->name, partitions) == 0) {
            snprintf(why, whysz, "killed with no write left behind: write-behind not exercised");
            return -1;
        }
        h_run_start(e, run, cfg, r->name, "run2");
        return 0;
    }
    h_stop(&e->redis, SIGKILL, 5000);
    if (h_wait_log(run, "Redis unavailable", 20000) != 0) {
        snprintf(why, whysz, "the Redis outage was not noticed (see %s)", run->log);
        return -1;
    }
    if (out_wait_committed(e, r->name, partitions, (int64_t)s->n, run, 0) == 0) {
        snprintf(why, whysz, "Redis went after the end of the input: not mid-stream");
        return -1;
    }
    h_sleep_ms(1000);
    h_redis_start(e);
    if (h_wait_log(run, "Redis is back", 30000) != 0) {
        snprintf(why, whysz, "consumption did not resume after Redis came back (see %s)", run->log);
        return -1;
    }
    return 0;
}

/* Feed the stream as r says and wait until all of it is committed. */
static int feed(out_stream *s, const out_run *r, h_env *e, h_proc *run, const char *cfg,
                int partitions, char *why, size_t whysz) {
    rd_kafka_t *prod = h_producer(e);
    int rc = -1;
    int live = r->mode == OUT_PACED || r->mode == OUT_ONE_BY_ONE;
    if (!live)
        produce_range(s, prod, 0, s->n);
    h_run_start(e, run, cfg, r->name, "run");
    if (live) {
        if (h_wait_log(run, "assigned", 30000) != 0) {
            snprintf(why, whysz, "no partitions assigned (see %s)", run->log);
            goto cleanup;
        }
        if (produce_live(s, r, e, prod, run, partitions) != 0) {
            snprintf(why, whysz, "an event was not committed in time (see %s)", run->log);
            goto cleanup;
        }
    }
    if ((r->mode == OUT_KILL9 || r->mode == OUT_REDIS_RESTART) &&
        fault(s, r, e, run, cfg, partitions, why, whysz) != 0)
        goto cleanup;
    if (out_wait_committed(e, r->name, partitions, (int64_t)s->n, run, 120000) != 0) {
        snprintf(why, whysz, "not caught up in 120 s%s (see %s)", h_alive(run) ? "" : ", died",
                 run->log);
        goto cleanup;
    }
    rc = 0;
cleanup:
    rd_kafka_destroy(prod);
    return rc;
}

/* The (last) processor's own account of the run. */
static void print_summary(const char *label, const h_proc *run) {
    static const char *const fields[] = {"consumed",        "applied",        "duplicates",
                                         "replayed",        "redis_failures", "agent_writes",
                                         "writes_deferred", "rewinds"};
    json_t *j = h_run_summary(run);
    fprintf(stderr, "%s: processor summary:", label);
    for (size_t i = 0; j && i < sizeof(fields) / sizeof(fields[0]); i++)
        fprintf(stderr, " %s %lld", fields[i],
                (long long)json_integer_value(json_object_get(j, fields[i])));
    fprintf(stderr, "%s\n", j ? "" : " none");
    json_decref(j);
}

int out_run_stream(out_stream *s, const out_run *r, int partitions, out_result *res, char *why,
                   size_t whysz) {
    h_env e;
    h_proc run;
    char cfg[512], text[512];
    int64_t t0 = mono_ms();
    memset(res, 0, sizeof(*res));
    memset(&run, 0, sizeof(run));
    res->alerts = json_object();
    res->rewards = json_object();
    why[0] = '\0';
    h_env_start(&e, partitions);
    out_config(text, sizeof(text), s->day_offset_min, r->batch_max);
    snprintf(cfg, sizeof(cfg), "%s", h_write_config(&e, "c.json", text));
    int rc = feed(s, r, &e, &run, cfg, partitions, why, whysz);
    int status = h_stop(&run, SIGTERM, 15000);
    if (rc == 0 && status != 0) {
        snprintf(why, whysz, "exit status %d on SIGTERM (see %s)", status, run.log);
        rc = -1;
    }
    res->seconds = (double)(mono_ms() - t0) / 1000.0;
    print_summary(r->name, &run);
    json_t *sum = h_run_summary(&run);
    if (rc == 0 && r->mode == OUT_KILL9 &&
        json_integer_value(json_object_get(sum, "rewinds")) < 1) {
        snprintf(why, whysz, "the restart did not read from the positions left behind (see %s)",
                 run.log);
        rc = -1;
    }
    json_decref(sum);
    res->alert_msgs = out_read(&e, "agent-alerts", "alert_id", res->alerts, &res->copies_differ);
    res->reward_msgs =
        out_read(&e, "agent-rewards", "reward_id", res->rewards, &res->copies_differ);
    if (rc == 0) {
        h_env_stop(&e);
    } else { /* keep the logs */
        h_stop(&e.broker, SIGTERM, 5000);
        h_redis_stop(&e);
    }
    return rc;
}

void out_result_free(out_result *res) {
    json_decref(res->alerts);
    json_decref(res->rewards);
    memset(res, 0, sizeof(*res));
}

/* ---- collecting and comparing ---------------------------------------------- */

json_t *out_normalize(json_t *msg) {
    json_t *n = json_deep_copy(msg);
    json_object_del(n, "buddy");
    return n;
}

static int same_but_buddy(json_t *a, json_t *b) {
    json_t *x = out_normalize(a), *y = out_normalize(b);
    int same = json_equal(x, y);
    json_decref(x);
    json_decref(y);
    return same;
}

static void print_msg(const char *label, const char *side, json_t *m) {
    char *t = json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS);
    fprintf(stderr, "  %s %s %s\n", label, side, t ? t : "?");
    free(t);
}

int out_collect(json_t *into, const char *idf, const void *key, size_t key_len, const char *value,
                size_t value_len, char *why, size_t whysz) {
    json_t *m = json_loadb(value, value_len, 0, NULL);
    const char *id = json_string_value(json_object_get(m, idf));
    const char *agent = json_string_value(json_object_get(m, "agent_id"));
    int rc = -1;
    if (!m || !id || !agent) {
        snprintf(why, whysz, "a message without %s or agent_id: %.*s", idf, (int)value_len, value);
        goto cleanup;
    }
    if (!key || key_len != strlen(agent) || memcmp(key, agent, key_len) != 0) {
        snprintf(why, whysz, "%s is not keyed by its agent", id);
        goto cleanup;
    }
    json_t *old = json_object_get(into, id);
    if (old && !same_but_buddy(old, m)) {
        snprintf(why, whysz, "two copies of %s differ", id);
        print_msg("copy", "first ", old);
        print_msg("copy", "second", m);
        goto cleanup;
    }
    if (!old)
        json_object_set(into, id, m);
    rc = 0;
cleanup:
    json_decref(m);
    return rc;
}

size_t out_read(const h_env *e, const char *topic, const char *idf, json_t *into,
                int *copies_differ) {
    h_msgs m;
    char why[256];
    h_read_topic(e, topic, &m);
    for (size_t i = 0; i < m.n; i++) {
        if (out_collect(into, idf, m.v[i].key, m.v[i].key_len, m.v[i].value, m.v[i].value_len, why,
                        sizeof(why)) != 0) {
            fprintf(stderr, "%s: %s\n", topic, why);
            *copies_differ = 1;
        }
    }
    size_t n = m.n;
    h_msgs_free(&m);
    return n;
}

typedef struct keyed {
    const char *id;
    int64_t as_of;
} keyed;

static int by_as_of(const void *x, const void *y) {
    const keyed *a = x, *b = y;
    if (a->as_of != b->as_of)
        return a->as_of < b->as_of ? -1 : 1;
    return strcmp(a->id, b->id);
}

/* Every id of a and b, in (as_of, id) order, once. */
static keyed *union_ids(json_t *a, json_t *b, size_t *n) {
    size_t cap = json_object_size(a) + json_object_size(b) + 1, k = 0;
    keyed *v = calloc(cap, sizeof(*v));
    const char *id;
    json_t *m;
    ck_assert_ptr_nonnull(v);
    json_object_foreach(a, id, m) {
        v[k++] = (keyed){id, json_integer_value(json_object_get(m, "as_of"))};
    }
    json_object_foreach(b, id, m) {
        if (!json_object_get(a, id))
            v[k++] = (keyed){id, json_integer_value(json_object_get(m, "as_of"))};
    }
    qsort(v, k, sizeof(*v), by_as_of);
    *n = k;
    return v;
}

/* "long-call 40, csat-low 2": how many of the differences each rule has. */
static void print_by_rule(const char *label, json_t *by_rule) {
    const char *rule;
    json_t *n;
    fprintf(stderr, "%s: by rule:", label);
    json_object_foreach(by_rule, rule, n) {
        fprintf(stderr, " %s %lld", rule, (long long)json_integer_value(n));
    }
    fprintf(stderr, "\n");
}

size_t out_compare(const char *label, json_t *a, json_t *b, size_t show) {
    size_t n, missing = 0, extra = 0, changed = 0, shown = 0;
    keyed *ids = union_ids(a, b, &n);
    json_t *by_rule = json_object();
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_object_get(a, ids[i].id), *y = json_object_get(b, ids[i].id);
        if (x && y && same_but_buddy(x, y))
            continue;
        const char *rule = json_string_value(json_object_get(x ? x : y, "rule_id"));
        rule = rule ? rule : "?";
        json_object_set_new(by_rule, rule,
                            json_integer(json_integer_value(json_object_get(by_rule, rule)) + 1));
        missing += !y;
        extra += !x;
        changed += x && y;
        if (shown++ >= show)
            continue;
        fprintf(stderr, "%s: %s\n", label, !y ? "missing" : !x ? "extra" : "changed");
        if (x)
            print_msg(label, "reference:", x);
        if (y)
            print_msg(label, "this run: ", y);
    }
    free(ids);
    if (missing + extra + changed) {
        fprintf(stderr, "%s: %zu missing, %zu extra, %zu changed (of %zu in the reference)\n",
                label, missing, extra, changed, json_object_size(a));
        print_by_rule(label, by_rule);
    }
    json_decref(by_rule);
    return missing + extra + changed;
}

/* ---- long calls, from the contract ----------------------------------------- */

typedef struct open_call {
    const out_event *answered;
    int fired;
    int gone; /* ended (or ended before it was answered) */
} open_call;

/* An event's place in the topic. */
typedef struct place {
    int32_t partition;
    int64_t offset;
    size_t index;
} place;

static int by_place(const void *x, const void *y) {
    const place *a = x, *b = y;
    if (a->partition != b->partition)
        return a->partition < b->partition ? -1 : 1;
    return a->offset < b->offset ? -1 : a->offset > b->offset;
}

static int same_call(const out_event *a, const out_event *b) {
    return strcmp(a->agent, b->agent) == 0 && strcmp(a->call, b->call) == 0;
}

static void expect(json_t *exp, const char *rule_id, const out_event *ans, const char *state,
                   int64_t as_of, int64_t end, const out_event *cause) {
    char id[160];
    snprintf(id, sizeof(id), "%s:%s:%s:%s", rule_id, ans->agent, ans->call, state);
    json_object_set_new(exp, id,
                        json_pack("{s:s, s:I, s:f, s:o}", "state", state, "as_of",
                                  (json_int_t)as_of, "value", (double)(end - ans->ts) / 1000.0,
                                  "event_id", cause ? json_string(cause->id) : json_null()));
}

/* One event of a partition: the calls its clock fires, then its own part. */
static void long_call_step(json_t *exp, const char *rule_id, int64_t max_ms, open_call *calls,
                           size_t *ncalls, const out_event *e, int64_t clock) {
    for (size_t i = 0; i < *ncalls; i++) {
        open_call *c = &calls[i];
        if (c->fired || c->gone || c->answered->ts + max_ms > clock)
            continue; /* (its own call_ended reaching the deadline fires it, then resolves it) */
        c->fired = 1;
        expect(exp, rule_id, c->answered, "firing", clock, clock,
               strcmp(e->agent, c->answered->agent) == 0 ? e : NULL);
    }
    open_call *known = NULL;
    for (size_t i = 0; i < *ncalls; i++)
        if (same_call(calls[i].answered, e))
            known = &calls[i];
    if (e->kind == OUT_EV_ANSWERED && !known)
        calls[(*ncalls)++] = (open_call){e, 0, 0};
    if (e->kind == OUT_EV_ENDED && known && !known->gone) {
        if (known->fired)
            expect(exp, rule_id, known->answered, "resolved", clock, e->ts, e);
        known->gone = 1;
    }
    if (e->kind == OUT_EV_ENDED && !known) /* ended first: never opens */
        calls[(*ncalls)++] = (open_call){e, 0, 1};
}

json_t *out_expected_long_calls(const out_stream *s, const char *rule_id, int64_t max_ms) {
    json_t *exp = json_object();
    place *order = malloc(s->n * sizeof(*order));
    open_call *calls = calloc(s->n, sizeof(*calls));
    size_t ncalls = 0;
    ck_assert(order && calls);
    for (size_t i = 0; i < s->n; i++) {
        ck_assert_msg(s->partition[i] >= 0, "the stream has not landed yet");
        order[i] = (place){s->partition[i], s->offset[i], i};
    }
    qsort(order, s->n, sizeof(*order), by_place);
    int64_t clock = INT64_MIN;
    for (size_t k = 0; k < s->n; k++) {
        const out_event *e = &s->ev[order[k].index];
        if (k == 0 || order[k].partition != order[k - 1].partition) {
            clock = INT64_MIN; /* a new partition, a new clock */
            ncalls = 0;
        }
        if (e->ts > clock)
            clock = e->ts;
        if (!e->dup) /* a re-send changes nothing, and its ts is behind the clock */
            long_call_step(exp, rule_id, max_ms, calls, &ncalls, e, clock);
    }
    free(order);
    free(calls);
    return exp;
}

static int long_call_matches(json_t *want, json_t *got) {
    json_t *we = json_object_get(want, "event_id"), *ge = json_object_get(got, "event_id");
    double wv = json_number_value(json_object_get(want, "value"));
    double gv = json_number_value(json_object_get(got, "value"));
    return json_equal(json_object_get(want, "state"), json_object_get(got, "state")) &&
           json_integer_value(json_object_get(want, "as_of")) ==
               json_integer_value(json_object_get(got, "as_of")) &&
           wv - gv < 1e-6 && gv - wv < 1e-6 && ge && json_equal(we, ge);
}

size_t out_check_long_calls(const char *label, json_t *expected, json_t *alerts,
                            const char *rule_id, size_t show) {
    const char *id;
    json_t *m;
    size_t bad = 0, missing = 0, unexpected = 0;
    json_object_foreach(expected, id, m) {
        json_t *got = json_object_get(alerts, id);
        if (got && long_call_matches(m, got))
            continue;
        missing += !got;
        if (bad++ < show) {
            fprintf(stderr, "%s: long call %s %s\n", label, id, got ? "differs" : "missing");
            print_msg(label, "expected:", m);
            if (got)
                print_msg(label, "got:     ", got);
        }
    }
    json_object_foreach(alerts, id, m) {
        const char *rule = json_string_value(json_object_get(m, "rule_id"));
        if (!rule || strcmp(rule, rule_id) != 0 || json_object_get(expected, id))
            continue;
        unexpected++;
        if (bad++ < show) {
            fprintf(stderr, "%s: long call %s not expected\n", label, id);
            print_msg(label, "got:     ", m);
        }
    }
    if (bad)
        fprintf(stderr,
                "%s: %zu long-call problems of %zu expected messages: %zu missing, %zu "
                "unexpected, %zu at another clock, value or event_id\n",
                label, bad, json_object_size(expected), missing, unexpected,
                bad - missing - unexpected);
    return bad;
}
