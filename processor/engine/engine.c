/* engine.c -- the KPI engine (engine.h).
 *
 * One batch:
 *   group   events by agent, keeping each agent's events in offset order;
 *   load    read the states of agents not cached (pipelined);
 *   lanes   per partition, the clock points of the batch in offset order
 *           (its events and its wall-clock steps: agentstep.h);
 *   due     quiet agents whose next deadline (a window about to change, a
 *           long call, a cooldown) their partition's clock reaches;
 *   apply   per agent: skip replayed offsets and duplicate ids, add the
 *           rest to its panes, run its rules at each of its events and at
 *           each point where its clock passes a deadline;
 *   buddies the firing alerts' buddies, read from the boards (buddies.h);
 *   write   one versioned script per agent (pipelined), then the index;
 *           a stored agent's board commands (boards.h) go with the next
 *           round (or housekeeping), and once Redis applied them their
 *           boards are told to the watcher (the leaderboard publisher).
 * While a backlog lasts, writes may be left behind (engine.h: write-behind).
 * A write refused for a stale version (another process wrote the agent)
 * reloads that agent and applies its events again; replays are skipped by
 * offset, so nothing is counted twice. A broken connection evicts every
 * agent the batch touched (their cached state may be ahead of Redis) and
 * returns -1: the consumer retries the batch when Redis is back. */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

#include "boards.h"
#include "buddies.h"
#include "grow.h"
#include "log.h"
#include "messages.h"
#include "timefmt.h"

#define STALE_RETRIES 5

/* Name why the batch fails (the first reason found wins). */
static void fail_as(cp_engine *e, cp_engine_failure f, const char *why) {
    if (e->failure != CP_ENGINE_STORED)
        return;
    e->failure = f;
    snprintf(e->err, sizeof(e->err), "%s", why);
}

/* A step that failed without naming why failed in Redis or before it. */
static void fail_from_redis(cp_engine *e) {
    fail_as(e, e->redis.unsent ? CP_ENGINE_NOT_SENT : CP_ENGINE_REDIS_FAILED, e->redis.err);
}

static void fail_batch(cp_engine *e);
static void boards_applied(cp_engine *e);

struct cp_work {
    char id[CP_AGENT_ID_MAX + 1];
    cp_agent *agent;
    int32_t head, tail; /* events of this agent in the batch; -1: a slide */
    int nevents;        /* ... how many */
    int one_partition;  /* ... all from the partition of the first */
    cp_step step;       /* what the batch changed */
    cp_outbox msgs;     /* its alerts and rewards as messages */
    int commands;       /* Redis commands of its write */
    int done;           /* 0 to do, 1 nothing to store, 2 stored, 3 sent */
};

int cp_engine_init(cp_engine *e, const cp_config *cfg, char *err, size_t errsz) {
    cp_redis_url url;
    memset(e, 0, sizeof(*e));
    e->cfg = cfg;
    e->lateness_ms = (int64_t)cfg->lateness_s * 1000;
    e->write_behind_ms = (int64_t)cfg->write_behind_s * 1000;
    /* a backlog, not live traffic just arrived: a batch's worth, or 1,000 */
    e->behind_min_waiting =
        cfg->batch_max < CP_BEHIND_MIN_WAITING ? cfg->batch_max : CP_BEHIND_MIN_WAITING;
    cp_windows_from_config(&e->ws, cfg);
    cp_agentmap_init(&e->agents);
    e->step = (cp_step_ctx){&e->ws, &cfg->rules, cfg->daily_cap, e->lateness_ms};
    if (cp_redis_url_parse(cfg->redis_url, &url, err, errsz) != 0)
        return -1;
    cp_redis_init(&e->redis, &url, cfg->redis_timeout_ms);
    cp_holds_init(&e->holds);
    if (cp_store_init(&e->store, &e->redis, cfg, &e->ws) != 0 || cp_resume_init(&e->redis) != 0) {
        snprintf(err, errsz, "cannot register Redis scripts");
        return -1;
    }
    return 0;
}

void cp_engine_free(cp_engine *e) {
    for (size_t i = 0; i < e->capwork; i++) {
        cp_step_free(&e->work[i].step);
        cp_outbox_free(&e->work[i].msgs);
    }
    cp_holds_free(&e->holds);
    cp_outbox_free(&e->out);
    cp_outbox_free(&e->acked);
    cp_board_ops_free(&e->board_ops);
    cp_board_ops_free(&e->board_sent);
    free(e->asks);
    free(e->work);
    free(e->next);
    free(e->index_pending);
    free(e->assigned);
    free(e->idle);
    free(e->pos);
    free(e->lane_clock);
    free(e->lanes);
    free(e->clock_at);
    free(e->before_at);
    free(e->handled_at);
    free(e->defer_at);
    cp_agentmap_free(&e->agents);
    cp_store_free(&e->store);
    cp_redis_close(&e->redis);
}

