/* oracle.c -- the contract's KPI definitions, computed the slow and
 * obvious way: for every question, scan every event. */
#include "oracle.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t rng_next(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double rng_unit(uint64_t *s) {
    return (double)(rng_next(s) % 1000000) / 1000000.0;
}

/* ts as epoch ms or RFC 3339 at one of a few offsets, chosen at random. */
static void format_ts(int64_t ts, uint64_t *rng, char *buf, size_t size) {
    static const int offsets[] = {0, 480, -180, 330};
    int pick = (int)(rng_next(rng) % 5);
    if (pick == 4) {
        snprintf(buf, size, "%lld", (long long)ts);
        return;
    }
    int off = offsets[pick];
    time_t secs = (time_t)((ts + (int64_t)off * 60000) / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char zone[24];
    if (off == 0)
        snprintf(zone, sizeof(zone), "Z");
    else
        snprintf(zone, sizeof(zone), "%c%02d:%02d", off < 0 ? '-' : '+', abs(off) / 60,
                 abs(off) % 60);
    snprintf(buf, size, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03d%s\"", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ts % 1000), zone);
}

static void to_json(o_event *e, uint64_t *rng) {
    static const char *types[] = {"call_offered", "call_answered", "call_missed", "call_ended",
                                  "wrapup_ended", "survey",        "qa_scored",   "agent_state"};
    char ts[128], extra[256] = "", team[32] = "";
    format_ts(e->ts, rng, ts, sizeof(ts));
    if (e->team[0])
        snprintf(team, sizeof(team), ",\"team_id\":\"%s\"", e->team);
    switch (e->type) {
    case O_ANSWERED:
        snprintf(extra, sizeof(extra), ",\"ring_s\":4");
        break;
    case O_ENDED:
        snprintf(extra, sizeof(extra),
                 ",\"talk_s\":%.1f,\"hold_s\":%.1f,\"acw_s\":%.1f,\"transferred\":%s,"
                 "\"resolved\":%s,\"complaint\":%s,\"sale\":%s,\"sale_value\":%.2f",
                 e->talk, e->hold, e->acw, e->transferred ? "true" : "false",
                 e->resolved ? "true" : "false", e->complaint ? "true" : "false",
                 e->sale ? "true" : "false", e->sale_value);
        break;
    case O_WRAPUP:
        snprintf(extra, sizeof(extra), ",\"acw_s\":%.1f", e->acw);
        break;
    case O_SURVEY:
        snprintf(extra, sizeof(extra), ",\"csat\":%d", e->csat);
        break;
    case O_QA:
        snprintf(extra, sizeof(extra), ",\"qa_score\":%.1f", e->qa);
        break;
    case O_STATE:
        snprintf(extra, sizeof(extra), ",\"state\":\"busy\"");
        break;
    default:
        break;
    }
    int n;
    if (e->type != O_STATE)
        n = snprintf(e->json, sizeof(e->json),
                     "{\"event_id\":\"%s\",\"type\":\"%s\",\"agent_id\":\"%s\"%s,\"ts\":%s,"
                     "\"call_id\":\"c-%s\"%s,\"source\":\"oracle-test\"}",
                     e->id, types[e->type], e->agent, team, ts, e->id, extra);
    else
        n = snprintf(e->json, sizeof(e->json),
                     "{\"event_id\":\"%s\",\"type\":\"%s\",\"agent_id\":\"%s\"%s,\"ts\":%s%s}",
                     e->id, types[e->type], e->agent, team, ts, extra);
    e->json_len = (size_t)n;
}

