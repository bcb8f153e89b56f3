/* agentlayout.c -- the agent's Redis layout (agentlayout.h): the key and
 * field names, the encoding of a state into operations on its keys and
 * the decoding of what a load read back. Every name is defined once below
 * and used by both directions; the operations go to a sink (agentstore.c
 * turns them into the write script's arguments, the unit test into a fake
 * Redis). Pure but for allocation. */
#include "agentlayout.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keyset.h"
#include "kindstate.h"
#include "kpi.h"
#include "ledger.h"
#include "numfmt.h"

/* ---- names ------------------------------------------------------------------ */

/* P st:{A}. Every field but r:<rule id> and k:<kind> is one letter, alone
 * or followed by a number; the letter claims every field it starts
 * (load_state). */
#define ST_AS_OF      "a"
#define ST_PARTITION  "p"
#define ST_TEAM       "t"
#define ST_BOARD_TEAM "T" /* the team its board entries are under (boards.h) */
#define ST_BOARD_PREV "P" /* ... and the one before */
#define ST_DAY        "d"
#define ST_DAY_SUMS   "s"
#define ST_OFFSET     "o" /* o<partition>: applied offset */
#define ST_BUCKET     "b" /* b<bucket>: pane sums */
#define ST_RULE       "r:"
#define ST_KIND       "k:" /* k:<kind name>: that kind's own state (kindstate.h) */

/* P points:{A}: total, and day fields (ledger.h). */
#define POINTS_TOTAL "total"

/* P calls:{A}: open and recently ended calls, by call id. */
#define CALL_OPEN  "o:"
#define CALL_ENDED "e:"

/* P kpi:{A}:W: as_of, the metrics by their names (kpi.h), score, tier. */
#define KPI_AS_OF "as_of"
#define KPI_SCORE "score"
#define KPI_TIER  "tier"

/* Room for any field name built here: r:<rule id>, o:<call id>, b<n>. */
#define FIELD_MAX 256

/* The keys' short names, for errors. */
static const char *key_label(int key) {
    static const char *const labels[] = {"st", "ids", "points", "calls", "outbox"};
    return key >= CP_AK_ST && key < CP_AK_KPI ? labels[key] : "kpi";
}

/* ---- key names ------------------------------------------------------------- */

/* Append n bytes of p at *at (keeping room for the NUL); -1 when full. */
static int cat(char *buf, size_t size, size_t *at, const char *p, size_t n) {
    if (*at + n >= size)
        return -1;
    memcpy(buf + *at, p, n);
    *at += n;
    return 0;
}

size_t cp_layout_key_name(char *buf, size_t size, const char *prefix, int key, const char *agent,
                          const char *window) {
    const char *label = key_label(key);
    size_t at = 0;
    if (cat(buf, size, &at, prefix, strlen(prefix)) || cat(buf, size, &at, label, strlen(label)) ||
        cat(buf, size, &at, ":{", 2) || cat(buf, size, &at, agent, strlen(agent)) ||
        cat(buf, size, &at, "}", 1) ||
        (key >= CP_AK_KPI &&
         (cat(buf, size, &at, ":", 1) || cat(buf, size, &at, window, strlen(window)))))
        return 0;
    buf[at] = '\0';
    return at;
}

/* ---- pane sums ------------------------------------------------------------- */

size_t cp_sums_encode(const cp_sums *s, char *buf) {
    char *at = buf;
    for (int i = 0; i < CP_S_COUNT; i++) {
        if (!s->v[i])
            continue;
        *at++ = (char)('a' + i);
        char digits[24];
        int n = 0;
        uint64_t x = (uint64_t)s->v[i];
        do {
            digits[n++] = (char)('0' + x % 10);
            x /= 10;
        } while (x);
        while (n)
            *at++ = digits[--n];
    }
    *at = '\0';
    return (size_t)(at - buf);
}

int cp_sums_decode(const char *text, size_t len, cp_sums *out) {
    size_t i = 0;
    memset(out, 0, sizeof(*out));
    while (i < len) {
        int k = text[i] - 'a';
        if (k < 0 || k >= CP_S_COUNT || ++i >= len || text[i] < '0' || text[i] > '9')
            return -1;
        int64_t v = 0;
        while (i < len && text[i] >= '0' && text[i] <= '9') {
            int digit = text[i++] - '0';
            if (v > (INT64_MAX - digit) / 10)
                return -1;
            v = v * 10 + digit;
        }
        out->v[k] = v;
    }
    return 0;
}

