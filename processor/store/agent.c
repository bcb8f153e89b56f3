/* agent.c -- one agent's KPI state (agent.h): applying events exactly once,
 * advancing its clock, and the Redis field codec. */
#include "agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- growable arrays of the delta ---------------------------------------- */

static int grow(void **v, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 16;
    while (c < need)
        c *= 2;
    void *p = realloc(*v, c * elem);
    if (!p)
        return -1;
    *v = p;
    *cap = c;
    return 0;
}

void cp_agent_delta_reset(cp_agent_delta *d) {
    d->applied = d->duplicates = d->skipped = d->team_changed = d->day_rolled = 0;
    d->nbuckets = d->ndropped = d->noffsets = d->nnew_ids = d->ids_pruned = 0;
}

void cp_agent_delta_free(cp_agent_delta *d) {
    free(d->buckets);
    free(d->dropped);
    free(d->offsets);
    free(d->new_ids);
    memset(d, 0, sizeof(*d));
}

static int note_bucket(cp_agent_delta *d, int64_t b) {
    for (size_t i = 0; i < d->nbuckets; i++)
        if (d->buckets[i] == b)
            return 0;
    if (grow((void **)&d->buckets, &d->capbuckets, d->nbuckets + 1, sizeof(int64_t)))
        return -1;
    d->buckets[d->nbuckets++] = b;
    return 0;
}

static int note_offset(cp_agent_delta *d, int32_t partition, int64_t offset) {
    for (size_t i = 0; i < d->noffsets; i++) {
        if (d->offsets[i].partition == partition) {
            d->offsets[i].offset = offset;
            return 0;
        }
    }
    if (grow((void **)&d->offsets, &d->capoffsets, d->noffsets + 1, sizeof(cp_applied)))
        return -1;
    d->offsets[d->noffsets++] = (cp_applied){partition, offset};
    return 0;
}

/* ---- the id set ----------------------------------------------------------- */

static uint64_t hash_id(const char *s, size_t len) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h ? h : 1;
}

#define ID_INLINE ((size_t)sizeof(((struct cp_id_slot *)0)->inl) - 1)

static const char *slot_id(const struct cp_id_slot *slot) {
    return slot->len <= ID_INLINE ? slot->inl : slot->heap;
}

static void slot_free(struct cp_id_slot *slot) {
    if (slot->len > ID_INLINE)
        free(slot->heap);
}

static struct cp_id_slot *find_slot(const cp_idset *s, const char *id, size_t len, uint64_t h) {
    if (!s->cap)
        return NULL;
    for (uint32_t i = (uint32_t)h & (s->cap - 1);; i = (i + 1) & (s->cap - 1)) {
        struct cp_id_slot *slot = &s->slots[i];
        if (slot->hash == 0 ||
            (slot->hash == h && slot->len == len && memcmp(slot_id(slot), id, len) == 0))
            return slot;
    }
}

int cp_idset_contains(const cp_idset *s, const char *id, size_t len) {
    struct cp_id_slot *slot = find_slot(s, id, len, hash_id(id, len));
    return slot && slot->hash != 0;
}

int cp_idset_seen(const cp_idset *s, const char *id, size_t len, int64_t horizon) {
    struct cp_id_slot *slot = find_slot(s, id, len, hash_id(id, len));
    return slot && slot->hash != 0 && slot->ts >= horizon;
}

/* Re-insert every entry into a table of cap slots (a power of two). */
static int rehash(cp_idset *s, uint32_t cap) {
    cp_idset t = {calloc(cap, sizeof(struct cp_id_slot)), cap, 0, s->min_ts};
    if (!t.slots)
        return -1;
    for (uint32_t i = 0; i < s->cap; i++) {
        if (s->slots[i].hash == 0)
            continue;
        struct cp_id_slot *slot =
            find_slot(&t, slot_id(&s->slots[i]), s->slots[i].len, s->slots[i].hash);
        *slot = s->slots[i];
        t.n++;
    }
    free(s->slots);
    *s = t;
    return 0;
}

