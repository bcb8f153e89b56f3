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

/* The sums of contract section 3, in this order. Seconds and money are
 * in thousandths. */
typedef enum {
    CP_S_OFFERED = 0,
    CP_S_ANSWERED,
    CP_S_MISSED,
    CP_S_HANDLED,
    CP_S_TALK_MS,
    CP_S_HOLD_MS,
    CP_S_ACW_MS,
    CP_S_RESOLVED,
    CP_S_TRANSFERRED,
    CP_S_COMPLAINTS,
    CP_S_SALES,
    CP_S_SALES_VALUE,
    CP_S_CSAT_SUM,
    CP_S_CSAT_COUNT,
    CP_S_QA_SUM,
    CP_S_QA_COUNT,
    CP_S_COUNT
} cp_sum_index;

typedef struct cp_sums {
    int64_t v[CP_S_COUNT];
} cp_sums;

/* What one event adds. agent_state adds nothing. */
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
    uint32_t n, cap;
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