o_event *o_generate(const o_params *p, size_t *n) {
    uint64_t rng = p->seed * 2654435761ULL + 1;
    o_event *evs = calloc((size_t)p->events, sizeof(*evs));
    int64_t span = p->end_ms - p->start_ms;
    for (int i = 0; i < p->events; i++) {
        o_event *e = &evs[i];
        int64_t base = p->start_ms + span * i / p->events;
        double r = rng_unit(&rng);
        if (i > 50 && r < p->dup_ratio) { /* a re-send of a recent event */
            int j = i - 1 - (int)(rng_next(&rng) % 50);
            *e = evs[j];
            continue;
        }
        int active = p->agents - (base > p->start_ms + span / 3 ? p->quiet_agents : 0);
        int a = (int)(rng_next(&rng) % (uint64_t)active);
        snprintf(e->agent, sizeof(e->agent), "a%d", a);
        snprintf(e->id, sizeof(e->id), "o%llu-%d", (unsigned long long)p->seed, i);
        if (rng_unit(&rng) < 0.7)
            snprintf(e->team, sizeof(e->team), "t%d", (a + (base > p->start_ms + span / 2)) % 3);
        e->type = (o_type)(rng_next(&rng) % 8);
        e->ts = base - 90000 + (int64_t)(rng_next(&rng) % 120000); /* out of order */
        if (rng_unit(&rng) < p->late_ratio)
            e->ts = base - 15 * 60000; /* behind the lateness horizon */
        e->talk = (double)(rng_next(&rng) % 6000) / 10.0;
        e->hold = (double)(rng_next(&rng) % 900) / 10.0;
        e->acw = (double)(rng_next(&rng) % 1200) / 10.0;
        e->transferred = rng_unit(&rng) < 0.2;
        e->resolved = rng_unit(&rng) < 0.6;
        e->complaint = rng_unit(&rng) < 0.1;
        e->sale = rng_unit(&rng) < 0.15;
        e->sale_value = e->sale ? (double)(rng_next(&rng) % 50000) / 100.0 : 0;
        e->csat = 1 + (int)(rng_next(&rng) % 5);
        e->qa = (double)(rng_next(&rng) % 201) / 2.0;
        to_json(e, &rng);
    }
    *n = (size_t)p->events;
    return evs;
}

static int by_partition_offset(const void *a, const void *b) {
    const o_event *x = *(const o_event *const *)a, *y = *(const o_event *const *)b;
    if (x->partition != y->partition)
        return x->partition < y->partition ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int by_identity(const void *a, const void *b) {
    const o_event *x = *(const o_event *const *)a, *y = *(const o_event *const *)b;
    int c = strcmp(x->agent, y->agent);
    if (c == 0)
        c = strcmp(x->id, y->id);
    return c ? c : by_partition_offset(a, b);
}

void o_accept(o_event *evs, size_t n, int64_t lateness_ms) {
    o_event **order = malloc(n * sizeof(*order));
    for (size_t i = 0; i < n; i++)
        order[i] = &evs[i];
    qsort(order, n, sizeof(*order), by_partition_offset);
    int32_t part = -1;
    int64_t clock = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        o_event *e = order[i];
        if (e->partition != part) {
            part = e->partition;
            clock = INT64_MIN;
        }
        e->accepted = clock == INT64_MIN || e->ts >= clock - lateness_ms;
        if (e->accepted && e->ts > clock)
            clock = e->ts;
    }
    /* of the accepted copies of one (agent, event_id), the first counts */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (order[i]->accepted)
            order[m++] = order[i];
    qsort(order, m, sizeof(*order), by_identity);
    for (size_t i = 1; i < m; i++)
        if (strcmp(order[i]->agent, order[i - 1]->agent) == 0 &&
            strcmp(order[i]->id, order[i - 1]->id) == 0)
            order[i]->accepted = 2; /* accepted, but a duplicate */
    free(order);
}

