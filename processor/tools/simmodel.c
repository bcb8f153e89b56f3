/* simmodel.c -- the synthetic call centre (simmodel.h).
 *
 * A discrete-event simulation: a min-heap of scheduled steps ordered by
 * event time. Each step emits exactly one event and may schedule further
 * steps: the agent's next phase, and delayed surveys and QA scores. An
 * agent's skill (0.3..1.0) drives answer rate, handle time, resolution,
 * transfers, complaints, sales and the CSAT and QA distributions; a
 * struggling agent's skill drops to 0.05 at degrade_at_ms. */
#include "simmodel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "numfmt.h"
#include "timefmt.h"

typedef enum {
    STEP_OFFER,  /* idle agent is offered a call */
    STEP_RING,   /* call answered or missed */
    STEP_BUSY,   /* agent_state busy after answering */
    STEP_END,    /* call ended */
    STEP_ACW,    /* agent_state acw */
    STEP_WRAPUP, /* wrapup_ended */
    STEP_AVAIL,  /* agent_state available */
    STEP_BREAK,  /* agent_state break */
    STEP_SURVEY, /* delayed survey */
    STEP_QA      /* delayed QA score */
} step_kind;

typedef struct step {
    int64_t t;
    uint64_t seq; /* ties keep insertion order */
    int agent;
    step_kind kind;
    uint32_t call;
    int value; /* csat, qa score, ... */
} step;

typedef struct agent {
    char id[16], team[16];
    double skill;
    int struggling;
    uint32_t calls;
    /* the call in progress */
    int answered, long_call, wrapup_separate;
    double ring_s, talk_s, hold_s, acw_s;
} agent;

struct cp_sim {
    cp_sim_params p;
    uint64_t rng;
    agent *agents;
    step *heap;
    size_t n, cap;
    uint64_t seq, emitted;
    char id_prefix[48]; /* unique per seed and start time */
    /* the last event, kept for duplicates */
    char last_key[16], last_value[1024];
    size_t last_len;
    int64_t last_t;
};

/* ---- random numbers (xorshift64*) ---------------------------------------- */

static uint64_t rnd_u64(cp_sim *s) {
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return s->rng * 2685821657736338717ULL;
}

static double rnd(cp_sim *s) { /* [0,1) */
    return (double)(rnd_u64(s) >> 11) / 9007199254740992.0;
}

static double rnd_range(cp_sim *s, double lo, double hi) {
    return lo + (hi - lo) * rnd(s);
}

static double rnd_exp(cp_sim *s, double mean) {
    return -mean * log(1.0 - rnd(s));
}

static int chance(cp_sim *s, double p) {
    return rnd(s) < p;
}

/* ---- the schedule (binary min-heap) -------------------------------------- */

static int earlier(const step *a, const step *b) {
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void push(cp_sim *s, int64_t t, int agent_idx, step_kind kind, uint32_t call, int value) {
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        step *h = realloc(s->heap, cap * sizeof(*h));
        if (!h)
            return; /* the step is lost; the agent stops working */
        s->heap = h;
        s->cap = cap;
    }
    size_t i = s->n++;
    s->heap[i] = (step){t, s->seq++, agent_idx, kind, call, value};
    while (i > 0 && earlier(&s->heap[i], &s->heap[(i - 1) / 2])) {
        step tmp = s->heap[i];
        s->heap[i] = s->heap[(i - 1) / 2];
        s->heap[(i - 1) / 2] = tmp;
        i = (i - 1) / 2;
    }
}

static step pop(cp_sim *s) {
    step top = s->heap[0];
    size_t i = 0;
    s->heap[0] = s->heap[--s->n];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->n && earlier(&s->heap[l], &s->heap[m]))
            m = l;
        if (r < s->n && earlier(&s->heap[r], &s->heap[m]))
            m = r;
        if (m == i)
            break;
        step tmp = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = tmp;
        i = m;
    }
    return top;
}

static int64_t secs(double s) {
    return (int64_t)(s * 1000.0);
}

/* ---- construction -------------------------------------------------------- */

