/* holds.c -- write-behind's records, holds and resume positions (holds.h).
 *
 * Records are kept in an array; an agent knows its index (agent->behind),
 * and a record removed takes the last one's place. Room for a lost hold is
 * kept for every record when it is made, so dropping an agent never needs
 * memory. */
#include "holds.h"

#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "log.h"

void cp_holds_init(cp_holds *h) {
    memset(h, 0, sizeof(*h));
}

void cp_holds_free(cp_holds *h) {
    cp_holds_forget(h);
    cp_keyset_free(&h->lost_agents);
    free(h->v);
    free(h->lost);
    free(h->parts);
    free(h->lowest);
    memset(h, 0, sizeof(*h));
}

/* ---- records ------------------------------------------------------------------ */

int cp_holds_keep(cp_holds *h, cp_agent *a, cp_step *step, const cp_hold *first, int64_t since_ms,
                  int events) {
    if (a->behind < 0) {
        if (cp_grow(h->v, h->cap, h->n + 1) != 0 ||
            cp_grow(h->lost, h->caplost, h->nlost + h->n + 1) != 0)
            return -1;
        cp_behind *b = &h->v[h->n];
        memset(b, 0, sizeof(*b));
        b->agent = a;
        b->first = *first;
        b->since_ms = since_ms;
        a->behind = (int32_t)h->n++;
        h->dirty = 1;
    }
    cp_behind *b = &h->v[a->behind];
    cp_step tmp = b->step;
    b->step = *step;
    *step = tmp;
    b->events += events;
    return 0;
}

const cp_behind *cp_holds_record(const cp_holds *h, const cp_agent *a) {
    return a->behind >= 0 ? &h->v[a->behind] : NULL;
}

void cp_holds_take(cp_holds *h, cp_agent *a, cp_step *step) {
    if (a->behind < 0)
        return;
    cp_step tmp = *step;
    *step = h->v[a->behind].step;
    h->v[a->behind].step = tmp;
}

void cp_holds_release(cp_holds *h, cp_agent *a) {
    if (a->behind < 0)
        return;
    size_t i = (size_t)a->behind;
    cp_step_free(&h->v[i].step);
    h->v[i] = h->v[--h->n];
    if (i < h->n)
        h->v[i].agent->behind = (int32_t)i;
    a->behind = -1;
    h->dirty = 1;
}

/* Keep hold as lost: the lowest per partition (room was kept). */
static void add_lost(cp_holds *h, const cp_hold *hold) {
    size_t i = 0;
    while (i < h->nlost && h->lost[i].partition != hold->partition)
        i++;
    if (i == h->nlost)
        h->lost[h->nlost++] = *hold;
    else if (hold->offset < h->lost[i].offset)
        h->lost[i] = *hold;
    h->dirty = 1;
}

void cp_holds_lose(cp_holds *h, cp_agent *a) {
    if (a->behind < 0)
        return;
    add_lost(h, &h->v[a->behind].first);
    cp_holds_release(h, a);
    /* out of memory: it may be left behind again (one more rewind) */
    cp_keyset_put(&h->lost_agents, a->id, strlen(a->id), 0);
}

int cp_holds_may_keep(const cp_holds *h, const cp_agent *a) {
    return !cp_keyset_get(&h->lost_agents, a->id, strlen(a->id), NULL);
}

int cp_holds_claimed(const cp_holds *h, int32_t partition) {
    for (size_t i = 0; i < h->nparts; i++)
        if (h->parts[i].partition == partition)
            return h->parts[i].epoch > 0;
    return 0;
}

int cp_holds_any_lost(const cp_holds *h) {
    return h->nlost > 0;
}

void cp_holds_forget(cp_holds *h) {
    for (size_t i = 0; i < h->n; i++) {
        h->v[i].agent->behind = -1;
        cp_step_free(&h->v[i].step);
    }
    h->n = 0;
    h->nlost = 0;
    h->dirty = 1;
}

void cp_holds_each(const cp_holds *h, void (*fn)(void *ctx, const cp_hold *hold), void *ctx) {
    for (size_t i = 0; i < h->n; i++)
        fn(ctx, &h->v[i].first);
    for (size_t i = 0; i < h->nlost; i++)
        fn(ctx, &h->lost[i]);
}

/* ---- partitions ---------------------------------------------------------------- */

