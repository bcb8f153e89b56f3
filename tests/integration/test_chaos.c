/* test_chaos.c -- the chaos test of issue 10 (contract sections 3, 5 and
 * 7): a generated stream produced in chunks while one `callpulse run
 * --http` processes it, and meanwhile a seeded schedule of faults on its
 * Redis (AOF, appendfsync always) at random points mid-stream: SIGSTOP for
 * a few seconds, kill -9 and a restart from the AOF, a clean SHUTDOWN and a
 * restart a few seconds later, SCRIPT FLUSH, CLIENT KILL TYPE normal, and
 * once about 8 s of writes answering OOM while PING still works (/healthz
 * must say 503 then, and 200 after).
 *
 * At the end: the processor is alive and exits 0 on SIGTERM; no outbox
 * holds anything; every points ledger credit has its reward on
 * agent-rewards (totals and day: fields); every alert that an agent's rule
 * state or open calls say was sent is on agent-alerts; and the same
 * stream run once more in a fresh environment without faults gives the
 * same alert and reward ids with the same fields (buddy aside), the same
 * ledgers and every KPI hash equal (that run is checked against the
 * oracle too).
 *
 * Findings are collected and reported together, with the seed and the
 * schedule as run; CALLPULSE_CHAOS_SEED=S replays a schedule and the
 * stream (its events, at timestamps relative to now), and
 * CALLPULSE_CHAOS_FAULTS=N plans N faults (at most 12) besides the write
 * outage (0: neither, the same paced run without any fault, to tell what
 * the faults cause from what pacing alone causes). */
#include <check.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checks.h"
#include "harness.h"
#include "oracle.h"
#include "stream.h"

#define PARTS         4
#define AGENTS        40
#define QUIET         5
#define EVENTS        20000
#define CHUNKS        40
#define FAULTS        12 /* besides the one write outage */
#define PACE_MS       100
#define SETTLE_MS     10000 /* for the processor to catch up before a fault */
#define OOM_HOLD_MS   8000
#define ALERTS_TOPIC  "agent-alerts"
#define REWARDS_TOPIC "agent-rewards"
#define GOAL_RULE     "answer-rate-goal" /* the default KPI goal: its day is as_of's */
#define BUDDY_TAIL    " does well on the same team and could help."

typedef enum { F_FREEZE, F_KILL9, F_SHUTDOWN, F_SCRIPT_FLUSH, F_CLIENT_KILL, F_OOM } fault_kind;
#define F_KINDS 5 /* the repeated kinds; F_OOM comes once */

static const char *fault_names[] = {"SIGSTOP",      "kill -9 + restart",       "SHUTDOWN + restart",
                                    "SCRIPT FLUSH", "CLIENT KILL TYPE normal", "writes OOM"};

typedef struct fault {
    int chunk; /* the chunk produced just before it */
    fault_kind kind;
    int delay_ms; /* then this long before the fault */
    int hold_ms;  /* Redis stopped, down or out of memory this long */
} fault;

/* What went wrong, one line each: the test fails at the end with all. */
typedef struct findings {
    char text[24576];
    size_t len;
    int n;
} findings;

typedef struct chaos {
    uint64_t seed, rng;
    fault plan[FAULTS + 1];
    int nplan;
    char schedule[8192]; /* the faults as run: when, what, what Redis said */
    size_t schedule_len;
    findings f;
    stream s;
    json_t *event_ts; /* event_id -> ts, for the day of a reward */
    h_env e;
    h_proc run;
    rd_kafka_t *producer;
    int next_chunk;
    int port;
    int64_t t0;
} chaos;

/* What one run left: messages by id (first copy, buddy aside), ledgers
 * and KPI hashes; everything owned here (outputs_free). */
typedef struct outputs {
    json_t *alerts;  /* alert_id -> message */
    json_t *rewards; /* reward_id -> message */
    json_t *points;  /* agent -> {field: value} */
    json_t *kpi;     /* "agent window" -> {field: value} */
    size_t alert_copies, reward_copies;
} outputs;

