/* leaderboard.c -- publishing leaderboard updates (leaderboard.h).
 *
 * A board message goes through the one produce path (produce.h) with a
 * heap token naming its board and seq; when the broker acknowledges it,
 * the message is cleared from the board's publish state in Redis. One not
 * produced or not delivered is left there and produced again at the next
 * assignment (cp_publisher_recover).
 *
 * Redis errors: an error reply (NOSCRIPT after a SCRIPT FLUSH, BUSY, ...)
 * leaves the board marked and retried after RETRY_MS; the connection is
 * kept when its replies are in step, and cp_redis_ensure() loads the
 * scripts again after a NOSCRIPT (redis_io.h). */
#include "leaderboard.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"
#include "kafka_io.h"
#include "log.h"
#include "luascripts.h"
#include "produce.h"
#include "scorecard.h"

#define CAS_RETRY_MS 50
#define RETRY_MS     200 /* after a Redis error */

typedef struct board_token {
    cp_delivery d; /* must stay first */
    char board[CP_BOARD_ID_MAX];
    long long seq;
} board_token;

static void on_delivery(cp_delivery *d, const rd_kafka_message_t *rkm);

int cp_publisher_init(cp_publisher *p, const cp_config *cfg, rd_kafka_t *producer, char *err,
                      size_t errsz) {
    cp_redis_url url;
    memset(p, 0, sizeof(*p));
    p->cfg = cfg;
    p->producer = producer;
    if (cp_redis_url_parse(cfg->redis_url, &url, err, errsz) != 0)
        return -1;
    cp_redis_init(&p->redis, &url, cfg->redis_timeout_ms);
    /* board_publish.lua and board_acked.lua (luascripts.h) */
    if (cp_redis_add_script(&p->redis, &cp_lua_board_publish) != 0 ||
        cp_redis_add_script(&p->redis, &cp_lua_board_acked) != 0) {
        snprintf(err, errsz, "cannot register the board scripts");
        return -1;
    }
    return 0;
}

void cp_publisher_free(cp_publisher *p) {
    cp_redis_close(&p->redis);
    free(p->boards);
    memset(p, 0, sizeof(*p));
}

void cp_publisher_mark(cp_publisher *p, const char *board, int64_t as_of) {
    size_t k;
    for (k = 0; k < p->nboards && strcmp(p->boards[k].board, board) != 0; k++)
        ;
    if (k == p->nboards) {
        if (cp_grow(p->boards, p->capboards, p->nboards + 1) != 0)
            return;
        memset(&p->boards[k], 0, sizeof(p->boards[k]));
        snprintf(p->boards[k].board, sizeof(p->boards[k].board), "%s", board);
        p->nboards++;
    }
    cp_board_state *b = &p->boards[k];
    b->dirty = 1;
    if (as_of > b->as_of)
        b->as_of = as_of;
}

int cp_publisher_marked(const cp_publisher *p) {
    for (size_t i = 0; i < p->nboards; i++)
        if (p->boards[i].dirty)
            return 1;
    return 0;
}

int64_t cp_publisher_next_due(const cp_publisher *p, int64_t now) {
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < p->nboards; i++)
        if (p->boards[i].dirty && p->boards[i].due_ms < next)
            next = p->boards[i].due_ms < now ? now : p->boards[i].due_ms;
    return next;
}

/* ---- messages ------------------------------------------------------------------ */

char *cp_board_top(char **agents, char **teams, const double *scores, size_t n) {
    size_t size = 1;
    for (size_t i = 0; i < n; i++)
        size += strlen(agents[i]) + strlen(teams[i]) + 32;
    char *top = malloc(size), *at = top;
    if (!top)
        return NULL;
    *at = '\0';
    for (size_t i = 0; i < n; i++)
        at += sprintf(at, "%s\t%s\t%.1f\n", agents[i], teams[i], scores[i]);
    return top;
}

cp_publish_verdict cp_publish_decide(long long seq, const char *top, const char *prev_top,
                                     int64_t now_ms, int64_t last_at_ms, int interval_ms,
                                     int64_t *wait_ms) {
    *wait_ms = 0;
    if (seq > 0 && strcmp(top, prev_top ? prev_top : "") == 0)
        return CP_PUBLISH_UNCHANGED;
    if (last_at_ms > 0 && now_ms - last_at_ms < interval_ms) {
        int64_t wait = last_at_ms + interval_ms - now_ms;
        *wait_ms = wait < interval_ms ? wait : interval_ms;
        return CP_PUBLISH_LATER;
    }
    return CP_PUBLISH_NOW;
}