int cp_holds_assign(cp_holds *h, const cp_part_clock *parts, size_t n) {
    if (cp_grow(h->parts, h->capparts, n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        h->parts[i] = (cp_part_resume){.partition = parts[i].partition,
                                       .start = parts[i].handled,
                                       .reread_until = -1,
                                       .written = {parts[i].partition, -1, INT64_MIN}};
    h->nparts = n;
    h->dirty = 1;
    cp_keyset_clear(&h->lost_agents);
    return 0;
}

void cp_holds_reread(cp_holds *h, const cp_hold *from, const int64_t *until, size_t n) {
    for (size_t i = 0; i < h->nparts; i++)
        for (size_t k = 0; k < n; k++)
            if (from[k].partition == h->parts[i].partition && until[k] > from[k].offset &&
                until[k] > h->parts[i].reread_until)
                h->parts[i].reread_until = until[k];
    h->dirty = 1;
}

int cp_holds_claim(cp_holds *h, cp_redis *r, const char *prefix) {
    for (size_t i = 0; i < h->nparts; i++) {
        cp_part_resume *p = &h->parts[i];
        cp_hold found;
        if (p->epoch > 0)
            continue;
        if (cp_grow(h->lost, h->caplost, h->nlost + h->n + 1) != 0 ||
            cp_resume_claim(r, prefix, p->partition, &p->epoch, &found) != 0)
            return -1;
        h->dirty = 1;
        /* with no committed offset known, the rewind takes the lower of it
         * and the first offset taken: never further on */
        if (found.offset < 0 || (p->start >= 0 && found.offset >= p->start))
            continue;
        cp_info("partition %d: its last owner left writes behind from offset %lld (committed "
                "%lld): reading from there",
                (int)p->partition, (long long)found.offset, (long long)p->start);
        add_lost(h, &found);
    }
    return 0;
}

/* ---- resume positions ------------------------------------------------------------ */

/* Lower *h to `to` when that is below it (or it holds none). */
static void lower(cp_hold *hold, const cp_hold *to) {
    if (to->offset >= 0 && (hold->offset < 0 || to->offset < hold->offset))
        *hold = *to;
}

/* The lowest hold of each assigned partition, into h->lowest (by
 * partition id). -1 on out of memory. */
static int lowest_holds(cp_holds *h, const int64_t *handled_at, const int64_t *before_at,
                        size_t n) {
    size_t np = 0;
    for (size_t i = 0; i < h->nparts; i++)
        if ((size_t)h->parts[i].partition + 1 > np)
            np = (size_t)h->parts[i].partition + 1;
    if (np > 0 && cp_grow(h->lowest, h->caplowest, np) != 0)
        return -1;
    for (size_t p = 0; p < np; p++)
        h->lowest[p] = (cp_hold){(int32_t)p, -1, INT64_MIN};
    for (size_t i = 0; i < h->n; i++)
        if ((size_t)h->v[i].first.partition < np)
            lower(&h->lowest[h->v[i].first.partition], &h->v[i].first);
    for (size_t i = 0; i < h->nlost; i++)
        if ((size_t)h->lost[i].partition < np)
            lower(&h->lowest[h->lost[i].partition], &h->lost[i]);
    for (size_t i = 0; i < h->nparts; i++) {
        cp_part_resume *p = &h->parts[i];
        size_t at = (size_t)p->partition;
        cp_hold handled = {p->partition, at < n ? handled_at[at] : -1,
                           at < n ? before_at[at] : INT64_MIN};
        if (p->reread_until >= 0 && handled.offset >= p->reread_until)
            p->reread_until = -1; /* read again past where it was */
        if (p->reread_until >= 0)
            lower(&h->lowest[at], &handled);
    }
    return 0;
}

int cp_holds_wanted(const cp_holds *h) {
    if (h->dirty)
        return 1;
    for (size_t i = 0; i < h->nparts; i++)
        if (h->parts[i].epoch > 0 && (!h->parts[i].written_known || h->parts[i].reread_until >= 0))
            return 1;
    return 0;
}

static int same(const cp_hold *a, const cp_hold *b) {
    return a->offset == b->offset && (a->offset < 0 || a->clock_ms == b->clock_ms);
}

int cp_holds_append(cp_holds *h, cp_redis *r, const char *prefix, const int64_t *handled_at,
                    const int64_t *before_at, size_t n) {
    if (!cp_holds_wanted(h))
        return 0;
    if (lowest_holds(h, handled_at, before_at, n) != 0)
        return -1;
    h->dirty = 0;
    for (size_t i = 0; i < h->nparts; i++) {
        cp_part_resume *p = &h->parts[i];
        const cp_hold *want = &h->lowest[p->partition];
        if (p->epoch == 0 || (p->written_known && same(want, &p->written)))
            continue;
        cp_resume_append_write(r, prefix, p->epoch, want);
        p->sending = 1;
        p->sent = *want;
    }
    return 0;
}

int cp_holds_read(cp_holds *h, cp_redis *r, char *why, size_t whysz) {
    int rc = 0;
    for (size_t i = 0; i < h->nparts; i++) {
        cp_part_resume *p = &h->parts[i];
        if (!p->sending)
            continue;
        p->sending = 0;
        int written = rc == -1 ? -1 : cp_resume_read_write(r);
        if (written == 1) {
            p->written = p->sent;
            p->written_known = 1;
            continue;
        }
        p->written_known = 0;
        if (written == 0 && rc == 0) { /* a zombie: its batches fail until it is revoked */
            snprintf(why, whysz, "partition %d was claimed by another owner", (int)p->partition);
            rc = -2;
        }
        if (written < 0)
            rc = -1;
    }
    return rc;
}

void cp_holds_unsent(cp_holds *h) {
    for (size_t i = 0; i < h->nparts; i++)
        if (h->parts[i].sending) {
            h->parts[i].sending = 0;
            h->parts[i].written_known = 0;
        }
}
