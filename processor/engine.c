/* engine.c -- the KPI engine (engine.h).
 *
 * One batch:
 *   group   events by agent, keeping each agent's events in offset order;
 *   load    read the states of agents not cached (pipelined);
 *   apply   per agent: skip replayed offsets and duplicate ids, add the
 *           rest to its panes, move it to its clock T (the larger of its
 *           partition's clock and its own newest event);
 *   slide   agents of partitions whose clock crossed a bucket, when their
 *           windows change without an event of their own;
 *   write   one versioned script per agent (pipelined), then the index.
 * A write refused for a stale version (another process wrote the agent)
 * reloads that agent and applies its events again; replays are skipped by
 * offset, so nothing is counted twice. A broken connection evicts every
 * agent the batch touched (their cached state may be ahead of Redis) and
 * returns -1: the consumer retries the batch when Redis is back. */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

#include "boards.h"
#include "log.h"
#include "messages.h"
#include "timefmt.h"

#define STALE_RETRIES 5

static void fail_batch(cp_engine *e);
static void boards_applied(cp_engine *e);

struct cp_work {
    char id[CP_AGENT_ID_MAX + 1];
    cp_agent *agent;
    int32_t head, tail; /* events of this agent in the batch; -1: a slide */
    int32_t partition;  /* of its last event in the batch */
    int64_t max_ts;     /* of its events in the batch */
    int64_t T;
    cp_step step;   /* what the batch changed */
    cp_outbox msgs; /* its alerts and rewards as messages */
    int commands;   /* Redis commands of its write */
    int done;       /* 0 to do, 1 nothing to store, 2 stored, 3 sent */
};

