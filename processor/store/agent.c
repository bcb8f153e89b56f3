/* agent.c -- one agent's KPI state (agent.h): applying events exactly once
 * and advancing its clock. Its Redis layout is agentlayout.c's. */
#include "agent.h"

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

int cp_idset_next(const cp_idset *s, uint32_t *at, const char **id, size_t *len, int64_t *ts) {
    for (; *at < s->cap; (*at)++) {
        const struct cp_id_slot *slot = &s->slots[*at];
        if (slot->hash == 0)
            continue;
        *id = slot_id(slot);
        *len = slot->len;
        *ts = slot->ts;
        (*at)++;
        return 1;
    }
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

int cp_agent_set_applied(cp_agent *a, int32_t partition, int64_t offset) {
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
    if (cp_agent_set_applied(a, partition, offset) != 0 || note_offset(d, partition, offset) != 0)
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