int cp_idset_add(cp_idset *s, const char *id, size_t len, int64_t ts) {
    if (s->cap == 0)
        s->min_ts = INT64_MAX;
    if ((s->n + 1) * 2 > s->cap && rehash(s, s->cap ? s->cap * 2 : 16) != 0)
        return -1;
    if (ts < s->min_ts)
        s->min_ts = ts;
    uint64_t h = hash_id(id, len);
    struct cp_id_slot *slot = find_slot(s, id, len, h);
    if (slot->hash != 0) { /* seen before the horizon: it counts from ts on */
        slot->ts = ts;
        return 0;
    }
    if (len > ID_INLINE) {
        if (!(slot->heap = malloc(len + 1)))
            return -1;
        memcpy(slot->heap, id, len);
        slot->heap[len] = '\0';
    } else {
        memcpy(slot->inl, id, len);
        slot->inl[len] = '\0';
    }
    slot->len = (uint8_t)len;
    slot->hash = h;
    slot->ts = ts;
    s->n++;
    return 0;
}

size_t cp_idset_prune(cp_idset *s, int64_t min_ts) {
    size_t dropped = 0;
    if (s->n == 0 || s->min_ts >= min_ts)
        return 0; /* nothing old enough: no pass, no rehash */
    s->min_ts = INT64_MAX;
    for (uint32_t i = 0; i < s->cap; i++) {
        if (s->slots[i].hash == 0)
            continue;
        if (s->slots[i].ts < min_ts) {
            slot_free(&s->slots[i]);
            s->slots[i].hash = 0;
            s->n--;
            dropped++;
        } else if (s->slots[i].ts < s->min_ts) {
            s->min_ts = s->slots[i].ts;
        }
    }
    if (dropped) /* linear probing needs the chains closed again */
        rehash(s, s->cap);
    return dropped;
}

void cp_idset_free(cp_idset *s) {
    for (uint32_t i = 0; i < s->cap; i++)
        if (s->slots[i].hash)
            slot_free(&s->slots[i]);
    free(s->slots);
    memset(s, 0, sizeof(*s));
}

/* ---- the agent ------------------------------------------------------------ */

cp_agent *cp_agent_new(const char *id, size_t len) {
    cp_agent *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    memcpy(a->id, id, len);
    a->partition = -1;
    a->indexed_partition = -1;
    a->outbox_indexed = -1;
    a->as_of = CP_NO_CLOCK;
    a->slot = -1;
    cp_wstore_init(&a->w);
    return a;
}

void cp_agent_free(cp_agent *a) {
    if (!a)
        return;
    cp_agent_rules_free(&a->rules);
    cp_wstore_free(&a->w);
    cp_idset_free(&a->ids);
    free(a->applied);
    free(a);
}

int64_t cp_agent_applied(const cp_agent *a, int32_t partition) {
    for (uint32_t i = 0; i < a->napplied; i++)
        if (a->applied[i].partition == partition)
            return a->applied[i].offset;
    return -1;
}

static int set_applied(cp_agent *a, int32_t partition, int64_t offset) {
    for (uint32_t i = 0; i < a->napplied; i++) {
        if (a->applied[i].partition == partition) {
            a->applied[i].offset = offset;
            return 0;
        }
    }
    cp_applied *p = realloc(a->applied, (a->napplied + 1) * sizeof(*p));
    if (!p)
        return -1;
    a->applied = p;
    a->applied[a->napplied++] = (cp_applied){partition, offset};
    return 0;
}