/* ---- writing ---------------------------------------------------------------- */

/* The encoder's state: where operations go, where an error is said. */
typedef struct enc {
    const cp_layout *l;
    const cp_key_op_sink *out;
    char *err;
    size_t errsz;
} enc;

static int put(enc *e, cp_key_op_kind kind, int key, const char *name, size_t name_len,
               const char *value, size_t value_len) {
    cp_key_op op = {kind, key, name, value, name_len, value_len};
    if (e->out->put(e->out->ctx, &op) == 0)
        return 0;
    if (!name) { /* DEL, ZREMRANGEBYSCORE: the operation names itself */
        name = kind == CP_KEYOP_DEL ? "DEL" : "ZREMRANGEBYSCORE";
        name_len = strlen(name);
    }
    snprintf(e->err, e->errsz, "out of memory adding %.*s to %s",
             (int)(name_len < 200 ? name_len : 200), name, key_label(key));
    return -1;
}

/* printf into buf; its length, or -1 (err says what did not fit). */
static int fmt(enc *e, char *buf, size_t size, const char *what, const char *f, ...)
    __attribute__((format(printf, 5, 6)));
static int fmt(enc *e, char *buf, size_t size, const char *what, const char *f, ...) {
    va_list ap;
    va_start(ap, f);
    int n = vsnprintf(buf, size, f, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size) {
        snprintf(e->err, e->errsz, "%s does not fit in %zu bytes", what, size);
        return -1;
    }
    return n;
}

static int hset(enc *e, int key, const char *name, const char *value) {
    return put(e, CP_KEYOP_HSET, key, name, strlen(name), value, strlen(value));
}

static int hset_i64(enc *e, int key, const char *name, int64_t v) {
    char value[CP_NUM_TEXT_MAX];
    size_t n = cp_fmt_i64(v, value);
    return put(e, CP_KEYOP_HSET, key, name, strlen(name), value, n);
}

/* Field <letter><n> of P st:{A}: o<partition>, b<bucket> (buf: at least
 * CP_NUM_TEXT_MAX bytes). */
static int number_field(char *buf, char letter, int64_t n) {
    buf[0] = letter;
    return (int)cp_fmt_i64(n, buf + 1) + 1;
}

static int hset_offset(enc *e, const cp_applied *o) {
    char name[FIELD_MAX], value[CP_NUM_TEXT_MAX];
    int n = number_field(name, ST_OFFSET[0], o->partition);
    size_t m = cp_fmt_i64(o->offset, value);
    return put(e, CP_KEYOP_HSET, CP_AK_ST, name, (size_t)n, value, m);
}

static int hset_bucket(enc *e, const cp_bucket *b) {
    char name[FIELD_MAX], sums[CP_SUMS_TEXT_MAX];
    int n = number_field(name, ST_BUCKET[0], b->b);
    return put(e, CP_KEYOP_HSET, CP_AK_ST, name, (size_t)n, sums, cp_sums_encode(&b->s, sums));
}

static int hset_rule(enc *e, const cp_rule *rule, const cp_rule_state *st) {
    char name[FIELD_MAX], state[128];
    int n = fmt(e, name, sizeof(name), "a rule id", ST_RULE "%s", rule->id);
    if (n < 0)
        return -1;
    size_t len = cp_rule_state_encode(st, state, sizeof(state));
    if (len + 1 >= sizeof(state)) { /* it may have been cut */
        snprintf(e->err, e->errsz, "the state of rule %s does not fit in %zu bytes", rule->id,
                 sizeof(state));
        return -1;
    }
    return put(e, CP_KEYOP_HSET, CP_AK_ST, name, (size_t)n, state, len);
}

/* The board teams as they are once this step's board plan ran (boards.h):
 * T its team, P the team it moved from (or, unmoved, the one before). */
static int board_teams(enc *e, const cp_agent *a, int whole) {
    int moved = strcmp(a->boards.team, a->team) != 0;
    if (!moved && !whole)
        return 0;
    return hset(e, CP_AK_ST, ST_BOARD_TEAM, a->team) ||
           hset(e, CP_AK_ST, ST_BOARD_PREV, moved ? a->boards.team : a->boards.prev_team);
}

static int day_fields(enc *e, const cp_agent *a) {
    char sums[CP_SUMS_TEXT_MAX];
    return hset_i64(e, CP_AK_ST, ST_DAY, a->w.day) ||
           put(e, CP_KEYOP_HSET, CP_AK_ST, ST_DAY_SUMS, strlen(ST_DAY_SUMS), sums,
               cp_sums_encode(&a->w.day_sums, sums));
}

