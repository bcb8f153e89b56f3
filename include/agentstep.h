/* agentstep.h -- one agent's step through a batch: its events applied in
 * offset order, its windows kept current point by point, and its rules run
 * at every point of its partition's clock that matters to it (contract 3:
 * outputs are a function of the input, whatever the batching).
 *
 * A batch is, per partition, a lane of clock points in offset order: the
 * partition clock just after each accepted event, and after each step the
 * wall clock made on a quiet partition. An agent is evaluated
 *   - after each of its own events, at that event's clock;
 *   - at the first point of its partition whose clock reaches its next
 *     deadline: a window about to change (a bucket leaving a sliding
 *     window, a new calendar day), a long call reaching max_s, a
 *     cooldown ending.
 * The agent's clock (as_of) is the clock of its last evaluation: nothing
 * changes between it and its next deadline. Deadlines depend only on the
 * agent's state and the points only on the input, so every batching (one event at a time, a
 * backlog, a batch retried after a Redis outage, a replay after a crash) evaluates the agent at the
 * same clocks and emits the same alerts and rewards. What the step changed (delta, rule state,
 * emissions) is what the engine stores in one atomic write. */
#ifndef CALLPULSE_AGENTSTEP_H
#define CALLPULSE_AGENTSTEP_H

#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "ruleeval.h"
#include "rules.h"
#include "window.h"

/* The offset of a wall-clock step of a quiet partition (no event). */
#define CP_TICK_OFFSET (-1)

/* An accepted event with its origin and its partition's clock just after
 * it; or, with offset CP_TICK_OFFSET, a wall-clock step of the partition
 * to clock_ms (ev then points at nothing to read). */
typedef struct cp_batch_event {
    const cp_event *ev;
    int32_t partition;
    int64_t offset;
    int64_t clock_ms;
} cp_batch_event;

/* One partition's clock points in a batch, non-decreasing. */
typedef struct cp_lane {
    const int64_t *clock;
    int32_t n;
} cp_lane;

/* The batch as the agents walk it. */
typedef struct cp_timeline {
    const cp_lane *lanes; /* indexed by partition id; n 0 when it has no point */
    size_t nlanes;
    const int32_t *pos;  /* per batch event: its index in its partition's lane */
    const int32_t *next; /* per batch event: the same agent's next one, or -1 */
} cp_timeline;

typedef struct cp_step_ctx {
    const cp_windows *ws;
    const cp_rules *rules;
    int daily_cap;
    int64_t lateness_ms;
} cp_step_ctx;

typedef struct cp_step {
    cp_agent_delta delta;
    cp_emits emits;
    uint32_t windows; /* KPI hashes to write, bit per window */
    int store;        /* anything to store at all */
} cp_step;

/* Run agent a through its events evs[head], evs[tl->next[head]], ... (head
 * -1: none, a quiet agent) and through the points of its partition's lane
 * where its deadlines come due; a->due is its next deadline after that.
 * out is what changed since the agent's last write: reset first, unless
 * the agent's write is behind (a->behind >= 0: out then holds what its
 * earlier steps changed, and this step adds to it; engine.h). -1 on out of
 * memory. */
int cp_agent_step(const cp_step_ctx *c, cp_agent *a, const cp_batch_event *evs,
                  const cp_timeline *tl, int32_t head, cp_step *out);

/* The agent's next deadline after its clock (epoch ms), CP_NEVER when
 * nothing waits for time to pass: a quiet agent needs a step only once its
 * partition's clock reaches it. */
int64_t cp_agent_next_due(const cp_step_ctx *c, const cp_agent *a);

void cp_step_free(cp_step *s);

#endif