static int64_t floordiv(int64_t a, int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/* Sums of the contract over the events of agent inside window w at T. */
typedef struct o_sums {
    double offered, answered, missed, handled, talk, hold, acw, resolved, transferred, complaints,
        sales, sales_value, csat_sum, csat_count, qa_sum, qa_count;
} o_sums;

static o_sums window_sums(const o_event *evs, size_t n, const char *agent, o_window w, int64_t T,
                          int64_t bucket_ms, int day_offset_min) {
    o_sums s;
    memset(&s, 0, sizeof(s));
    int64_t bT = floordiv(T, bucket_ms);
    int64_t day = floordiv(T + day_offset_min * 60000LL, 86400000);
    for (size_t i = 0; i < n; i++) {
        const o_event *e = &evs[i];
        if (e->accepted != 1 || strcmp(e->agent, agent) != 0)
            continue;
        int64_t b = floordiv(e->ts, bucket_ms);
        int in = w.seconds
                     ? (b >= bT - w.seconds * 1000 / bucket_ms + 1 && b <= bT)
                     : (floordiv(e->ts + day_offset_min * 60000LL, 86400000) == day && b <= bT);
        if (!in)
            continue;
        switch (e->type) {
        case O_OFFERED:
            s.offered++;
            break;
        case O_ANSWERED:
            s.answered++;
            break;
        case O_MISSED:
            s.missed++;
            break;
        case O_ENDED:
            s.handled++;
            s.talk += e->talk;
            s.hold += e->hold;
            s.acw += e->acw;
            s.resolved += e->resolved;
            s.transferred += e->transferred;
            s.complaints += e->complaint;
            s.sales += e->sale;
            s.sales_value += e->sale_value;
            break;
        case O_WRAPUP:
            s.acw += e->acw;
            break;
        case O_SURVEY:
            s.csat_sum += e->csat;
            s.csat_count++;
            break;
        case O_QA:
            s.qa_sum += e->qa;
            s.qa_count++;
            break;
        default:
            break;
        }
    }
    return s;
}

/* Section 4, default weights and targets, written from the contract. */
static int score_of(const o_sums *s, double *score) {
    double calls = s->answered + s->missed, num = 0, den = 0;
    if (s->handled < 3)
        return 0;
    if (calls > 0) {
        num += 20 * fmin(s->answered / calls / 0.90, 1);
        den += 20;
    }
    double aht = (s->talk + s->hold + s->acw) / s->handled;
    num += 20 * (aht == 0 ? 1 : fmin(360 / aht, 1));
    num += 20 * fmin(s->resolved / s->handled / 0.75, 1);
    den += 40;
    if (s->csat_count > 0) {
        num += 25 * (s->csat_sum / s->csat_count - 1) / 4;
        den += 25;
    }
    if (s->qa_count > 0) {
        num += 15 * (s->qa_sum / s->qa_count) / 100;
        den += 15;
    }
    *score = round(100 * num / den * 100) / 100; /* to 0.01, as the hash shows it */
    return 1;
}

int o_score(const o_event *evs, size_t n, const char *agent, o_window w, int64_t T,
            int64_t bucket_ms, int day_offset_min, double *score) {
    o_sums s = window_sums(evs, n, agent, w, T, bucket_ms, day_offset_min);
    return score_of(&s, score);
}

const char *o_tier(double score) {
    return score >= 90   ? "excellent"
           : score >= 75 ? "good"
           : score >= 60 ? "qualified"
                         : "needs_improvement";
}

const char *o_last_team(const o_event *evs, size_t n, const char *agent) {
    const o_event *last = NULL;
    for (size_t i = 0; i < n; i++) {
        const o_event *e = &evs[i];
        if (e->accepted == 1 && e->team[0] && strcmp(e->agent, agent) == 0 &&
            (!last || e->partition != last->partition || e->offset > last->offset))
            last = e;
    }
    return last ? last->team : "";
}

static const char *field(char **fields, size_t n, const char *name) {
    for (size_t i = 0; i + 1 < n; i += 2)
        if (strcmp(fields[i], name) == 0)
            return fields[i + 1];
    return NULL;
}

int o_check_hash(const o_event *evs, size_t n, const char *agent, o_window w, int64_t bucket_ms,
                 int day_offset_min, char **fields, size_t nfields, char *why, size_t whysz) {
    const char *as_of = field(fields, nfields, "as_of");
    if (!as_of) {
        snprintf(why, whysz, "no as_of");
        return -1;
    }
    int64_t T = strtoll(as_of, NULL, 10);
    o_sums s = window_sums(evs, n, agent, w, T, bucket_ms, day_offset_min);
    double calls = s.answered + s.missed;
    struct {
        const char *name;
        double value;
        int present;
    } want[] = {
        {"offered", s.offered, 1},
        {"answered", s.answered, 1},
        {"missed", s.missed, 1},
        {"handled", s.handled, 1},
        {"talk_s", s.talk, 1},
        {"hold_s", s.hold, 1},
        {"acw_s", s.acw, 1},
        {"resolved", s.resolved, 1},
        {"transferred", s.transferred, 1},
        {"complaints", s.complaints, 1},
        {"sales", s.sales, 1},
        {"sales_value", s.sales_value, 1},
        {"csat_sum", s.csat_sum, 1},
        {"csat_count", s.csat_count, 1},
        {"qa_sum", s.qa_sum, 1},
        {"qa_count", s.qa_count, 1},
        {"answer_rate", calls ? s.answered / calls : 0, calls > 0},
        {"aht_s", s.handled ? (s.talk + s.hold + s.acw) / s.handled : 0, s.handled > 0},
        {"avg_talk_s", s.handled ? s.talk / s.handled : 0, s.handled > 0},
        {"avg_hold_s", s.handled ? s.hold / s.handled : 0, s.handled > 0},
        {"avg_acw_s", s.handled ? s.acw / s.handled : 0, s.handled > 0},
        {"fcr_rate", s.handled ? s.resolved / s.handled : 0, s.handled > 0},
        {"transfer_rate", s.handled ? s.transferred / s.handled : 0, s.handled > 0},
        {"complaint_rate", s.handled ? s.complaints / s.handled : 0, s.handled > 0},
        {"conversion_rate", s.handled ? s.sales / s.handled : 0, s.handled > 0},
        {"csat_avg", s.csat_count ? s.csat_sum / s.csat_count : 0, s.csat_count > 0},
        {"qa_avg", s.qa_count ? s.qa_sum / s.qa_count : 0, s.qa_count > 0},
    };
    size_t expected_fields = 1; /* as_of */
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const char *got = field(fields, nfields, want[i].name);
        if (!want[i].present) {
            if (got) {
                snprintf(why, whysz, "%s at %lld: %s present, expected absent", agent, (long long)T,
                         want[i].name);
                return -1;
            }
            continue;
        }
        expected_fields++;
        if (!got) {
            snprintf(why, whysz, "%s at %lld: %s missing", agent, (long long)T, want[i].name);
            return -1;
        }
        double v = strtod(got, NULL);
        if (fabs(v - want[i].value) > 1e-4 * (fabs(want[i].value) > 1 ? fabs(want[i].value) : 1)) {
            snprintf(why, whysz, "%s at %lld: %s = %s, oracle %.6f", agent, (long long)T,
                     want[i].name, got, want[i].value);
            return -1;
        }
    }
    double score;
    const char *got_score = field(fields, nfields, "score"),
               *got_tier = field(fields, nfields, "tier");
    if (!score_of(&s, &score)) {
        if (got_score || got_tier) {
            snprintf(why, whysz, "%s at %lld: score %s with %.0f handled", agent, (long long)T,
                     got_score ? got_score : got_tier, s.handled);
            return -1;
        }
    } else {
        expected_fields += 2;
        if (!got_score || !got_tier || fabs(strtod(got_score, NULL) - score) > 0.0101) {
            snprintf(why, whysz, "%s at %lld: score %s, oracle %.4f", agent, (long long)T,
                     got_score ? got_score : "missing", score);
            return -1;
        }
        /* both round to 0.01, in their own order of sums: the tier is that
         * of the score shown */
        if (strcmp(got_tier, o_tier(strtod(got_score, NULL))) != 0) {
            snprintf(why, whysz, "%s at %lld: tier %s with score %s", agent, (long long)T, got_tier,
                     got_score);
            return -1;
        }
    }
    if (nfields / 2 != expected_fields) {
        snprintf(why, whysz, "%s at %lld: %zu fields, expected %zu", agent, (long long)T,
                 nfields / 2, expected_fields);
        return -1;
    }
    return 0;
}