static int offset_fields(enc *e, const cp_agent *a, const cp_agent_delta *d) {
    const cp_applied *v = d ? d->offsets : a->applied;
    size_t n = d ? d->noffsets : a->napplied;
    for (size_t i = 0; i < n; i++)
        if (hset_offset(e, &v[i]) != 0)
            return -1;
    return 0;
}

/* The panes d wrote (those pruned in the same step are gone), or all. */
static int bucket_fields(enc *e, const cp_agent *a, const cp_agent_delta *d) {
    size_t n = d ? d->nbuckets : a->w.n;
    for (size_t i = 0; i < n; i++) {
        const cp_bucket *b = d ? cp_wstore_find(&a->w, d->buckets[i]) : &a->w.bk[i];
        if (b && hset_bucket(e, b) != 0)
            return -1;
    }
    return 0;
}

/* The rules marked dirty (the first 64 can be), or all. */
static int rule_fields(enc *e, const cp_rules *rules, const cp_agent *a, int whole) {
    for (int r = 0; r < rules->n && r < a->rules.nstate && (whole || r < 64); r++)
        if ((whole || (a->rules.dirty_rules & (1ULL << r))) &&
            hset_rule(e, &rules->v[r], &a->rules.state[r]) != 0)
            return -1;
    return 0;
}

/* The states of the kinds that keep one (kindstate.h) that changed, or
 * all: none when no kind with state is configured. */
static int kind_fields(enc *e, const cp_agent_rules *ar, int whole) {
    for (size_t i = 0; i < ar->nkinds; i++) {
        const cp_kind_slot *k = &ar->kinds[i];
        char name[FIELD_MAX], state[CP_KIND_STATE_TEXT_MAX];
        if (!whole && !(ar->kinds_dirty & (1u << i)))
            continue;
        int n = fmt(e, name, sizeof(name), "a kind name", ST_KIND "%s", k->kind->name);
        if (n < 0)
            return -1;
        int len = k->kind->state->encode(k->state, state, sizeof(state));
        if (len < 0 || (size_t)len >= sizeof(state)) {
            snprintf(e->err, e->errsz, "the state of kind %s does not fit in %zu bytes",
                     k->kind->name, sizeof(state));
            return -1;
        }
        if (put(e, CP_KEYOP_HSET, CP_AK_ST, name, (size_t)n, state, (size_t)len) != 0)
            return -1;
    }
    return 0;
}

/* P st:{A}: as_of, partition, team, board teams, applied offsets, panes,
 * the day, rule states, kind states; then the panes pruned. */
static int state_ops(enc *e, const cp_rules *rules, const cp_agent *a, const cp_agent_delta *d) {
    int whole = d == NULL;
    if (hset_i64(e, CP_AK_ST, ST_AS_OF, a->as_of) ||
        hset_i64(e, CP_AK_ST, ST_PARTITION, a->partition))
        return -1;
    if ((whole || d->team_changed || a->version == 0) && hset(e, CP_AK_ST, ST_TEAM, a->team))
        return -1;
    if (board_teams(e, a, whole) || offset_fields(e, a, d) || bucket_fields(e, a, d))
        return -1;
    if ((whole || d->applied || d->day_rolled || a->version == 0) && day_fields(e, a))
        return -1;
    if (rule_fields(e, rules, a, whole) || kind_fields(e, &a->rules, whole))
        return -1;
    for (size_t i = 0; !whole && i < d->ndropped; i++) {
        char name[FIELD_MAX];
        int n = number_field(name, ST_BUCKET[0], d->dropped[i]);
        if (put(e, CP_KEYOP_HDEL, CP_AK_ST, name, (size_t)n, NULL, 0) != 0)
            return -1;
    }
    return 0;
}

static int zadd_id(enc *e, const char *id, size_t len, int64_t ts) {
    char score[CP_NUM_TEXT_MAX];
    size_t n = cp_fmt_i64(ts, score);
    return put(e, CP_KEYOP_ZADD, CP_AK_IDS, id, len, score, n);
}

/* P ids:{A}: the new ids, those older than the horizon left out (the
 * prune would drop them in the same step: a backlog batch spans hours of
 * event time), and the prune when the cache forgot ids; or every id. */
