/* batch.c -- the batch in hand (batch.h). */
#include "batch.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"

void cp_batch_init(cp_batch *b) {
    memset(b, 0, sizeof(*b));
}

void cp_batch_free(cp_batch *b) {
    free(b->msgs);
    free(b->events);
    free(b->bevs);
    cp_batch_init(b);
}

void cp_batch_clear(cp_batch *b) {
    b->nmsgs = 0;
    b->nevents = 0;
    b->taken_ms = 0;
    b->backlog = 0;
}

int cp_batch_add_message(cp_batch *b, int32_t partition, int64_t offset, int64_t clock_after,
                         int64_t appended_ms) {
    if (cp_grow(b->msgs, b->capmsgs, b->nmsgs + 1) != 0)
        return -1;
    b->msgs[b->nmsgs++] = (cp_batch_msg){partition, offset, clock_after, appended_ms};
    return 0;
}

cp_event *cp_batch_slot(cp_batch *b) {
    return cp_batch_reserve(b, 1);
}

cp_event *cp_batch_reserve(cp_batch *b, size_t n) {
    if (cp_grow(b->events, b->capevents, b->nevents + n) != 0 ||
        cp_grow(b->bevs, b->capbevs, b->nevents + n) != 0)
        return NULL;
    return &b->events[b->nevents];
}

void cp_batch_commit_event(cp_batch *b, int32_t partition, int64_t offset, int64_t clock_ms) {
    b->bevs[b->nevents] = (cp_batch_event){NULL, partition, offset, clock_ms};
    b->nevents++;
}

int cp_batch_add_event(cp_batch *b, const cp_event *ev, int32_t partition, int64_t offset,
                       int64_t clock_ms) {
    cp_event *slot = cp_batch_slot(b);
    if (!slot)
        return -1;
    *slot = *ev;
    cp_batch_commit_event(b, partition, offset, clock_ms);
    return 0;
}

int cp_batch_add_tick(cp_batch *b, int32_t partition, int64_t clock_ms) {
    cp_event *slot = cp_batch_slot(b);
    if (!slot || cp_batch_add_message(b, partition, CP_TICK_OFFSET, clock_ms, -1) != 0)
        return -1;
    memset(slot, 0, sizeof(*slot));
    cp_batch_commit_event(b, partition, CP_TICK_OFFSET, clock_ms);
    return 0;
}

const cp_batch_event *cp_batch_events(cp_batch *b) {
    for (size_t i = 0; i < b->nevents; i++)
        b->bevs[i].ev = &b->events[i];
    return b->bevs;
}

int cp_batch_append(cp_batch *to, cp_batch *from) {
    if (!to->taken_ms || (from->taken_ms && from->taken_ms < to->taken_ms))
        to->taken_ms = from->taken_ms;
    to->backlog = from->backlog; /* the later one knows better */
    for (size_t i = 0; i < from->nmsgs; i++)
        if (cp_batch_add_message(to, from->msgs[i].partition, from->msgs[i].offset,
                                 from->msgs[i].clock_after, from->msgs[i].appended_ms) != 0)
            return -1;
    for (size_t i = 0; i < from->nevents; i++)
        if (cp_batch_add_event(to, &from->events[i], from->bevs[i].partition, from->bevs[i].offset,
                               from->bevs[i].clock_ms) != 0)
            return -1;
    cp_batch_clear(from);
    return 0;
}

void cp_batch_swap(cp_batch *a, cp_batch *b) {
    cp_batch t = *a;
    *a = *b;
    *b = t;
}
