/* agent.c -- one agent's KPI state (agent.h): applying events exactly once
 * and advancing its clock. Its Redis layout is agentlayout.c's. */
#include "agent.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"

/* ---- the delta ------------------------------------------------------------ */

void cp_agent_delta_reset(cp_agent_delta *d) {
    d->applied = d->duplicates = d->skipped = d->team_changed = d->day_rolled = 0;
    d->nbuckets = d->ndropped = d->noffsets = d->nnew_ids = d->ids_pruned = d->id_used = 0;
}

void cp_agent_delta_free(cp_agent_delta *d) {
    free(d->buckets);
    free(d->dropped);
    free(d->offsets);
    free(d->new_ids);
    free(d->id_text);
    memset(d, 0, sizeof(*d));
}

/* Events mostly come in time order: the bucket written last is looked at
 * first. */
static int note_bucket(cp_agent_delta *d, int64_t b) {
    for (size_t i = d->nbuckets; i-- > 0;)
        if (d->buckets[i] == b)
            return 0;
    if (cp_grow(d->buckets, d->capbuckets, d->nbuckets + 1) != 0)
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
    if (cp_grow(d->offsets, d->capoffsets, d->noffsets + 1) != 0)
        return -1;
    d->offsets[d->noffsets++] = (cp_applied){partition, offset};
    return 0;
}

const char *cp_delta_id_text(const cp_agent_delta *d, const cp_delta_id *id) {
    return d->id_text + id->off;
}

static int note_id(cp_agent_delta *d, const cp_event *ev) {
    size_t len = (size_t)ev->event_id_len;
    if (cp_grow(d->new_ids, d->capnew_ids, d->nnew_ids + 1) != 0 ||
        cp_grow(d->id_text, d->id_cap, d->id_used + len) != 0)
        return -1;
    memcpy(d->id_text + d->id_used, ev->event_id, len);
    d->new_ids[d->nnew_ids++] = (cp_delta_id){d->id_used, ev->event_id_len, ev->ts_ms};
    d->id_used += len;
    return 0;
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
    a->behind = -1;
    cp_wstore_init(&a->w);
    return a;
}

void cp_agent_free(cp_agent *a) {
    if (!a)
        return;
    cp_agent_rules_free(&a->rules);
    cp_wstore_free(&a->w);
    cp_keyset_free(&a->ids);
    free(a->applied);
    free(a->found_version);
    free(a);
}

int cp_agent_take_over(cp_agent *a, int nrules) {
    cp_agent keep = *a;
    cp_agent_rules_free(&a->rules);
    cp_wstore_free(&a->w);
    cp_keyset_free(&a->ids);
    free(a->applied);
    memset(a, 0, sizeof(*a));
    memcpy(a->id, keep.id, sizeof(a->id));
    a->partition = keep.partition;
    a->indexed_ms = keep.indexed_ms;
    a->indexed_partition = keep.indexed_partition;
    a->outbox_indexed = keep.outbox_indexed;
    a->slot = keep.slot;
    a->behind = keep.behind;
    a->next = keep.next;
    memcpy(a->boards.team, keep.boards.team, sizeof(a->boards.team));
    memcpy(a->boards.prev_team, keep.boards.prev_team, sizeof(a->boards.prev_team));
    a->found_version = keep.found_version; /* moved */
    a->found_version_len = keep.found_version_len;
    a->version = keep.version; /* set by the load that found it malformed */
    a->as_of = CP_NO_CLOCK;
    cp_wstore_init(&a->w);
    if (cp_agent_rules_init(&a->rules, nrules) != 0)
        return -1;
    a->takeover = 1;
    a->loaded = 1;
    return 0;
}

int64_t cp_agent_applied(const cp_agent *a, int32_t partition) {
    for (size_t i = 0; i < a->napplied; i++)
        if (a->applied[i].partition == partition)
            return a->applied[i].offset;
    return -1;
}

int cp_agent_set_applied(cp_agent *a, int32_t partition, int64_t offset) {
    for (size_t i = 0; i < a->napplied; i++) {
        if (a->applied[i].partition == partition) {
            a->applied[i].offset = offset;
            return 0;
        }
    }
    if (cp_grow(a->applied, a->capapplied, a->napplied + 1) != 0)
        return -1;
    a->applied[a->napplied++] = (cp_applied){partition, offset};
    return 0;
}

/* Was the event's id seen with a ts at or after horizon (epoch ms)? */
static int id_seen(const cp_keyset *ids, const cp_event *ev, int64_t horizon) {
    int64_t ts;
    return cp_keyset_get(ids, ev->event_id, (size_t)ev->event_id_len, &ts) && ts >= horizon;
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
    if (id_seen(&a->ids, ev, T - lateness_ms)) {
        d->duplicates++;
        return 0;
    }
    /* seen before the horizon: it counts again, from its new ts on */
    if (cp_keyset_put(&a->ids, ev->event_id, ev->event_id_len, ev->ts_ms) < 0 ||
        note_id(d, ev) != 0)
        return -1;
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
        if (cp_grow(d->dropped, d->capdropped, d->ndropped + keep) == 0) {
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
        d->ids_pruned += cp_keyset_prune(&a->ids, T - lateness_ms);
    a->as_of = T;
}