int cp_engine_init(cp_engine *e, const cp_config *cfg, char *err, size_t errsz) {
    cp_redis_url url;
    memset(e, 0, sizeof(*e));
    e->cfg = cfg;
    e->lateness_ms = (int64_t)cfg->lateness_s * 1000;
    cp_windows_from_config(&e->ws, cfg);
    cp_agentmap_init(&e->agents);
    e->step = (cp_step_ctx){&e->ws, &cfg->rules, cfg->daily_cap, e->lateness_ms};
    if (cp_redis_url_parse(cfg->redis_url, &url, err, errsz) != 0)
        return -1;
    cp_redis_init(&e->redis, &url, cfg->redis_timeout_ms);
    if (cp_store_init(&e->store, &e->redis, cfg, &e->ws) != 0) {
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
    cp_outbox_free(&e->out);
    cp_outbox_free(&e->acked);
    cp_board_ops_free(&e->board_ops);
    cp_board_ops_free(&e->board_sent);
    free(e->dirty);
    free(e->work);
    free(e->next);
    free(e->index_pending);
    free(e->idle);
    free(e->slid);
    free(e->clock_at);
    cp_agentmap_free(&e->agents);
    cp_store_free(&e->store);
    cp_redis_close(&e->redis);
}

int cp_engine_ready(cp_engine *e) {
    return cp_redis_ensure(&e->redis);
}

/* ---- work items ------------------------------------------------------------ */

static cp_work *add_work(cp_engine *e, cp_agent *a, int64_t T) {
    if (e->nwork == e->capwork) {
        size_t cap = e->capwork ? e->capwork * 2 : 256;
        cp_work *w = realloc(e->work, cap * sizeof(*w));
        if (!w)
            return NULL;
        memset(w + e->capwork, 0, (cap - e->capwork) * sizeof(*w));
        e->work = w;
        e->capwork = cap;
    }
    cp_work *w = &e->work[e->nwork];
    snprintf(w->id, sizeof(w->id), "%s", a->id);
    w->agent = a;
    w->head = w->tail = -1;
    w->partition = a->partition;
    w->max_ts = CP_NO_CLOCK;
    w->T = T;
    w->done = 0;
    w->commands = 0;
    cp_outbox_clear(&w->msgs);
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
    if (n > e->capnext) {
        int32_t *next = realloc(e->next, n * sizeof(*next));
        if (!next)
            return -1;
        e->next = next;
        e->capnext = n;
    }
    for (size_t i = 0; i < n; i++) {
        const cp_event *ev = evs[i].ev;
        cp_agent *a = cp_agentmap_get(&e->agents, ev->agent_id, ev->agent_id_len);
        if (!a)
            return -1;
        cp_work *w = a->slot >= 0 ? &e->work[a->slot] : add_work(e, a, CP_NO_CLOCK);
        if (!w)
            return -1;
        e->next[i] = -1;
        w->partition = evs[i].partition;
        if (ev->ts_ms > w->max_ts)
            w->max_ts = ev->ts_ms;
        if (w->tail >= 0)
            e->next[w->tail] = (int32_t)i;
        else
            w->head = (int32_t)i;
        w->tail = (int32_t)i;
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
        int rc = cp_store_read_load(&e->store, w->agent, &e->cfg->rules);
        if (rc == -1)
            return -1;
        if (rc == -2) {
            cp_error("agent %s: malformed state in Redis; starting it empty", w->id);
            cp_agent_rules_free(&w->agent->rules);
            if (cp_agent_rules_init(&w->agent->rules, e->cfg->rules.n) != 0)
                return -1;
            w->agent->loaded = 1;
        }
        e->stats.loads++;
    }
    return 0;
}

/* ---- apply ----------------------------------------------------------------- */

/* The agent's clock for this batch: its partition's, its newest event's,
 * and never earlier than what it already showed. */
static int64_t agent_clock(const cp_engine *e, const cp_work *w) {
    int64_t T = w->agent->as_of;
    int64_t c = clock_of(e, w->partition);
    if (c > T)
        T = c;
    if (w->max_ts > T)
        T = w->max_ts;
    return T;
}

/* ---- slide ----------------------------------------------------------------- */

static int64_t slid_clock(cp_engine *e, int32_t partition) {
    for (size_t i = 0; i < e->nslid; i++)
        if (e->slid[i].partition == partition)
            return e->slid[i].clock_ms;
    return CP_NO_CLOCK;
}

static void set_slid_clock(cp_engine *e, int32_t partition, int64_t clock) {
    for (size_t i = 0; i < e->nslid; i++) {
        if (e->slid[i].partition == partition) {
            e->slid[i].clock_ms = clock;
            return;
        }
    }
    cp_part_clock *s = realloc(e->slid, (e->nslid + 1) * sizeof(*s));
    if (!s)
        return;
    e->slid = s;
    e->slid[e->nslid++] = (cp_part_clock){partition, clock};
}

/* Has the partition's clock entered a new bucket or day since it last slid? */
static int clock_moved(const cp_engine *e, int64_t from, int64_t to) {
    return from == CP_NO_CLOCK || cp_bucket_of(&e->ws, to) != cp_bucket_of(&e->ws, from) ||
           cp_day_number(to, e->ws.day_offset_min) != cp_day_number(from, e->ws.day_offset_min);
}

/* An agent with empty windows and no id inside the lateness horizon needs
 * nothing from the cache: Redis has it all. */
static int idle(const cp_engine *e, const cp_agent *a, int64_t clock) {
    return a->w.n == 0 && a->rules.nopen == 0 &&
           (a->w.day != cp_day_number(clock, e->ws.day_offset_min) ||
            cp_sums_is_zero(&a->w.day_sums)) &&
           a->as_of < clock - e->lateness_ms;
}

/* Remember an idle agent, to drop it from its partition's index. */
static int note_idle(cp_engine *e, const cp_agent *a) {
    if (e->nidle == e->capidle) {
        size_t cap = e->capidle ? e->capidle * 2 : 64;
        cp_idle_agent *v = realloc(e->idle, cap * sizeof(*v));
        if (!v)
            return -1;
        e->idle = v;
        e->capidle = cap;
    }
    e->idle[e->nidle].partition = a->partition;
    memcpy(e->idle[e->nidle].id, a->id, sizeof(a->id));
    e->nidle++;
    return 0;
}

/* Work items for quiet agents whose windows slide at their partition's
 * clock; idle agents leave the cache. */
static int plan_slides(cp_engine *e, const cp_part_clock *clocks, size_t nclocks) {
    cp_agentmap_iter it;
    int any = 0;
    for (size_t i = 0; i < nclocks; i++) {
        if (clocks[i].clock_ms == CP_NO_CLOCK)
            continue;
        if (clock_moved(e, slid_clock(e, clocks[i].partition), clocks[i].clock_ms))
            any = 1;
    }
    if (!any)
        return 0;
    for (cp_agent *a = cp_agentmap_first(&e->agents, &it); a;
         a = cp_agentmap_next(&e->agents, &it)) {
        int64_t clock = clock_of(e, a->partition);
        if (a->slot >= 0 || !a->loaded || clock == CP_NO_CLOCK || clock <= a->as_of ||
            !clock_moved(e, slid_clock(e, a->partition), clock))
            continue;
        if (cp_wstore_slides(&a->w, &e->ws, a->as_of, clock) ||
            cp_rules_deadline_due(&e->cfg->rules, &a->rules, clock)) {
            if (!add_work(e, a, clock))
                return -1;
        } else if (idle(e, a, clock)) {
            /* its hashes are final: it leaves the cache, then the index */
            if (note_idle(e, a) != 0)
                return -1;
            cp_agentmap_remove(&e->agents, a);
        }
    }
    for (size_t i = 0; i < nclocks; i++)
        if (clocks[i].clock_ms != CP_NO_CLOCK)
            set_slid_clock(e, clocks[i].partition, clocks[i].clock_ms);
    return 0;
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
        if (cp_agent_step(&e->step, w->agent, evs, e->next, w->head, w->T, &w->step) != 0)
            return -1;
        if (!w->step.store) {
            count_outcome(e, w);
            w->done = 1;
        }
    }
    return 0;
}