static int id_ops(enc *e, const cp_agent *a, const cp_agent_delta *d) {
    if (!d) {
        size_t at = 0;
        const char *id;
        size_t len;
        int64_t ts;
        while (cp_keyset_next(&a->ids, &at, &id, &len, &ts))
            if (zadd_id(e, id, len, ts) != 0)
                return -1;
        return 0;
    }
    int64_t horizon = a->as_of - e->l->lateness_ms;
    for (size_t i = 0; i < d->nnew_ids; i++) {
        const cp_delta_id *id = &d->new_ids[i];
        if (id->ts >= horizon && zadd_id(e, cp_delta_id_text(d, id), (size_t)id->len, id->ts) != 0)
            return -1;
    }
    if (d->ids_pruned == 0)
        return 0; /* Redis holds no more ids than the cache: nothing to prune */
    char max[CP_NUM_TEXT_MAX];
    size_t n = cp_fmt_i64(horizon, max);
    return put(e, CP_KEYOP_ZREMBELOW, CP_AK_IDS, NULL, 0, max, n);
}

/* The fields of a KPI hash besides as_of: every metric, then score and
 * tier (contract 3, 4). */
#define KPI_FIELDS (CP_M_COUNT + 2)

static const char *kpi_field_name(int f) {
    return f < CP_M_COUNT ? cp_metric_name((cp_metric)f) : f == CP_M_COUNT ? KPI_SCORE : KPI_TIER;
}

/* The sums a field depends on (score and tier: all of them). */
static uint32_t kpi_field_inputs(int f) {
    return f < CP_M_COUNT ? cp_metric_inputs((cp_metric)f) : 0xFFFFFFFFu;
}

/* The texts of a KPI hash's fields (those of a mask over KPI_FIELDS),
 * each computed once: "" when absent (no denominator, or no score). */
typedef struct kpi_texts {
    char v[KPI_FIELDS][CP_NUM_TEXT_MAX];
} kpi_texts;

_Static_assert(KPI_FIELDS <= 64, "a KPI hash's fields are a 64-bit mask");

/* The texts of the fields in `fields` of sums; -1 when one filled its
 * room (it may have been cut). */
static int kpi_texts_of(enc *e, const cp_sums *sums, uint64_t fields, kpi_texts *t) {
    double score = 0;
    int scored = 0;
    if (fields >> CP_M_COUNT) /* score or tier: computed once for both */
        scored = cp_score(e->l->scorecard, sums, &score) == 0;
    for (int f = 0; f < KPI_FIELDS; f++) {
        char *buf = t->v[f];
        if (!(fields & (1ull << f)))
            continue;
        if (f < CP_M_COUNT)
            cp_metric_format(sums, (cp_metric)f, buf, CP_NUM_TEXT_MAX);
        else if (!scored)
            buf[0] = '\0';
        else if (f == CP_M_COUNT)
            cp_fmt_fixed(score, 2, buf);
        else
            snprintf(buf, CP_NUM_TEXT_MAX, "%s", cp_tier_name(cp_tier_of(e->l->scorecard, score)));
        if (strlen(buf) + 1 >= CP_NUM_TEXT_MAX) {
            snprintf(e->err, e->errsz, "KPI field %s does not fit in %d bytes", kpi_field_name(f),
                     CP_NUM_TEXT_MAX);
            return -1;
        }
    }
    return 0;
}

/* The fields whose inputs are among the sums in `changed`. */
static uint64_t kpi_fields_of(uint32_t changed) {
    uint64_t fields = 0;
    for (int f = 0; f < KPI_FIELDS; f++)
        if (kpi_field_inputs(f) & changed)
            fields |= 1ull << f;
    return fields;
}

/* The fields of window w whose text went from `old` to `now`: those set
 * first, then those that vanished deleted. */
static int kpi_changed(enc *e, int key, const kpi_texts *now, const kpi_texts *old,
                       uint64_t fields) {
    for (int deleting = 0; deleting < 2; deleting++)
        for (int f = 0; f < KPI_FIELDS; f++) {
            const char *value = now->v[f];
            if (!(fields & (1ull << f)) || strcmp(old->v[f], value) == 0 ||
                (value[0] != '\0') == deleting)
                continue;
            if (deleting ? put(e, CP_KEYOP_HDEL, key, kpi_field_name(f), strlen(kpi_field_name(f)),
                               NULL, 0)
                         : hset(e, key, kpi_field_name(f), value))
                return -1;
        }
    return 0;
}

/* P kpi:{A}:W of window w at a->as_of. When the sums last written are
 * known (and this is no snapshot), only the fields whose text changed are
 * set, and vanished ones deleted: a survey touches a handful of fields,
 * not 30. Otherwise the hash is rewritten whole. */
