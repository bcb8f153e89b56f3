/* floorgen.h -- bench_kpi's "floor" profile: a whole shift of a call
 * centre floor as contract section 2 events, shaped like a real day.
 *
 * Agents work staggered 8-hour shifts inside the floor's hours, in teams
 * that each serve one skill (queue), at a load that follows the hours of a
 * real day; they log on and off, take breaks and lunch (agent_state with a
 * reason), take calls (offered, answered or missed, ended, wrap-up), long
 * calls come from the real tail of service times; surveys and QA scores
 * arrive minutes to hours after their call. On top: a share of events sent
 * twice (the same event_id, a little later) and a bounded disorder (an
 * event may arrive up to disorder_ms after events with a later ts).
 * Calibration against the Anonymous Bank day: floorgen.c's header.
 * Deterministic for a given seed: the start time only moves the ts (and
 * the event ids). Pure: no I/O. */
#ifndef CALLPULSE_BENCH_FLOORGEN_H
#define CALLPULSE_BENCH_FLOORGEN_H

#include <stddef.h>
#include <stdint.h>

typedef struct bench_floor bench_floor;

typedef struct bench_floor_params {
    int agents;       /* 1..1000000 */
    int team_size;    /* agents per team, >= 1 (default 15) */
    uint64_t seed;    /* the same seed and start give the same stream */
    int64_t start_ms; /* the floor opens (event time) */
    double hours;     /* the floor is open this long (default 12) */
    double dup_ratio; /* share of events sent twice (default 0.02) */
    int disorder_ms;  /* the most an event arrives behind later ones (default 120000) */
} bench_floor_params;

/* What the stream held so far, for the bench's report. */
typedef struct bench_floor_counts {
    long events;            /* every message, duplicates included */
    long duplicates;        /* second copies of an event */
    long out_of_order;      /* arrived after an event of the same agent with a later ts */
    long by_type[8];        /* contract types in decoder.c's order */
    long long bytes;        /* value bytes */
    long calls, long_calls; /* answered calls; of them talking 15 min or more */
} bench_floor_counts;

extern const char *const bench_floor_type_names[8];

/* Defaults for the fields left 0. NULL when out of memory. */
bench_floor *bench_floor_new(const bench_floor_params *p);
void bench_floor_free(bench_floor *f);

/* The next message in arrival order: key (agent id, NUL-terminated), JSON
 * value (not terminated, *len bytes) and its ts. Returns 1, or 0 at the
 * end of the shift. value_size must be at least 1024. */
int bench_floor_next(bench_floor *f, char *key, size_t key_size, char *value, size_t value_size,
                     size_t *len, int64_t *ts);

void bench_floor_counts_get(const bench_floor *f, bench_floor_counts *out);

/* Count from zero again (after skipping to a later part of the shift). */
void bench_floor_counts_reset(bench_floor *f);

#endif
