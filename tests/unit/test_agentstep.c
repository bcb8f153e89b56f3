/* test_agentstep.c -- agents walking batches (agentstep.h): the alerts and
 * rewards of a stream are the same however it is cut into batches (contract
 * 3, "outputs are a function of the input"), and time-driven rules fire at
 * the first point of the partition whose clock reaches their deadline.
 *
 * A small engine stands in for engine.c: it cuts the stream into batches,
 * builds each batch's lanes, and steps every agent with events in the batch
 * and every quiet agent whose next deadline the lane's clock reaches. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agentlayout.h"
#include "agentstep.h"
#include "config.h"
#include "messages.h"
#include "suites.h"

#define MIN     60000LL
#define T0      1795392000000LL /* 2026-11-23T00:00:00Z */
#define NAGENTS 8
#define NPARTS  2
#define MAXEV   6000

typedef struct stream {
    cp_batch_event be[MAXEV];
    cp_event ev[MAXEV];
    int n;
} stream;

typedef struct floor_sim {
    cp_config cfg;
    cp_windows ws;
    cp_step_ctx ctx;
    cp_agent *agents[NAGENTS];
    char **lines;                           /* every emission, as text */
    char kpi[NAGENTS][CP_WINDOWS_MAX][512]; /* the last write of each KPI hash */
    int without_point; /* record emissions without as_of and event_id: where the clock passed */
    size_t nlines, cap;
} floor_sim;