int cp_agent_apply(cp_agent *a, const cp_windows *ws, const cp_event *ev, int32_t partition,
                   int64_t offset, int64_t T, int64_t lateness_ms, cp_agent_delta *d) {
    cp_sums sums;
    int oom;
    int64_t day_before = a->w.day;

    if (offset <= cp_agent_applied(a, partition)) {
        d->skipped++;
        return 0;
    }
    if (set_applied(a, partition, offset) != 0 || note_offset(d, partition, offset) != 0)
        return -1;
    a->partition = partition;
    if (cp_idset_seen(&a->ids, ev->event_id, ev->event_id_len, T - lateness_ms)) {
        d->duplicates++;
        return 0;
    }
    if (cp_idset_add(&a->ids, ev->event_id, ev->event_id_len, ev->ts_ms) != 0 ||
        grow((void **)&d->new_ids, &d->capnew_ids, d->nnew_ids + 1, sizeof(cp_event *)))
        return -1;
    d->new_ids[d->nnew_ids++] = ev;
    if (ev->team_id_len && strcmp(a->team, ev->team_id) != 0) {
        memcpy(a->team, ev->team_id, (size_t)ev->team_id_len + 1);
        d->team_changed = 1;
    }
    cp_sums_of_event(ev, &sums);
    int64_t b = cp_wstore_add(&a->w, ws, ev->ts_ms, T, &sums, &oom);
    if (oom || (b != INT64_MIN && note_bucket(d, b) != 0))
        return -1;
    if (a->w.day != day_before)
        d->day_rolled = 1;
    d->applied++;
    return 0;
}

void cp_agent_advance(cp_agent *a, const cp_windows *ws, int64_t T, int64_t lateness_ms,
                      cp_agent_delta *d) {
    int64_t dropped[256];
    size_t n;
    if (cp_wstore_roll_day(&a->w, ws, T))
        d->day_rolled = 1;
    while ((n = cp_wstore_prune(&a->w, ws, T, dropped, 256)) > 0) {
        size_t keep = n < 256 ? n : 256;
        if (grow((void **)&d->dropped, &d->capdropped, d->ndropped + keep, sizeof(int64_t)) == 0) {
            memcpy(d->dropped + d->ndropped, dropped, keep * sizeof(int64_t));
            d->ndropped += keep;
        }
        if (n <= 256)
            break;
    }
    /* expired ids are forgotten in bulk, once a quarter of the table is
     * used: keeping an expired id a little longer changes nothing, since a
     * copy of it would be too late anyway */
    if (a->ids.n * 4 >= a->ids.cap)
        d->ids_pruned += cp_idset_prune(&a->ids, T - lateness_ms);
    a->as_of = T;
}

/* ---- codec ---------------------------------------------------------------- */

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