/* ---- work items ------------------------------------------------------------ */

static cp_work *add_work(cp_engine *e, cp_agent *a) {
    size_t had = e->capwork;
    if (cp_grow(e->work, e->capwork, e->nwork + 1) != 0)
        return NULL;
    memset(e->work + had, 0, (e->capwork - had) * sizeof(*e->work));
    cp_work *w = &e->work[e->nwork];
    snprintf(w->id, sizeof(w->id), "%s", a->id);
    w->agent = a;
    w->head = w->tail = -1;
    w->nevents = 0;
    w->one_partition = 1;
    w->done = 0;
    w->commands = 0;
    cp_outbox_clear(&w->msgs);
    cp_holds_take(&e->holds, a, &w->step); /* a step behind adds to what waits */
    a->slot = (int32_t)e->nwork++;
    return w;
}

static void clear_work(cp_engine *e) {
    for (size_t i = 0; i < e->nwork; i++)
        if (e->work[i].agent)
            e->work[i].agent->slot = -1;
    e->nwork = 0;
}

/* Drop an agent from the cache; its work item forgets it. */
static void evict(cp_engine *e, cp_work *w) {
    if (!w->agent)
        return;
    cp_holds_lose(&e->holds, w->agent);
    w->agent->slot = -1;
    cp_agentmap_remove(&e->agents, w->agent);
    w->agent = NULL;
}

static void evict_all_work(cp_engine *e) {
    for (size_t i = 0; i < e->nwork; i++)
        evict(e, &e->work[i]);
}

/* The clock of a partition in this batch (CP_NO_CLOCK when unknown). */
static int64_t clock_of(const cp_engine *e, int32_t partition) {
    if (partition < 0 || (size_t)partition >= e->nclock_at)
        return CP_NO_CLOCK;
    return e->clock_at[partition];
}

/* Link every event to its agent's work item. */
static int group(cp_engine *e, const cp_batch_event *evs, size_t n) {
    if (cp_grow(e->next, e->capnext, n) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        const cp_event *ev = evs[i].ev;
        e->next[i] = -1;
        if (evs[i].offset == CP_TICK_OFFSET)
            continue; /* a clock point of its lane only */
        cp_agent *a = cp_agentmap_get(&e->agents, ev->agent_id, ev->agent_id_len);
        if (!a)
            return -1;
        cp_work *w = a->slot >= 0 ? &e->work[a->slot] : add_work(e, a);
        if (!w)
            return -1;
        if (w->tail >= 0)
            e->next[w->tail] = (int32_t)i;
        else
            w->head = (int32_t)i;
        w->tail = (int32_t)i;
        w->nevents++;
        if (evs[i].partition != evs[w->head].partition)
            w->one_partition = 0;
    }
    return 0;
}

/* ---- load ------------------------------------------------------------------ */

/* Read the state of every work item whose agent is not loaded. */
static int load_work(cp_engine *e) {
    size_t asked = 0;
    for (size_t i = 0; i < e->nwork; i++) {
        cp_work *w = &e->work[i];
        if (!w->done && !w->agent->loaded) {
            cp_store_append_load(&e->store, w->agent);
            asked++;
        }
    }
    if (asked == 0)
        return 0;
    for (size_t i = 0; i < e->nwork; i++) {
        cp_work *w = &e->work[i];
        if (w->done || w->agent->loaded)
            continue;
        /* its outbox too: a write whose reply was lost may have left
         * messages only this finds (e->out skips those it holds) */
        int rc = cp_store_read_load(&e->store, w->agent, &e->cfg->rules, &e->out);
        if (rc == CP_STORE_LOAD_NO_MEMORY)
            fail_as(e, CP_ENGINE_NO_MEMORY, e->redis.err);
        if (rc == CP_STORE_LOAD_FAILED || rc == CP_STORE_LOAD_NO_MEMORY)
            return -1; /* transient: the batch is retried */
        if (rc == CP_STORE_LOAD_MALFORMED) {
            cp_error("agent %s: malformed state in Redis (%s); starting it empty, its keys "
                     "replaced at its next write",
                     w->id, e->redis.err);
            if (cp_agent_take_over(w->agent, e->cfg->rules.n) != 0) {
                fail_as(e, CP_ENGINE_NO_MEMORY, "out of memory starting an agent empty");
                return -1;
            }
        }
        e->stats.loads++;
    }
    return 0;
}

/* ---- due ------------------------------------------------------------------- */

/* The batch's clock points per partition (agentstep.h), with each event's
 * place in its partition's lane. */