/* The 1-based rank of agent in a canonical top, or 0. */
static int prev_rank(const char *top, const char *agent) {
    size_t len = strlen(agent);
    int rank = 1;
    for (const char *line = top; *line; rank++) {
        if (strncmp(line, agent, len) == 0 && line[len] == '\t')
            return rank;
        const char *nl = strchr(line, '\n');
        if (!nl)
            break;
        line = nl + 1;
    }
    return 0;
}

/* board "all:15m" or "team:T:15m": its scope and window (the window is
 * after the last colon; window names have none). */
static void split_board(const char *board, char *scope, size_t ssize, char *window, size_t wsize) {
    const char *colon = strrchr(board, ':');
    snprintf(scope, ssize, "%.*s", (int)(colon - board), board);
    snprintf(window, wsize, "%s", colon + 1);
}

char *cp_board_message(const cp_config *cfg, const char *board, int64_t as_of, long long seq,
                       long long size, char **agents, char **teams, const double *scores, size_t n,
                       const char *prev_top) {
    char scope[CP_BOARD_ID_MAX], window[16];
    split_board(board, scope, sizeof(scope), window, sizeof(window));
    json_t *entries = json_array();
    for (size_t i = 0; i < n; i++) {
        int prev = prev_rank(prev_top, agents[i]);
        double score = (double)(long long)(scores[i] * 100 + (scores[i] >= 0 ? 0.5 : -0.5)) / 100;
        json_array_append_new(
            entries,
            json_pack("{s:i, s:s, s:o, s:f, s:s, s:o}", "rank", (int)i + 1, "agent_id", agents[i],
                      "team_id", teams[i][0] ? json_string(teams[i]) : json_null(), "score", score,
                      "tier", cp_tier_name(cp_tier_of(&cfg->scorecard, scores[i])), "prev_rank",
                      prev ? json_integer(prev) : json_null()));
    }
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:o}", "board", board, "scope", scope,
                          "window", window, "as_of", (json_int_t)as_of, "seq", (json_int_t)seq,
                          "size", (json_int_t)size, "entries", entries);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(o);
    return s;
}

/* ---- publishing ------------------------------------------------------------------ */

typedef struct board_read {
    char scope_team[CP_AGENT_ID_MAX + 1]; /* a team board's team */
    redisReply *top, *size, *state, *teams;
    char **agents, **teams_of;
    double *scores;
    size_t n;
} board_read;

static void free_read(board_read *r) {
    if (r->top)
        freeReplyObject(r->top);
    if (r->size)
        freeReplyObject(r->size);
    if (r->state)
        freeReplyObject(r->state);
    if (r->teams)
        freeReplyObject(r->teams);
    free(r->agents);
    free(r->teams_of);
    free(r->scores);
}

static const char *str_of(const redisReply *r) {
    return r && r->type == REDIS_REPLY_STRING ? r->str : NULL;
}

/* The board's top entries, size, publish state and (board "all") teams. */
static int read_board(cp_publisher *p, const char *board, board_read *r) {
    const char *pre = p->cfg->redis_prefix;
    memset(r, 0, sizeof(*r));
    cp_redis_appendf(&p->redis, "ZREVRANGE %slb:%s 0 %d WITHSCORES", pre, board, p->cfg->top_n - 1);
    cp_redis_appendf(&p->redis, "ZCARD %slb:%s", pre, board);
    cp_redis_appendf(&p->redis, "HMGET %slbpub:%s seq top at", pre, board);
    if (!(r->top = cp_redis_read(&p->redis)) || !(r->size = cp_redis_read(&p->redis)) ||
        !(r->state = cp_redis_read(&p->redis)))
        return -1;
    if (r->top->type != REDIS_REPLY_ARRAY || r->state->type != REDIS_REPLY_ARRAY ||
        r->state->elements != 3)
        return -1;
    r->n = r->top->elements / 2;
    r->agents = calloc(r->n + 1, sizeof(char *));
    r->teams_of = calloc(r->n + 1, sizeof(char *));
    r->scores = calloc(r->n + 1, sizeof(double));
    if (!r->agents || !r->teams_of || !r->scores)
        return -1;
    for (size_t i = 0; i < r->n; i++) {
        r->agents[i] = r->top->element[2 * i]->str;
        r->scores[i] = strtod(r->top->element[2 * i + 1]->str, NULL);
    }
    if (strncmp(board, "team:", 5) == 0) { /* the scope's team */
        const char *colon = strrchr(board, ':');
        snprintf(r->scope_team, sizeof(r->scope_team), "%.*s", (int)(colon - board - 5), board + 5);
        for (size_t i = 0; i < r->n; i++)
            r->teams_of[i] = r->scope_team;
        return 0;
    }
    if (r->n > 0) {
        const char **argv = calloc(r->n + 2, sizeof(char *));
        size_t *lens = calloc(r->n + 2, sizeof(size_t));
        char key[96];
        if (!argv || !lens) {
            free(argv);
            free(lens);
            return -1;
        }
        snprintf(key, sizeof(key), "%sagent-teams", pre);
        argv[0] = "HMGET";
        argv[1] = key;
        for (size_t i = 0; i < r->n; i++)
            argv[i + 2] = r->agents[i];
        for (size_t i = 0; i < r->n + 2; i++)
            lens[i] = strlen(argv[i]);
        cp_redis_append(&p->redis, (int)r->n + 2, argv, lens);
        free(argv);
        free(lens);
        if (!(r->teams = cp_redis_read(&p->redis)) || r->teams->type != REDIS_REPLY_ARRAY)
            return -1;
    }
    for (size_t i = 0; i < r->n; i++) {
        const char *t = r->teams && i < r->teams->elements ? str_of(r->teams->element[i]) : NULL;
        r->teams_of[i] = (char *)(t ? t : "");
    }
    return 0;
}