/* The board a buddy is looked up on: the alert's window, or the first. */
static const char *buddy_window(const cp_engine *e, const cp_emit *m) {
    return m->rule->kind == CP_RULE_THRESHOLD ? m->rule->window : e->ws.w[0].name;
}

/* A firing alert names the best-scored other agent of the same team on
 * that window's board: one pipelined ZREVRANGE per alert (alerts are rare
 * next to events). */
static int lookup_buddies(cp_engine *e) {
    size_t asked = 0;
    for (size_t i = 0; i < e->nwork; i++) {
        cp_work *w = &e->work[i];
        for (size_t k = 0; w->done == 0 && k < w->step.emits.n; k++) {
            cp_emit *m = &w->step.emits.v[k];
            if (m->kind == CP_EMIT_ALERT && m->firing && w->agent->team[0]) {
                cp_redis_appendf(&e->redis, "ZREVRANGE %slb:team:%s:%s 0 1 WITHSCORES",
                                 e->cfg->redis_prefix, w->agent->team, buddy_window(e, m));
                asked++;
            }
        }
    }
    for (size_t i = 0; i < e->nwork && asked > 0; i++) {
        cp_work *w = &e->work[i];
        for (size_t k = 0; w->done == 0 && k < w->step.emits.n; k++) {
            cp_emit *m = &w->step.emits.v[k];
            if (m->kind != CP_EMIT_ALERT || !m->firing || !w->agent->team[0])
                continue;
            redisReply *r = cp_redis_read(&e->redis);
            if (!r)
                return -1;
            for (size_t j = 0; r->type == REDIS_REPLY_ARRAY && j + 1 < r->elements && !m->has_buddy;
                 j += 2) {
                if (strcmp(r->element[j]->str, w->agent->id) == 0)
                    continue;
                snprintf(m->buddy, sizeof(m->buddy), "%s", r->element[j]->str);
                m->buddy_score = strtod(r->element[j + 1]->str, NULL);
                m->has_buddy = 1;
            }
            freeReplyObject(r);
        }
    }
    return 0;
}