static int build_lanes(cp_engine *e, const cp_batch_event *evs, size_t n) {
    size_t np = 0;
    for (size_t i = 0; i < n; i++)
        if ((size_t)evs[i].partition + 1 > np)
            np = (size_t)evs[i].partition + 1;
    if (cp_grow(e->lanes, e->caplanes, np) != 0 || cp_grow(e->pos, e->cappos, n) != 0 ||
        cp_grow(e->lane_clock, e->caplane_clock, n) != 0)
        return -1;
    if (np > 0) /* e->lanes may still be NULL when nothing came */
        memset(e->lanes, 0, np * sizeof(*e->lanes));
    for (size_t i = 0; i < n; i++) /* count, then give each lane its stretch */
        e->lanes[evs[i].partition].n++;
    size_t at = 0;
    int32_t *pos = e->pos;
    int64_t *clk = e->lane_clock;
    for (size_t p = 0; p < np; p++) {
        e->lanes[p].clock = clk + at;
        at += (size_t)e->lanes[p].n;
        e->lanes[p].n = 0;
    }
    for (size_t i = 0; i < n; i++) {
        cp_lane *l = &e->lanes[evs[i].partition];
        pos[i] = l->n;
        clk[l->clock - clk + l->n++] = evs[i].clock_ms;
    }
    e->nlanes = np;
    e->timeline = (cp_timeline){e->lanes, np, e->pos, e->next};
    return 0;
}

/* The last clock of a partition's lane in this batch; CP_NO_CLOCK if none. */
static int64_t lane_end(const cp_engine *e, int32_t partition) {
    if (partition < 0 || (size_t)partition >= e->nlanes || e->lanes[partition].n == 0)
        return CP_NO_CLOCK;
    return e->lanes[partition].clock[e->lanes[partition].n - 1];
}

/* A cached agent's next deadline, computed once per change of its state. */
static int64_t agent_due(cp_engine *e, cp_agent *a) {
    if (!a->due_known) {
        a->due = cp_agent_next_due(&e->step, a);
        a->due_known = 1;
    }
    return a->due;
}

/* An agent with empty windows and no id inside the lateness horizon needs
 * nothing from the cache: Redis has it all. */
static int idle(const cp_engine *e, const cp_agent *a, int64_t clock) {
    return a->behind < 0 && a->w.n == 0 && a->rules.nopen == 0 &&
           (a->w.day != cp_day_number(clock, e->ws.day_offset_min) ||
            cp_sums_is_zero(&a->w.day_sums)) &&
           a->as_of < clock - e->lateness_ms;
}

/* Remember an idle agent, to drop it from its partition's index. */
static int note_idle(cp_engine *e, const cp_agent *a) {
    if (cp_grow(e->idle, e->capidle, e->nidle + 1) != 0)
        return -1;
    e->idle[e->nidle].partition = a->partition;
    memcpy(e->idle[e->nidle].id, a->id, sizeof(a->id));
    e->nidle++;
    return 0;
}

/* Work items for quiet agents whose partition's clock reaches their next
 * deadline in this batch. When the latest clock enters a new bucket, idle
 * agents leave the cache. Agents with events are in work already. */
static int plan_due(cp_engine *e) {
    cp_agentmap_iter it;
    int64_t latest = CP_NO_CLOCK, min_due = CP_NEVER;
    for (size_t p = 0; p < e->nlanes; p++)
        if (lane_end(e, (int32_t)p) > latest)
            latest = lane_end(e, (int32_t)p);
    if (latest == CP_NO_CLOCK ||
        (latest < e->min_due && cp_bucket_of(&e->ws, latest) == e->swept_bucket))
        return 0;
    e->swept_bucket = cp_bucket_of(&e->ws, latest);
    for (cp_agent *a = cp_agentmap_first(&e->agents, &it); a;
         a = cp_agentmap_next(&e->agents, &it)) {
        if (a->slot >= 0 || !a->loaded)
            continue;
        int64_t due = agent_due(e, a); /* always after a->as_of */
        if (due <= lane_end(e, a->partition)) {
            if (!add_work(e, a))
                return -1;
            continue;
        }
        int64_t clock = clock_of(e, a->partition);
        if (due == CP_NEVER && clock != CP_NO_CLOCK && idle(e, a, clock)) {
            /* its hashes are final: it leaves the cache, then the index */
            if (note_idle(e, a) != 0)
                return -1;
            cp_agentmap_remove(&e->agents, a);
            continue;
        }
        if (due < min_due)
            min_due = due;
    }
    e->min_due = min_due; /* agents stepped in this batch lower it again */
    return 0;
}

/* ---- write-behind: deciding ----------------------------------------------------- */