static void produce(cp_publisher *p, const char *board, long long seq, const char *json) {
    board_token *t = malloc(sizeof(*t));
    if (!t)
        return;
    t->d = (cp_delivery){on_delivery, p};
    snprintf(t->board, sizeof(t->board), "%s", board);
    t->seq = seq;
    cp_record r = {p->cfg->leaderboard_topic, board, strlen(board), json, strlen(json), NULL};
    rd_kafka_resp_err_t err = cp_produce(p->producer, &r, &t->d);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        cp_warn("board %s seq %lld not produced (%s); it waits in Redis", board, seq,
                rd_kafka_err2str(err));
        free(t);
        return;
    }
    p->in_flight++;
}

/* 1 published, 0 nothing to do (or not yet), -1 Redis failed. */
static int publish(cp_publisher *p, cp_board_state *b, int64_t now) {
    board_read r;
    int rc = -1;
    char key[CP_BOARD_ID_MAX + 80];
    if (read_board(p, b->board, &r) != 0)
        goto done;
    const char *seq_s = str_of(r.state->element[0]), *prev = str_of(r.state->element[1]);
    const char *at_s = str_of(r.state->element[2]);
    long long seq = seq_s ? atoll(seq_s) : 0;
    int64_t wall = cp_now_wall_ms(), at = at_s ? atoll(at_s) : 0;
    char *top = cp_board_top(r.agents, r.teams_of, r.scores, r.n);
    if (!top)
        goto done;
    rc = 0;
    int64_t wait_ms;
    cp_publish_verdict v =
        cp_publish_decide(seq, top, prev, wall, at, p->cfg->publish_interval_ms, &wait_ms);
    if (v == CP_PUBLISH_UNCHANGED) {
        b->dirty = 0; /* nothing a wallboard would see */
        p->unchanged++;
    } else if (v == CP_PUBLISH_LATER) {
        b->due_ms = now + wait_ms;
    } else {
        char *json = cp_board_message(p->cfg, b->board, b->as_of, seq + 1,
                                      r.size->type == REDIS_REPLY_INTEGER ? r.size->integer : 0,
                                      r.agents, r.teams_of, r.scores, r.n, prev ? prev : "");
        char seqbuf[24], atbuf[24];
        snprintf(key, sizeof(key), "%slbpub:%s", p->cfg->redis_prefix, b->board);
        snprintf(seqbuf, sizeof(seqbuf), "%lld", seq);
        snprintf(atbuf, sizeof(atbuf), "%lld", (long long)wall);
        const char *argv[] = {"1", key, seqbuf, top, atbuf, json ? json : "{}"};
        size_t lens[6];
        for (int i = 0; i < 6; i++)
            lens[i] = strlen(argv[i]);
        cp_redis_appendf(&p->redis, "SADD %slbpub-boards %s", p->cfg->redis_prefix, b->board);
        cp_redis_append_script(&p->redis, &cp_lua_board_publish, 6, argv, lens);
        redisReply *added = cp_redis_read(&p->redis),
                   *cas = added ? cp_redis_read(&p->redis) : NULL;
        if (!cas) {
            rc = -1;
        } else if (cas->type == REDIS_REPLY_ERROR) { /* NOSCRIPT, BUSY, ...: retried */
            snprintf(p->redis.err, sizeof(p->redis.err), "publishing %s: %.400s", b->board,
                     cas->str);
            rc = -1;
        } else if (cas->type == REDIS_REPLY_INTEGER && cas->integer == seq + 1 && json) {
            produce(p, b->board, seq + 1, json);
            b->dirty = 0;
            b->due_ms = now + p->cfg->publish_interval_ms;
            p->published++;
            rc = 1;
        } else {
            b->due_ms = now + CAS_RETRY_MS; /* another process published: read again */
        }
        if (added)
            freeReplyObject(added);
        if (cas)
            freeReplyObject(cas);
        free(json);
    }
    free(top);
done:
    free_read(&r);
    return rc;
}

