/* floorgen.c -- the floor profile's generator (floorgen.h).
 *
 * Two heaps: the schedule (steps in event-time order; each step emits one
 * event and schedules what follows) and the arrivals (emitted events
 * ordered by ts + a random lag, and second copies). An arrival leaves when
 * no scheduled step can still produce one that arrives before it.
 *
 * Calibrated against the Anonymous Bank day (/work/shared/data/
 * anonymous-bank-1999, 1,511 served calls of 18 agents):
 * - skills: the served calls' types, PS 74 %, NW 12 %, NE 8 %, IN 4.5 %,
 *   TT 1 %, PE 0.6 %; one team serves one skill, a fifth of the agents of
 *   other skills also take PS calls;
 * - talk time: log-normal per type with the day's mu and sigma of
 *   ln(ser_time) (PS 4.73/1.04, NW 4.41/1.00, NE 5.14/1.29, IN 5.22/1.40,
 *   TT 2.91/1.37, PE 5.41/0.60; the day: mean 194 s, 1.9 % of calls over
 *   15 min, 4 % under 10 s), times a proficiency factor 1..1.2; the fitted
 *   tails are heavier than the day's: about 3 % of calls talk 15 min or
 *   more here (bench_kpi prints the share);
 * - load: calls served per hour from 07:00 to 19:00 that day (49 at
 *   07:00 rising to 133 at 12:00, 79 at 18:00), spread over the floor's
 *   hours; an agent's idle time between calls follows it so that
 *   occupancy is 0.88 x the hour's share of the peak (0.54 over the day
 *   at the bank, about 0.6 here, as agents also do after-call work);
 * - shifts: the bank's agents worked spans of about 8 h of its 17 h day;
 *   here each works two thirds of the floor's hours, starting at one of
 *   five staggered times, with two short breaks and a lunch.
 * Not in that data and chosen as typical: ring 2..12 s, 2..8 % missed,
 * hold on a quarter of calls, after-call work 10 s + log-normal (median
 * 25 s), wrap-up reported on its own for 60 % of calls, surveys on 25 %
 * (median 10 min later, up to 3 h), QA scores on 5 % (0.5..4 h later). */
#include "floorgen.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"

const char *const bench_floor_type_names[8] = {"call_offered", "call_answered", "call_missed",
                                               "call_ended",   "wrapup_ended",  "survey",
                                               "qa_scored",    "agent_state"};

enum { T_OFFERED, T_ANSWERED, T_MISSED, T_ENDED, T_WRAPUP, T_SURVEY, T_QA, T_STATE };

typedef enum {
    S_LOGIN,   /* available at the start of the shift */
    S_OFFER,   /* a call is offered */
    S_RING,    /* answered or missed */
    S_BUSY,    /* agent_state busy */
    S_END,     /* call_ended */
    S_ACW,     /* agent_state acw */
    S_WRAPUP,  /* wrapup_ended */
    S_AVAIL,   /* agent_state available after a call or a break */
    S_BREAK,   /* agent_state break, with a reason */
    S_OFFLINE, /* agent_state offline: the shift is over */
    S_SURVEY,
    S_QA
} step_kind;

typedef struct step {
    int64_t t;
    uint64_t seq;
    int agent;
    step_kind kind;
    uint32_t call;
    int value;
} step;

typedef struct arrival {
    int64_t at; /* ts + lag */
    uint64_t seq;
    int64_t ts;
    int agent;
    int dup;
    char *value;
    size_t len;
} arrival;

typedef struct skill {
    const char *queue;
    double share, mu, sigma, sale;
} skill;

static const skill skills[] = {
    {"q-ps", 0.741, 4.73, 1.04, 0.06}, {"q-nw", 0.117, 4.41, 1.00, 0.25},
    {"q-ne", 0.080, 5.14, 1.29, 0.10}, {"q-in", 0.045, 5.22, 1.40, 0.04},
    {"q-tt", 0.011, 2.91, 1.37, 0.02}, {"q-pe", 0.006, 5.41, 0.60, 0.06}};
#define NSKILLS ((int)(sizeof(skills) / sizeof(skills[0])))