/* The emissions of a work item as messages. */
static int build_messages(cp_engine *e, cp_work *w) {
    cp_message_ctx mc = {w->agent->id, w->agent->team, &e->ws, e->cfg->daily_cap};
    cp_outbox_clear(&w->msgs);
    for (size_t k = 0; k < w->step.emits.n; k++) {
        const cp_emit *m = &w->step.emits.v[k];
        char *json = cp_message_json(&mc, m);
        if (!json || cp_outbox_push(&w->msgs, m->kind, w->agent->id, m->id, json) != 0)
            return -1;
    }
    return 0;
}

/* Pipeline the write of every computed work item (with its index entries
 * when they need renewing). Deletions of
 * acknowledged messages and idle agents' index entries go first. */
static int append_round(cp_engine *e) {
    for (size_t i = 0; i < e->nidle; i++)
        cp_store_append_unindex(&e->store, e->idle[i].partition, e->idle[i].id);
    for (size_t i = 0; i < e->acked.n; i++)
        cp_store_append_outbox_done(&e->store, e->acked.v[i].agent, e->acked.v[i].id);
    for (size_t i = 0; i < e->board_ops.n; i++)
        cp_store_append_board_op(&e->store, &e->board_ops.v[i]);
    e->housekeeping += e->nidle + e->acked.n + e->board_ops.n;
    e->stats.board_ops += e->board_ops.n;
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
    for (size_t i = 0; i < e->board_sent.n; i++) {
        const cp_board_op *op = &e->board_sent.v[i];
        if (op->kind == CP_BOARD_TEAM)
            continue;
        size_t k;
        for (k = 0; k < e->ndirty && strcmp(e->dirty[k].board, op->board) != 0; k++)
            ;
        if (k == e->ndirty) {
            if (e->ndirty == e->capdirty) {
                size_t cap = e->capdirty ? e->capdirty * 2 : 32;
                cp_dirty_board *d = realloc(e->dirty, cap * sizeof(*d));
                if (!d)
                    continue;
                e->dirty = d;
                e->capdirty = cap;
            }
            snprintf(e->dirty[k].board, sizeof(e->dirty[k].board), "%s", op->board);
            e->dirty[k].as_of = op->as_of;
            e->ndirty++;
        } else if (op->as_of > e->dirty[k].as_of) {
            e->dirty[k].as_of = op->as_of;
        }
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
        if (!w->agent)
            return -1;
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
        add_work(e, a, CP_NO_CLOCK);
}

/* Cache the agents of newly assigned partitions so their windows slide.
 * Entries older than the keys' expiry are dropped first. */
static int load_index(cp_engine *e) {
    if (e->nindex_pending == 0)
        return 0;
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

void cp_engine_assign(cp_engine *e, const cp_part_clock *partitions, size_t n) {
    cp_part_clock *p = realloc(e->index_pending, (n ? n : 1) * sizeof(*p));
    if (!p)
        return;
    memcpy(p, partitions, n * sizeof(*p));
    e->index_pending = p;
    e->nindex_pending = n;
}

void cp_engine_revoke(cp_engine *e) {
    if (e->inflight)
        fail_batch(e);
    cp_agentmap_clear(&e->agents);
    e->nindex_pending = 0;
    e->nslid = 0;
}

/* ---- the batch ---------------------------------------------------------------- */

/* Every pending item's clock for this batch (never earlier than before). */
static void set_clocks(cp_engine *e) {
    for (size_t i = 0; i < e->nwork; i++) {
        cp_work *w = &e->work[i];
        if (w->done)
            continue;
        int64_t T = agent_clock(e, w);
        if (T > w->T)
            w->T = T;
    }
}

/* Index the batch's partition clocks by partition id. */
static int keep_clocks(cp_engine *e, const cp_part_clock *clocks, size_t n) {
    size_t need = 0;
    for (size_t i = 0; i < n; i++)
        if (clocks[i].partition >= 0 && (size_t)clocks[i].partition + 1 > need)
            need = (size_t)clocks[i].partition + 1;
    if (need > e->capclock_at) {
        int64_t *c = realloc(e->clock_at, need * sizeof(*c));
        if (!c)
            return -1;
        e->clock_at = c;
        e->capclock_at = need;
    }
    for (size_t i = 0; i < need; i++)
        e->clock_at[i] = CP_NO_CLOCK;
    for (size_t i = 0; i < n; i++)
        if (clocks[i].partition >= 0)
            e->clock_at[clocks[i].partition] = clocks[i].clock_ms;
    e->nclock_at = need;
    return 0;
}

static void fail_batch(cp_engine *e) {
    e->housekeeping = 0;
    e->nidle = 0;
    for (size_t i = 0; i < e->board_sent.n; i++) /* idempotent: send them again */
        if (e->board_ops.n < e->board_ops.cap || cp_board_ops_reserve(&e->board_ops) == 0)
            e->board_ops.v[e->board_ops.n++] = e->board_sent.v[i];
    cp_board_ops_clear(&e->board_sent);
    if (e->redis.pending > 0) /* unread replies would answer later commands */
        cp_redis_disconnect(&e->redis);
    evict_all_work(e);
    clear_work(e);
    e->inflight = 0;
}

int cp_engine_submit(cp_engine *e, const cp_batch_event *evs, size_t n, const cp_part_clock *clocks,
                     size_t nclocks) {
    if (e->inflight && cp_engine_complete(e) != 0)
        return -1;
    if (cp_redis_ensure(&e->redis) != 0 || load_index(e) != 0)
        return -1;
    e->evs = evs;
    if (keep_clocks(e, clocks, nclocks) != 0 || group(e, evs, n) != 0 ||
        plan_slides(e, clocks, nclocks) != 0) {
        snprintf(e->redis.err, sizeof(e->redis.err), "out of memory");
        goto fail;
    }
    if (load_work(e) != 0)
        goto fail;
    set_clocks(e);
    if (send_round(e, evs) != 0 || cp_redis_flush(&e->redis) != 0)
        goto fail;
    e->inflight = 1;
    return 0;
fail:
    fail_batch(e);
    return -1;
}

int cp_engine_complete(cp_engine *e) {
    if (!e->inflight)
        return 0;
    int stale = read_round(e);
    for (int attempt = 0; stale > 0 && attempt < STALE_RETRIES; attempt++) {
        if (refresh_stale(e) != 0 || load_work(e) != 0)
            goto fail;
        set_clocks(e);
        if (send_round(e, e->evs) != 0)
            goto fail;
        stale = read_round(e);
    }
    if (stale != 0) {
        if (stale > 0)
            snprintf(e->redis.err, sizeof(e->redis.err),
                     "agent writes kept being refused as stale");
        goto fail;
    }
    clear_work(e);
    e->inflight = 0;
    return 0;
fail:
    fail_batch(e);
    return -1;
}

int cp_engine_apply(cp_engine *e, const cp_batch_event *evs, size_t n, const cp_part_clock *clocks,
                    size_t nclocks) {
    if (cp_engine_submit(e, evs, n, clocks, nclocks) != 0)
        return -1;
    return cp_engine_complete(e);
}

size_t cp_engine_take_dirty(cp_engine *e, cp_dirty_board *out, size_t max) {
    size_t n = e->ndirty < max ? e->ndirty : max;
    if (n == 0)
        return 0; /* e->dirty may be NULL: no memcpy from it */
    memcpy(out, e->dirty, n * sizeof(*out));
    memmove(e->dirty, e->dirty + n, (e->ndirty - n) * sizeof(*e->dirty));
    e->ndirty -= n;
    return n;
}

cp_outbox *cp_engine_outbox(cp_engine *e) {
    return &e->out;
}

void cp_engine_delivered(cp_engine *e, const char *agent, const char *id) {
    char *none = NULL;
    cp_outbox_push(&e->acked, CP_EMIT_ALERT, agent, id, none);
}

int cp_engine_housekeeping(cp_engine *e) {
    if (e->inflight || (e->acked.n == 0 && e->nidle == 0 && e->board_ops.n == 0))
        return 0;
    if (cp_redis_ensure(&e->redis) != 0)
        return -1;
    e->nwork = 0;
    if (append_round(e) != 0 || read_round(e) < 0) {
        fail_batch(e);
        return -1;
    }
    return 0;
}