/* Redis failed: every board due now waits RETRY_MS (the consumer poll
 * sleeps until then, cp_publisher_next_due). */
static void retry_later(cp_publisher *p, int64_t now) {
    if (p->redis.pending > 0) /* replies out of step */
        cp_redis_disconnect(&p->redis);
    for (size_t i = 0; i < p->nboards; i++)
        if (p->boards[i].dirty && p->boards[i].due_ms <= now)
            p->boards[i].due_ms = now + RETRY_MS;
}

int cp_publisher_run(cp_publisher *p) {
    int64_t now = cp_now_mono_ms();
    int published = 0;
    for (size_t i = 0; i < p->nboards; i++) {
        cp_board_state *b = &p->boards[i];
        if (!b->dirty || b->due_ms > now)
            continue;
        int rc = cp_redis_ensure(&p->redis) != 0 ? -1 : publish(p, b, now);
        if (rc < 0) {
            retry_later(p, now);
            return -1;
        }
        published += rc;
    }
    return published;
}

/* Produce the pending message of each board whose state reply (NULL for
 * a member that is not a string) holds one. */
static void produce_pending(cp_publisher *p, const redisReply *boards, redisReply **states) {
    for (size_t i = 0; i < boards->elements; i++) {
        const redisReply *r = states[i];
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && str_of(r->element[1]) &&
            str_of(r->element[0]))
            produce(p, boards->element[i]->str, atoll(r->element[0]->str), r->element[1]->str);
    }
}

int cp_publisher_recover(cp_publisher *p) {
    int rc = -1;
    size_t got = 0;
    redisReply **states = NULL;
    if (cp_redis_ensure(&p->redis) != 0)
        return -1;
    redisReply *boards =
        cp_redis_command(&p->redis, "SMEMBERS %slbpub-boards", p->cfg->redis_prefix);
    if (!boards)
        return -1;
    if (boards->type != REDIS_REPLY_ARRAY) { /* an error reply: retried */
        snprintf(p->redis.err, sizeof(p->redis.err), "reading lbpub-boards: %.400s",
                 boards->type == REDIS_REPLY_ERROR ? boards->str : "unexpected reply");
        goto done;
    }
    if (!(states = calloc(boards->elements + 1, sizeof(*states))))
        goto done;
    for (size_t i = 0; i < boards->elements; i++)
        if (str_of(boards->element[i]))
            cp_redis_appendf(&p->redis, "HMGET %slbpub:%s seq pending", p->cfg->redis_prefix,
                             boards->element[i]->str);
    /* every reply is read before producing: a delivery report served
     * while producing uses this connection (on_delivery) */
    for (; got < boards->elements; got++)
        if (str_of(boards->element[got]) && !(states[got] = cp_redis_read(&p->redis)))
            goto done;
    produce_pending(p, boards, states);
    rc = 0;
done:
    for (size_t i = 0; states && i < boards->elements; i++)
        if (states[i])
            freeReplyObject(states[i]);
    free(states);
    freeReplyObject(boards);
    return rc;
}

/* The broker's report on one board message (a cp_delivery_fn). */
static void on_delivery(cp_delivery *d, const rd_kafka_message_t *rkm) {
    board_token *t = (board_token *)d;
    cp_publisher *p = d->sender;
    char key[CP_BOARD_ID_MAX + 80], seq[24];
    p->in_flight--;
    if (rkm->err) {
        cp_warn("board %s seq %lld not delivered (%s); it is produced again at the next "
                "assignment",
                t->board, t->seq, rd_kafka_err2str(rkm->err));
        free(t);
        return;
    }
    snprintf(key, sizeof(key), "%slbpub:%s", p->cfg->redis_prefix, t->board);
    snprintf(seq, sizeof(seq), "%lld", t->seq);
    const char *argv[] = {"1", key, seq};
    size_t lens[] = {1, strlen(key), strlen(seq)};
    /* not while replies are due on the connection (produce() polls from
     * inside a read loop): the message then stays pending and the next
     * assignment produces it again */
    redisReply *r =
        p->redis.pending == 0 ? cp_redis_eval(&p->redis, &cp_lua_board_acked, 3, argv, lens) : NULL;
    if (!r || r->type == REDIS_REPLY_ERROR)
        cp_debug("board %s seq %lld: acknowledgement not recorded (%s); produced again at the "
                 "next assignment",
                 t->board, t->seq, r ? r->str : p->redis.err);
    if (r)
        freeReplyObject(r);
    free(t);
}
