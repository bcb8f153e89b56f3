/* test_agentlayout.c -- the agent's Redis layout (agentlayout.h; issue 11
 * outcome 4). A whole agent state encoded into its keys and decoded from
 * them, as a load reads them back, is the same state. A change written as
 * a delta over a stored state reads back as the agent in memory, and its
 * KPI hashes are what a whole rewrite writes. Malformed fields are
 * CP_LOAD_MALFORMED; an encoder whose sink runs out of memory fails the
 * write with a named error at every operation, never dropping one.
 *
 * Redis is faked by the operations' plain meaning (HSET, HDEL, DEL, ZADD,
 * ZREMRANGEBYSCORE below, and field v set as agent_write.lua sets it);
 * tests/integration/test_scripts.c holds the script to that meaning. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "agentlayout.h"
#include "config.h"
#include "keyset.h"
#include "kindstate.h"
#include "kpi.h"
#include "ledger.h"
#include "suites.h"
#include "testkind.h"
#include "timefmt.h"

#define MIN 60000LL
#define T0  1795392000000LL /* 2026-11-23T00:00:00Z */
#define DAY 20780           /* T0's day number */

/* ---- a fake Redis: each key of the agent as name/value pairs ---------------- */

#define NKEYS (CP_AK_KPI + CP_WINDOWS_MAX)

typedef struct entry {
    char *name, *value;
    size_t name_len, value_len;
} entry;

typedef struct fkey {
    entry v[512];
    size_t n;
} fkey;

typedef struct fake {
    fkey keys[NKEYS];
    size_t puts;
    size_t fail_at; /* the put that runs out of memory (1-based); 0: none */
} fake;

