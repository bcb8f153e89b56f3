/* progress.c -- per-partition progress and commit positions (progress.h).
 *
 * Dead letters of one partition are appended in offset order; their
 * acknowledgements may arrive in any order (they go to different DLQ
 * partitions), so each entry has a done flag and the ring's head advances
 * over done entries only. */
#include "progress.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cp_progress_init(cp_progress *p) {
    memset(p, 0, sizeof(*p));
}

void cp_progress_clear(cp_progress *p) {
    for (size_t i = 0; i < p->n; i++)
        free(p->parts[i].pend);
    free(p->parts);
    free(p->slot);
    p->parts = NULL;
    p->slot = NULL;
    p->n = p->nslot = 0;
    p->generation++;
}

int cp_progress_metadata_parse(const void *md, size_t size, int64_t *clock_ms) {
    char buf[64];
    long long v;
    if (!md || size == 0 || size >= sizeof(buf))
        return -1;
    memcpy(buf, md, size);
    buf[size] = '\0';
    if (sscanf(buf, "cp1 clock=%lld", &v) != 1)
        return -1;
    *clock_ms = v;
    return 0;
}

int cp_progress_assign(cp_progress *p, const rd_kafka_topic_partition_list_t *committed) {
    cp_progress_clear(p);
    if (!committed || committed->cnt == 0)
        return 0;
    p->parts = calloc((size_t)committed->cnt, sizeof(cp_partition));
    if (!p->parts)
        return -1;
    for (int i = 0; i < committed->cnt; i++) {
        const rd_kafka_topic_partition_t *tp = &committed->elems[i];
        cp_partition *part = &p->parts[p->n++];
        part->partition = tp->partition;
        part->next = tp->offset >= 0 ? tp->offset : -1;
        part->committed = part->next;
        if (cp_progress_metadata_parse(tp->metadata, tp->metadata_size, &part->clock_ms) != 0)
            part->clock_ms = CP_CLOCK_UNSET;
        part->handled_clock = part->clock_ms;
        part->committed_clock = part->clock_ms;
        part->read_next = part->next;
        part->first_read = -1;
        part->waiting = 0;
        part->hold = -1;
        if ((size_t)tp->partition + 1 > p->nslot)
            p->nslot = (size_t)tp->partition + 1;
    }
    /* partition ids are small and dense: index them directly */
    p->slot = malloc(p->nslot * sizeof(*p->slot));
    if (!p->slot)
        return -1;
    for (size_t i = 0; i < p->nslot; i++)
        p->slot[i] = -1;
    for (size_t i = 0; i < p->n; i++)
        p->slot[p->parts[i].partition] = (int32_t)i;
    return 0;
}

cp_partition *cp_progress_find(cp_progress *p, int32_t partition) {
    if (partition < 0 || (size_t)partition >= p->nslot || p->slot[partition] < 0)
        return NULL;
    return &p->parts[p->slot[partition]];
}

void cp_progress_handled(cp_partition *part, int64_t offset, int64_t clock_after) {
    if (offset + 1 > part->next) {
        part->next = offset + 1;
        part->handled_clock = clock_after;
    }
}

void cp_progress_clock_step(cp_partition *part, int64_t clock_ms) {
    if (part->handled_clock == CP_CLOCK_UNSET || clock_ms > part->handled_clock)
        part->handled_clock = clock_ms;
}

int cp_progress_pending_add(cp_partition *part, int64_t offset) {
    if (part->count == part->cap) {
        size_t cap = part->cap ? part->cap * 2 : 16;
        cp_pending *ring = malloc(cap * sizeof(*ring));
        if (!ring)
            return -1;
        for (size_t i = 0; i < part->count; i++)
            ring[i] = part->pend[(part->head + i) % part->cap];
        free(part->pend);
        part->pend = ring;
        part->cap = cap;
        part->head = 0;
    }
    cp_pending *e = &part->pend[(part->head + part->count) % part->cap];
    e->offset = offset;
    e->clock_before = part->clock_ms;
    e->done = 0;
    part->count++;
    return 0;
}