cp_sim *cp_sim_new(const cp_sim_params *p) {
    cp_sim *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->p = *p;
    snprintf(s->id_prefix, sizeof(s->id_prefix), "e%llx-%llx", (unsigned long long)p->seed,
             (unsigned long long)p->start_ms);
    s->rng = p->seed * 0x9E3779B97F4A7C15ULL + 0x2545F4914F6CDD1DULL;
    s->agents = calloc((size_t)p->agents, sizeof(agent));
    if (!s->agents) {
        free(s);
        return NULL;
    }
    for (int i = 0; i < p->agents; i++) {
        agent *a = &s->agents[i];
        snprintf(a->id, sizeof(a->id), "a%04d", i + 1);
        snprintf(a->team, sizeof(a->team), "t%d", i % p->teams + 1);
        a->skill = rnd_range(s, 0.3, 1.0);
        /* the struggling ones are spread over the teams */
        a->struggling = i < p->struggling;
        push(s, p->start_ms + secs(rnd_range(s, 0, 120)), i, STEP_OFFER, 0, 0);
    }
    return s;
}

void cp_sim_free(cp_sim *s) {
    if (!s)
        return;
    free(s->agents);
    free(s->heap);
    free(s);
}

int64_t cp_sim_peek_time(const cp_sim *s) {
    return s->n ? s->heap[0].t : INT64_MAX;
}

/* ---- the call-centre model ----------------------------------------------- */

static double skill_at(const cp_sim *s, const agent *a, int64_t t) {
    return (a->struggling && t >= s->p.degrade_at_ms) ? 0.05 : a->skill;
}

/* Schedule what follows the step just taken and fill the call's numbers. */
static void advance(cp_sim *s, const step *st) {
    agent *a = &s->agents[st->agent];
    double k = skill_at(s, a, st->t);
    int64_t t = st->t;

    switch (st->kind) {
    case STEP_OFFER:
        a->calls++;
        a->answered = chance(s, 0.70 + 0.28 * k);
        a->ring_s = a->answered ? rnd_range(s, 2, 15 + 10 * (1 - k)) : rnd_range(s, 15, 30);
        push(s, t + secs(a->ring_s), st->agent, STEP_RING, a->calls, 0);
        break;
    case STEP_RING:
        if (!a->answered) {
            push(s, t + secs(rnd_exp(s, 30)), st->agent, STEP_OFFER, 0, 0);
            break;
        }
        a->long_call = chance(s, 0.01 + 0.08 * (1 - k));
        a->talk_s =
            a->long_call ? rnd_range(s, 960, 1500) : rnd_range(s, 120, 300) * (1.0 + 1.2 * (1 - k));
        a->hold_s = chance(s, 0.3 + 0.4 * (1 - k)) ? rnd_range(s, 5, 30 + 150 * (1 - k)) : 0;
        a->acw_s = rnd_range(s, 20, 60 + 120 * (1 - k));
        a->wrapup_separate = chance(s, 0.5);
        push(s, t + 1, st->agent, STEP_BUSY, st->call, 0);
        push(s, t + secs(a->talk_s + a->hold_s), st->agent, STEP_END, st->call, 0);
        break;
    case STEP_END:
        push(s, t + 1, st->agent, STEP_ACW, st->call, 0);
        push(s, t + secs(a->acw_s), st->agent, a->wrapup_separate ? STEP_WRAPUP : STEP_AVAIL,
             st->call, 0);
        if (chance(s, 0.3)) {
            double mean = 1.5 + 3.3 * k;
            int csat = (int)lround(mean + rnd_range(s, -1.2, 1.2));
            push(s, t + secs(rnd_range(s, 60, 540)), st->agent, STEP_SURVEY, st->call,
                 csat < 1   ? 1
                 : csat > 5 ? 5
                            : csat);
        }
        if (chance(s, 0.1)) {
            int qa = (int)lround(40 + 58 * k + rnd_range(s, -8, 8));
            push(s, t + secs(rnd_range(s, 300, 1500)), st->agent, STEP_QA, st->call,
                 qa < 0     ? 0
                 : qa > 100 ? 100
                            : qa);
        }
        break;
    case STEP_WRAPUP:
        push(s, t + 1, st->agent, STEP_AVAIL, st->call, 0);
        break;
    case STEP_AVAIL:
        if (chance(s, 0.05))
            push(s, t + secs(rnd_range(s, 5, 60)), st->agent, STEP_BREAK, 0, 0);
        else
            push(s, t + secs(rnd_exp(s, 40)), st->agent, STEP_OFFER, 0, 0);
        break;
    case STEP_BREAK:
        push(s, t + secs(rnd_range(s, 300, 900)), st->agent, STEP_AVAIL, 0, 0);
        break;
    default:
        break;
    }
}

/* ---- JSON ---------------------------------------------------------------- */