static char *dup_bytes(const char *p, size_t n) {
    char *s = malloc(n + 1);
    ck_assert_ptr_nonnull(s);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static entry *find(fkey *k, const char *name, size_t len) {
    for (size_t i = 0; i < k->n; i++)
        if (k->v[i].name_len == len && memcmp(k->v[i].name, name, len) == 0)
            return &k->v[i];
    return NULL;
}

static void drop(fkey *k, entry *e) {
    free(e->name);
    free(e->value);
    *e = k->v[--k->n];
}

static void set(fkey *k, const char *name, size_t len, const char *value, size_t vlen) {
    entry *e = find(k, name, len);
    if (!e) {
        ck_assert_uint_lt(k->n, sizeof(k->v) / sizeof(k->v[0]));
        e = &k->v[k->n++];
        e->name = dup_bytes(name, len);
        e->name_len = len;
    } else {
        free(e->value);
    }
    e->value = dup_bytes(value, vlen);
    e->value_len = vlen;
}

static void clear(fkey *k) {
    while (k->n)
        drop(k, &k->v[0]);
}

static void fake_free(fake *f) {
    for (int i = 0; i < NKEYS; i++)
        clear(&f->keys[i]);
}

static int fake_put(void *ctx, const cp_key_op *op) {
    fake *f = ctx;
    if (++f->puts == f->fail_at)
        return -1;
    ck_assert_int_ge(op->key, 0);
    ck_assert_int_lt(op->key, NKEYS);
    fkey *k = &f->keys[op->key];
    entry *e;
    switch (op->kind) {
    case CP_KEYOP_HSET:
    case CP_KEYOP_ZADD: /* member -> score */
        set(k, op->name, op->name_len, op->value, op->value_len);
        break;
    case CP_KEYOP_HDEL:
        if ((e = find(k, op->name, op->name_len)) != NULL)
            drop(k, e);
        break;
    case CP_KEYOP_DEL:
        clear(k);
        break;
    case CP_KEYOP_ZREMBELOW: {
        long long max = atoll(op->value);
        for (size_t i = k->n; i-- > 0;)
            if (atoll(k->v[i].value) < max)
                drop(k, &k->v[i]);
        break;
    }
    }
    return 0;
}

/* A write as agent_write.lua applies it: the operations, then v. */
static int fake_write(fake *f, const cp_layout *l, const cp_rules *rules, cp_agent *a,
                      const cp_agent_change *c, char *err, size_t errsz) {
    cp_key_op_sink sink = {fake_put, f};
    char v[24];
    int rc = cp_layout_encode(l, rules, a, c, &sink, err, errsz);
    if (rc == 0) {
        snprintf(v, sizeof(v), "%" PRIu64, a->version + 1);
        set(&f->keys[CP_AK_ST], CP_ST_VERSION, strlen(CP_ST_VERSION), v, strlen(v));
        a->version++;
    }
    return rc;
}

/* A key as HGETALL (or ZRANGE WITHSCORES) answers it. */
static cp_strings strings_of(const fkey *k) {
    cp_strings s = {calloc(2 * k->n + 1, sizeof(char *)), calloc(2 * k->n + 1, sizeof(size_t)),
                    2 * k->n};
    ck_assert(s.v && s.len);
    for (size_t i = 0; i < k->n; i++) {
        s.v[2 * i] = k->v[i].name;
        s.len[2 * i] = k->v[i].name_len;
        s.v[2 * i + 1] = k->v[i].value;
        s.len[2 * i + 1] = k->v[i].value_len;
    }
    return s;
}

static void strings_free(cp_strings *s) {
    free(s->v);
    free(s->len);
}

/* Load a fresh agent from the fake's keys and its outbox into out. */
static cp_agent *fake_load(const fake *f, const char *id, const cp_rules *rules, cp_outbox *out) {
    cp_agent_read in = {strings_of(&f->keys[CP_AK_ST]), strings_of(&f->keys[CP_AK_IDS]),
                        strings_of(&f->keys[CP_AK_POINTS]), strings_of(&f->keys[CP_AK_CALLS])};
    cp_agent *a = cp_agent_new(id, strlen(id));
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(cp_layout_decode(a, rules, &in), 0);
    const fkey *ob = &f->keys[CP_AK_OUTBOX];
    for (size_t i = 0; out && i < ob->n; i++)
        ck_assert_int_eq(
            cp_layout_decode_message(id, ob->v[i].name, ob->v[i].value, ob->v[i].value_len, out),
            0);
    strings_free(&in.st);
    strings_free(&in.ids);
    strings_free(&in.points);
    strings_free(&in.calls);
    return a;
}

/* ---- an agent with every part of the state ------------------------------------ */

typedef struct fixture {
    cp_config cfg;
    cp_windows ws;
    cp_layout layout;
    cp_agent *a;
    cp_outmsg msgs[2];
} fixture;

static void sums_of(cp_sums *s, int64_t seed) {
    memset(s, 0, sizeof(*s));
    s->v[CP_S_OFFERED] = seed + 2;
    s->v[CP_S_ANSWERED] = seed + 1;
    s->v[CP_S_HANDLED] = seed;
    s->v[CP_S_TALK_MS] = 185000 * seed + 7;
    s->v[CP_S_RESOLVED] = seed % 2;
    s->v[CP_S_CSAT_SUM] = 4 * seed;
    s->v[CP_S_CSAT_COUNT] = seed;
    s->v[CP_S_QA_SUM] = 90000;
    s->v[CP_S_QA_COUNT] = 1;
}

static void add_id(cp_agent *a, const char *id, int64_t ts) {
    ck_assert_int_eq(cp_keyset_put(&a->ids, id, strlen(id), ts), 1); /* a new id */
}

static void call(cp_call *c, const char *id, int64_t ts, uint64_t fired) {
    snprintf(c->call_id, sizeof(c->call_id), "%s", id);
    c->ts = ts;
    c->fired = fired;
}

static void fixture_init(fixture *f) {
    char err[512] = "";
    cp_sums s;
    memset(f, 0, sizeof(*f));
    cp_config_defaults(&f->cfg);
    ck_assert_msg(cp_config_validate(&f->cfg, err, sizeof(err)) == 0, "%s", err);
    cp_windows_from_config(&f->ws, &f->cfg);
    ck_assert_int_ge(f->ws.n, 3);
    ck_assert_int_ge(f->cfg.rules.n, 3);
    f->layout = (cp_layout){&f->ws, 600000, 3, &f->cfg.scorecard};

    cp_agent *a = f->a = cp_agent_new("a17", 3);
    ck_assert_ptr_nonnull(a);
    snprintf(a->team, sizeof(a->team), "t1");
    a->partition = 3;
    a->as_of = T0 + 30 * MIN;
    ck_assert_int_eq(cp_agent_set_applied(a, 0, 100), 0);
    ck_assert_int_eq(cp_agent_set_applied(a, 3, 2500), 0);
    for (int i = 0; i < 4; i++) { /* panes at 00:05 .. 00:29 */
        sums_of(&s, i + 1);
        ck_assert_int_eq(cp_wstore_put(&a->w, T0 / MIN + 5 + 8 * i, &s), 0);
    }
    a->w.day = DAY;
    sums_of(&a->w.day_sums, 10);
    add_id(a, "e1", T0 + 25 * MIN);
    add_id(a, "e2", T0 + 29 * MIN);
    add_id(a, "an-event-id-longer-than-the-inline-room-of-a-slot", T0 + 28 * MIN);
    ck_assert_int_eq(cp_agent_rules_init(&a->rules, f->cfg.rules.n), 0);
    a->rules.state[0] = (cp_rule_state){1, 3, T0 + 20 * MIN, 0, CP_NO_DAY};
    a->rules.state[1] = (cp_rule_state){0, 0, 0, 4, CP_NO_DAY};
    a->rules.state[2] = (cp_rule_state){0, 1, T0, 2, DAY - 1};
    call(&a->rules.open[a->rules.nopen++], "c1", T0 + 26 * MIN, 0);
    call(&a->rules.open[a->rules.nopen++], "c2", T0 + 27 * MIN, 0x5);
    call(&a->rules.ended[a->rules.nended++], "c0", T0 + 24 * MIN, 0);
    call(&a->rules.ended[a->rules.nended++], "c9", T0 + 29 * MIN, 0);
    a->rules.points.total = 75;
    int64_t days[][2] = {{DAY - 5, 20}, {DAY - 4, 25}, {DAY - 1, 30}};
    for (int i = 0; i < 3; i++) {
        a->rules.points.days[i].day = days[i][0];
        a->rules.points.days[i].points = days[i][1];
    }
    snprintf(a->boards.team, sizeof(a->boards.team), "t1");
    snprintf(a->boards.prev_team, sizeof(a->boards.prev_team), "t0");
    for (int w = 0; w < f->ws.n; w++)
        a->kpi_as_of[w] = T0 + (29 - w) * MIN;
    const char *ids[] = {"high-aht:a17:1", "csat-5:a17:e2"};
    for (int i = 0; i < 2; i++) {
        f->msgs[i].kind = i ? CP_EMIT_REWARD : CP_EMIT_ALERT;
        snprintf(f->msgs[i].agent, sizeof(f->msgs[i].agent), "a17");
        snprintf(f->msgs[i].id, sizeof(f->msgs[i].id), "%s", ids[i]);
        f->msgs[i].json = i ? "{\"reward_id\":\"csat-5:a17:e2\"}" : "{\"alert_id\":\"x\"}";
    }
}

static void fixture_free(fixture *f) {
    cp_agent_free(f->a);
    cp_config_free(&f->cfg);
}

/* ---- comparing two agents ----------------------------------------------------- */

/* The ts of id in s; 0 when it is not there. */
static int id_ts(const cp_keyset *s, const char *id, size_t len, int64_t *ts) {
    size_t at = 0;
    const char *x;
    size_t n;
    while (cp_keyset_next(s, &at, &x, &n, ts))
        if (n == len && memcmp(x, id, n) == 0)
            return 1;
    return 0;
}

/* got holds exactly want's ids with a ts at or after from. */
static void same_ids(const cp_keyset *want, const cp_keyset *got, int64_t from) {
    size_t at = 0;
    const char *id;
    size_t len, n = 0;
    int64_t ts, got_ts;
    while (cp_keyset_next(want, &at, &id, &len, &ts)) {
        if (ts < from)
            continue;
        ck_assert_msg(id_ts(got, id, len, &got_ts), "id %s not read back", id);
        ck_assert_int_eq(got_ts, ts);
        n++;
    }
    ck_assert_uint_eq(got->n, n);
}

static const cp_call *find_call(const cp_call *v, int n, const char *id) {
    for (int i = 0; i < n; i++)
        if (strcmp(v[i].call_id, id) == 0)
            return &v[i];
    return NULL;
}

static void same_calls(const cp_call *want, int nwant, const cp_call *got, int ngot) {
    ck_assert_int_eq(ngot, nwant);
    for (int i = 0; i < nwant; i++) {
        const cp_call *c = find_call(got, ngot, want[i].call_id);
        ck_assert_msg(c != NULL, "call %s not read back", want[i].call_id);
        ck_assert_int_eq(c->ts, want[i].ts);
        ck_assert_uint_eq(c->fired, want[i].fired);
    }
}

/* got's ledger has want's total and days from days_from on, and a span
 * of day fields inside want's (the days a write deleted are in want's,
 * which only needs to cover the fields Redis may hold: ledger.h). */
static void same_points(const cp_points *want, const cp_points *got, int64_t days_from) {
    int n = 0;
    ck_assert_int_eq(got->total, want->total);
    ck_assert_int_eq(got->stored.held, want->stored.held);
    ck_assert_int_ge(got->stored.first, want->stored.first);
    ck_assert_int_eq(got->stored.last, want->stored.last);
    for (int i = 0; i < CP_POINT_DAYS; i++) {
        if (want->days[i].day == CP_NO_DAY || want->days[i].day < days_from)
            continue;
        int k = 0;
        while (k < CP_POINT_DAYS && got->days[k].day != want->days[i].day)
            k++;
        ck_assert_msg(k < CP_POINT_DAYS, "day %lld not read back", (long long)want->days[i].day);
        ck_assert_int_eq(got->days[k].points, want->days[i].points);
        n++;
    }
    for (int k = 0; k < CP_POINT_DAYS; k++)
        n -= got->days[k].day != CP_NO_DAY;
    ck_assert_int_eq(n, 0);
}

/* Everything a load restores (the cache's own bookkeeping aside). */
static void same_state(const cp_agent *want, const cp_agent *got, int64_t ids_from,
                       int64_t days_from) {
    ck_assert_str_eq(got->id, want->id);
    ck_assert_str_eq(got->team, want->team);
    ck_assert_int_eq(got->partition, want->partition);
    ck_assert_uint_eq(got->version, want->version);
    ck_assert_int_eq(got->as_of, want->as_of);
    ck_assert_uint_eq(got->napplied, want->napplied);
    for (uint32_t i = 0; i < want->napplied; i++)
        ck_assert_int_eq(cp_agent_applied(got, want->applied[i].partition),
                         want->applied[i].offset);
    ck_assert_uint_eq(got->w.n, want->w.n);
    for (uint32_t i = 0; i < want->w.n; i++) {
        const cp_bucket *b = cp_wstore_find(&got->w, want->w.bk[i].b);
        ck_assert_msg(b != NULL, "pane %lld not read back", (long long)want->w.bk[i].b);
        ck_assert(memcmp(&b->s, &want->w.bk[i].s, sizeof(cp_sums)) == 0);
    }
    ck_assert_int_eq(got->w.day, want->w.day);
    ck_assert(memcmp(&got->w.day_sums, &want->w.day_sums, sizeof(cp_sums)) == 0);
    same_ids(&want->ids, &got->ids, ids_from);
    ck_assert_int_eq(got->rules.nstate, want->rules.nstate);
    for (int r = 0; r < want->rules.nstate; r++) {
        const cp_rule_state *x = &want->rules.state[r], *y = &got->rules.state[r];
        ck_assert_int_eq(y->firing, x->firing);
        ck_assert_uint_eq(y->seq, x->seq);
        ck_assert_int_eq(y->fired_at, x->fired_at);
        ck_assert_uint_eq(y->streak, x->streak);
        ck_assert_int_eq(y->goal_day, x->goal_day);
    }
    same_calls(want->rules.open, want->rules.nopen, got->rules.open, got->rules.nopen);
    same_calls(want->rules.ended, want->rules.nended, got->rules.ended, got->rules.nended);
    same_points(&want->rules.points, &got->rules.points, days_from);
    ck_assert_str_eq(got->boards.team, want->boards.team);
    ck_assert_str_eq(got->boards.prev_team, want->boards.prev_team);
}

/* A KPI hash holds as_of and exactly the present fields of sums. */
static void expect_kpi(const fkey *k, const fixture *f, int w, const cp_sums *sums) {
    char want[64];
    size_t n = 1;
    double score;
    entry *e = find((fkey *)k, "as_of", 5);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(atoll(e->value), f->a->kpi_as_of[w]);
    for (int m = 0; m < CP_M_COUNT; m++) {
        cp_metric_format(sums, (cp_metric)m, want, sizeof(want));
        e = find((fkey *)k, cp_metric_name((cp_metric)m), strlen(cp_metric_name((cp_metric)m)));
        ck_assert_msg(!want[0] == !e, "window %d: field %s", w, cp_metric_name((cp_metric)m));
        if (e) {
            ck_assert_str_eq(e->value, want);
            n++;
        }
    }
    if (cp_score(&f->cfg.scorecard, sums, &score) == 0) {
        snprintf(want, sizeof(want), "%.2f", score);
        ck_assert_str_eq(find((fkey *)k, "score", 5)->value, want);
        ck_assert_str_eq(find((fkey *)k, "tier", 4)->value,
                         cp_tier_name(cp_tier_of(&f->cfg.scorecard, score)));
        n += 2;
    }
    ck_assert_uint_eq(k->n, n);
}

/* Two keys hold the same fields and values. */
static void same_key(const fkey *x, const fkey *y) {
    ck_assert_uint_eq(x->n, y->n);
    for (size_t i = 0; i < x->n; i++) {
        entry *e = find((fkey *)y, x->v[i].name, x->v[i].name_len);
        ck_assert_msg(e != NULL, "field %s missing", x->v[i].name);
        ck_assert_str_eq(e->value, x->v[i].value);
    }
}

/* ---- tests ---------------------------------------------------------------------- */

START_TEST(test_whole_state_round_trip) {
    fixture f;
    fake *r = calloc(1, sizeof(*r));
    char err[256] = "";
    cp_outbox out;
    memset(&out, 0, sizeof(out));
    fixture_init(&f);
    cp_agent_change whole = {NULL, 0, f.msgs, 2};
    ck_assert_msg(fake_write(r, &f.layout, &f.cfg.rules, f.a, &whole, err, sizeof(err)) == 0, "%s",
                  err);
    ck_assert_uint_eq(f.a->version, 1);
    /* as written: the ledger's span is the days written */
    ck_assert(f.a->rules.points.stored.held);
    ck_assert_int_eq(f.a->rules.points.stored.first, DAY - 5);
    ck_assert_int_eq(f.a->rules.points.stored.last, DAY - 1);

    ck_assert_int_eq(cp_day_number(T0, 0), DAY);
    cp_agent *b = fake_load(r, "a17", &f.cfg.rules, &out);
    same_state(f.a, b, INT64_MIN, INT64_MIN);
    ck_assert_int_eq(b->rules.points.stored.first, DAY - 5);
    ck_assert_uint_eq(out.n, 2);
    for (size_t i = 0; i < 2; i++) {
        const cp_outmsg *m = &out.v[i],
                        *w = strcmp(out.v[i].id, f.msgs[0].id) ? &f.msgs[1] : &f.msgs[0];
        ck_assert_str_eq(m->agent, "a17");
        ck_assert_str_eq(m->id, w->id);
        ck_assert_int_eq(m->kind, w->kind);
        ck_assert_str_eq(m->json, w->json);
    }
    for (int w = 0; w < f.ws.n; w++) {
        cp_sums sums;
        cp_wstore_window(&f.a->w, &f.ws, w, f.a->as_of, &sums);
        ck_assert(!cp_sums_is_zero(&sums));
        expect_kpi(&r->keys[CP_AK_KPI + w], &f, w, &sums);
        ck_assert(f.a->written_known & (1u << w));
        ck_assert(memcmp(&f.a->written[w], &sums, sizeof(sums)) == 0);
    }
    /* and once more: what was read back writes the same keys */
    fake *again = calloc(1, sizeof(*again));
    cp_agent_change none = {NULL, 0, NULL, 0};
    memcpy(b->kpi_as_of, f.a->kpi_as_of, sizeof(b->kpi_as_of));
    b->version = 0;
    ck_assert_int_eq(fake_write(again, &f.layout, &f.cfg.rules, b, &none, err, sizeof(err)), 0);
    for (int k = 0; k < CP_AK_KPI + f.ws.n; k++)
        if (k != CP_AK_OUTBOX)
            same_key(&r->keys[k], &again->keys[k]);
    cp_agent_free(b);
    cp_outbox_free(&out);
    fake_free(r);
    fake_free(again);
    free(r);
    free(again);
    fixture_free(&f);
}
END_TEST

static cp_event event_at(cp_event_type type, const char *id, int64_t ts, const char *team) {
    cp_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.ts_ms = ts;
    ev.event_id_len = (uint8_t)snprintf(ev.event_id, sizeof(ev.event_id), "%s", id);
    ev.agent_id_len = (uint8_t)snprintf(ev.agent_id, sizeof(ev.agent_id), "a17");
    ev.team_id_len = (uint8_t)snprintf(ev.team_id, sizeof(ev.team_id), "%s", team);
    ev.call_id_len = (uint8_t)snprintf(ev.call_id, sizeof(ev.call_id), "c7");
    ev.csat = 5;
    ev.talk_ms = 200000;
    return ev;
}

/* A stored agent, then a step as the engine writes it: events (one a
 * duplicate, one a replay), a new team, panes and ids pruned as the clock
 * moves on an hour, a rule state, the calls and a day of points (the
 * ledger pruning days past ledger_days, 3 here). The keys read back as the
 * agent in memory; its KPI hashes as a whole rewrite would leave them. */
START_TEST(test_delta_over_stored_state) {
    fixture f;
    fake *r = calloc(1, sizeof(*r)), *whole_r = calloc(1, sizeof(*whole_r));
    char err[256] = "";
    cp_agent_delta d;
    memset(&d, 0, sizeof(d));
    fixture_init(&f);
    cp_agent *a = f.a;
    cp_agent_change whole = {NULL, 0, NULL, 0};
    ck_assert_int_eq(fake_write(r, &f.layout, &f.cfg.rules, a, &whole, err, sizeof(err)), 0);
    cp_agent_rules_clean(&a->rules);

    int64_t T = T0 + 95 * MIN;
    cp_event evs[] = {event_at(CP_EV_CALL_ENDED, "e10", T0 + 90 * MIN, "t2"),
                      event_at(CP_EV_SURVEY, "e11", T0 + 94 * MIN, ""),
                      event_at(CP_EV_SURVEY, "e11", T0 + 94 * MIN, ""),
                      event_at(CP_EV_SURVEY, "e12", T0 + 94 * MIN, "")};
    int64_t offsets[] = {2501, 2502, 2503, 2500}; /* the last one a replay */
    cp_agent_delta_reset(&d);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(cp_agent_apply(a, &f.ws, &evs[i], 3, offsets[i], T, 600000, &d), 0);
    ck_assert_int_eq(d.applied, 2);
    ck_assert_int_eq(d.duplicates, 1);
    ck_assert_int_eq(d.skipped, 1);
    cp_agent_advance(a, &f.ws, T, 600000, &d);
    ck_assert_uint_gt(d.ndropped, 0);
    ck_assert_uint_gt(d.ids_pruned, 0);
    a->rules.state[1].streak = 5;
    a->rules.dirty_rules = 1u << 1;
    a->rules.open[0] = a->rules.open[1];
    a->rules.nopen = 1;
    call(&a->rules.ended[a->rules.nended++], "c1", T0 + 93 * MIN, 0);
    a->rules.calls_dirty = 1;
    int64_t changed = CP_NO_DAY;
    ck_assert_int_eq(cp_points_grant(&a->rules.points, DAY, 15, 0, &changed), 15);
    a->rules.points_dirty = 1;
    a->rules.points_days_dirty[0] = changed;

    cp_agent_change step = {&d, (1u << f.ws.n) - 1, f.msgs, 1};
    ck_assert_msg(fake_write(r, &f.layout, &f.cfg.rules, a, &step, err, sizeof(err)) == 0, "%s",
                  err);
    /* the board entries move with the team: T and P as the plan leaves them */
    snprintf(a->boards.prev_team, sizeof(a->boards.prev_team), "%s", a->boards.team);
    snprintf(a->boards.team, sizeof(a->boards.team), "%s", a->team);
    ck_assert_str_eq(a->team, "t2");
    ck_assert_int_eq(a->rules.points.stored.first, DAY - 2); /* 3 days kept */

    cp_outbox out;
    memset(&out, 0, sizeof(out));
    cp_agent *b = fake_load(r, "a17", &f.cfg.rules, &out);
    same_state(a, b, a->as_of - 600000, DAY - 2);
    ck_assert_uint_eq(out.n, 1);
    ck_assert_uint_eq(r->keys[CP_AK_POINTS].n, 3); /* total, DAY - 1, DAY */

    cp_agent_change rewrite = {NULL, 0, NULL, 0};
    ck_assert_int_eq(fake_write(whole_r, &f.layout, &f.cfg.rules, a, &rewrite, err, sizeof(err)),
                     0);
    for (int w = 0; w < f.ws.n; w++)
        same_key(&whole_r->keys[CP_AK_KPI + w], &r->keys[CP_AK_KPI + w]);
    same_key(&whole_r->keys[CP_AK_CALLS], &r->keys[CP_AK_CALLS]);

    cp_agent_free(b);
    cp_outbox_free(&out);
    cp_agent_delta_free(&d);
    fake_free(r);
    fake_free(whole_r);
    free(r);
    free(whole_r);
    fixture_free(&f);
}
END_TEST

/* Every operation of a write may be the one the sink cannot take: the
 * encoder stops there with an error naming it (issue 11 outcome 7). */
START_TEST(test_sink_failure_fails_the_write) {
    fixture f;
    char err[256];
    fixture_init(&f);
    fake *r = calloc(1, sizeof(*r));
    cp_agent_change whole = {NULL, 0, f.msgs, 2};
    ck_assert_int_eq(fake_write(r, &f.layout, &f.cfg.rules, f.a, &whole, err, sizeof(err)), 0);
    size_t total = r->puts;
    fake_free(r);
    ck_assert_uint_gt(total, 40);
    for (size_t at = 1; at <= total; at++) {
        memset(r, 0, sizeof(*r));
        r->fail_at = at;
        err[0] = '\0';
        ck_assert_msg(fake_write(r, &f.layout, &f.cfg.rules, f.a, &whole, err, sizeof(err)) == -1,
                      "operation %zu failed unnoticed", at);
        ck_assert_msg(strstr(err, "out of memory adding "), "operation %zu: \"%s\"", at, err);
        ck_assert_uint_eq(r->puts, at); /* nothing after it */
        fake_free(r);
    }
    free(r);
    fixture_free(&f);
}
END_TEST

/* A field that cannot be decoded is malformed; one of a later feature (a
 * letter the layout does not use, a rule no longer configured) is not. */
static const struct {
    int key; /* CP_AK_ST, _IDS, _POINTS or _CALLS */
    const char *name, *value;
    int want;
} malformed[] = {
    {CP_AK_ST, "v", "x", CP_LOAD_MALFORMED},
    {CP_AK_ST, "vv", "3", CP_LOAD_MALFORMED},
    {CP_AK_ST, "a", "12x", CP_LOAD_MALFORMED},
    {CP_AK_ST, "a", "", CP_LOAD_MALFORMED},
    {CP_AK_ST, "p", "1.5", CP_LOAD_MALFORMED},
    {CP_AK_ST, "team", "t1", CP_LOAD_MALFORMED},
    {CP_AK_ST, "t", "a-team-name-longer-than-sixty-four-bytes-is-not-one-that-was-written",
     CP_LOAD_MALFORMED},
    {CP_AK_ST, "T", "a-team-name-longer-than-sixty-four-bytes-is-not-one-that-was-written",
     CP_LOAD_MALFORMED},
    {CP_AK_ST, "Px", "t1", CP_LOAD_MALFORMED},
    {CP_AK_ST, "d", "yesterday", CP_LOAD_MALFORMED},
    {CP_AK_ST, "s", "a", CP_LOAD_MALFORMED},
    {CP_AK_ST, "s", "z1", CP_LOAD_MALFORMED},
    {CP_AK_ST, "o", "5", CP_LOAD_MALFORMED},
    {CP_AK_ST, "ox", "5", CP_LOAD_MALFORMED},
    {CP_AK_ST, "o1", "x", CP_LOAD_MALFORMED},
    {CP_AK_ST, "b", "a1", CP_LOAD_MALFORMED},
    {CP_AK_ST, "b29922", "a99999999999999999999", CP_LOAD_MALFORMED},
    {CP_AK_ST, "", "1", CP_LOAD_MALFORMED},
    {CP_AK_ST, "x1", "anything", 0},
    {CP_AK_ST, "r:", "anything", 0},
    {CP_AK_ST, "r:no-such-rule", "junk", 0},
    {CP_AK_ST, "k:", "anything", 0},
    {CP_AK_ST, "k:threshold", "junk", 0},  /* a kind with no state */
    {CP_AK_ST, "k:test_tally", "junk", 0}, /* a kind not configured */
    {CP_AK_ST, "t", "", 0},
    {CP_AK_IDS, "e1", "soon", CP_LOAD_MALFORMED},
    {CP_AK_IDS, "e1", "", CP_LOAD_MALFORMED},
    {CP_AK_POINTS, "total", "x", CP_LOAD_MALFORMED},
    {CP_AK_POINTS, "day:2026-11-23", "1.5", CP_LOAD_MALFORMED},
    {CP_AK_POINTS, "badge", "on-a-roll", 0},
    {CP_AK_CALLS, "o:c1", "x", CP_LOAD_MALFORMED},
    {CP_AK_CALLS, "o:", "1", CP_LOAD_MALFORMED},
    {CP_AK_CALLS, "o-c1", "1", CP_LOAD_MALFORMED},
    {CP_AK_CALLS, "e:c1", "a-value-longer-than-sixty-three-bytes-is-not-a-call-written-by-this",
     CP_LOAD_MALFORMED},
    {CP_AK_CALLS, "z:c1", "5", 0},
};

START_TEST(test_malformed_fields) {
    fixture f;
    fixture_init(&f);
    char *v[2] = {(char *)malformed[_i].name, (char *)malformed[_i].value};
    size_t len[2] = {strlen(v[0]), strlen(v[1])};
    cp_strings one = {v, len, 2}, none = {NULL, NULL, 0};
    cp_agent_read in = {none, none, none, none};
    switch (malformed[_i].key) {
    case CP_AK_ST:
        in.st = one;
        break;
    case CP_AK_IDS:
        in.ids = one;
        break;
    case CP_AK_POINTS:
        in.points = one;
        break;
    default:
        in.calls = one;
        break;
    }
    cp_agent *a = cp_agent_new("a1", 2);
    ck_assert_msg(cp_layout_decode(a, &f.cfg.rules, &in) == malformed[_i].want, "%s = %s",
                  malformed[_i].name, malformed[_i].value);
    cp_agent_free(a);
    fixture_free(&f);
}
END_TEST

/* A rule's state field is matched to its rule by id; a bad one is
 * malformed. */
START_TEST(test_rule_state_fields) {
    fixture f;
    char name[128];
    fixture_init(&f);
    snprintf(name, sizeof(name), "r:%s", f.cfg.rules.v[2].id);
    char *v[2] = {name, "f1q7a1795392000000k3g20779"};
    size_t len[2] = {strlen(v[0]), strlen(v[1])};
    cp_agent_read in = {.st = {v, len, 2}};
    cp_agent *a = cp_agent_new("a1", 2);
    ck_assert_int_eq(cp_layout_decode(a, &f.cfg.rules, &in), 0);
    ck_assert_int_eq(a->rules.state[2].firing, 1);
    ck_assert_uint_eq(a->rules.state[2].seq, 7);
    ck_assert_int_eq(a->rules.state[2].fired_at, T0);
    ck_assert_uint_eq(a->rules.state[2].streak, 3);
    ck_assert_int_eq(a->rules.state[2].goal_day, DAY - 1);
    cp_agent_free(a);
    a = cp_agent_new("a1", 2);
    v[1] = "junk";
    len[1] = 4;
    ck_assert_int_eq(cp_layout_decode(a, &f.cfg.rules, &in), CP_LOAD_MALFORMED);
    cp_agent_free(a);
    fixture_free(&f);
}
END_TEST

/* Does key k hold a field starting with k:? */
static int has_kind_field(const fkey *k) {
    for (size_t i = 0; i < k->n; i++)
        if (k->v[i].name_len >= 2 && memcmp(k->v[i].name, "k:", 2) == 0)
            return 1;
    return 0;
}

/* got holds the test kind's state as want does. */
static void same_tally(const cp_agent *want, const cp_agent *got) {
    const test_tally *x = cp_kind_state_find(&want->rules, &test_kind_tally),
                     *y = cp_kind_state_find(&got->rules, &test_kind_tally);
    ck_assert_ptr_nonnull(x);
    ck_assert_ptr_nonnull(y);
    ck_assert_int_eq(y->seen, x->seen);
    ck_assert_int_eq(y->last_ts, x->last_ts);
}

/* A kind's own state (kindstate.h), with a kind that keeps one configured:
 * written as k:<kind> by a whole write and by a delta when it changed
 * only, read back the same; its bad text is malformed. Without such a
 * kind no k: field is written. */
START_TEST(test_kind_state_fields) {
    fixture f;
    char err[256] = "";
    fake *r = calloc(1, sizeof(*r)), *quiet = calloc(1, sizeof(*quiet));
    cp_agent_delta d;
    memset(&d, 0, sizeof(d));
    fixture_init(&f);
    cp_agent_change whole = {NULL, 0, NULL, 0};
    ck_assert_int_eq(fake_write(r, &f.layout, &f.cfg.rules, f.a, &whole, err, sizeof(err)), 0);
    ck_assert(!has_kind_field(&r->keys[CP_AK_ST]));
    fake_free(r);
    memset(r, 0, sizeof(*r));

    f.cfg.rules.state_kinds[f.cfg.rules.nstate_kinds++] = &test_kind_tally;
    test_tally *t = cp_kind_state(&f.a->rules, &test_kind_tally);
    ck_assert_ptr_nonnull(t);
    *t = (test_tally){4, T0 + 12 * MIN};
    ck_assert_int_eq(fake_write(r, &f.layout, &f.cfg.rules, f.a, &whole, err, sizeof(err)), 0);
    entry *e = find(&r->keys[CP_AK_ST], "k:test_tally", 12);
    ck_assert_ptr_nonnull(e);
    ck_assert_str_eq(e->value, "4,1795392720000");
    cp_agent *b = fake_load(r, "a17", &f.cfg.rules, NULL);
    same_state(f.a, b, INT64_MIN, INT64_MIN);
    same_tally(f.a, b);
    cp_agent_free(b);

    /* a delta writes it when it changed, and only then */
    cp_agent_rules_clean(&f.a->rules);
    cp_agent_delta_reset(&d);
    cp_agent_change step = {&d, 0, NULL, 0};
    ck_assert_int_eq(fake_write(quiet, &f.layout, &f.cfg.rules, f.a, &step, err, sizeof(err)), 0);
    ck_assert(!has_kind_field(&quiet->keys[CP_AK_ST]));
    t->seen = 5;
    t->last_ts = T0 + 29 * MIN;
    cp_kind_state_changed(&f.a->rules, &test_kind_tally);
    ck_assert_int_eq(fake_write(r, &f.layout, &f.cfg.rules, f.a, &step, err, sizeof(err)), 0);
    ck_assert_str_eq(find(&r->keys[CP_AK_ST], "k:test_tally", 12)->value, "5,1795393740000");
    b = fake_load(r, "a17", &f.cfg.rules, NULL);
    same_tally(f.a, b);
    cp_agent_free(b);

    /* configured: its bad text is malformed; another version's kind is not */
    const char *fields[][3] = {{"k:test_tally", "junk", "m"},
                               {"k:test_tally", "5", "m"},
                               {"k:other", "junk", ""},
                               {"k:test_tally", "2,7", ""}};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        char *v[2] = {(char *)fields[i][0], (char *)fields[i][1]};
        size_t len[2] = {strlen(v[0]), strlen(v[1])};
        cp_agent_read in = {.st = {v, len, 2}};
        b = cp_agent_new("a1", 2);
        ck_assert_msg(cp_layout_decode(b, &f.cfg.rules, &in) ==
                          (fields[i][2][0] ? CP_LOAD_MALFORMED : 0),
                      "%s = %s", v[0], v[1]);
        cp_agent_free(b);
    }
    cp_agent_delta_free(&d);
    fake_free(r);
    fake_free(quiet);
    free(r);
    free(quiet);
    fixture_free(&f);
}
END_TEST