/* May partition p's writes be left behind in this batch? */
static int defer_on(const cp_engine *e, int32_t p) {
    return p >= 0 && (size_t)p < e->nclock_at && e->defer_at[p];
}

/* Has a's write waited long enough (write_behind_s of its partition's
 * event time since its first event not written)? */
static int waited_enough(const cp_engine *e, const cp_behind *b) {
    int64_t clock = clock_of(e, b->first.partition);
    return clock != CP_NO_CLOCK && b->since_ms != CP_NO_CLOCK &&
           clock - b->since_ms >= e->write_behind_ms;
}

/* The partition w's events came from, or a quiet agent's own. */
static int32_t work_partition(const cp_work *w, const cp_batch_event *evs) {
    return w->head >= 0 ? evs[w->head].partition : w->agent->partition;
}

/* May w's write wait (engine.h: write-behind)? Only while messages wait
 * on its partition, which is claimed (resume.h); not for an agent taken
 * over, or lost before in this assignment. */
static int may_defer(const cp_engine *e, const cp_work *w, const cp_batch_event *evs) {
    const cp_agent *a = w->agent;
    if (!e->backlog || e->write_behind_ms <= 0 || a->takeover || !w->one_partition ||
        !cp_holds_may_keep(&e->holds, a))
        return 0;
    const cp_behind *b = cp_holds_record(&e->holds, a);
    if (!b)
        return w->nevents <= CP_BEHIND_EVENTS_MAX && defer_on(e, work_partition(w, evs));
    return (w->head < 0 || evs[w->head].partition == b->first.partition) &&
           defer_on(e, b->first.partition) && b->events + w->nevents <= CP_BEHIND_EVENTS_MAX &&
           !waited_enough(e, b);
}

/* Leave w's write behind (holds.h). A new record holds its partition from
 * where the batch starts there, not from its own first event: its
 * deadlines may pass at points of the lane before that (another agent's
 * events; a quiet agent's slide has no event at all), and a replay must
 * evaluate them at the same points. 0, or -1 when there is no room (it is
 * written now). */
static int keep_behind(cp_engine *e, cp_work *w, const cp_batch_event *evs) {
    cp_hold first = {-1, -1, CP_NO_CLOCK};
    int64_t since = CP_NO_CLOCK;
    if (!cp_holds_record(&e->holds, w->agent)) {
        int32_t p = work_partition(w, evs);
        if (p < 0 || (size_t)p >= e->nclock_at || e->handled_at[p] < 0 ||
            (w->head >= 0 && e->handled_at[p] > evs[w->head].offset))
            return -1; /* where the batch starts there is unknown: written now */
        first = (cp_hold){p, e->handled_at[p], e->before_at[p]};
        since = w->head >= 0 ? evs[w->head].clock_ms : lane_end(e, p);
    }
    if (cp_holds_keep(&e->holds, w->agent, &w->step, &first, since, w->nevents) != 0)
        return -1;
    e->stats.deferred++;
    return 0;
}

/* Work items for the agents behind that are due: all of them (the
 * backlog ended), or those whose partition caught up or who waited
 * enough. */
static int plan_flush(cp_engine *e, int all) {
    for (size_t i = 0; i < e->holds.n; i++) {
        const cp_behind *b = &e->holds.v[i];
        if (b->agent->slot < 0 &&
            (all || !defer_on(e, b->first.partition) || waited_enough(e, b)) &&
            !add_work(e, b->agent))
            return -1;
    }
    return 0;
}

size_t cp_engine_behind(const cp_engine *e) {
    return e->holds.n;
}

void cp_engine_holds(const cp_engine *e, void (*fn)(void *ctx, const cp_hold *h), void *ctx) {
    cp_holds_each(&e->holds, fn, ctx);
}

int cp_engine_lost_behind(const cp_engine *e) {
    return cp_holds_any_lost(&e->holds);
}

/* ---- write ----------------------------------------------------------------- */

static void count_outcome(cp_engine *e, const cp_work *w) {
    e->stats.applied += (uint64_t)w->step.delta.applied;
    e->stats.duplicates += (uint64_t)w->step.delta.duplicates;
    e->stats.replayed += (uint64_t)w->step.delta.skipped;
}

/* Run every pending work item's agent through its step. */
static int compute_round(cp_engine *e, const cp_batch_event *evs) {
    for (size_t i = 0; i < e->nwork; i++) {
        cp_work *w = &e->work[i];
        if (w->done)
            continue;
        if (cp_agent_step(&e->step, w->agent, evs, &e->timeline, w->head, &w->step) != 0) {
            fail_as(e, CP_ENGINE_NO_MEMORY, "out of memory stepping an agent through the batch");
            return -1;
        }
        if (w->agent->due < e->min_due) /* the step set its next deadline */
            e->min_due = w->agent->due;
        if (!w->step.store) {
            count_outcome(e, w);
            w->done = 1;
        } else if (may_defer(e, w, evs) && keep_behind(e, w, evs) == 0) {
            w->done = 1; /* counted when written */
        }
    }
    return 0;
}