void cp_progress_pending_done(cp_progress *p, uint64_t generation, int32_t partition,
                              int64_t offset) {
    cp_partition *part;
    if (generation != p->generation || !(part = cp_progress_find(p, partition)))
        return;
    for (size_t i = 0; i < part->count; i++) {
        cp_pending *e = &part->pend[(part->head + i) % part->cap];
        if (e->offset == offset) {
            e->done = 1;
            break;
        }
    }
    while (part->count > 0 && part->pend[part->head].done) {
        part->head = (part->head + 1) % part->cap;
        part->count--;
    }
}

size_t cp_progress_pending_total(const cp_progress *p) {
    size_t total = 0;
    for (size_t i = 0; i < p->n; i++)
        total += p->parts[i].count;
    return total;
}

void cp_progress_holds_clear(cp_progress *p) {
    for (size_t i = 0; i < p->n; i++)
        p->parts[i].hold = -1;
}

void cp_progress_hold(cp_progress *p, int32_t partition, int64_t offset, int64_t clock_ms) {
    cp_partition *part = cp_progress_find(p, partition);
    if (part && offset >= 0 && (part->hold < 0 || offset < part->hold)) {
        part->hold = offset;
        part->hold_clock = clock_ms;
    }
}

int64_t cp_progress_safe(const cp_partition *part, int64_t *clock_ms) {
    if (part->count > 0) {
        const cp_pending *e = &part->pend[part->head];
        *clock_ms = e->clock_before;
        return e->offset;
    }
    *clock_ms = part->handled_clock;
    return part->next;
}

/* Add (partition, offset) with the clock as commit metadata to list. */
static void add_position(rd_kafka_topic_partition_list_t *list, const char *topic,
                         int32_t partition, int64_t offset, int64_t clock) {
    rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_add(list, topic, partition);
    tp->offset = offset;
    if (clock == CP_CLOCK_UNSET)
        return;
    char md[64];
    int n = snprintf(md, sizeof(md), "cp1 clock=%" PRId64, clock);
    tp->metadata = malloc((size_t)n);
    if (tp->metadata) {
        memcpy(tp->metadata, md, (size_t)n);
        tp->metadata_size = (size_t)n;
    }
}

rd_kafka_topic_partition_list_t *cp_progress_commit_list(cp_progress *p, const char *topic,
                                                         int force) {
    rd_kafka_topic_partition_list_t *list = NULL;
    for (size_t i = 0; i < p->n; i++) {
        cp_partition *part = &p->parts[i];
        int64_t clock;
        int64_t safe = cp_progress_safe(part, &clock);
        if (safe < 0 || (!force && safe <= part->committed && clock == part->committed_clock))
            continue;
        if (!force && part->hold >= 0 && part->waiting == 0)
            continue; /* caught up, a write behind: committed once it is done */
        if (!list)
            list = rd_kafka_topic_partition_list_new((int)p->n);
        add_position(list, topic, part->partition, safe, clock);
        part->committed = safe;
        part->committed_clock = clock;
    }
    return list;
}

rd_kafka_topic_partition_list_t *cp_progress_positions(const cp_progress *p, const char *topic) {
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)p->n + 1);
    for (size_t i = 0; list && i < p->n; i++) {
        const cp_partition *part = &p->parts[i];
        int64_t clock;
        int64_t at = cp_progress_safe(part, &clock);
        if (at < 0) { /* nothing handled: from the first offset taken */
            at = part->first_read >= 0 ? part->first_read : RD_KAFKA_OFFSET_INVALID;
            clock = CP_CLOCK_UNSET;
        }
        /* nothing taken: reading has not started, a hold cannot move it on */
        if (at >= 0 && part->hold >= 0 && part->hold < at) {
            at = part->hold;
            clock = part->hold_clock;
        }
        add_position(list, topic, part->partition, at, clock);
    }
    return list;
}

void cp_progress_commit_failed(cp_progress *p, int32_t partition) {
    cp_partition *part = cp_progress_find(p, partition);
    if (part)
        part->committed = -1;
}