/* Half the events carry epoch ms, half RFC 3339 at the team's UTC offset. */
static int format_ts(cp_sim *s, const agent *a, int64_t t, char *buf, size_t size) {
    if (chance(s, 0.5))
        return snprintf(buf, size, "%lld", (long long)t);
    int off_min = (a->team[1] - '0') % 2 ? 480 : 0; /* odd teams in UTC+08:00 */
    int64_t local = t + (int64_t)off_min * 60000;
    char iso[32];
    cp_rfc3339_format(local, iso, sizeof(iso));
    iso[23] = '\0'; /* drop the Z */
    if (off_min == 0)
        return snprintf(buf, size, "\"%sZ\"", iso);
    return snprintf(buf, size, "\"%s+%02d:%02d\"", iso, off_min / 60, off_min % 60);
}

/* v to `decimals` places, as "%.Nf" would (numfmt.h), in t. */
static const char *fx(double v, int decimals, char t[CP_NUM_TEXT_MAX]) {
    cp_fmt_fixed(v, decimals, t);
    return t;
}

static int type_fields(cp_sim *s, const step *st, const agent *a, char *buf, size_t size) {
    double k = skill_at(s, a, st->t);
    char t1[CP_NUM_TEXT_MAX], t2[CP_NUM_TEXT_MAX];
    switch (st->kind) {
    case STEP_OFFER:
        return snprintf(buf, size, "\"type\":\"call_offered\"");
    case STEP_RING:
        if (!a->answered)
            return snprintf(buf, size, "\"type\":\"call_missed\"");
        return snprintf(buf, size, "\"type\":\"call_answered\",\"ring_s\":%s",
                        fx(a->ring_s, 1, t1));
    case STEP_END: {
        int transferred = chance(s, 0.02 + 0.3 * (1 - k));
        int resolved = !transferred && chance(s, 0.45 + 0.5 * k);
        int complaint = chance(s, 0.02 + 0.15 * (1 - k));
        int sale = !transferred && chance(s, 0.05 + 0.15 * k);
        int n = snprintf(buf, size,
                         "\"type\":\"call_ended\",\"talk_s\":%s,\"hold_s\":%s,"
                         "\"transferred\":%s,\"resolved\":%s,\"complaint\":%s,\"sale\":%s",
                         fx(a->talk_s, 1, t1), fx(a->hold_s, 1, t2), transferred ? "true" : "false",
                         resolved ? "true" : "false", complaint ? "true" : "false",
                         sale ? "true" : "false");
        if (n > 0 && (size_t)n < size && sale)
            n += snprintf(buf + n, size - (size_t)n, ",\"sale_value\":%s",
                          fx(rnd_range(s, 20, 500), 2, t1));
        if (n > 0 && (size_t)n < size && !a->wrapup_separate)
            n += snprintf(buf + n, size - (size_t)n, ",\"acw_s\":%s", fx(a->acw_s, 1, t1));
        return n;
    }
    case STEP_WRAPUP:
        return snprintf(buf, size, "\"type\":\"wrapup_ended\",\"acw_s\":%s", fx(a->acw_s, 1, t1));
    case STEP_SURVEY:
        return snprintf(buf, size, "\"type\":\"survey\",\"csat\":%d", st->value);
    case STEP_QA:
        return snprintf(buf, size, "\"type\":\"qa_scored\",\"qa_score\":%d", st->value);
    case STEP_BUSY:
        return snprintf(buf, size, "\"type\":\"agent_state\",\"state\":\"busy\"");
    case STEP_ACW:
        return snprintf(buf, size, "\"type\":\"agent_state\",\"state\":\"acw\"");
    case STEP_AVAIL:
        return snprintf(buf, size, "\"type\":\"agent_state\",\"state\":\"available\"");
    case STEP_BREAK:
        return snprintf(buf, size, "\"type\":\"agent_state\",\"state\":\"break\"");
    default:
        return snprintf(buf, size, "\"type\":\"call_offered\"");
    }
}

static int is_state(step_kind k) {
    return k == STEP_BUSY || k == STEP_ACW || k == STEP_AVAIL || k == STEP_BREAK;
}