/* The firing alerts of the batch ask for their buddies (buddies.h), on
 * this connection, before the writes. */
static int lookup_buddies(cp_engine *e) {
    size_t n = 0;
    for (size_t i = 0; i < e->nwork; i++) {
        cp_work *w = &e->work[i];
        for (size_t k = 0; w->done == 0 && k < w->step.emits.n; k++) {
            cp_emit *m = &w->step.emits.v[k];
            if (!cp_buddy_wanted(m))
                continue;
            if (cp_grow(e->asks, e->capasks, n + 1) != 0) {
                fail_as(e, CP_ENGINE_NO_MEMORY, "out of memory asking for buddies");
                return -1;
            }
            e->asks[n++] = (cp_buddy_ask){m, w->agent->id};
        }
    }
    return cp_buddies_lookup(&e->redis, e->cfg->redis_prefix, &e->ws, e->asks, n);
}

/* The emissions of a work item as messages. */
static int build_messages(cp_engine *e, cp_work *w) {
    cp_message_ctx mc = {w->agent->id, "", &e->ws, e->cfg->daily_cap};
    cp_outbox_clear(&w->msgs);
    for (size_t k = 0; k < w->step.emits.n; k++) {
        const cp_emit *m = &w->step.emits.v[k];
        mc.team = m->team; /* its team when it was emitted */
        char *json = cp_message_json(&mc, m);
        if (!json || cp_outbox_push(&w->msgs, m->kind, w->agent->id, m->id, json) != 0)
            return -1;
    }
    return 0;
}

/* An acknowledged message is out of its outbox: a reload may queue it. */
static void deleted(void *ctx, const char *agent, const char *id) {
    cp_outbox_release(&((cp_engine *)ctx)->out, agent, id);
}

/* Pipeline the write of every computed work item (with its index entries
 * when they need renewing). Deletions of
 * acknowledged messages and idle agents' index entries go first. */
static int append_round(cp_engine *e) {
    if (cp_holds_append(&e->holds, &e->redis, e->cfg->redis_prefix, e->handled_at, e->before_at,
                        e->nclock_at) != 0) {
        fail_as(e, CP_ENGINE_NO_MEMORY, "out of memory planning the resume positions");
        return -1;
    }
    for (size_t i = 0; i < e->nidle; i++)
        cp_store_append_unindex(&e->store, e->idle[i].partition, e->idle[i].id);
    /* acknowledged messages leave their outboxes; until Redis ran the
     * HDEL, e->out holds them (a reload does not queue them again) */
    e->housekeeping += cp_store_settle_deletions(&e->store, deleted, e);
    for (size_t i = 0; i < e->acked.n; i++)
        if (cp_store_append_outbox_done(&e->store, e->acked.v[i].agent, e->acked.v[i].id) != 0)
            cp_outbox_release(&e->out, e->acked.v[i].agent, e->acked.v[i].id);
    size_t board_commands = cp_store_append_board_ops(&e->store, e->board_ops.v, e->board_ops.n);
    e->housekeeping += e->nidle + e->acked.n + board_commands;
    e->stats.board_ops += board_commands;
    e->nidle = 0;
    cp_outbox_clear(&e->acked);
    /* sent boards ops are kept until their replies are read (board_sent) */
    cp_board_ops tmp = e->board_sent;
    e->board_sent = e->board_ops;
    e->board_ops = tmp;
    cp_board_ops_clear(&e->board_ops);
    for (size_t i = 0; i < e->nwork; i++) {
        cp_work *w = &e->work[i];
        if (w->done)
            continue;
        if (build_messages(e, w) != 0)
            return -1;
        w->commands = cp_store_append_write(&e->store, w->agent, &w->step.delta, w->step.windows,
                                            &e->cfg->rules, w->msgs.v, w->msgs.n);
        w->done = 3; /* sent, reply pending */
    }
    return 0;
}

/* Read the replies of every sent item. Returns how many were refused as
 * stale (their agents evicted, to be reloaded), or -1. The messages of a
 * stored item are ready to produce. */