static int64_t mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t rng_next(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int rng_between(uint64_t *s, int lo, int hi) {
    return lo + (int)(rng_next(s) % (uint64_t)(hi - lo + 1));
}

static void append(char *buf, size_t size, size_t *len, const char *fmt, va_list ap) {
    if (*len + 1 >= size)
        return;
    int n = vsnprintf(buf + *len, size - *len, fmt, ap);
    if (n > 0)
        *len = *len + (size_t)n < size ? *len + (size_t)n : size - 1;
}

static void finding(chaos *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void finding(chaos *c, const char *fmt, ...) {
    char line[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    size_t n = strlen(line);
    c->f.n++;
    if (c->f.len + n + 2 > sizeof(c->f.text))
        return;
    memcpy(c->f.text + c->f.len, line, n);
    c->f.len += n;
    c->f.text[c->f.len++] = '\n';
    c->f.text[c->f.len] = '\0';
}

static void note(chaos *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(chaos *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    append(c->schedule, sizeof(c->schedule), &c->schedule_len, fmt, ap);
    va_end(ap);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

/* ---- the plan ------------------------------------------------------------ */

/* Every kind at least twice, the rest at random, shuffled; one write
 * outage among them; distinct chunks between the third and the last but
 * two (the chunk being stored when the fault comes), so there is work
 * before and after each. */
static void plan_make(chaos *c, int faults) {
    int kinds[FAULTS], chunks[CHUNKS], nchunks = 0;
    c->nplan = 0;
    if (faults <= 0)
        return;
    for (int i = 0; i < faults; i++)
        kinds[i] = i < 2 * F_KINDS ? i % F_KINDS : (int)(rng_next(&c->rng) % F_KINDS);
    for (int i = faults - 1; i > 0; i--) {
        int j = (int)(rng_next(&c->rng) % (uint64_t)(i + 1)), t = kinds[i];
        kinds[i] = kinds[j];
        kinds[j] = t;
    }
    for (int k = 2; k < CHUNKS - 2; k++)
        chunks[nchunks++] = k;
    for (int i = 0; i < faults + 1; i++) { /* a sorted sample of distinct chunks */
        int j = i + (int)(rng_next(&c->rng) % (uint64_t)(nchunks - i)), t = chunks[i];
        chunks[i] = chunks[j];
        chunks[j] = t;
    }
    for (int i = 1; i < faults + 1; i++)
        for (int j = i; j > 0 && chunks[j] < chunks[j - 1]; j--) {
            int t = chunks[j];
            chunks[j] = chunks[j - 1];
            chunks[j - 1] = t;
        }
    int oom_at = (int)(rng_next(&c->rng) % (uint64_t)(faults + 1));
    for (int i = 0, k = 0; i < faults + 1; i++) {
        fault *f = &c->plan[c->nplan++];
        f->chunk = chunks[i];
        f->kind = i == oom_at ? F_OOM : (fault_kind)kinds[k++];
        f->delay_ms = rng_between(&c->rng, 0, 150);
        f->hold_ms = f->kind == F_FREEZE         ? rng_between(&c->rng, 2000, 4000)
                     : f->kind == F_KILL9        ? rng_between(&c->rng, 200, 1500)
                     : f->kind == F_SHUTDOWN     ? rng_between(&c->rng, 2000, 4000)
                     : f->kind == F_OOM          ? OOM_HOLD_MS
                     : f->kind == F_SCRIPT_FLUSH ? rng_between(&c->rng, 1500, 3000)
                                                 : 0;
    }
}

static void plan_print(chaos *c) {
    note(c, "chaos: seed %llu (CALLPULSE_CHAOS_SEED=%llu replays it), %d faults planned:\n",
         (unsigned long long)c->seed, (unsigned long long)c->seed, c->nplan);
    for (int i = 0; i < c->nplan; i++)
        note(c, "  after chunk %d/%d +%d ms: %s, hold %d ms\n", c->plan[i].chunk, CHUNKS,
             c->plan[i].delay_ms, fault_names[c->plan[i].kind], c->plan[i].hold_ms);
    note(c, "as run:\n");
}

/* ---- running the stream -------------------------------------------------- */

static void write_config(chaos *c) {
    snprintf(c->s.config, sizeof(c->s.config),
             "{\"windows\":{\"day_offset_min\":%d,\"idle_s\":0},\"kafka\":{"
             "\"commit_interval_ms\":1000,\"properties\":{\"session.timeout.ms\":\"6000\","
             "\"heartbeat.interval.ms\":\"500\"}},\"processor\":{\"batch_max\":500}}",
             c->s.day_offset_min);
}

static void produce_next(chaos *c) {
    if (c->next_chunk < CHUNKS)
        stream_produce_chunk(&c->s, c->producer, c->next_chunk++);
}

static void start_processor(chaos *c, const char *group, int http) {
    char cfg[512], redis[64], listen[64];
    snprintf(cfg, sizeof(cfg), "%s", h_write_config(&c->e, "c.json", c->s.config));
    snprintf(redis, sizeof(redis), "redis://127.0.0.1:%d", c->e.redis_port);
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", c->port);
    char *argv[] = {"run",     "--config", cfg,       "--brokers",   c->e.brokers,
                    "--redis", redis,      "--group", (char *)group, http ? "--http" : NULL,
                    listen,    NULL};
    h_spawn(&c->e, &c->run, group, argv);
    ck_assert_msg(h_wait_log(&c->run, "assigned", 30000) == 0, "no partitions (see %s)",
                  c->run.log);
}

static int health(chaos *c) {
    const char *body;
    return h_http_get(c->port, "/healthz", &body);
}

static int wait_health(chaos *c, int want, int timeout_ms) {
    int64_t deadline = mono_ms() + timeout_ms;
    int status;
    while ((status = health(c)) != want && mono_ms() < deadline)
        h_sleep_ms(200);
    return status;
}

static void sleep_until(int64_t at) {
    int64_t left = at - mono_ms();
    if (left > 0)
        h_sleep_ms((int)left);
}

static void redis_must(chaos *c, char *out, size_t outsz, const char *cmd) {
    int rc = h_redis_cmd(&c->e, 2000, out, outsz, cmd);
    ck_assert_msg(rc == 0, "%s: %s", cmd, out);
}

/* Writes answer OOM while PING works: /healthz must turn 503 within the
 * hold and 200 again once writes work. The next chunk is produced inside
 * the outage so the processor has writes to try. */
static void fault_oom(chaos *c, const fault *f, char *out, size_t outsz) {
    char r[256];
    int first_503 = -1, polls = 0, after = -1, last = -1;
    /* a 503 left from an earlier fault must not count */
    int before = wait_health(c, 200, 15000);
    if (before != 200)
        finding(c, "/healthz answered %d, not 200, before writes were made to fail", before);
    redis_must(c, r, sizeof(r), "CONFIG SET maxmemory-policy noeviction");
    redis_must(c, r, sizeof(r), "CONFIG SET maxmemory 1");
    int64_t start = mono_ms();
    ck_assert_msg(h_redis_cmd(&c->e, 2000, r, sizeof(r), "SET chaos:probe 1") != 0 &&
                      strncmp(r, "OOM", 3) == 0,
                  "writes do not fail with maxmemory 1: %s", r);
    produce_next(c);
    while (mono_ms() - start < f->hold_ms) {
        last = health(c);
        polls++;
        if (last == 503 && first_503 < 0)
            first_503 = (int)(mono_ms() - start);
        h_sleep_ms(250);
    }
    redis_must(c, r, sizeof(r), "CONFIG SET maxmemory 0");
    int64_t back = mono_ms();
    int status = wait_health(c, 200, 15000);
    if (status == 200)
        after = (int)(mono_ms() - back);
    snprintf(out, outsz,
             "/healthz first 503 after %d ms, %d at the end (%d polls), 200 again after %d ms",
             first_503, last, polls, after);
    if (first_503 < 0)
        finding(c, "/healthz never answered 503 in %d ms of writes failing with OOM (%d polls)",
                f->hold_ms, polls);
    else if (last != 503)
        finding(c, "/healthz answered %d, not 503, after %d ms of writes failing with OOM", last,
                f->hold_ms);
    if (status != 200)
        finding(c, "/healthz answered %d, not 200, 15 s after writes work again", status);
}

static void fault_run(chaos *c, const fault *f) {
    char out[512] = "";
    int chunk = c->next_chunk - 1; /* the one in hand */
    h_sleep_ms(f->delay_ms);
    int64_t start = mono_ms(), at = start - c->t0;
    switch (f->kind) {
    case F_FREEZE:
        h_redis_freeze(&c->e);
        produce_next(c); /* the processor meets it with work in hand */
        sleep_until(start + f->hold_ms);
        h_redis_thaw(&c->e);
        snprintf(out, sizeof(out), "continued");
        break;
    case F_KILL9:
        ck_assert_int_eq(h_stop(&c->e.redis, SIGKILL, 5000), 128 + SIGKILL);
        sleep_until(start + f->hold_ms);
        h_redis_start(&c->e);
        snprintf(out, sizeof(out), "back from its AOF");
        break;
    case F_SHUTDOWN: {
        int rc = h_redis_shutdown(&c->e, 10000);
        ck_assert_msg(rc == 0, "SHUTDOWN: redis-server exited with %d (see %s)", rc,
                      c->e.redis.log);
        produce_next(c);
        sleep_until(start + f->hold_ms);
        h_redis_start(&c->e);
        snprintf(out, sizeof(out), "exited 0, back from its AOF");
        break;
    }
    case F_SCRIPT_FLUSH: /* then writes, before any reconnection reloads them */
        redis_must(c, out, sizeof(out), "SCRIPT FLUSH");
        produce_next(c);
        sleep_until(start + f->hold_ms);
        break;
    case F_CLIENT_KILL:
        redis_must(c, out, sizeof(out), "CLIENT KILL TYPE normal");
        strncat(out, " connections dropped", sizeof(out) - strlen(out) - 1);
        break;
    case F_OOM:
        fault_oom(c, f, out, sizeof(out));
        break;
    }
    note(c, "  %6.1f s, after chunk %d: %s for %d ms: %s\n", (double)at / 1000, chunk,
         fault_names[f->kind], (int)(mono_ms() - start), out);
}

/* The group's lag after waiting up to timeout_ms for it to reach 0. */
static int64_t wait_caught_up(chaos *c, const char *group, int timeout_ms) {
    int64_t deadline = mono_ms() + timeout_ms, lag = -1;
    while (h_alive(&c->run) && (lag = h_group_lag(&c->e, group, STREAM_TOPIC)) != 0 &&
           mono_ms() < deadline)
        h_sleep_ms(200);
    return lag;
}

/* The chunks PACE_MS apart, and each fault where the plan puts it: once
 * the processor caught up (so it is connected, its scripts loaded), the
 * fault's chunk is produced and the fault comes while that is being
 * stored. A processor that does not catch up within SETTLE_MS is noted
 * (the end of the run judges it) and later faults wait less. */
static void produce_with_faults(chaos *c) {
    int settle_ms = SETTLE_MS;
    c->t0 = mono_ms();
    for (int i = 0; i < c->nplan; i++) {
        const fault *f = &c->plan[i];
        while (c->next_chunk < f->chunk) {
            produce_next(c);
            h_sleep_ms(PACE_MS);
        }
        int64_t lag = wait_caught_up(c, "chaos", settle_ms);
        if (lag != 0) {
            note(c, "  %6.1f s: still %lld behind after %d ms\n",
                 (double)(mono_ms() - c->t0) / 1000, (long long)lag, settle_ms);
            settle_ms = 1000;
        }
        produce_next(c);
        fault_run(c, f);
        ck_assert_msg(h_alive(&c->run), "processor died after a fault (see %s)", c->run.log);
    }
    while (c->next_chunk < CHUNKS) {
        produce_next(c);
        h_sleep_ms(PACE_MS);
    }
    note(c, "  %6.1f s: every chunk produced\n", (double)(mono_ms() - c->t0) / 1000);
}

/* ---- what a run left ----------------------------------------------------- */

/* The message without `buddy`, and without the sentence naming the buddy
 * at the end of its `message`: outputs are compared buddy aside. */
static json_t *sans_buddy(const json_t *msg) {
    json_t *m = json_deep_copy(msg);
    const json_t *buddy = json_object_get(m, "buddy");
    const char *text = json_string_value(json_object_get(m, "message"));
    const char *who = json_string_value(json_object_get(buddy, "agent_id"));
    if (text && who) {
        char head[128];
        const char *at = NULL;
        snprintf(head, sizeof(head), " %s (score ", who);
        for (const char *p = strstr(text, head); p; p = strstr(p + 1, head))
            at = p;
        size_t n = strlen(text), tail = strlen(BUDDY_TAIL);
        if (at && n > tail && strcmp(text + n - tail, BUDDY_TAIL) == 0)
            json_object_set_new(m, "message", json_stringn(text, (size_t)(at - text)));
    }
    json_object_del(m, "buddy");
    return m;
}

/* Every message of topic by its id; a second copy must equal the first. */
static json_t *read_messages(chaos *c, const char *run, const char *topic, const char *id_field,
                             size_t *copies) {
    h_msgs m;
    json_t *byid = json_object();
    int conflicts = 0;
    h_read_topic(&c->e, topic, &m);
    *copies = m.n;
    for (size_t i = 0; i < m.n; i++) {
        json_t *j = json_loadb(m.v[i].value, m.v[i].value_len, 0, NULL);
        const char *id = json_string_value(json_object_get(j, id_field));
        const char *agent = json_string_value(json_object_get(j, "agent_id"));
        if (!id || !agent) {
            finding(c, "%s: %s offset %lld is no message with %s and agent_id", run, topic,
                    (long long)m.v[i].offset, id_field);
            json_decref(j);
            continue;
        }
        if (!m.v[i].key || m.v[i].key_len != strlen(agent) ||
            memcmp(m.v[i].key, agent, m.v[i].key_len))
            finding(c, "%s: %s %s not keyed by its agent", run, topic, id);
        json_t *norm = sans_buddy(j), *seen = json_object_get(byid, id);
        if (!seen) {
            json_object_set_new(byid, id, norm);
        } else {
            if (!json_equal(seen, norm) && conflicts++ < 3) {
                char *a = json_dumps(seen, JSON_COMPACT | JSON_SORT_KEYS),
                     *b = json_dumps(norm, JSON_COMPACT | JSON_SORT_KEYS);
                finding(c, "%s: %s sent twice with different fields:\n    %s\n    %s", run, id, a,
                        b);
                free(a);
                free(b);
            }
            json_decref(norm);
        }
        json_decref(j);
    }
    h_msgs_free(&m);
    if (conflicts > 0)
        finding(c, "%s: %d messages of %s sent again with other fields", run, conflicts, topic);
    return byid;
}

/* HGETALL key as {field: value}; an absent key gives {}. */
static json_t *hash_object(redisContext *rc, const char *key) {
    json_t *o = json_object();
    redisReply *r = redisCommand(rc, "HGETALL %s", key);
    ck_assert_msg(r && r->type == REDIS_REPLY_ARRAY, "HGETALL %s failed", key);
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        json_object_set_new(o, r->element[i]->str, json_string(r->element[i + 1]->str));
    freeReplyObject(r);
    return o;
}

static void outputs_read(chaos *c, const char *run, outputs *o) {
    char key[128], name[64];
    o->alerts = read_messages(c, run, ALERTS_TOPIC, "alert_id", &o->alert_copies);
    o->rewards = read_messages(c, run, REWARDS_TOPIC, "reward_id", &o->reward_copies);
    o->points = json_object();
    o->kpi = json_object();
    redisContext *rc = h_redis_connect(&c->e);
    for (int a = 0; a < AGENTS; a++) {
        snprintf(name, sizeof(name), "a%d", a);
        snprintf(key, sizeof(key), "cp:points:{a%d}", a);
        json_object_set_new(o->points, name, hash_object(rc, key));
        for (int w = 0; w < CHECK_WINDOWS; w++) {
            snprintf(key, sizeof(key), "cp:kpi:{a%d}:%s", a, check_windows[w].name);
            snprintf(name, sizeof(name), "a%d %s", a, check_windows[w].name);
            json_object_set_new(o->kpi, name, hash_object(rc, key));
        }
    }
    redisFree(rc);
    fprintf(stderr, "chaos: %s run: %zu alerts (%zu copies), %zu rewards (%zu copies)\n", run,
            json_object_size(o->alerts), o->alert_copies, json_object_size(o->rewards),
            o->reward_copies);
}

static void outputs_free(outputs *o) {
    json_decref(o->alerts);
    json_decref(o->rewards);
    json_decref(o->points);
    json_decref(o->kpi);
    memset(o, 0, sizeof(*o));
}

/* ---- checks -------------------------------------------------------------- */

/* Wait until no agent's outbox holds anything; then name what stayed. */
static void check_outboxes(chaos *c, const char *run, int timeout_ms) {
    int64_t deadline = mono_ms() + timeout_ms;
    redisContext *rc = h_redis_connect(&c->e);
    int full;
    do {
        full = 0;
        for (int a = 0; a < AGENTS; a++) {
            redisReply *r = redisCommand(rc, "HLEN cp:outbox:{a%d}", a);
            full += r && r->type == REDIS_REPLY_INTEGER && r->integer > 0;
            freeReplyObject(r);
        }
        if (full)
            h_sleep_ms(250);
    } while (full && mono_ms() < deadline);
    for (int a = 0; full && a < AGENTS; a++) {
        redisReply *r = redisCommand(rc, "HKEYS cp:outbox:{a%d}", a);
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements > 0)
            finding(c, "%s: outbox:{a%d} still holds %zu messages %d ms after catching up, e.g. %s",
                    run, a, r->elements, timeout_ms, r->element[0]->str);
        freeReplyObject(r);
    }
    redisFree(rc);
}

static int64_t floordiv(int64_t a, int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/* "day:YYYY-MM-DD" of ts at the stream's day offset. */
static void day_field(const chaos *c, int64_t ts, char *buf, size_t size) {
    time_t secs = (time_t)(floordiv(ts + c->s.day_offset_min * 60000LL, 86400000) * 86400);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, size, "day:%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* The points each agent's rewards on the topic add up to: {agent:
 * {"total": n, "day:...": n}}. A reward counts on the day of its event's
 * ts; a KPI goal's on the day of its as_of. */
static json_t *points_from_topic(chaos *c, const char *run, json_t *rewards) {
    json_t *sums = json_object(), *msg;
    const char *id;
    json_object_foreach(rewards, id, msg) {
        const char *agent = json_string_value(json_object_get(msg, "agent_id"));
        const char *rule = json_string_value(json_object_get(msg, "rule_id"));
        const char *ev = json_string_value(json_object_get(msg, "event_id"));
        json_int_t points = json_integer_value(json_object_get(msg, "points"));
        int64_t ts = json_integer_value(json_object_get(msg, "as_of"));
        char day[32];
        if (!rule || strcmp(rule, GOAL_RULE) != 0) {
            json_t *t = ev ? json_object_get(c->event_ts, ev) : NULL;
            if (!t) {
                finding(c, "%s: reward %s names no event of the stream (%s)", run, id,
                        ev ? ev : "null");
                continue;
            }
            ts = json_integer_value(t);
        }
        day_field(c, ts, day, sizeof(day));
        json_t *a = json_object_get(sums, agent);
        if (!a)
            json_object_set_new(sums, agent, a = json_object());
        const char *fields[] = {"total", day};
        for (int k = 0; k < 2; k++)
            json_object_set_new(
                a, fields[k],
                json_integer(json_integer_value(json_object_get(a, fields[k])) + points));
    }
    return sums;
}

/* Every ledger credit has its reward on the topic: `total` and each day:
 * field equal the sum of `points` over the agent's distinct rewards. */
static void check_ledgers(chaos *c, const char *run, const outputs *o) {
    json_t *sums = points_from_topic(c, run, o->rewards);
    for (int a = 0; a < AGENTS; a++) {
        char agent[16];
        snprintf(agent, sizeof(agent), "a%d", a);
        json_t *ledger = json_object_get(o->points, agent), *want = json_object_get(sums, agent);
        json_t *v;
        const char *field;
        long long stored = 0, sent = json_integer_value(json_object_get(want, "total"));
        if (json_object_get(ledger, "total"))
            stored = strtoll(json_string_value(json_object_get(ledger, "total")), NULL, 10);
        if (stored != sent)
            finding(c, "%s: points:{%s} total %lld, its rewards on %s add up to %lld", run, agent,
                    stored, REWARDS_TOPIC, sent);
        json_object_foreach(ledger, field, v) {
            if (strncmp(field, "day:", 4) != 0)
                continue;
            long long d = strtoll(json_string_value(v), NULL, 10),
                      s = json_integer_value(json_object_get(want, field));
            if (d != s)
                finding(c, "%s: points:{%s} %s %lld, its rewards on %s add up to %lld", run, agent,
                        field, d, REWARDS_TOPIC, s);
        }
        json_object_foreach(want, field, v) {
            if (strncmp(field, "day:", 4) == 0 && !json_object_get(ledger, field))
                finding(c, "%s: points:{%s} has no %s, its rewards add up to %lld", run, agent,
                        field, (long long)json_integer_value(v));
        }
    }
    json_decref(sums);
}

/* An id the state says was sent; the first few missing are named. */
static void want_alert(chaos *c, const char *run, const outputs *o, const char *id,
                       const char *because, int *checked, int *missing) {
    (*checked)++;
    if (!json_object_get(o->alerts, id) && (*missing)++ < 5)
        finding(c, "%s: %s is not on %s (%s)", run, id, ALERTS_TOPIC, because);
}

/* Every alert the state says was sent is on the topic: for rule state
 * f<firing>q<seq> (ruleeval.c) RULE:A:1..seq:firing, and :resolved for
 * each that no longer fires; for an open call with a fired bit
 * (agentstore.c, o:CALL = "ts,fired") long-call:A:CALL:firing. Returns
 * how many ids were looked up. */
static int check_alerts_in_state(chaos *c, const char *run, const outputs *o) {
    char key[64], id[256], because[300];
    int checked = 0, missing = 0;
    redisContext *rc = h_redis_connect(&c->e);
    for (int a = 0; a < AGENTS; a++) {
        snprintf(key, sizeof(key), "cp:st:{a%d}", a);
        json_t *st = hash_object(rc, key), *v;
        const char *field;
        json_object_foreach(st, field, v) {
            unsigned firing, seq;
            if (strncmp(field, "r:", 2) != 0)
                continue;
            if (sscanf(json_string_value(v), "f%uq%u", &firing, &seq) != 2) {
                finding(c, "%s: %s %s = %s: not f<firing>q<seq>", run, key, field,
                        json_string_value(v));
                continue;
            }
            snprintf(because, sizeof(because), "%s %s = %s", key, field, json_string_value(v));
            for (unsigned k = 1; k <= seq; k++) {
                snprintf(id, sizeof(id), "%s:a%d:%u:firing", field + 2, a, k);
                want_alert(c, run, o, id, because, &checked, &missing);
                if (k == seq && firing)
                    break;
                snprintf(id, sizeof(id), "%s:a%d:%u:resolved", field + 2, a, k);
                want_alert(c, run, o, id, because, &checked, &missing);
            }
        }
        json_decref(st);
        snprintf(key, sizeof(key), "cp:calls:{a%d}", a);
        json_t *calls = hash_object(rc, key);
        json_object_foreach(calls, field, v) {
            unsigned long long fired = 0;
            const char *comma = strchr(json_string_value(v), ',');
            if (strncmp(field, "o:", 2) != 0 || !comma || sscanf(comma + 1, "%llx", &fired) != 1 ||
                !fired)
                continue;
            snprintf(id, sizeof(id), "long-call:a%d:%s:firing", a, field + 2);
            snprintf(because, sizeof(because), "%s %s = %s", key, field, json_string_value(v));
            want_alert(c, run, o, id, because, &checked, &missing);
        }
        json_decref(calls);
    }
    redisFree(rc);
    if (missing > 0)
        finding(c, "%s: %d of the %d alerts in state are not on %s", run, missing, checked,
                ALERTS_TOPIC);
    return checked;
}

/* The fields of two objects that differ, as "\n    field: chaos A, no
 * faults B" lines. */
static void describe_diff(json_t *got, json_t *want, char *buf, size_t size) {
    const char *k;
    json_t *v;
    size_t len = 0;
    buf[0] = '\0';
    json_t *keys = json_object();
    json_object_foreach(got, k, v) json_object_set(keys, k, json_null());
    json_object_foreach(want, k, v) json_object_set(keys, k, json_null());
    json_object_foreach(keys, k, v) {
        json_t *a = json_object_get(got, k), *b = json_object_get(want, k);
        if (a && b && json_equal(a, b))
            continue;
        char *x = a ? json_dumps(a, JSON_ENCODE_ANY) : NULL,
             *y = b ? json_dumps(b, JSON_ENCODE_ANY) : NULL;
        int n = snprintf(buf + len, size - len, "\n    %s: chaos %s, no faults %s", k,
                         x ? x : "(none)", y ? y : "(none)");
        free(x);
        free(y);
        if (n < 0 || (size_t)n >= size - len)
            break;
        len += (size_t)n;
    }
    json_decref(keys);
}

/* Two id -> value maps: what only one has and what differs, counted, with
 * the first few named. */
static void compare_maps(chaos *c, const char *what, json_t *got, json_t *want) {
    int only_got = 0, only_want = 0, differ = 0;
    const char *id;
    json_t *v;
    json_object_foreach(want, id, v) {
        json_t *g = json_object_get(got, id);
        if (!g) {
            if (only_want++ < 3)
                finding(c, "%s: %s only in the run without faults", what, id);
        } else if (!json_equal(g, v) && differ++ < 3) {
            char diff[2048];
            describe_diff(g, v, diff, sizeof(diff));
            finding(c, "%s: %s differs:%s", what, id, diff);
        }
    }
    json_object_foreach(got, id, v) {
        if (!json_object_get(want, id) && only_got++ < 3) {
            char *a = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
            finding(c, "%s: %s only in the chaos run: %s", what, id, a);
            free(a);
        }
    }
    if (differ > 3) {
        char ids[2048];
        size_t len = 0;
        ids[0] = '\0';
        json_object_foreach(want, id, v) {
            json_t *g = json_object_get(got, id);
            int n =
                g && !json_equal(g, v) ? snprintf(ids + len, sizeof(ids) - len, " [%s]", id) : 0;
            if (n < 0 || (size_t)n >= sizeof(ids) - len)
                break;
            len += (size_t)n;
        }
        finding(c, "%s: these differ:%s", what, ids);
    }
    if (only_got + only_want + differ > 0)
        finding(c,
                "%s: %d only in the chaos run, %d only in the run without faults, %d differ "
                "(of %zu)",
                what, only_got, only_want, differ, json_object_size(want));
}

/* ---- the runs ------------------------------------------------------------ */

static void env_finish(chaos *c, int keep) {
    if (!keep) {
        h_env_stop(&c->e);
        return;
    }
    h_stop(&c->e.broker, SIGTERM, 5000);
    h_redis_stop(&c->e);
    fprintf(stderr, "chaos: logs kept in %s\n", c->e.dir);
}

static void stop_processor(chaos *c, const char *run) {
    if (!h_alive(&c->run)) {
        finding(c, "%s: the processor died (see %s)", run, c->run.log);
        return;
    }
    int rc = h_stop(&c->run, SIGTERM, 10000);
    if (rc != 0)
        finding(c, "%s: the processor exited %d on SIGTERM, not 0 within 10 s (see %s)", run, rc,
                c->run.log);
}

/* The stream as one backlog, no faults: the outputs to compare with, and
 * itself checked (oracle, ledgers, alerts in state, outboxes). */
static void run_reference(chaos *c, outputs *ref) {
    int64_t start = mono_ms();
    int before = c->f.n;
    h_env_start(&c->e, PARTS);
    c->producer = h_producer(&c->e);
    c->next_chunk = 0;
    while (c->next_chunk < CHUNKS)
        produce_next(c);
    start_processor(c, "chaos-ref", 0);
    int64_t lag = wait_caught_up(c, "chaos-ref", 60000);
    ck_assert_msg(lag == 0, "the run without faults is still %lld behind after 60 s (see %s)",
                  (long long)lag, c->run.log);
    check_outboxes(c, "without faults", 10000);
    outputs_read(c, "without faults", ref);
    check_ledgers(c, "without faults", ref);
    int checked = check_alerts_in_state(c, "without faults", ref);
    stop_processor(c, "without faults");
    ck_assert_int_eq(check_kpi_hashes(&c->e, &c->s, AGENTS, QUIET), AGENTS * 3);
    /* the stream must exercise what is checked */
    ck_assert_msg(json_object_size(ref->rewards) >= 100, "only %zu rewards",
                  json_object_size(ref->rewards));
    ck_assert_msg(checked >= 50, "only %d alerts in state", checked);
    ck_assert_msg(json_object_size(ref->alerts) >= 100, "only %zu alerts",
                  json_object_size(ref->alerts));
    rd_kafka_destroy(c->producer);
    env_finish(c, c->f.n > before);
    fprintf(stderr, "chaos: the run without faults took %.1f s (%d alerts in state checked)\n",
            (double)(mono_ms() - start) / 1000, checked);
}

static void run_chaos(chaos *c, outputs *got) {
    int64_t start = mono_ms();
    h_env_start(&c->e, PARTS);
    c->producer = h_producer(&c->e);
    c->next_chunk = 0;
    c->port = h_free_port();
    start_processor(c, "chaos", 1);
    ck_assert_msg(wait_health(c, 200, 10000) == 200, "/healthz not 200 at the start");
    produce_with_faults(c);
    int64_t lag = wait_caught_up(c, "chaos", 60000);
    note(c, "  %6.1f s: lag %lld\n", (double)(mono_ms() - c->t0) / 1000, (long long)lag);
    if (lag != 0)
        finding(c, "chaos: the group is still %lld behind 60 s after the last chunk",
                (long long)lag);
    if (!h_alive(&c->run))
        finding(c, "chaos: the processor died (see %s)", c->run.log);
    check_outboxes(c, "chaos", 10000);
    outputs_read(c, "chaos", got);
    check_ledgers(c, "chaos", got);
    int checked = check_alerts_in_state(c, "chaos", got);
    note(c, "  %d alerts in state checked\n", checked);
    stop_processor(c, "chaos");
    json_t *summary = h_run_summary(&c->run);
    if (c->nplan > 0 && summary)
        ck_assert_msg(json_integer_value(json_object_get(summary, "redis_failures")) > 0,
                      "the processor saw no Redis failure: the faults did not reach it");
    json_decref(summary);
    rd_kafka_destroy(c->producer);
    fprintf(stderr, "chaos: the chaos run took %.1f s\n", (double)(mono_ms() - start) / 1000);
}

static uint64_t env_u64(const char *name, uint64_t dflt) {
    const char *v = getenv(name);
    return v && *v ? strtoull(v, NULL, 10) : dflt;
}

START_TEST(test_chaos_outputs) {
    static chaos c; /* large: off the stack */
    outputs ref, got;
    int64_t start = mono_ms();
    memset(&c, 0, sizeof(c));
    c.seed = env_u64("CALLPULSE_CHAOS_SEED", (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16));
    c.rng = c.seed * 2654435761ULL + 7;
    int faults = (int)env_u64("CALLPULSE_CHAOS_FAULTS", FAULTS);
    plan_make(&c, faults < FAULTS ? faults : FAULTS);
    plan_print(&c);
    stream_make(&c.s, c.seed, AGENTS, QUIET, EVENTS, CHUNKS, 1000);
    write_config(&c);
    c.event_ts = json_object();
    for (size_t i = 0; i < c.s.n; i++)
        json_object_set_new(c.event_ts, c.s.evs[i].id, json_integer(c.s.evs[i].ts));

    run_reference(&c, &ref);
    run_chaos(&c, &got);
    compare_maps(&c, "alerts", got.alerts, ref.alerts);
    compare_maps(&c, "rewards", got.rewards, ref.rewards);
    compare_maps(&c, "points", got.points, ref.points);
    compare_maps(&c, "KPI hashes", got.kpi, ref.kpi);
    env_finish(&c, c.f.n > 0);
    fprintf(stderr, "chaos: %.1f s in all, %d findings\n", (double)(mono_ms() - start) / 1000,
            c.f.n);

    outputs_free(&ref);
    outputs_free(&got);
    json_decref(c.event_ts);
    stream_free(&c.s);
    if (c.f.n > 0)
        fprintf(stderr, "chaos: findings:\n%s", c.f.text);
    /* Check carries a few KB at most: the whole text is on stderr above */
    ck_assert_msg(c.f.n == 0, "%d findings, seed %llu (schedule and findings on stderr)\n%.3000s%s",
                  c.f.n, (unsigned long long)c.seed, c.f.text, c.f.len > 3000 ? "\n..." : "");
}
END_TEST

Suite *chaos_suite(void) {
    Suite *s = suite_create("chaos");
    TCase *tc = tcase_create("faults");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_chaos_outputs);
    suite_add_tcase(s, tc);
    return s;
}