/* Deliberately broken events, each a different dead-letter reason. */
static size_t bad_event(cp_sim *s, const agent *a, int64_t t, char *buf, size_t size) {
    unsigned long long id = (unsigned long long)s->emitted;
    long long ts = (long long)t;
    int n;
    switch (rnd_u64(s) % 5) {
    case 0: /* truncated JSON: invalid_json */
        n = snprintf(buf, size,
                     "{\"event_id\":\"bad-%llu\",\"type\":\"call_offered\","
                     "\"agent_id\":\"%s\",\"ts\":%lld",
                     id, a->id, ts);
        break;
    case 1: /* whitespace in the agent id: bad_id */
        n = snprintf(buf, size,
                     "{\"event_id\":\"bad-%llu\",\"type\":\"call_offered\","
                     "\"agent_id\":\"%s x\",\"ts\":%lld,\"call_id\":\"c\"}",
                     id, a->id, ts);
        break;
    case 2: /* unknown_type */
        n = snprintf(buf, size,
                     "{\"event_id\":\"bad-%llu\",\"type\":\"call_parked\","
                     "\"agent_id\":\"%s\",\"ts\":%lld,\"call_id\":\"c\"}",
                     id, a->id, ts);
        break;
    case 3: /* csat out of range: bad_value */
        n = snprintf(buf, size,
                     "{\"event_id\":\"bad-%llu\",\"type\":\"survey\","
                     "\"agent_id\":\"%s\",\"ts\":%lld,\"call_id\":\"c\",\"csat\":7}",
                     id, a->id, ts);
        break;
    default: /* a string where a number belongs: bad_type */
        n = snprintf(buf, size,
                     "{\"event_id\":\"bad-%llu\",\"type\":\"call_ended\","
                     "\"agent_id\":\"%s\",\"ts\":%lld,\"call_id\":\"c\",\"talk_s\":\"long\"}",
                     id, a->id, ts);
        break;
    }
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

int64_t cp_sim_next(cp_sim *s, char *key, size_t key_size, char *value, size_t value_size,
                    size_t *value_len) {
    char ts[48], fields[384];
    step st;
    int n;

    if (s->last_len > 0 && chance(s, s->p.dup_ratio)) { /* resend the previous event */
        snprintf(key, key_size, "%s", s->last_key);
        *value_len = s->last_len < value_size ? s->last_len : value_size;
        memcpy(value, s->last_value, *value_len);
        s->last_len = 0;
        return s->last_t;
    }
    st = pop(s);
    advance(s, &st);
    agent *a = &s->agents[st.agent];
    int64_t t = st.t + (s->p.jitter_ms ? (int64_t)(rnd_u64(s) % (uint64_t)s->p.jitter_ms) : 0);
    s->emitted++;
    snprintf(key, key_size, "%s", a->id);
    if (chance(s, s->p.bad_ratio)) {
        *value_len = bad_event(s, a, t, value, value_size);
        return t;
    }
    format_ts(s, a, t, ts, sizeof(ts));
    type_fields(s, &st, a, fields, sizeof(fields));
    if (is_state(st.kind))
        n = snprintf(value, value_size,
                     "{\"event_id\":\"%s-%llu\",\"agent_id\":\"%s\",\"team_id\":\"%s\","
                     "\"ts\":%s,%s}",
                     s->id_prefix, (unsigned long long)s->emitted, a->id, a->team, ts, fields);
    else
        n = snprintf(value, value_size,
                     "{\"event_id\":\"%s-%llu\",\"agent_id\":\"%s\",\"team_id\":\"%s\","
                     "\"ts\":%s,\"call_id\":\"%s-c%u\",%s}",
                     s->id_prefix, (unsigned long long)s->emitted, a->id, a->team, ts, a->id,
                     (unsigned)(st.kind == STEP_OFFER ? a->calls : st.call), fields);
    *value_len = n < 0 ? 0 : (size_t)n < value_size ? (size_t)n : value_size - 1;
    if (*value_len < sizeof(s->last_value)) {
        memcpy(s->last_value, value, *value_len);
        s->last_len = *value_len;
        snprintf(s->last_key, sizeof(s->last_key), "%s", a->id);
        s->last_t = t;
    }
    return t;
}

int64_t cp_sim_span_ms(const cp_sim_params *p, uint64_t n) {
    char key[32], value[2048];
    size_t len;
    int64_t last = p->start_ms;
    cp_sim *s = cp_sim_new(p);
    if (!s)
        return -1;
    for (uint64_t i = 0; i < n; i++) {
        int64_t t = cp_sim_next(s, key, sizeof(key), value, sizeof(value), &len);
        if (t > last)
            last = t;
    }
    cp_sim_free(s);
    return last - p->start_ms;
}