static int read_round(cp_engine *e) {
    int stale = 0;
    char why[96];
    int held = cp_holds_read(&e->holds, &e->redis, why, sizeof(why));
    if (held == -2)
        fail_as(e, CP_ENGINE_STALE_REFUSED, why);
    if (held != 0)
        return -1;
    for (; e->housekeeping > 0; e->housekeeping--) {
        redisReply *r = cp_redis_read(&e->redis);
        if (!r)
            return -1;
        freeReplyObject(r);
    }
    boards_applied(e);
    for (size_t i = 0; i < e->nwork; i++) {
        cp_work *w = &e->work[i];
        if (w->done != 3)
            continue;
        int rc = cp_store_read_write(&e->store, w->agent, w->commands);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            w->done = 0;
            stale++;
            e->stats.stale++;
            evict(e, w);
            continue;
        }
        w->done = 2;
        cp_holds_release(&e->holds, w->agent);
        count_outcome(e, w);
        if (cp_boards_plan(w->agent, &e->ws, &e->cfg->scorecard, !w->agent->boards.synced,
                           &e->board_ops) != 0)
            cp_error("out of memory: the boards of %s wait for its next write", w->id);
        w->agent->boards.synced = 1;
        e->stats.writes++;
        for (size_t k = 0; k < w->msgs.n; k++) {
            if (w->msgs.v[k].kind == CP_EMIT_ALERT)
                e->stats.alerts++;
            else
                e->stats.rewards++;
        }
        if (w->head < 0)
            e->stats.slides++;
        if (cp_outbox_move(&e->out, &w->msgs) != 0)
            cp_error("out of memory: messages of %s wait in its outbox", w->id);
    }
    return stale;
}

/* The board commands sent have been applied: their boards changed. */
static void boards_applied(cp_engine *e) {
    for (size_t i = 0; i < e->board_sent.n && e->board_changed; i++) {
        const cp_board_op *op = &e->board_sent.v[i];
        if (op->kind != CP_BOARD_TEAM)
            e->board_changed(e->board_ctx, op->board, op->as_of);
    }
    cp_board_ops_clear(&e->board_sent);
}

/* Compute, look up buddies, send: the part of a round before replies. */
static int send_round(cp_engine *e, const cp_batch_event *evs) {
    return compute_round(e, evs) == 0 && lookup_buddies(e) == 0 && append_round(e) == 0 ? 0 : -1;
}

/* Give evicted (stale) work items a fresh agent to reload. */
static int refresh_stale(cp_engine *e) {
    for (size_t i = 0; i < e->nwork; i++) {
        cp_work *w = &e->work[i];
        if (w->done || w->agent)
            continue;
        w->agent = cp_agentmap_get(&e->agents, w->id, strlen(w->id));
        if (!w->agent) {
            fail_as(e, CP_ENGINE_NO_MEMORY, "out of memory caching an agent again");
            return -1;
        }
        w->agent->slot = (int32_t)i;
    }
    return 0;
}

/* ---- index of a newly assigned partition ------------------------------------ */

static void index_agent(void *ctx, const char *id, size_t len) {
    cp_engine *e = ctx;
    cp_agent *a;
    const char *why;
    if (cp_validate_agent_id(id, len, &why) != 0 || cp_agentmap_find(&e->agents, id, len))
        return;
    if ((a = cp_agentmap_get(&e->agents, id, len)) != NULL)
        add_work(e, a);
}

/* Cache the agents of newly assigned partitions so their windows slide.
 * Entries older than the keys' expiry are dropped first. */
static int load_index(cp_engine *e) {
    if (e->nindex_pending == 0)
        return 0;
    if (cp_holds_claim(&e->holds, &e->redis, e->cfg->redis_prefix) != 0)
        goto fail; /* before any write of their agents */
    for (size_t i = 0; i < e->nindex_pending; i++) {
        const cp_part_clock *pc = &e->index_pending[i];
        if (pc->clock_ms != CP_NO_CLOCK &&
            cp_store_prune_index(&e->store, pc->partition, pc->clock_ms - e->store.expire_ms) != 0)
            goto fail;
        if (cp_store_scan_index(&e->store, pc->partition, index_agent, e) != 0 ||
            cp_store_scan_outbox(&e->store, pc->partition, &e->out) != 0)
            goto fail;
    }
    if (load_work(e) != 0)
        goto fail;
    for (size_t i = 0; i < e->nwork; i++) { /* their board entries may be stale */
        cp_agent *a = e->work[i].agent;
        if (cp_boards_plan(a, &e->ws, &e->cfg->scorecard, 1, &e->board_ops) == 0)
            a->boards.synced = 1;
    }
    clear_work(e);
    e->nindex_pending = 0;
    return 0;
fail:
    evict_all_work(e);
    clear_work(e);
    return -1;
}