/* The CP_KEY_* format's text of a key (window "60m" for a KPI hash). */
static void key_by_format(char *buf, size_t size, const char *pre, int key, const char *a) {
    switch (key) {
    case CP_AK_ST:
        snprintf(buf, size, CP_KEY_ST, pre, a);
        break;
    case CP_AK_IDS:
        snprintf(buf, size, CP_KEY_IDS, pre, a);
        break;
    case CP_AK_POINTS:
        snprintf(buf, size, CP_KEY_POINTS, pre, a);
        break;
    case CP_AK_CALLS:
        snprintf(buf, size, CP_KEY_CALLS, pre, a);
        break;
    case CP_AK_OUTBOX:
        snprintf(buf, size, CP_KEY_OUTBOX, pre, a);
        break;
    default:
        snprintf(buf, size, CP_KEY_KPI, pre, a, "60m");
        break;
    }
}

/* Key names built without printf are the CP_KEY_* formats' text; one
 * that does not fit is refused whole. */
START_TEST(test_key_names) {
    static const char *const prefixes[] = {"cp:", "", "site-7:callpulse:"};
    static const char *const agents[] = {"a17", "x", "agent-with-a-rather-long-id-0123456789"};
    char got[256], want[256];
    for (int p = 0; p < 3; p++)
        for (int i = 0; i < 3; i++)
            for (int key = CP_AK_ST; key <= CP_AK_KPI + 1; key++) {
                key_by_format(want, sizeof(want), prefixes[p], key, agents[i]);
                size_t n = strlen(want);
                ck_assert_uint_eq(
                    cp_layout_key_name(got, sizeof(got), prefixes[p], key, agents[i], "60m"), n);
                ck_assert_str_eq(got, want);
                ck_assert_uint_eq(cp_layout_key_name(got, n, prefixes[p], key, agents[i], "60m"),
                                  0);
            }
}
END_TEST

Suite *agentlayout_suite(void) {
    Suite *s = suite_create("agentlayout");
    TCase *tc = tcase_create("agentlayout");
    tcase_add_test(tc, test_whole_state_round_trip);
    tcase_add_test(tc, test_key_names);
    tcase_add_test(tc, test_delta_over_stored_state);
    tcase_add_test(tc, test_sink_failure_fails_the_write);
    tcase_add_loop_test(tc, test_malformed_fields, 0,
                        (int)(sizeof(malformed) / sizeof(malformed[0])));
    tcase_add_test(tc, test_rule_state_fields);
    tcase_add_test(tc, test_kind_state_fields);
    suite_add_tcase(s, tc);
    return s;
}