static int kpi_ops(enc *e, cp_agent *a, int w, int whole) {
    kpi_texts now, old;
    cp_sums sums;
    int key = CP_AK_KPI + w;
    int diff = !whole && (a->written_known & (1u << w)) != 0;
    uint32_t changed = 0; /* sums that differ from what was written */
    cp_wstore_window(&a->w, e->l->ws, w, a->as_of, &sums);
    for (int i = 0; diff && i < CP_S_COUNT; i++)
        if (sums.v[i] != a->written[w].v[i])
            changed |= 1u << i;
    /* only fields whose inputs moved can have another text */
    uint64_t fields = diff ? kpi_fields_of(changed) : ~0ull >> (64 - KPI_FIELDS);
    if (!diff && put(e, CP_KEYOP_DEL, key, NULL, 0, NULL, 0) != 0)
        return -1;
    /* when these sums became what they are (agentstep.h) */
    if (hset_i64(e, key, KPI_AS_OF, a->kpi_as_of[w]) != 0 ||
        kpi_texts_of(e, &sums, fields, &now) != 0)
        return -1;
    if (diff && (kpi_texts_of(e, &a->written[w], fields, &old) != 0 ||
                 kpi_changed(e, key, &now, &old, fields) != 0))
        return -1;
    for (int f = 0; !diff && f < KPI_FIELDS; f++)
        if (now.v[f][0] && hset(e, key, kpi_field_name(f), now.v[f]) != 0)
            return -1; /* absent when empty */
    a->written[w] = sums;
    a->written_known |= 1u << w;
    return 0;
}

/* Day field of slot k of the ledger, unless before keep_from. */
static int day_field(enc *e, cp_points *p, int k, int64_t keep_from) {
    char name[CP_LEDGER_FIELD_SIZE], value[CP_NUM_TEXT_MAX];
    int64_t day = p->days[k].day;
    if (day < keep_from)
        return 0; /* a day before those kept is not written */
    size_t n = cp_ledger_field(day, name, sizeof(name));
    size_t m = cp_fmt_i64(p->days[k].points, value);
    if (put(e, CP_KEYOP_HSET, CP_AK_POINTS, name, n, value, m) != 0)
        return -1;
    cp_ledger_span_add(&p->stored, day);
    return 0;
}

/* The days whose points changed, in the order they changed (or all). */
static int day_fields_of(enc *e, cp_agent_rules *ar, int whole, int64_t keep_from) {
    cp_points *p = &ar->points;
    for (int k = 0; whole && k < CP_POINT_DAYS; k++)
        if (p->days[k].day != CP_NO_DAY && day_field(e, p, k, keep_from) != 0)
            return -1;
    for (int i = 0; !whole && i < CP_POINT_DAYS && ar->points_days_dirty[i] != CP_NO_DAY; i++)
        for (int k = 0; k < CP_POINT_DAYS; k++)
            if (p->days[k].day == ar->points_days_dirty[i] && day_field(e, p, k, keep_from) != 0)
                return -1;
    return 0;
}

/* P points:{A}: total and the days whose points changed (or all), and, in
 * the same atomic step, the deletion of the day fields older than
 * rewards.ledger_days before the newest day granted (ledger.h). The span
 * of day fields in Redis moves on as this write leaves it; a write that
 * fails reloads the agent, span included. */
static int points_ops(enc *e, cp_agent *a, int whole) {
    cp_agent_rules *ar = &a->rules;
    int64_t newest = INT64_MIN, from = 0, to = -1;
    if (!whole && !ar->points_dirty)
        return 0;
    for (int i = 0; !whole && i < CP_POINT_DAYS && ar->points_days_dirty[i] != CP_NO_DAY; i++)
        if (ar->points_days_dirty[i] > newest)
            newest = ar->points_days_dirty[i];
    int64_t keep_from = cp_ledger_keep_from(newest, e->l->ledger_days);
    cp_ledger_prune(&ar->points.stored, keep_from, &from, &to);
    if (hset_i64(e, CP_AK_POINTS, POINTS_TOTAL, ar->points.total) != 0 ||
        day_fields_of(e, ar, whole, keep_from) != 0)
        return -1;
    for (; from <= to; from++) {
        char name[CP_LEDGER_FIELD_SIZE];
        if (put(e, CP_KEYOP_HDEL, CP_AK_POINTS, name, cp_ledger_field(from, name, sizeof(name)),
                NULL, 0) != 0)
            return -1;
    }
    return 0;
}