/* A whole decimal integer of exactly len bytes. */
static int parse_i64(const char *s, size_t len, int64_t *out) {
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

static int load_field(cp_agent *a, const char *f, size_t flen, const char *v, size_t vlen) {
    int64_t x, y;
    cp_sums sums;
    if (flen == 0)
        return -1;
    switch (f[0]) {
    case 'v':
        return flen == 1 && parse_i64(v, vlen, &x) == 0 ? (a->version = (uint64_t)x, 0) : -1;
    case 'a':
        return flen == 1 && parse_i64(v, vlen, &a->as_of) == 0 ? 0 : -1;
    case 'p':
        return flen == 1 && parse_i64(v, vlen, &x) == 0 ? (a->partition = (int32_t)x, 0) : -1;
    case 't':
        if (flen != 1 || vlen > CP_AGENT_ID_MAX)
            return -1;
        memcpy(a->team, v, vlen);
        a->team[vlen] = '\0';
        return 0;
    case 'T':
    case 'P': {
        char *dst = f[0] == 'T' ? a->boards.team : a->boards.prev_team;
        if (flen != 1 || vlen > CP_AGENT_ID_MAX)
            return -1;
        memcpy(dst, v, vlen);
        dst[vlen] = '\0';
        return 0;
    }
    case 'd':
        return flen == 1 && parse_i64(v, vlen, &a->w.day) == 0 ? 0 : -1;
    case 's':
        return flen == 1 && cp_sums_decode(v, vlen, &a->w.day_sums) == 0 ? 0 : -1;
    case 'o':
        if (parse_i64(f + 1, flen - 1, &x) != 0 || parse_i64(v, vlen, &y) != 0)
            return CP_LOAD_MALFORMED;
        return set_applied(a, (int32_t)x, y) == 0 ? 0 : CP_LOAD_NO_MEMORY;
    case 'b':
        if (parse_i64(f + 1, flen - 1, &x) != 0 || cp_sums_decode(v, vlen, &sums) != 0)
            return CP_LOAD_MALFORMED;
        return cp_wstore_put(&a->w, x, &sums) == 0 ? 0 : CP_LOAD_NO_MEMORY;
    default:
        return 0; /* fields of later features are not ours to judge */
    }
}

/* r:<rule_id> -> the state of that rule, when it is still configured. */
static int load_rule(cp_agent *a, const cp_rules *rules, const char *f, size_t flen, const char *v,
                     size_t vlen) {
    for (int r = 0; r < rules->n && r < a->rules.nstate; r++)
        if (strlen(rules->v[r].id) == flen - 2 && memcmp(rules->v[r].id, f + 2, flen - 2) == 0)
            return cp_rule_state_decode(v, vlen, &a->rules.state[r]);
    return 0; /* a rule no longer configured */
}

/* The ledger: its total, the latest days for the daily cap, and the span
 * of its day fields, which the next write prunes (ledger.h). A field that
 * is neither total nor a day written as the ledger writes it is not ours
 * to judge and is left alone; total or a day field whose value is not an
 * integer is malformed (-1). */
static int load_points(cp_agent *a, const cp_strings *p) {
    cp_points *pt = &a->rules.points;
    for (size_t i = 0; i + 1 < p->n; i += 2) {
        int64_t v, day = 0;
        int total = p->len[i] == 5 && memcmp(p->v[i], "total", 5) == 0;
        if (!total && cp_ledger_parse_field(p->v[i], p->len[i], &day) != 0)
            continue;
        if (parse_i64(p->v[i + 1], p->len[i + 1], &v) != 0)
            return -1;
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

static int load_calls(cp_agent *a, const cp_strings *c) {
    cp_agent_rules *ar = &a->rules;
    for (size_t i = 0; i + 1 < c->n; i += 2) {
        const char *f = c->v[i];
        size_t flen = c->len[i];
        char val[64];
        long long ts;
        unsigned long long fired = 0;
        if (flen < 3 || flen - 2 > CP_CALL_ID_MAX || f[1] != ':' || c->len[i + 1] >= sizeof(val))
            return -1;
        memcpy(val, c->v[i + 1], c->len[i + 1]);
        val[c->len[i + 1]] = '\0';
        if (sscanf(val, "%lld,%llx", &ts, &fired) < 1)
            return -1;
        cp_call *call = f[0] == 'o' && ar->nopen < CP_OPEN_CALLS_MAX    ? &ar->open[ar->nopen++]
                        : f[0] == 'e' && ar->nended < CP_OPEN_CALLS_MAX ? &ar->ended[ar->nended++]
                                                                        : NULL;
        if (!call)
            continue;
        memcpy(call->call_id, f + 2, flen - 2);
        call->call_id[flen - 2] = '\0';
        call->ts = ts;
        call->fired = fired;
    }
    return 0;
}

int cp_agent_load(cp_agent *a, const cp_rules *rules, const cp_strings *st, const cp_strings *ids,
                  const cp_strings *points, const cp_strings *calls) {
    if (cp_agent_rules_init(&a->rules, rules->n) != 0)
        return CP_LOAD_NO_MEMORY;
    for (size_t i = 0; i + 1 < st->n; i += 2) {
        int rc = st->len[i] > 2 && st->v[i][0] == 'r' && st->v[i][1] == ':'
                     ? load_rule(a, rules, st->v[i], st->len[i], st->v[i + 1], st->len[i + 1])
                     : load_field(a, st->v[i], st->len[i], st->v[i + 1], st->len[i + 1]);
        if (rc != 0)
            return rc == CP_LOAD_NO_MEMORY ? rc : CP_LOAD_MALFORMED;
    }
    for (size_t i = 0; i + 1 < ids->n; i += 2) {
        int64_t ts;
        if (parse_i64(ids->v[i + 1], ids->len[i + 1], &ts) != 0)
            return CP_LOAD_MALFORMED;
        if (cp_idset_add(&a->ids, ids->v[i], ids->len[i], ts) != 0)
            return CP_LOAD_NO_MEMORY;
    }
    return load_points(a, points) == 0 && load_calls(a, calls) == 0 ? 0 : CP_LOAD_MALFORMED;
}