int cp_engine_assign(cp_engine *e, const cp_part_clock *partitions, size_t n) {
    if (cp_grow(e->index_pending, e->capindex_pending, n) != 0 ||
        cp_grow(e->assigned, e->capassigned, n) != 0 ||
        cp_holds_assign(&e->holds, partitions, n) != 0) /* claimed with the index */
        return -1;
    memcpy(e->index_pending, partitions, n * sizeof(*partitions));
    e->nindex_pending = n;
    e->min_due = INT64_MIN;        /* the agents it loads are looked at in the next batch */
    for (size_t i = 0; i < n; i++) /* no pruning when read again: reindex() */
        e->assigned[i] = (cp_part_clock){partitions[i].partition, CP_NO_CLOCK, CP_NO_CLOCK,
                                         partitions[i].handled, 0};
    e->nassigned = n;
    return 0;
}

/* Agents evicted by a failed batch (quiet ones among them, which no event
 * of theirs will bring back) are read again from their partitions' index
 * before the next batch, so their deadlines pass at the right points. */
static int reindex(cp_engine *e) {
    if (!e->reindex || e->nindex_pending > 0)
        return 0;
    if (cp_grow(e->index_pending, e->capindex_pending, e->nassigned) != 0)
        return -1; /* e->reindex stays: the next batch tries again */
    memcpy(e->index_pending, e->assigned, e->nassigned * sizeof(*e->assigned));
    e->nindex_pending = e->nassigned;
    e->reindex = 0;
    e->min_due = INT64_MIN;
    return 0;
}

/* Forget every cached agent, those behind and the lost holds. */
static void forget_agents(cp_engine *e) {
    if (e->inflight)
        fail_batch(e);
    cp_holds_forget(&e->holds);
    cp_agentmap_clear(&e->agents);
}

void cp_engine_rewind(cp_engine *e, const cp_hold *from, const int64_t *until, size_t n) {
    forget_agents(e);
    cp_holds_reread(&e->holds, from, until, n);
    /* the handled messages end where reading starts again, until the next
     * batch says more (the resume positions are written from these) */
    for (size_t i = 0; i < n; i++) {
        int32_t p = from[i].partition;
        if (p >= 0 && (size_t)p < e->nclock_at) {
            e->handled_at[p] = from[i].offset;
            e->before_at[p] = from[i].clock_ms;
            e->defer_at[p] = 0;
        }
    }
    e->reindex = 1; /* their quiet agents are read again (claims stay) */
    e->min_due = INT64_MIN;
}

void cp_engine_revoke(cp_engine *e) {
    forget_agents(e);
    e->nindex_pending = 0;
    e->nassigned = 0;
    e->reindex = 0;
    e->min_due = INT64_MIN;
}

/* ---- the batch ---------------------------------------------------------------- */

/* Index the batch's partition clocks by partition id. */
static int keep_clocks(cp_engine *e, const cp_part_clock *clocks, size_t n) {
    size_t need = 0;
    for (size_t i = 0; i < n; i++)
        if (clocks[i].partition >= 0 && (size_t)clocks[i].partition + 1 > need)
            need = (size_t)clocks[i].partition + 1;
    if (cp_grow(e->clock_at, e->capclock_at, need) != 0 ||
        cp_grow(e->before_at, e->capbefore_at, need) != 0 ||
        cp_grow(e->handled_at, e->caphandled_at, need) != 0 ||
        cp_grow(e->defer_at, e->capdefer_at, need) != 0)
        return -1;
    for (size_t i = 0; i < need; i++) {
        e->clock_at[i] = e->before_at[i] = CP_NO_CLOCK;
        e->handled_at[i] = -1;
        e->defer_at[i] = 0;
    }
    for (size_t i = 0; i < n; i++) {
        int32_t p = clocks[i].partition;
        if (p < 0)
            continue;
        e->clock_at[p] = clocks[i].clock_ms;
        e->before_at[p] = clocks[i].before_ms;
        e->handled_at[p] = clocks[i].handled;
        e->defer_at[p] =
            clocks[i].waiting >= e->behind_min_waiting && cp_holds_claimed(&e->holds, p);
    }
    e->nclock_at = need;
    return 0;
}

static void fail_batch(cp_engine *e) {
    e->housekeeping = 0;
    cp_holds_unsent(&e->holds);
    e->nidle = 0;
    /* idempotent: send them again, before any planned since (the later
     * op of an agent on a board decides its entry) */
    cp_board_ops later = e->board_ops;
    e->board_ops = e->board_sent;
    e->board_sent = later;
    for (size_t i = 0; i < later.n; i++)
        if (e->board_ops.n < e->board_ops.cap || cp_board_ops_reserve(&e->board_ops) == 0)
            e->board_ops.v[e->board_ops.n++] = later.v[i];
    cp_board_ops_clear(&e->board_sent);
    if (e->redis.pending > 0) /* unread replies would answer later commands */
        cp_redis_disconnect(&e->redis);
    if (e->nwork > 0)
        e->reindex = 1;
    evict_all_work(e);
    clear_work(e);
    e->inflight = 0;
}