static uint64_t rnd(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static int agent_index(const char *id) {
    return atoi(id + 1);
}

/* Append an event; the partition clock is the largest ts so far. */
static cp_event *add(stream *s, int64_t *clock, int agent, cp_event_type type, int64_t ts,
                     const char *call) {
    ck_assert_int_lt(s->n, MAXEV);
    cp_event *ev = &s->ev[s->n];
    memset(ev, 0, sizeof(*ev));
    ev->type = type;
    ev->ts_ms = ts;
    ev->event_id_len = (uint8_t)snprintf(ev->event_id, sizeof(ev->event_id), "e%d", s->n);
    ev->agent_id_len = (uint8_t)snprintf(ev->agent_id, sizeof(ev->agent_id), "a%d", agent);
    ev->team_id_len = (uint8_t)snprintf(ev->team_id, sizeof(ev->team_id), "t%d", agent % 2);
    ev->call_id_len = (uint8_t)snprintf(ev->call_id, sizeof(ev->call_id), "%s", call);
    int32_t p = agent % NPARTS;
    if (ts > clock[p])
        clock[p] = ts;
    s->be[s->n] = (cp_batch_event){ev, p, s->n, clock[p]};
    s->n++;
    return ev;
}

/* A wall-clock step of a quiet partition. */
static void tick(stream *s, int64_t *clock, int32_t p, int64_t to) {
    cp_event *ev = &s->ev[s->n];
    memset(ev, 0, sizeof(*ev));
    if (to > clock[p])
        clock[p] = to;
    s->be[s->n++] = (cp_batch_event){ev, p, CP_TICK_OFFSET, clock[p]};
}

/* An event before it is given its place in the partition's order. */
typedef struct raw {
    cp_event ev;
    int agent;
    int64_t order; /* ts plus some disorder */
} raw;

static int by_order(const void *x, const void *y) {
    const raw *a = x, *b = y;
    return a->order < b->order ? -1 : a->order > b->order;
}

static raw *draft(raw *v, int *n, int agent, cp_event_type type, int64_t ts, const char *call,
                  uint64_t *seed) {
    raw *r = &v[(*n)++];
    ck_assert_int_lt(*n, MAXEV);
    memset(r, 0, sizeof(*r));
    r->agent = agent;
    r->order = ts + (int64_t)(rnd(seed) % 120000); /* up to 2 min out of order */
    r->ev.type = type;
    r->ev.ts_ms = ts;
    r->ev.event_id_len = (uint8_t)snprintf(r->ev.event_id, sizeof(r->ev.event_id), "e%d", *n);
    r->ev.call_id_len = (uint8_t)snprintf(r->ev.call_id, sizeof(r->ev.call_id), "%s", call);
    return r;
}

/* Two hours of a small floor: calls (some long, some missed, some ending
 * in transfers or complaints), surveys and QA scores, events out of order,
 * duplicates, and agents that go quiet for an hour; then the floor goes
 * quiet and the clocks follow the wall clock. Events the consumer would
 * reject as too late are left out, as it would. */
static void make_stream(stream *s, uint64_t seed) {
    static raw v[MAXEV];
    int64_t clock[NPARTS] = {0, 0};
    char call[32];
    int n = 0;
    for (int64_t t = T0; t < T0 + 120 * MIN; t += 20000) {
        int a = (int)(rnd(&seed) % NAGENTS);
        if (a >= 6 && t > T0 + 40 * MIN && t < T0 + 100 * MIN)
            continue;
        uint64_t r = rnd(&seed) % 100;
        snprintf(call, sizeof(call), "c%d", n);
        if (r < 10) {
            draft(v, &n, a, CP_EV_CALL_MISSED, t, call, &seed);
        } else if (r < 75) {
            int64_t talk = (int64_t)(rnd(&seed) % (a == 3 ? 1500 : 700)) * 1000;
            draft(v, &n, a, CP_EV_CALL_ANSWERED, t, call, &seed);
            cp_event *end = &draft(v, &n, a, CP_EV_CALL_ENDED, t + talk, call, &seed)->ev;
            end->talk_ms = talk;
            end->hold_ms = (int64_t)(rnd(&seed) % 60) * 1000;
            end->flags = (unsigned)(rnd(&seed) % 16); /* transferred, resolved, ... */
        } else if (r < 92) {
            draft(v, &n, a, CP_EV_SURVEY, t, call, &seed)->ev.csat =
                a == 5 ? 1 + (int)(rnd(&seed) % 2) : 1 + (int)(rnd(&seed) % 5);
        } else if (r < 97) {
            draft(v, &n, a, CP_EV_QA_SCORED, t, call, &seed)->ev.qa_milli =
                (int64_t)(rnd(&seed) % 101) * 1000;
        } else if (n > 0) { /* a producer's retry: the same event again, a little later */
            raw *orig = &v[rnd(&seed) % (uint64_t)n], *dup = &v[n++];
            *dup = *orig;
            dup->order += (int64_t)(rnd(&seed) % 180000);
        }
    }
    qsort(v, (size_t)n, sizeof(*v), by_order);
    s->n = 0;
    for (int i = 0; i < n; i++) {
        int32_t p = v[i].agent % NPARTS;
        if (v[i].ev.ts_ms < clock[p] - 600000)
            continue; /* too_late: a dead letter */
        cp_event *ev = add(s, clock, v[i].agent, v[i].ev.type, v[i].ev.ts_ms, v[i].ev.call_id);
        cp_event kept = v[i].ev;
        memcpy(kept.agent_id, ev->agent_id, sizeof(kept.agent_id));
        kept.agent_id_len = ev->agent_id_len;
        memcpy(kept.team_id, ev->team_id, sizeof(kept.team_id));
        kept.team_id_len = ev->team_id_len;
        *ev = kept;
    }
    for (int p = 0; p < NPARTS; p++)
        tick(s, clock, p, T0 + 200 * MIN);
}

static void sim_init(floor_sim *f, const char *json) {
    char err[CP_ERRBUF];
    memset(f, 0, sizeof(*f));
    cp_config_defaults(&f->cfg);
    if (json)
        ck_assert_msg(cp_config_load_string(&f->cfg, json, err, sizeof(err)) == 0, "%s", err);
    ck_assert_msg(cp_config_validate(&f->cfg, err, sizeof(err)) == 0, "%s", err);
    cp_windows_from_config(&f->ws, &f->cfg);
    f->ctx = (cp_step_ctx){&f->ws, &f->cfg.rules, f->cfg.daily_cap, 600000};
    for (int i = 0; i < NAGENTS; i++) {
        char id[8];
        int n = snprintf(id, sizeof(id), "a%d", i);
        f->agents[i] = cp_agent_new(id, (size_t)n);
        ck_assert_ptr_nonnull(f->agents[i]);
        ck_assert_int_eq(cp_agent_rules_init(&f->agents[i]->rules, f->cfg.rules.n), 0);
    }
}

static void sim_free(floor_sim *f) {
    for (int i = 0; i < NAGENTS; i++)
        cp_agent_free(f->agents[i]);
    for (size_t i = 0; i < f->nlines; i++)
        free(f->lines[i]);
    free(f->lines);
    cp_config_free(&f->cfg);
}

/* Every field of an emission that reaches the topic, but the buddy. */
static void record(floor_sim *f, const cp_agent *a, const cp_emits *em) {
    for (size_t k = 0; k < em->n; k++) {
        const cp_emit *m = &em->v[k];
        char line[512];
        snprintf(line, sizeof(line), "%s as_of=%lld v=%.3f s=%lld team=%s ev=%s pts=%d bal=%lld",
                 m->id, f->without_point ? 0LL : (long long)(m->as_of - T0), m->value,
                 (long long)m->samples, m->team, f->without_point ? "" : m->event_id, m->points,
                 (long long)m->balance);
        (void)a;
        if (f->nlines == f->cap) {
            f->cap = f->cap ? f->cap * 2 : 256;
            f->lines = realloc(f->lines, f->cap * sizeof(*f->lines));
            ck_assert_ptr_nonnull(f->lines);
        }
        f->lines[f->nlines++] = strdup(line);
    }
}

/* The KPI hashes a step writes, as the store writes them (agentstore.c):
 * each at the agent's clock, with its sums. The last one of each is kept:
 * how many writes there are depends on the batching, what the hash holds
 * at the end does not. */
static void record_kpi(floor_sim *f, cp_agent *a, uint32_t windows) {
    for (int w = 0; w < f->ws.n; w++) {
        if (!(windows & (1u << w)))
            continue;
        cp_sums sums;
        char line[512], text[CP_SUMS_TEXT_MAX];
        cp_wstore_window(&a->w, &f->ws, w, a->as_of, &sums);
        a->written[w] = sums;
        a->written_known |= 1u << w;
        text[cp_sums_encode(&sums, text)] = '\0';
        snprintf(line, sizeof(line), "kpi:%s:%s as_of=%lld %s", a->id, f->ws.w[w].name,
                 (long long)(a->kpi_as_of[w] - T0), text);
        snprintf(f->kpi[agent_index(a->id)][w], sizeof(f->kpi[0][0]), "%s", line);
    }
}

/* One batch, as the engine runs it. */
static void run_batch(floor_sim *f, const cp_batch_event *evs, int n) {
    int32_t next[MAXEV], pos[MAXEV], head[NAGENTS], tail[NAGENTS];
    int64_t clk[MAXEV];
    cp_lane lanes[NPARTS];
    int counts[NPARTS] = {0, 0}, at = 0;
    for (int p = 0; p < NPARTS; p++)
        for (int i = 0; i < n; i++)
            if (evs[i].partition == p)
                counts[p]++;
    for (int p = 0; p < NPARTS; p++) {
        lanes[p] = (cp_lane){clk + at, 0};
        at += counts[p];
    }
    for (int i = 0; i < NAGENTS; i++)
        head[i] = tail[i] = -1;
    for (int i = 0; i < n; i++) {
        cp_lane *l = &lanes[evs[i].partition];
        pos[i] = l->n;
        ((int64_t *)l->clock)[l->n++] = evs[i].clock_ms;
        next[i] = -1;
        if (evs[i].offset == CP_TICK_OFFSET)
            continue;
        int a = agent_index(evs[i].ev->agent_id);
        if (tail[a] >= 0)
            next[tail[a]] = i;
        else
            head[a] = i;
        tail[a] = i;
    }
    cp_timeline tl = {lanes, NPARTS, pos, next};
    for (int i = 0; i < NAGENTS; i++) {
        cp_agent *a = f->agents[i];
        const cp_lane *l = &lanes[i % NPARTS];
        if (head[i] < 0) { /* quiet: stepped only when a deadline comes due */
            if (a->as_of == CP_NO_CLOCK || l->n == 0 || l->clock[l->n - 1] <= a->as_of ||
                cp_agent_next_due(&f->ctx, a) > l->clock[l->n - 1])
                continue;
        }
        cp_step st;
        memset(&st, 0, sizeof(st));
        ck_assert_int_eq(cp_agent_step(&f->ctx, a, evs, &tl, head[i], &st), 0);
        record(f, a, &st.emits);
        record_kpi(f, a, st.windows);
        cp_step_free(&st);
    }
}

static int cmp_lines(const void *x, const void *y) {
    return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The whole stream in batches of sizes[0], sizes[1], ... (cycled). */
static void run_stream(floor_sim *f, const stream *s, const int *sizes, int nsizes) {
    for (int i = 0, k = 0; i < s->n; k++) {
        int n = sizes[k % nsizes];
        if (n > s->n - i)
            n = s->n - i;
        run_batch(f, &s->be[i], n);
        i += n;
    }
    for (int a = 0; a < NAGENTS; a++) {
        for (int w = 0; w < f->ws.n; w++) {
            if (!f->kpi[a][w][0])
                continue;
            if (f->nlines == f->cap) {
                f->cap = f->cap ? f->cap * 2 : 256;
                f->lines = realloc(f->lines, f->cap * sizeof(*f->lines));
                ck_assert_ptr_nonnull(f->lines);
            }
            f->lines[f->nlines++] = strdup(f->kpi[a][w]);
        }
    }
    qsort(f->lines, f->nlines, sizeof(*f->lines), cmp_lines);
}

static size_t count_with(const floor_sim *f, const char *text) {
    size_t n = 0;
    for (size_t i = 0; i < f->nlines; i++)
        n += strstr(f->lines[i], text) != NULL;
    return n;
}

static void assert_same(const floor_sim *a, const floor_sim *b, const char *what) {
    size_t i;
    if (getenv("AGENTSTEP_DUMP")) {
        char path[64];
        snprintf(path, sizeof(path), "/tmp/agentstep-%s.txt", what);
        FILE *fp = fopen(path, "w");
        for (i = 0; fp && i < b->nlines; i++)
            fprintf(fp, "%s\n", b->lines[i]);
        if (fp)
            fclose(fp);
        fp = fopen("/tmp/agentstep-whole.txt", "w");
        for (i = 0; fp && i < a->nlines; i++)
            fprintf(fp, "%s\n", a->lines[i]);
        if (fp)
            fclose(fp);
    }
    for (i = 0; i < a->nlines && i < b->nlines; i++)
        ck_assert_msg(strcmp(a->lines[i], b->lines[i]) == 0, "%s: first difference:\n %s\n %s",
                      what, a->lines[i], b->lines[i]);
    ck_assert_msg(a->nlines == b->nlines, "%s: %zu emissions against %zu (next: %s)", what,
                  a->nlines, b->nlines,
                  i < a->nlines   ? a->lines[i]
                  : i < b->nlines ? b->lines[i]
                                  : "-");
}

START_TEST(test_batching_does_not_change_outputs) {
    static stream s;
    floor_sim whole, ones, sevens, mixed;
    static const int all[] = {MAXEV}, one[] = {1}, seven[] = {7}, mix[] = {3, 250, 1, 40, 999, 2};
    make_stream(&s, 0x5eed0000u + (uint64_t)_i);
    sim_init(&whole, NULL);
    sim_init(&ones, NULL);
    sim_init(&sevens, NULL);
    sim_init(&mixed, NULL);
    run_stream(&whole, &s, all, 1);
    run_stream(&ones, &s, one, 1);
    run_stream(&sevens, &s, seven, 1);
    run_stream(&mixed, &s, mix, 6);
    /* not vacuous: time-driven firings and resolutions are in there */
    ck_assert_uint_gt(count_with(&whole, "long-call:"), 1);
    ck_assert_uint_gt(count_with(&whole, ":resolved as_of"), 2);
    ck_assert_uint_gt(count_with(&whole, "ev= "), 2); /* caused by the clock alone */
    ck_assert_uint_gt(count_with(&whole, "csat-5:"), 2);
    assert_same(&whole, &ones, "batches of 1");
    assert_same(&whole, &sevens, "batches of 7");
    assert_same(&whole, &mixed, "mixed batches");
    sim_free(&whole);
    sim_free(&ones);
    sim_free(&sevens);
    sim_free(&mixed);
}
END_TEST

/* Issue 10's first input: A answers at T; B sends an event a minute from
 * T+1m to T+20m; A ends at T+20m. The assist fires at B's event at T+15m,
 * the first whose ts reaches T+900 s, and resolves at the end. */
START_TEST(test_long_call_fires_at_the_partition_clock) {
    static stream s;
    int64_t clock[NPARTS] = {0, 0};
    floor_sim f;
    /* agents 0 and 2 share partition 0 */
    s.n = 0;
    add(&s, clock, 0, CP_EV_CALL_ANSWERED, T0, "long");
    for (int m = 1; m <= 20; m++)
        add(&s, clock, 2, CP_EV_CALL_OFFERED, T0 + m * MIN, "b");
    add(&s, clock, 0, CP_EV_CALL_ENDED, T0 + 20 * MIN, "long")->talk_ms = 20 * MIN;
    const int sizes[] = {MAXEV, 1, 5};
    for (int k = 0; k < 3; k++) {
        sim_init(&f, NULL);
        run_stream(&f, &s, &sizes[k], 1);
        ck_assert_uint_eq(count_with(&f, "long-call:"), 2);
        ck_assert_uint_eq(count_with(&f, "long-call:a0:long:firing as_of=900000 v=900.000"), 1);
        ck_assert_uint_eq(count_with(&f, "long-call:a0:long:resolved as_of=1200000 v=1200.000"), 1);
        sim_free(&f);
    }
}
END_TEST

/* A quiet partition's wall-clock step slides windows and fires deadlines
 * of agents with no event of their own. */
START_TEST(test_clock_step_moves_a_quiet_floor) {
    static stream s;
    int64_t clock[NPARTS] = {0, 0};
    floor_sim f;
    s.n = 0;
    add(&s, clock, 0, CP_EV_CALL_ANSWERED, T0, "alone");
    tick(&s, clock, 0, T0 + 10 * MIN);
    tick(&s, clock, 0, T0 + 16 * MIN);
    sim_init(&f, NULL);
    run_stream(&f, &s, (const int[]){1}, 1);
    ck_assert_uint_eq(count_with(&f, "long-call:a0:alone:firing as_of=960000 v=960.000 s=-1"), 1);
    ck_assert_int_eq(f.agents[0]->as_of, T0 + 16 * MIN);
    sim_free(&f);
}
END_TEST

/* A duplicate event changes no state, but the clock it brings still passes
 * the agent's deadlines: an event id reused with a later ts moves the
 * partition clock past the long call's deadline. */
START_TEST(test_duplicate_point_passes_deadlines) {
    static stream s;
    int64_t clock[NPARTS] = {0, 0};
    floor_sim f;
    s.n = 0;
    add(&s, clock, 0, CP_EV_CALL_ANSWERED, T0, "long");
    cp_event first = *add(&s, clock, 0, CP_EV_CALL_OFFERED, T0 + MIN, "x");
    cp_event *again = add(&s, clock, 0, CP_EV_CALL_OFFERED, T0 + 16 * MIN, "x");
    memcpy(again->event_id, first.event_id, sizeof(first.event_id));
    again->event_id_len = first.event_id_len;
    sim_init(&f, NULL);
    run_stream(&f, &s, (const int[]){1}, 1);
    ck_assert_uint_eq(count_with(&f, "long-call:a0:long:firing as_of=960000 v=960.000"), 1);
    sim_free(&f);
}
END_TEST

/* A wall-clock step on a quiet floor reaches the same states as a replay
 * of the same events without it (a rebuild): each deadline is evaluated at
 * its own instant, so the same ids and values come out; only the point
 * where the clock passed them differs (as_of, and event_id when it is the
 * agent's own event). Four calls end 6 s apart (10, 10, 150, 150 s of talk); 40 s
 * later a fifth. Live, steps every second pass the instant the first call
 * leaves the 30 s window (AHT 103 over 3 calls: firing) and the one the
 * last leaves (no value: resolved); the backlog passes both at the fifth
 * call. */
START_TEST(test_clock_steps_and_replays_agree) {
    static const char *cfg =
        "{\"windows\":{\"bucket_s\":5,\"list\":\"30s,day\"},\"alerts\":{\"rules\":[{\"id\":"
        "\"aht\",\"kind\":\"threshold\",\"kpi\":\"aht_s\",\"window\":\"30s\",\"op\":\">\","
        "\"threshold\":100,\"min_samples\":2,\"severity\":\"warning\"}]},\"rewards\":{"
        "\"rules\":[]}}";
    static stream live, replay;
    floor_sim a, b;
    const int64_t talk[] = {10, 10, 150, 150};
    int64_t cl[NPARTS] = {0, 0}, cr[NPARTS] = {0, 0};
    live.n = replay.n = 0;
    for (int i = 0; i < 4; i++) {
        int64_t ts = T0 + i * 6000;
        char call[8];
        snprintf(call, sizeof(call), "c%d", i);
        add(&live, cl, 0, CP_EV_CALL_ENDED, ts, call)->talk_ms = talk[i] * 1000;
        add(&replay, cr, 0, CP_EV_CALL_ENDED, ts, call)->talk_ms = talk[i] * 1000;
    }
    for (int64_t t = T0 + 19000; t < T0 + 58000; t += 1000)
        tick(&live, cl, 0, t);
    add(&live, cl, 0, CP_EV_CALL_ENDED, T0 + 58000, "c4")->talk_ms = 10000;
    add(&replay, cr, 0, CP_EV_CALL_ENDED, T0 + 58000, "c4")->talk_ms = 10000;
    sim_init(&a, cfg);
    sim_init(&b, cfg);
    a.without_point = b.without_point = 1;
    run_stream(&a, &live, (const int[]){1}, 1);
    run_stream(&b, &replay, (const int[]){MAXEV}, 1);
    ck_assert_uint_eq(count_with(&a, "aht:a0:1:firing as_of=0 v=103.333 s=3"), 1);
    ck_assert_uint_eq(count_with(&a, "aht:a0:1:resolved"), 1);
    for (size_t i = 0; i < a.nlines && i < b.nlines; i++)
        if (strncmp(a.lines[i], "kpi:", 4) != 0) /* KPI hashes: checked below */
            ck_assert_str_eq(a.lines[i], b.lines[i]);
    ck_assert_str_eq(a.kpi[0][0], b.kpi[0][0]); /* the 30 s hash, as_of included */
    sim_free(&a);
    sim_free(&b);
}
END_TEST

/* A call whose own call_ended is the first event to reach its deadline
 * outlasted the limit: it fires at that point, then the event resolves it
 * (a wall-clock step on the quiet floor would have fired it too). */
START_TEST(test_own_end_passes_the_deadline) {
    static stream s;
    int64_t clock[NPARTS] = {0, 0};
    floor_sim f;
    s.n = 0;
    add(&s, clock, 0, CP_EV_CALL_ANSWERED, T0, "alone");
    add(&s, clock, 0, CP_EV_CALL_ENDED, T0 + 20 * MIN, "alone")->talk_ms = 20 * MIN;
    sim_init(&f, NULL);
    run_stream(&f, &s, (const int[]){MAXEV}, 1);
    ck_assert_uint_eq(count_with(&f, "long-call:a0:alone:firing as_of=1200000 v=1200.000 s=-1 "
                                     "team=t0 ev=e1 "),
                      1);
    ck_assert_uint_eq(count_with(&f, "long-call:a0:alone:resolved as_of=1200000 v=1200.000"), 1);
    sim_free(&f);
}
END_TEST

Suite *agentstep_suite(void) {
    Suite *s = suite_create("agentstep");
    TCase *tc = tcase_create("batching");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_batching_does_not_change_outputs, 0, 8);
    tcase_add_test(tc, test_long_call_fires_at_the_partition_clock);
    tcase_add_test(tc, test_clock_step_moves_a_quiet_floor);
    tcase_add_test(tc, test_duplicate_point_passes_deadlines);
    tcase_add_test(tc, test_clock_steps_and_replays_agree);
    tcase_add_test(tc, test_own_end_passes_the_deadline);
    suite_add_tcase(s, tc);
    return s;
}
