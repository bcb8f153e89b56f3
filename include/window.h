/* window.h -- KPI sums and one agent's event-time windows (contract 3).
 *
 * Sums are kept per bucket of windows.bucket_s (a pane): sliding windows
 * are the sum of their last n buckets at clock T, so memory grows with
 * buckets, never with events. Buckets are kept only while some sliding
 * window can still reach them; the day window has its own accumulator,
 * because a day holds far more buckets than any sliding window. Pure: no
 * I/O, no clocks. */
#ifndef CALLPULSE_WINDOW_H
#define CALLPULSE_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "decoder.h"

#define CP_WINDOWS_MAX 8

struct cp_config;

/* The sums of contract section 3, one per CP_SUM row of kpi.def, in its
 * order (append only: the agent state in Redis stores them by index).
 * Seconds and money are in thousandths. */
typedef enum {
#define CP_SUM(S_ID, ...) CP_S_##S_ID,
#include "kpi.def"
    CP_S_COUNT
} cp_sum_index;

/* The state codec writes sum i as the letter 'a' + i; masks over sums
 * (cp_metric_inputs, kpi.def's CP_IN) are 32 bits. */
_Static_assert(CP_S_COUNT <= 26, "at most 26 sums: agent.c encodes a sum as 'a' + index");

/* Masks written in kpi.def: a set of sums (CP_IN(TALK_MS) | ...) and a set
 * of event types (CP_ON(CALL_ENDED) | ...). */
#define CP_IN(S_ID) (1u << CP_S_##S_ID)
#define CP_ON(EV)   (1u << CP_EV_##EV)

typedef struct cp_sums {
    int64_t v[CP_S_COUNT];
} cp_sums;

/* What one event adds to each sum (kpi.def: FED_BY and VALUE).
 * agent_state adds nothing. */
void cp_sums_of_event(const cp_event *ev, cp_sums *out);
void cp_sums_add(cp_sums *a, const cp_sums *b);
int cp_sums_is_zero(const cp_sums *s);

/* The windows in force, derived from the configuration. */
typedef struct cp_windows {
    int64_t bucket_ms;
    int day_offset_min;
    int n;
    struct {
        char name[16];
        int64_t buckets; /* 0: the calendar day */
    } w[CP_WINDOWS_MAX];
    int64_t reach; /* buckets of the longest sliding window (at least 1) */
} cp_windows;

void cp_windows_from_config(cp_windows *ws, const struct cp_config *cfg);

/* Bucket of an instant. */
int64_t cp_bucket_of(const cp_windows *ws, int64_t ts_ms);

typedef struct cp_bucket {
    int64_t b;
    cp_sums s;
} cp_bucket;

/* One agent's panes: sparse buckets in ascending order, and the day
 * accumulator of calendar day `day` (CP_NO_DAY when empty). */
#define CP_NO_DAY INT64_MIN

typedef struct cp_wstore {
    cp_bucket *bk;
    uint32_t n; /* buckets in bk */
    size_t cap; /* allocated (grow.h) */
    int64_t day;
    cp_sums day_sums;
} cp_wstore;

void cp_wstore_init(cp_wstore *w);
void cp_wstore_free(cp_wstore *w);

/* Add an event's sums at ts for an agent whose clock is T (T >= ts in the
 * normal case). A bucket older than every sliding window at T is not kept;
 * the day accumulator takes events of T's calendar day only. Returns the
 * bucket touched, or INT64_MIN when no bucket was; -1 on out of memory is
 * reported through *oom. */
int64_t cp_wstore_add(cp_wstore *w, const cp_windows *ws, int64_t ts, int64_t T, const cp_sums *d,
                      int *oom);

/* Set the day accumulator to T's day (emptying it on a new day). Returns 1
 * when it was reset. */
int cp_wstore_roll_day(cp_wstore *w, const cp_windows *ws, int64_t T);

/* Drop buckets no sliding window at T can reach; returns how many. The
 * dropped bucket numbers are written to dropped[] (up to max). */
size_t cp_wstore_prune(cp_wstore *w, const cp_windows *ws, int64_t T, int64_t *dropped, size_t max);

/* The sums of window i at clock T. */
void cp_wstore_window(const cp_wstore *w, const cp_windows *ws, int i, int64_t T, cp_sums *out);

/* Move the sums of sliding window i from clock T1 to T2 (T1 <= T2) by
 * taking out the buckets that leave it; the day window is recomputed.
 * Equal to cp_wstore_window(T2) as long as no bucket was added in between
 * outside the window at T1. */
void cp_wstore_move(const cp_wstore *w, const cp_windows *ws, int i, int64_t T1, int64_t T2,
                    cp_sums *sums);

/* The first instant after T at which some window's sums differ from
 * their value at T: the start of the bucket in which the oldest bucket
 * inside a sliding window leaves it, or the next calendar day when the
 * day window holds anything. CP_NEVER when no window holds anything
 * (contract 3: windows slide as the partition clock moves). Epoch ms. */
#define CP_NEVER INT64_MAX
int64_t cp_wstore_next_change(const cp_wstore *w, const cp_windows *ws, int64_t T);

/* Find a bucket; NULL when absent. */
const cp_bucket *cp_wstore_find(const cp_wstore *w, int64_t b);

/* Insert or replace a bucket's sums (used when loading from Redis). */
int cp_wstore_put(cp_wstore *w, int64_t b, const cp_sums *s);

#endif