static int hset_call(enc *e, const char *prefix, const cp_call *c, int with_fired) {
    char name[FIELD_MAX], value[64];
    int n = fmt(e, name, sizeof(name), "a call id", "%s%s", prefix, c->call_id);
    int m = with_fired ? fmt(e, value, sizeof(value), name, "%" PRId64 ",%llx", c->ts,
                             (unsigned long long)c->fired)
                       : fmt(e, value, sizeof(value), name, "%" PRId64, c->ts);
    return n < 0 || m < 0 ? -1
                          : put(e, CP_KEYOP_HSET, CP_AK_CALLS, name, (size_t)n, value, (size_t)m);
}

/* P calls:{A}, rewritten whole when it changed (16 entries at most). */
static int call_ops(enc *e, const cp_agent *a, int whole) {
    const cp_agent_rules *ar = &a->rules;
    if (!whole && !ar->calls_dirty)
        return 0;
    if (put(e, CP_KEYOP_DEL, CP_AK_CALLS, NULL, 0, NULL, 0) != 0)
        return -1;
    for (int i = 0; i < ar->nopen; i++)
        if (hset_call(e, CALL_OPEN, &ar->open[i], 1) != 0)
            return -1;
    for (int i = 0; i < ar->nended; i++)
        if (hset_call(e, CALL_ENDED, &ar->ended[i], 0) != 0)
            return -1;
    return 0;
}

/* P outbox:{A}: the messages of this step (outbox.h). */
static int outbox_ops(enc *e, const cp_outmsg *msgs, size_t n) {
    for (size_t i = 0; i < n; i++) {
        char *v = cp_outbox_value(msgs[i].kind, msgs[i].json);
        if (!v) {
            snprintf(e->err, e->errsz, "out of memory encoding message %.200s", msgs[i].id);
            return -1;
        }
        int rc = hset(e, CP_AK_OUTBOX, msgs[i].id, v);
        free(v);
        if (rc != 0)
            return -1;
    }
    return 0;
}

int cp_layout_encode(const cp_layout *l, const cp_rules *rules, cp_agent *a,
                     const cp_agent_change *c, const cp_key_op_sink *out, char *err, size_t errsz) {
    enc e = {l, out, err, errsz};
    int whole = c->d == NULL;
    /* whole replaces: what the keys held before goes first (the KPI
     * hashes and calls are rewritten whole below anyway; the outbox stays) */
    if (whole && (put(&e, CP_KEYOP_DEL, CP_AK_ST, NULL, 0, NULL, 0) != 0 ||
                  put(&e, CP_KEYOP_DEL, CP_AK_IDS, NULL, 0, NULL, 0) != 0 ||
                  put(&e, CP_KEYOP_DEL, CP_AK_POINTS, NULL, 0, NULL, 0) != 0))
        return -1;
    if (state_ops(&e, rules, a, c->d) != 0 || id_ops(&e, a, c->d) != 0)
        return -1;
    for (int w = 0; w < l->ws->n; w++)
        if ((whole || (c->windows & (1u << w))) && kpi_ops(&e, a, w, whole) != 0)
            return -1;
    if (points_ops(&e, a, whole) != 0 || call_ops(&e, a, whole) != 0 ||
        outbox_ops(&e, c->msgs, c->nmsgs) != 0)
        return -1;
    return 0;
}

/* ---- reading ---------------------------------------------------------------- */