int cp_engine_submit(cp_engine *e, const cp_batch_event *evs, size_t n, const cp_part_clock *clocks,
                     size_t nclocks, int backlog) {
    if (e->inflight && cp_engine_complete(e) != 0)
        return -1;
    e->failure = CP_ENGINE_STORED;
    e->backlog = backlog;
    if (reindex(e) != 0) {
        fail_as(e, CP_ENGINE_NO_MEMORY, "out of memory noting the partitions to read again");
        return -1;
    }
    if (cp_redis_ensure(&e->redis) != 0 || load_index(e) != 0) {
        fail_from_redis(e);
        return -1;
    }
    if (cp_holds_any_lost(&e->holds)) { /* a last owner's writes behind: read from there */
        fail_as(e, CP_ENGINE_BEHIND_LOST, "writes left behind by the partition's last owner");
        return -1;
    }
    e->evs = evs;
    if (keep_clocks(e, clocks, nclocks) != 0 || group(e, evs, n) != 0 ||
        build_lanes(e, evs, n) != 0 || plan_due(e) != 0 || plan_flush(e, !backlog) != 0) {
        fail_as(e, CP_ENGINE_NO_MEMORY, "out of memory planning the batch");
        goto fail;
    }
    if (load_work(e) != 0)
        goto fail;
    if (send_round(e, evs) != 0 || cp_redis_flush(&e->redis) != 0)
        goto fail;
    e->inflight = 1;
    return 0;
fail:
    fail_from_redis(e);
    fail_batch(e);
    return -1;
}

int cp_engine_complete(cp_engine *e) {
    if (!e->inflight)
        return 0;
    e->failure = CP_ENGINE_STORED;
    int stale = read_round(e);
    for (int attempt = 0; stale > 0 && attempt < STALE_RETRIES; attempt++) {
        if (cp_holds_any_lost(&e->holds)) /* their earlier events are not in hand */
            break;
        if (refresh_stale(e) != 0 || load_work(e) != 0)
            goto fail;
        if (send_round(e, e->evs) != 0)
            goto fail;
        stale = read_round(e);
    }
    if (stale != 0) {
        if (cp_holds_any_lost(&e->holds))
            fail_as(e, CP_ENGINE_BEHIND_LOST,
                    "a write left behind was refused as stale: its partition is read again");
        else if (stale > 0)
            fail_as(e, CP_ENGINE_STALE_REFUSED,
                    "agent writes kept being refused as stale: another process writes the "
                    "same agents");
        goto fail;
    }
    clear_work(e);
    e->inflight = 0;
    return 0;
fail:
    fail_from_redis(e);
    fail_batch(e);
    return -1;
}

int cp_engine_apply(cp_engine *e, const cp_batch_event *evs, size_t n, const cp_part_clock *clocks,
                    size_t nclocks) {
    if (cp_engine_submit(e, evs, n, clocks, nclocks, 0) != 0)
        return -1;
    return cp_engine_complete(e);
}

void cp_engine_watch_boards(cp_engine *e, cp_board_changed_fn *fn, void *ctx) {
    e->board_changed = fn;
    e->board_ctx = ctx;
}

cp_outbox *cp_engine_outbox(cp_engine *e) {
    return &e->out;
}

void cp_engine_delivered(cp_engine *e, const char *agent, const char *id) {
    char *none = NULL;
    if (cp_outbox_push(&e->acked, CP_EMIT_ALERT, agent, id, none) != 0)
        cp_outbox_release(&e->out, agent, id); /* out of memory: a reload deletes it later */
}

/* The cached agent of that id (its partition is ours), or NULL. */
static cp_agent *cached_agent(void *ctx, const char *agent) {
    cp_engine *e = ctx;
    return cp_agentmap_find(&e->agents, agent, strlen(agent));
}

int cp_engine_housekeeping(cp_engine *e) {
    if (e->inflight ||
        (e->acked.n == 0 && e->nidle == 0 && e->board_ops.n == 0 && e->store.drained.n == 0 &&
         e->store.ndeleting == 0 && !cp_holds_wanted(&e->holds)))
        return 0;
    if (cp_redis_ensure(&e->redis) != 0)
        return -1;
    e->nwork = 0;
    /* nothing in flight: emptied outboxes leave their index before any
     * later write can put them back (cp_store_unindex_drained) */
    if (append_round(e) != 0 || read_round(e) < 0 ||
        cp_store_unindex_drained(&e->store, cached_agent, e) != 0) {
        fail_batch(e);
        return -1;
    }
    return 0;
}
