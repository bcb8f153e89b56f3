/* window.c -- KPI sums and event-time windows over panes (window.h).
 *
 * Arithmetic, for bucket width B ms and clock T:
 *   bucket(ts)            = floor(ts / B)
 *   sliding window of n   = buckets bucket(T)-n+1 .. bucket(T)
 *   day window            = T's calendar day at day_offset_min, up to T
 * Buckets below bucket(T)-reach+1 (reach = the longest sliding window) can
 * never be read again because T never goes back, so they are dropped. */
#include "window.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "grow.h"
#include "timefmt.h"

/* kpi.def's FED_BY is a mask over event types. */
_Static_assert(CP_EV_TYPE_COUNT <= 32, "kpi.def's FED_BY masks hold 32 event types");

/* kpi.def's VALUE column: what one event adds to a sum. */
#define CP_ONE       1
#define CP_FIELD(f)  ((int64_t)ev->f)
#define CP_FLAG(bit) ((ev->flags & (bit)) != 0)

/* Every sum is written, without a branch: its value when the event's type
 * feeds it, else 0. */
void cp_sums_of_event(const cp_event *ev, cp_sums *out) {
    uint32_t type = 1u << ev->type;
#define CP_SUM(S_ID, M_ID, NAME, FORMAT, FED_BY, VALUE, ...)                                       \
    out->v[CP_S_##S_ID] = ((FED_BY)&type) ? (int64_t)(VALUE) : 0;
#include "kpi.def"
}

#undef CP_ONE
#undef CP_FIELD
#undef CP_FLAG

void cp_sums_add(cp_sums *a, const cp_sums *b) {
    for (int i = 0; i < CP_S_COUNT; i++)
        a->v[i] += b->v[i];
}

int cp_sums_is_zero(const cp_sums *s) {
    for (int i = 0; i < CP_S_COUNT; i++)
        if (s->v[i])
            return 0;
    return 1;
}

void cp_windows_from_config(cp_windows *ws, const cp_config *cfg) {
    memset(ws, 0, sizeof(*ws));
    ws->bucket_ms = (int64_t)cfg->bucket_s * 1000;
    ws->day_offset_min = cfg->day_offset_min;
    ws->n = cfg->nwindows;
    ws->reach = 1;
    for (int i = 0; i < cfg->nwindows; i++) {
        memcpy(ws->w[i].name, cfg->windows[i].name, sizeof(ws->w[i].name));
        ws->w[i].buckets = cfg->windows[i].seconds / cfg->bucket_s;
        if (ws->w[i].buckets > ws->reach)
            ws->reach = ws->w[i].buckets;
    }
}

int64_t cp_bucket_of(const cp_windows *ws, int64_t ts_ms) {
    return cp_floor_div(ts_ms, ws->bucket_ms);
}

void cp_wstore_init(cp_wstore *w) {
    memset(w, 0, sizeof(*w));
    w->day = CP_NO_DAY;
}

void cp_wstore_free(cp_wstore *w) {
    free(w->bk);
    cp_wstore_init(w);
}

/* Index of the first bucket >= b (binary search). */
static uint32_t lower_bound(const cp_wstore *w, int64_t b) {
    uint32_t lo = 0, hi = w->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (w->bk[mid].b < b)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const cp_bucket *cp_wstore_find(const cp_wstore *w, int64_t b) {
    uint32_t i = lower_bound(w, b);
    return (i < w->n && w->bk[i].b == b) ? &w->bk[i] : NULL;
}

/* The bucket b, inserted empty when missing; NULL on out of memory. */
static cp_bucket *slot(cp_wstore *w, int64_t b) {
    uint32_t i = lower_bound(w, b);
    if (i < w->n && w->bk[i].b == b)
        return &w->bk[i];
    if (cp_grow(w->bk, w->cap, (size_t)w->n + 1) != 0)
        return NULL;
    memmove(&w->bk[i + 1], &w->bk[i], (w->n - i) * sizeof(*w->bk));
    w->n++;
    memset(&w->bk[i], 0, sizeof(w->bk[i]));
    w->bk[i].b = b;
    return &w->bk[i];
}

int cp_wstore_put(cp_wstore *w, int64_t b, const cp_sums *s) {
    cp_bucket *bk = slot(w, b);
    if (!bk)
        return -1;
    bk->s = *s;
    return 0;
}

int cp_wstore_roll_day(cp_wstore *w, const cp_windows *ws, int64_t T) {
    int64_t day = cp_day_number(T, ws->day_offset_min);
    if (w->day == day)
        return 0;
    w->day = day;
    memset(&w->day_sums, 0, sizeof(w->day_sums));
    return 1;
}

int64_t cp_wstore_add(cp_wstore *w, const cp_windows *ws, int64_t ts, int64_t T, const cp_sums *d,
                      int *oom) {
    int64_t b = cp_bucket_of(ws, ts), touched = INT64_MIN;
    *oom = 0;
    if (b >= cp_bucket_of(ws, T) - ws->reach + 1) {
        cp_bucket *bk = slot(w, b);
        if (!bk) {
            *oom = 1;
            return INT64_MIN;
        }
        cp_sums_add(&bk->s, d);
        touched = b;
    }
    cp_wstore_roll_day(w, ws, T);
    if (cp_day_number(ts, ws->day_offset_min) == w->day)
        cp_sums_add(&w->day_sums, d);
    return touched;
}

size_t cp_wstore_prune(cp_wstore *w, const cp_windows *ws, int64_t T, int64_t *dropped,
                       size_t max) {
    uint32_t keep = lower_bound(w, cp_bucket_of(ws, T) - ws->reach + 1);
    for (uint32_t i = 0; i < keep && i < max; i++)
        dropped[i] = w->bk[i].b;
    memmove(w->bk, w->bk + keep, (w->n - keep) * sizeof(*w->bk));
    w->n -= keep;
    return keep;
}

void cp_wstore_window(const cp_wstore *w, const cp_windows *ws, int i, int64_t T, cp_sums *out) {
    int64_t bt = cp_bucket_of(ws, T);
    memset(out, 0, sizeof(*out));
    if (ws->w[i].buckets == 0) {
        if (w->day == cp_day_number(T, ws->day_offset_min))
            *out = w->day_sums;
        return;
    }
    for (uint32_t k = lower_bound(w, bt - ws->w[i].buckets + 1); k < w->n && w->bk[k].b <= bt; k++)
        cp_sums_add(out, &w->bk[k].s);
}

void cp_wstore_move(const cp_wstore *w, const cp_windows *ws, int i, int64_t T1, int64_t T2,
                    cp_sums *sums) {
    int64_t n = ws->w[i].buckets;
    if (n == 0) {
        cp_wstore_window(w, ws, i, T2, sums);
        return;
    }
    int64_t first_out = cp_bucket_of(ws, T1) - n + 1, last_out = cp_bucket_of(ws, T2) - n;
    for (uint32_t k = lower_bound(w, first_out); k < w->n && w->bk[k].b <= last_out; k++)
        for (int m = 0; m < CP_S_COUNT; m++)
            sums->v[m] -= w->bk[k].s.v[m];
}

int64_t cp_wstore_next_change(const cp_wstore *w, const cp_windows *ws, int64_t T) {
    int64_t next = CP_NEVER, bt = cp_bucket_of(ws, T);
    for (int i = 0; i < ws->n; i++) {
        int64_t n = ws->w[i].buckets;
        if (n == 0) {
            int64_t day = cp_day_number(T, ws->day_offset_min);
            if (w->day == day && !cp_sums_is_zero(&w->day_sums)) {
                int64_t end = cp_day_start_ms(day + 1, ws->day_offset_min);
                next = end < next ? end : next;
            }
            continue;
        }
        /* the oldest bucket inside the window leaves when the clock
         * enters bucket b + n */
        uint32_t k = lower_bound(w, bt - n + 1);
        if (k < w->n && w->bk[k].b <= bt) {
            int64_t leaves = (w->bk[k].b + n) * ws->bucket_ms;
            next = leaves < next ? leaves : next;
        }
    }
    return next;
}