int cp_layout_parse_i64(const char *s, size_t len, int64_t *out) {
    char buf[32], *end;
    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

/* A team name field's value into dst (CP_AGENT_ID_MAX + 1 bytes). */
static int load_team(char *dst, const char *v, size_t vlen) {
    if (vlen > CP_AGENT_ID_MAX)
        return CP_LOAD_MALFORMED;
    memcpy(dst, v, vlen);
    dst[vlen] = '\0';
    return 0;
}

/* Is field f (flen bytes) exactly name? */
static int is(const char *f, size_t flen, const char *name) {
    return strlen(name) == flen && memcmp(f, name, flen) == 0;
}

/* A one-letter field of P st:{A}: a field its letter starts that is not
 * exactly it is malformed. */
static int load_letter(cp_agent *a, const char *f, size_t flen, const char *v, size_t vlen) {
    int64_t x;
    const char *one[] = {CP_ST_VERSION, ST_AS_OF,      ST_PARTITION, ST_TEAM,
                         ST_BOARD_TEAM, ST_BOARD_PREV, ST_DAY,       ST_DAY_SUMS};
    for (size_t i = 0; i < sizeof(one) / sizeof(one[0]); i++)
        if (f[0] == one[i][0] && !is(f, flen, one[i]))
            return CP_LOAD_MALFORMED;
    if (is(f, flen, CP_ST_VERSION))
        return cp_layout_parse_i64(v, vlen, &x) == 0 ? (a->version = (uint64_t)x, 0)
                                                     : CP_LOAD_MALFORMED;
    if (is(f, flen, ST_AS_OF))
        return cp_layout_parse_i64(v, vlen, &a->as_of) == 0 ? 0 : CP_LOAD_MALFORMED;
    if (is(f, flen, ST_PARTITION))
        return cp_layout_parse_i64(v, vlen, &x) == 0 ? (a->partition = (int32_t)x, 0)
                                                     : CP_LOAD_MALFORMED;
    if (is(f, flen, ST_TEAM))
        return load_team(a->team, v, vlen);
    if (is(f, flen, ST_BOARD_TEAM))
        return load_team(a->boards.team, v, vlen);
    if (is(f, flen, ST_BOARD_PREV))
        return load_team(a->boards.prev_team, v, vlen);
    if (is(f, flen, ST_DAY))
        return cp_layout_parse_i64(v, vlen, &a->w.day) == 0 ? 0 : CP_LOAD_MALFORMED;
    if (is(f, flen, ST_DAY_SUMS))
        return cp_sums_decode(v, vlen, &a->w.day_sums) == 0 ? 0 : CP_LOAD_MALFORMED;
    return 1; /* not one of them */
}

/* o<partition> and b<bucket>: the number after the letter is whole. */
static int load_numbered(cp_agent *a, const char *f, size_t flen, const char *v, size_t vlen) {
    int64_t n, x;
    cp_sums sums;
    if (cp_layout_parse_i64(f + 1, flen - 1, &n) != 0)
        return CP_LOAD_MALFORMED;
    if (f[0] == ST_OFFSET[0]) {
        if (cp_layout_parse_i64(v, vlen, &x) != 0)
            return CP_LOAD_MALFORMED;
        return cp_agent_set_applied(a, (int32_t)n, x) == 0 ? 0 : CP_LOAD_NO_MEMORY;
    }
    if (cp_sums_decode(v, vlen, &sums) != 0)
        return CP_LOAD_MALFORMED;
    return cp_wstore_put(&a->w, n, &sums) == 0 ? 0 : CP_LOAD_NO_MEMORY;
}

/* r:<rule_id> -> the state of that rule, when it is still configured. */
static int load_rule(cp_agent *a, const cp_rules *rules, const char *f, size_t flen, const char *v,
                     size_t vlen) {
    size_t pre = strlen(ST_RULE);
    for (int r = 0; r < rules->n && r < a->rules.nstate; r++)
        if (strlen(rules->v[r].id) == flen - pre &&
            memcmp(rules->v[r].id, f + pre, flen - pre) == 0)
            return cp_rule_state_decode(v, vlen, &a->rules.state[r]) == 0 ? 0 : CP_LOAD_MALFORMED;
    return 0; /* a rule no longer configured */
}

/* k:<kind name> -> that kind's own state, when a kind with state of that
 * name is configured (one from another version, or no longer configured,
 * is left alone). */
static int load_kind(cp_agent *a, const cp_rules *rules, const char *f, size_t flen, const char *v,
                     size_t vlen) {
    size_t pre = strlen(ST_KIND);
    const cp_rule_kind_ops *kind = cp_state_kind_named(rules, f + pre, flen - pre);
    if (!kind)
        return 0;
    void *state = cp_kind_state(&a->rules, kind);
    if (!state)
        return CP_LOAD_NO_MEMORY;
    return kind->state->decode(v, vlen, state) == 0 ? 0 : CP_LOAD_MALFORMED;
}

static int load_state_field(cp_agent *a, const cp_rules *rules, const char *f, size_t flen,
                            const char *v, size_t vlen) {
    size_t pre = strlen(ST_RULE);
    if (flen == 0)
        return CP_LOAD_MALFORMED;
    if (flen > pre && memcmp(f, ST_RULE, pre) == 0)
        return load_rule(a, rules, f, flen, v, vlen);
    if (flen > strlen(ST_KIND) && memcmp(f, ST_KIND, strlen(ST_KIND)) == 0)
        return load_kind(a, rules, f, flen, v, vlen);
    int rc = load_letter(a, f, flen, v, vlen);
    if (rc != 1)
        return rc;
    if (f[0] == ST_OFFSET[0] || f[0] == ST_BUCKET[0])
        return load_numbered(a, f, flen, v, vlen);
    return 0; /* fields of later features are not ours to judge */
}

/* The ledger: its total, the latest days for the daily cap, and the span
 * of its day fields, which the next write prunes (ledger.h). A field that
 * is neither total nor a day written as the ledger writes it is not ours
 * to judge and is left alone; total or a day field whose value is not an
 * integer is malformed. */
static int load_points(cp_agent *a, const cp_strings *p) {
    cp_points *pt = &a->rules.points;
    for (size_t i = 0; i + 1 < p->n; i += 2) {
        int64_t v, day = 0;
        int total = is(p->v[i], p->len[i], POINTS_TOTAL);
        if (!total && cp_ledger_parse_field(p->v[i], p->len[i], &day) != 0)
            continue;
        if (cp_layout_parse_i64(p->v[i + 1], p->len[i + 1], &v) != 0)
            return CP_LOAD_MALFORMED;
        if (total) {
            pt->total = v;
            continue;
        }
        cp_ledger_span_add(&pt->stored, day);
        int slot = 0; /* keep the latest days */
        for (int k = 1; k < CP_POINT_DAYS; k++)
            if (pt->days[k].day < pt->days[slot].day)
                slot = k;
        if (day > pt->days[slot].day) {
            pt->days[slot].day = day;
            pt->days[slot].points = v;
        }
    }
    return 0;
}

/* o:<call id> "ts,fired" and e:<call id> "ts"; calls past the
 * CP_OPEN_CALLS_MAX of their kind, and fields of other kinds, are left. */
static int load_calls(cp_agent *a, const cp_strings *c) {
    cp_agent_rules *ar = &a->rules;
    size_t pre = strlen(CALL_OPEN);
    for (size_t i = 0; i + 1 < c->n; i += 2) {
        const char *f = c->v[i];
        size_t flen = c->len[i];
        char val[64];
        long long ts;
        unsigned long long fired = 0;
        if (flen <= pre || flen - pre > CP_CALL_ID_MAX || f[1] != CALL_OPEN[1] ||
            c->len[i + 1] >= sizeof(val))
            return CP_LOAD_MALFORMED;
        memcpy(val, c->v[i + 1], c->len[i + 1]);
        val[c->len[i + 1]] = '\0';
        if (sscanf(val, "%lld,%llx", &ts, &fired) < 1)
            return CP_LOAD_MALFORMED;
        cp_call *call = memcmp(f, CALL_OPEN, pre) == 0 && ar->nopen < CP_OPEN_CALLS_MAX
                            ? &ar->open[ar->nopen++]
                        : memcmp(f, CALL_ENDED, pre) == 0 && ar->nended < CP_OPEN_CALLS_MAX
                            ? &ar->ended[ar->nended++]
                            : NULL;
        if (!call)
            continue;
        memcpy(call->call_id, f + pre, flen - pre);
        call->call_id[flen - pre] = '\0';
        call->ts = ts;
        call->fired = fired;
    }
    return 0;
}

int cp_layout_decode(cp_agent *a, const cp_rules *rules, const cp_agent_read *in) {
    if (cp_agent_rules_init(&a->rules, rules->n) != 0)
        return CP_LOAD_NO_MEMORY;
    for (size_t i = 0; i + 1 < in->st.n; i += 2) {
        int rc = load_state_field(a, rules, in->st.v[i], in->st.len[i], in->st.v[i + 1],
                                  in->st.len[i + 1]);
        if (rc != 0)
            return rc;
    }
    for (size_t i = 0; i + 1 < in->ids.n; i += 2) {
        int64_t ts;
        if (cp_layout_parse_i64(in->ids.v[i + 1], in->ids.len[i + 1], &ts) != 0 ||
            in->ids.len[i] > CP_KEYSET_KEY_MAX)
            return CP_LOAD_MALFORMED;
        if (cp_keyset_put(&a->ids, in->ids.v[i], in->ids.len[i], ts) < 0)
            return CP_LOAD_NO_MEMORY;
    }
    int rc = load_points(a, &in->points);
    return rc != 0 ? rc : load_calls(a, &in->calls);
}

int cp_layout_decode_message(const char *agent, const char *id, const char *value, size_t len,
                             cp_outbox *out) {
    cp_emit_kind kind;
    char *json;
    if (cp_outbox_parse(value, len, &kind, &json) != 0)
        return -1;
    cp_outbox_push(out, kind, agent, id, json); /* out of memory: the next load */
    return 0;
}
