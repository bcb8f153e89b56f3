/* agentstep.h -- one agent's step through a batch: its events applied in
 * order, its windows kept current event by event, its rules run after each
 * event and once more at the batch's clock. What the step changed (delta,
 * rule state, emissions) is what the engine stores in one atomic write. */
#ifndef CALLPULSE_AGENTSTEP_H
#define CALLPULSE_AGENTSTEP_H

#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "ruleeval.h"
#include "rules.h"
#include "window.h"

/* An accepted event with its origin and its partition's clock just after
 * it (the clock the agent's windows are judged at for this event). */
typedef struct cp_batch_event {
    const cp_event *ev;
    int32_t partition;
    int64_t offset;
    int64_t clock_ms;
} cp_batch_event;

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

/* Run agent a through the events evs[head], evs[next[head]], ... (head -1:
 * none) and on to clock T. -1 on out of memory. */
int cp_agent_step(const cp_step_ctx *c, cp_agent *a, const cp_batch_event *evs, const int32_t *next,
                  int32_t head, int64_t T, cp_step *out);

void cp_step_free(cp_step *s);

#endif