/* Calls served per hour, 07:00..18:00, of the bank's day. */
static const double load[] = {49, 87, 114, 117, 123, 133, 108, 104, 96, 110, 96, 79};
#define NLOAD         ((int)(sizeof(load) / sizeof(load[0])))
#define PEAK          133.0
#define MEAN_HANDLE_S 260.0 /* talk + hold + after-call work, about */

typedef struct agent {
    char id[16], team[24];
    int skill, multi;
    double k; /* proficiency 0.3..1 */
    int64_t shift_end, breaks[3];
    int next_break;
    uint32_t calls;
    int64_t last_ts; /* the latest ts that arrived */
    /* the call in progress */
    int answered, queue, wrapup_separate;
    double ring_s, talk_s, hold_s, acw_s;
} agent;

struct bench_floor {
    bench_floor_params p;
    uint64_t rng;
    agent *agents;
    step *steps;
    size_t nsteps, capsteps;
    arrival *arr;
    size_t narr, caparr;
    uint64_t seq;
    unsigned long long emitted;
    int64_t end_ms;
    bench_floor_counts counts;
};

/* ---- random numbers (splitmix64) ----------------------------------------- */

static double uni(bench_floor *f) { /* [0,1) */
    uint64_t z = (f->rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static double between(bench_floor *f, double lo, double hi) {
    return lo + (hi - lo) * uni(f);
}

static int yes(bench_floor *f, double p) {
    return uni(f) < p;
}

static double lognormal(bench_floor *f, double mu, double sigma) {
    double u = 1.0 - uni(f), v = uni(f); /* Box-Muller */
    return exp(mu + sigma * sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

static double expo(bench_floor *f, double mean) {
    return -mean * log(1.0 - uni(f));
}

static int64_t ms(double s) {
    return (int64_t)(s * 1000.0);
}

/* ---- the two heaps ------------------------------------------------------- */

static int step_before(const step *a, const step *b) {
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static int arrival_before(const arrival *a, const arrival *b) {
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

/* Sift-up and sift-down for both heaps, on elements of `size` bytes. */
typedef int (*before_fn)(const void *, const void *);

static void swap_el(char *a, char *b, size_t size) {
    char tmp[sizeof(arrival) > sizeof(step) ? sizeof(arrival) : sizeof(step)];
    memcpy(tmp, a, size);
    memcpy(a, b, size);
    memcpy(b, tmp, size);
}

static void sift_up(char *h, size_t i, size_t size, before_fn before) {
    while (i > 0 && before(h + i * size, h + (i - 1) / 2 * size)) {
        swap_el(h + i * size, h + (i - 1) / 2 * size, size);
        i = (i - 1) / 2;
    }
}

static void sift_down(char *h, size_t n, size_t size, before_fn before) {
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && before(h + l * size, h + m * size))
            m = l;
        if (r < n && before(h + r * size, h + m * size))
            m = r;
        if (m == i)
            return;
        swap_el(h + i * size, h + m * size, size);
        i = m;
    }
}

static int grow(void **h, size_t *cap, size_t n, size_t size) {
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 1024;
    void *g = realloc(*h, c * size);
    if (!g)
        return -1;
    *h = g;
    *cap = c;
    return 0;
}

static void schedule(bench_floor *f, int64_t t, int a, step_kind kind, uint32_t call, int value) {
    if (t >= f->end_ms || grow((void **)&f->steps, &f->capsteps, f->nsteps, sizeof(step)))
        return; /* after closing time (or out of memory): not emitted */
    f->steps[f->nsteps] = (step){t, f->seq++, a, kind, call, value};
    sift_up((char *)f->steps, f->nsteps++, sizeof(step), (before_fn)step_before);
}

static step next_step(bench_floor *f) {
    step top = f->steps[0];
    f->steps[0] = f->steps[--f->nsteps];
    sift_down((char *)f->steps, f->nsteps, sizeof(step), (before_fn)step_before);
    return top;
}

static void arrive(bench_floor *f, int64_t at, int64_t ts, int a, int dup, const char *v,
                   size_t len) {
    char *copy = malloc(len);
    if (!copy || grow((void **)&f->arr, &f->caparr, f->narr, sizeof(arrival))) {
        free(copy);
        return;
    }
    memcpy(copy, v, len);
    f->arr[f->narr] = (arrival){at, f->seq++, ts, a, dup, copy, len};
    sift_up((char *)f->arr, f->narr++, sizeof(arrival), (before_fn)arrival_before);
}

/* ---- the floor ----------------------------------------------------------- */

static int pick_skill(bench_floor *f) {
    double u = uni(f), acc = 0;
    for (int s = 0; s < NSKILLS; s++)
        if (u < (acc += skills[s].share))
            return s;
    return 0;
}

/* Occupancy the hour's load asks for, at event time t. */
static double occupancy_at(const bench_floor *f, int64_t t) {
    double frac = (double)(t - f->p.start_ms) / (double)(f->end_ms - f->p.start_ms);
    int h = (int)(frac * NLOAD);
    h = h < 0 ? 0 : h >= NLOAD ? NLOAD - 1 : h;
    double occ = 0.88 * load[h] / PEAK;
    return occ < 0.25 ? 0.25 : occ;
}

static int64_t idle_ms(bench_floor *f, int64_t t) {
    double occ = occupancy_at(f, t);
    return ms(expo(f, MEAN_HANDLE_S * (1 - occ) / occ));
}

static void make_agents(bench_floor *f) {
    /* the last shift ends 5 min (or 1/20) before closing: its log-offs are in */
    double hours_ms = f->p.hours * 3600000.0, shift = hours_ms * 2 / 3;
    double slack = hours_ms - shift - fmin(300000.0, hours_ms / 20);
    int team_skill = 0;
    for (int i = 0; i < f->p.agents; i++) {
        agent *a = &f->agents[i];
        int team = i / f->p.team_size;
        if (i % f->p.team_size == 0)
            team_skill = pick_skill(f);
        a->skill = team_skill;
        snprintf(a->id, sizeof(a->id), "a%04d", i + 1); /* as bench_kpi and simulate name them */
        snprintf(a->team, sizeof(a->team), "%s-t%d", skills[a->skill].queue + 2, team + 1);
        a->multi = a->skill != 0 && yes(f, 0.2);
        a->k = 0.3 + 0.7 * sqrt(uni(f)); /* more good agents than weak ones */
        int64_t start = f->p.start_ms + (int64_t)(slack * ((i * 7) % 5) / 4.0);
        a->shift_end = start + (int64_t)shift;
        for (int b = 0; b < 3; b++)
            a->breaks[b] = start + (int64_t)(shift * (b + 1) / 4 + between(f, -0.03, 0.03) * shift);
        a->last_ts = INT64_MIN;
        schedule(f, start + ms(between(f, 0, 600)), i, S_LOGIN, 0, 0);
    }
}

bench_floor *bench_floor_new(const bench_floor_params *p) {
    bench_floor *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->p = *p;
    if (f->p.team_size < 1)
        f->p.team_size = 15;
    if (f->p.hours <= 0)
        f->p.hours = 12;
    if (f->p.dup_ratio <= 0)
        f->p.dup_ratio = 0.02;
    if (f->p.disorder_ms <= 0)
        f->p.disorder_ms = 120000;
    f->end_ms = p->start_ms + (int64_t)(f->p.hours * 3600000.0);
    f->rng = p->seed * 0x2545F4914F6CDD1DULL; /* the same stream whatever the start */
    f->agents = calloc((size_t)p->agents, sizeof(agent));
    if (!f->agents) {
        free(f);
        return NULL;
    }
    make_agents(f);
    return f;
}

void bench_floor_free(bench_floor *f) {
    if (!f)
        return;
    for (size_t i = 0; i < f->narr; i++)
        free(f->arr[i].value);
    free(f->arr);
    free(f->steps);
    free(f->agents);
    free(f);
}

/* After a call or a break: the next call, a break, or the end of the shift. */
static void after_available(bench_floor *f, int i, int64_t t) {
    agent *a = &f->agents[i];
    int64_t next = t + idle_ms(f, t);
    if (next >= a->shift_end)
        schedule(f, (t > a->shift_end ? t : a->shift_end) + ms(between(f, 0, 120)), i, S_OFFLINE, 0,
                 0); /* at the end of the shift, or of a call that ran past it */
    else if (a->next_break < 3 && next >= a->breaks[a->next_break])
        schedule(f, t + ms(between(f, 5, 60)), i, S_BREAK, 0, a->next_break++);
    else
        schedule(f, next, i, S_OFFER, 0, 0);
}

static void start_call(bench_floor *f, agent *a) {
    a->calls++;
    a->queue = a->multi && yes(f, 0.5) ? 0 : a->skill;
    a->answered = !yes(f, 0.02 + 0.06 * (1 - a->k));
    a->ring_s = a->answered ? between(f, 2, 12) : between(f, 15, 30);
}

static void talk(bench_floor *f, agent *a) {
    const skill *s = &skills[a->queue];
    a->talk_s = lognormal(f, s->mu, s->sigma) * (1.0 + 0.3 * (1 - a->k));
    a->talk_s = a->talk_s < 1 ? 1 : a->talk_s > 7200 ? 7200 : a->talk_s;
    a->hold_s = yes(f, 0.25) ? lognormal(f, 3.3, 0.8) : 0;
    a->acw_s = 10 + lognormal(f, 2.7 + 0.5 * (1 - a->k), 0.7);
    a->wrapup_separate = yes(f, 0.6);
    f->counts.calls++;
    f->counts.long_calls += a->talk_s >= 900;
}

static int clamp_int(long v, int lo, int hi) {
    return v < lo ? lo : v > hi ? hi : (int)v;
}

static void call_ended(bench_floor *f, const step *st, agent *a) {
    int64_t t = st->t;
    schedule(f, t + 1, st->agent, S_ACW, st->call, 0);
    schedule(f, t + ms(a->acw_s), st->agent, a->wrapup_separate ? S_WRAPUP : S_AVAIL, st->call, 0);
    if (yes(f, 0.25)) {
        long csat = lround(1.6 + 3.2 * a->k + between(f, -1.3, 1.3));
        schedule(f, t + ms(fmin(60 + lognormal(f, 6.4, 0.9), 10800)), st->agent, S_SURVEY, st->call,
                 clamp_int(csat, 1, 5));
    }
    if (yes(f, 0.05)) {
        long qa = lround(45 + 50 * a->k + between(f, -10, 10));
        schedule(f, t + ms(between(f, 1800, 14400)), st->agent, S_QA, st->call,
                 clamp_int(qa, 0, 100));
    }
}

/* The call's numbers that step st's event tells. */
static void prepare(bench_floor *f, const step *st) {
    agent *a = &f->agents[st->agent];
    if (st->kind == S_OFFER)
        start_call(f, a);
    else if (st->kind == S_RING && a->answered)
        talk(f, a);
}

/* What follows step st, once its event is written. */
static void advance(bench_floor *f, const step *st) {
    agent *a = &f->agents[st->agent];
    int64_t t = st->t;
    switch (st->kind) {
    case S_LOGIN:
    case S_AVAIL:
        after_available(f, st->agent, t);
        break;
    case S_OFFER:
        schedule(f, t + ms(a->ring_s), st->agent, S_RING, a->calls, 0);
        break;
    case S_RING:
        if (!a->answered) {
            after_available(f, st->agent, t);
            break;
        }
        schedule(f, t + 1, st->agent, S_BUSY, st->call, 0);
        schedule(f, t + ms(a->talk_s + a->hold_s), st->agent, S_END, st->call, 0);
        break;
    case S_END:
        call_ended(f, st, a);
        break;
    case S_WRAPUP:
        schedule(f, t + 1, st->agent, S_AVAIL, st->call, 0);
        break;
    case S_BREAK:
        schedule(f, t + ms(st->value == 1 ? between(f, 1800, 2700) : between(f, 600, 900)),
                 st->agent, S_AVAIL, 0, 0);
        break;
    default:
        break;
    }
}

/* ---- JSON ---------------------------------------------------------------- */

/* 70 % epoch ms, 30 % RFC 3339 at the site's offset (+08:00). */
static int format_ts(bench_floor *f, int64_t t, char *buf, size_t size) {
    char iso[32];
    if (yes(f, 0.7))
        return snprintf(buf, size, "%lld", (long long)t);
    cp_rfc3339_format(t + 8 * 3600000LL, iso, sizeof(iso));
    iso[23] = '\0';
    return snprintf(buf, size, "\"%s+08:00\"", iso);
}

static const char *const break_reasons[] = {"break", "lunch", "break"};

static int state_fields(const step *st, char *buf, size_t size) {
    switch (st->kind) {
    case S_LOGIN:
    case S_AVAIL:
        return snprintf(buf, size, "\"state\":\"available\"");
    case S_BUSY:
        return snprintf(buf, size, "\"state\":\"busy\"");
    case S_ACW:
        return snprintf(buf, size, "\"state\":\"acw\"");
    case S_BREAK:
        return snprintf(buf, size, "\"state\":\"break\",\"reason\":\"%s\"",
                        break_reasons[st->value % 3]);
    default:
        return snprintf(buf, size, "\"state\":\"offline\",\"reason\":\"end_of_shift\"");
    }
}

static int ended_fields(bench_floor *f, const agent *a, char *buf, size_t size) {
    double k = a->k;
    int transferred = yes(f, 0.03 + 0.12 * (1 - k));
    int resolved = !transferred && yes(f, 0.55 + 0.4 * k);
    int complaint = yes(f, 0.01 + 0.05 * (1 - k));
    int sale = !transferred && yes(f, skills[a->queue].sale * (0.5 + k));
    double u = uni(f);
    const char *by = u < 0.85 ? "customer" : u < 0.95 ? "agent" : "system";
    int n =
        snprintf(buf, size,
                 "\"talk_s\":%.1f,\"hold_s\":%.1f,\"transferred\":%s,\"resolved\":%s,"
                 "\"complaint\":%s,\"sale\":%s,\"disconnected_by\":\"%s\"",
                 a->talk_s, a->hold_s, transferred ? "true" : "false", resolved ? "true" : "false",
                 complaint ? "true" : "false", sale ? "true" : "false", by);
    if (sale)
        n += snprintf(buf + n, size - (size_t)n, ",\"sale_value\":%.2f", lognormal(f, 4.5, 0.8));
    if (!a->wrapup_separate)
        n += snprintf(buf + n, size - (size_t)n, ",\"acw_s\":%.1f", a->acw_s);
    return n;
}

/* The type and its fields; the contract type index in *type. */
static int type_fields(bench_floor *f, const step *st, const agent *a, int *type, char *buf,
                       size_t size) {
    switch (st->kind) {
    case S_OFFER:
        *type = T_OFFERED;
        return snprintf(buf, size, "\"type\":\"call_offered\"");
    case S_RING:
        *type = a->answered ? T_ANSWERED : T_MISSED;
        if (!a->answered)
            return snprintf(buf, size, "\"type\":\"call_missed\"");
        return snprintf(buf, size, "\"type\":\"call_answered\",\"ring_s\":%.1f", a->ring_s);
    case S_END: {
        *type = T_ENDED;
        int n = snprintf(buf, size, "\"type\":\"call_ended\",");
        return n + ended_fields(f, a, buf + n, size - (size_t)n);
    }
    case S_WRAPUP:
        *type = T_WRAPUP;
        return snprintf(buf, size, "\"type\":\"wrapup_ended\",\"acw_s\":%.1f", a->acw_s);
    case S_SURVEY:
        *type = T_SURVEY;
        return snprintf(buf, size, "\"type\":\"survey\",\"csat\":%d", st->value);
    case S_QA:
        *type = T_QA;
        return snprintf(buf, size, "\"type\":\"qa_scored\",\"qa_score\":%d", st->value);
    default: {
        *type = T_STATE;
        int n = snprintf(buf, size, "\"type\":\"agent_state\",");
        return n + state_fields(st, buf + n, size - (size_t)n);
    }
    }
}

/* A UUID-shaped event id (the size real feeds send), unique per stream. */
static void event_id(const bench_floor *f, char *buf, size_t size) {
    unsigned long long x = f->emitted * 0x9E3779B97F4A7C15ULL ^ f->p.seed;
    snprintf(buf, size, "%08llx-%04llx-4%03llx-%04llx-%012llx",
             (unsigned long long)(f->p.start_ms & 0xffffffffLL), (x >> 48) & 0xffff,
             (x >> 36) & 0xfff, 0x8000 | ((x >> 20) & 0x3fff), f->emitted);
}

/* Emit the event of step st into the arrivals, with its lag and maybe a
 * second copy. */
static void emit(bench_floor *f, const step *st) {
    char id[48], ts[48], fields[512], value[1024];
    agent *a = &f->agents[st->agent];
    int type, n;
    f->emitted++;
    event_id(f, id, sizeof(id));
    format_ts(f, st->t, ts, sizeof(ts));
    type_fields(f, st, a, &type, fields, sizeof(fields));
    if (type == T_STATE)
        n = snprintf(value, sizeof(value),
                     "{\"event_id\":\"%s\",\"agent_id\":\"%s\",\"team_id\":\"%s\",\"ts\":%s,%s}",
                     id, a->id, a->team, ts, fields);
    else
        n = snprintf(value, sizeof(value),
                     "{\"event_id\":\"%s\",\"agent_id\":\"%s\",\"team_id\":\"%s\",\"ts\":%s,"
                     "\"call_id\":\"%s-%u\",\"queue_id\":\"%s\",%s}",
                     id, a->id, a->team, ts, a->id,
                     (unsigned)(st->kind == S_OFFER ? a->calls : st->call), skills[a->queue].queue,
                     fields);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof(value) ? (size_t)n : sizeof(value) - 1;
    double u = uni(f), lag = u < 0.85    ? 0
                             : u < 0.97  ? between(f, 0, 2)
                             : u < 0.995 ? between(f, 2, 30)
                                         : between(f, 30, f->p.disorder_ms / 1000.0);
    f->counts.by_type[type]++;
    arrive(f, st->t + ms(lag), st->t, st->agent, 0, value, len);
    if (yes(f, f->p.dup_ratio)) /* a producer retry: the same event again */
        arrive(f, st->t + ms(lag + between(f, 0.01, 60)), st->t, st->agent, 1, value, len);
}

/* Run the schedule until the earliest arrival can leave: no step left
 * can arrive before it (a step at t arrives at t or later). */
static void fill(bench_floor *f) {
    while (f->nsteps > 0 && (f->narr == 0 || f->steps[0].t <= f->arr[0].at)) {
        step st = next_step(f);
        prepare(f, &st);
        emit(f, &st);
        advance(f, &st);
    }
}

int bench_floor_next(bench_floor *f, char *key, size_t key_size, char *value, size_t value_size,
                     size_t *len, int64_t *ts) {
    fill(f);
    if (f->narr == 0)
        return 0;
    arrival top = f->arr[0];
    f->arr[0] = f->arr[--f->narr];
    sift_down((char *)f->arr, f->narr, sizeof(arrival), (before_fn)arrival_before);
    agent *a = &f->agents[top.agent];
    snprintf(key, key_size, "%s", a->id);
    *len = top.len < value_size ? top.len : value_size;
    memcpy(value, top.value, *len);
    free(top.value);
    *ts = top.ts;
    f->counts.events++;
    f->counts.duplicates += top.dup;
    f->counts.out_of_order += top.ts < a->last_ts;
    f->counts.bytes += (long long)*len;
    if (top.ts > a->last_ts)
        a->last_ts = top.ts;
    return 1;
}

void bench_floor_counts_get(const bench_floor *f, bench_floor_counts *out) {
    *out = f->counts;
}

void bench_floor_counts_reset(bench_floor *f) {
    memset(&f->counts, 0, sizeof(f->counts));
}
