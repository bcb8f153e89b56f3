/* leaderboard.c -- publishing leaderboard updates (leaderboard.h).
 *
 * A board message goes through the one produce path (produce.h) with a
 * heap token naming its board and seq; when the broker acknowledges it,
 * the message is cleared from the board's publish state in Redis. One not
 * produced or not delivered is left there and produced again at the next
 * assignment (cp_publisher_recover).
 *
 * The boards due are published together, in three pipelined round trips
 * (read back, the "all" boards' teams, compare-and-set), so the consumer
 * loop waits on Redis three times per pass, not three times per board.
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
#include "numfmt.h"
#include "produce.h"
#include "scorecard.h"

#define CAS_RETRY_MS 50
#define RETRY_MS     200 /* after a Redis error */
#define PUBLISH_MAX  64  /* boards read back per pipelined pass */

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
        size += strlen(agents[i]) + strlen(teams[i]) + CP_NUM_TEXT_MAX + 3;
    char *top = malloc(size), *at = top;
    if (!top)
        return NULL;
    for (size_t i = 0; i < n; i++) { /* "%s\t%s\t%.1f\n" */
        size_t a = strlen(agents[i]), t = strlen(teams[i]);
        memcpy(at, agents[i], a);
        at[a] = '\t';
        memcpy(at + a + 1, teams[i], t);
        at += a + t + 2;
        at[-1] = '\t';
        at += cp_fmt_fixed(scores[i], 1, at);
        *at++ = '\n';
    }
    *at = '\0';
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

/* One due board in a publishing pass: what was read, and what was sent. */
typedef struct board_job {
    cp_board_state *b;
    char scope_team[CP_AGENT_ID_MAX + 1]; /* a team board's team */
    redisReply *top, *size, *state, *teams;
    char **agents, **teams_of;
    double *scores;
    size_t n;
    char *canon, *json; /* the canonical top and the message, when publishing */
    long long seq;      /* the seq read; the message gets seq + 1 */
    int failed, cas_sent, cas_ok;
} board_job;

static void free_job(board_job *j) {
    redisReply *replies[] = {j->top, j->size, j->state, j->teams};
    for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++)
        if (replies[i])
            freeReplyObject(replies[i]);
    free(j->agents);
    free(j->teams_of);
    free(j->scores);
    free(j->canon);
    free(j->json);
}

static const char *str_of(const redisReply *r) {
    return r && r->type == REDIS_REPLY_STRING ? r->str : NULL;
}

/* A failed board waits RETRY_MS; the reason goes to the publisher's err. */
static void job_failed(cp_publisher *p, board_job *j, int64_t now, const redisReply *reply) {
    j->failed = 1;
    j->b->due_ms = now + RETRY_MS;
    if (reply && reply->type == REDIS_REPLY_ERROR)
        snprintf(p->redis.err, sizeof(p->redis.err), "publishing %s: %.400s", j->b->board,
                 reply->str);
}

static void append_read(cp_publisher *p, const char *board) {
    const char *pre = p->cfg->redis_prefix;
    cp_redis_appendf(&p->redis, "ZREVRANGE %slb:%s 0 %d WITHSCORES", pre, board, p->cfg->top_n - 1);
    cp_redis_appendf(&p->redis, "ZCARD %slb:%s", pre, board);
    cp_redis_appendf(&p->redis, "HMGET %slbpub:%s seq top at", pre, board);
}

/* The board's top entries, size and publish state: 0, 1 when they are
 * not what was asked for (an error reply), -1 when the connection broke. */
static int read_board(cp_publisher *p, board_job *j) {
    if (!(j->top = cp_redis_read(&p->redis)) || !(j->size = cp_redis_read(&p->redis)) ||
        !(j->state = cp_redis_read(&p->redis)))
        return -1;
    if (j->top->type != REDIS_REPLY_ARRAY || j->state->type != REDIS_REPLY_ARRAY ||
        j->state->elements != 3)
        return 1;
    j->n = j->top->elements / 2;
    j->agents = calloc(j->n + 1, sizeof(char *));
    j->teams_of = calloc(j->n + 1, sizeof(char *));
    j->scores = calloc(j->n + 1, sizeof(double));
    if (!j->agents || !j->teams_of || !j->scores)
        return 1;
    for (size_t i = 0; i < j->n; i++) {
        j->agents[i] = j->top->element[2 * i]->str;
        j->scores[i] = strtod(j->top->element[2 * i + 1]->str, NULL);
        j->teams_of[i] = "";
    }
    if (strncmp(j->b->board, "team:", 5) == 0) { /* the scope's team */
        const char *colon = strrchr(j->b->board, ':');
        snprintf(j->scope_team, sizeof(j->scope_team), "%.*s", (int)(colon - j->b->board - 5),
                 j->b->board + 5);
        for (size_t i = 0; i < j->n; i++)
            j->teams_of[i] = j->scope_team;
    }
    return 0;
}

/* Board "all": its entries' teams (HMGET agent-teams). 0, or -1 out of memory. */
static int append_teams(cp_publisher *p, board_job *j) {
    const char **argv = calloc(j->n + 2, sizeof(char *));
    size_t *lens = calloc(j->n + 2, sizeof(size_t));
    char key[96];
    if (!argv || !lens) {
        free(argv);
        free(lens);
        return -1;
    }
    snprintf(key, sizeof(key), "%sagent-teams", p->cfg->redis_prefix);
    argv[0] = "HMGET";
    argv[1] = key;
    for (size_t i = 0; i < j->n; i++)
        argv[i + 2] = j->agents[i];
    for (size_t i = 0; i < j->n + 2; i++)
        lens[i] = strlen(argv[i]);
    cp_redis_append(&p->redis, (int)j->n + 2, argv, lens);
    free(argv);
    free(lens);
    return 0;
}

static int needs_teams(const board_job *j) {
    return !j->failed && j->n > 0 && strncmp(j->b->board, "team:", 5) != 0;
}

/* 0, 1 an error reply, -1 the connection broke. */
static int read_teams(cp_publisher *p, board_job *j) {
    if (!(j->teams = cp_redis_read(&p->redis)))
        return -1;
    if (j->teams->type != REDIS_REPLY_ARRAY)
        return 1;
    for (size_t i = 0; i < j->n; i++) {
        const char *t = i < j->teams->elements ? str_of(j->teams->element[i]) : NULL;
        j->teams_of[i] = (char *)(t ? t : "");
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

/* Decide on a board read back: unchanged (unmarked), later (its turn
 * comes), or now: the compare-and-set that takes the next seq is appended
 * (SADD lbpub-boards, board_publish.lua). */
static void decide(cp_publisher *p, board_job *j, int64_t now, int64_t wall) {
    cp_board_state *b = j->b;
    const char *seq_s = str_of(j->state->element[0]), *prev = str_of(j->state->element[1]);
    const char *at_s = str_of(j->state->element[2]);
    int64_t at = at_s ? atoll(at_s) : 0, wait_ms;
    j->seq = seq_s ? atoll(seq_s) : 0;
    if (!(j->canon = cp_board_top(j->agents, j->teams_of, j->scores, j->n))) {
        job_failed(p, j, now, NULL);
        return;
    }
    cp_publish_verdict v =
        cp_publish_decide(j->seq, j->canon, prev, wall, at, p->cfg->publish_interval_ms, &wait_ms);
    if (v == CP_PUBLISH_UNCHANGED) {
        b->dirty = 0; /* nothing a wallboard would see */
        p->unchanged++;
        return;
    }
    if (v == CP_PUBLISH_LATER) {
        b->due_ms = now + wait_ms;
        return;
    }
    j->json = cp_board_message(p->cfg, b->board, b->as_of, j->seq + 1,
                               j->size->type == REDIS_REPLY_INTEGER ? j->size->integer : 0,
                               j->agents, j->teams_of, j->scores, j->n, prev ? prev : "");
    if (!j->json) {
        job_failed(p, j, now, NULL);
        return;
    }
    char key[CP_BOARD_ID_MAX + 80], seqbuf[24], atbuf[24];
    snprintf(key, sizeof(key), "%slbpub:%s", p->cfg->redis_prefix, b->board);
    snprintf(seqbuf, sizeof(seqbuf), "%lld", j->seq);
    snprintf(atbuf, sizeof(atbuf), "%lld", (long long)wall);
    const char *argv[] = {"1", key, seqbuf, j->canon, atbuf, j->json};
    size_t lens[6];
    for (int i = 0; i < 6; i++)
        lens[i] = strlen(argv[i]);
    cp_redis_appendf(&p->redis, "SADD %slbpub-boards %s", p->cfg->redis_prefix, b->board);
    cp_redis_append_script(&p->redis, &cp_lua_board_publish, 6, argv, lens);
    j->cas_sent = 1;
}

/* The compare-and-set's answer: 0, 1 an error reply, -1 the connection broke. */
static int read_cas(cp_publisher *p, board_job *j, int64_t now) {
    redisReply *added = cp_redis_read(&p->redis), *cas = added ? cp_redis_read(&p->redis) : NULL;
    int rc = 0;
    if (!cas) {
        rc = -1;
    } else if (cas->type == REDIS_REPLY_ERROR) { /* NOSCRIPT, BUSY, ...: retried */
        job_failed(p, j, now, cas);
        rc = 1;
    } else if (cas->type == REDIS_REPLY_INTEGER && cas->integer == j->seq + 1) {
        j->cas_ok = 1;
        j->b->dirty = 0;
        j->b->due_ms = now + p->cfg->publish_interval_ms;
        p->published++;
    } else {
        j->b->due_ms = now + CAS_RETRY_MS; /* another process published: read again */
    }
    if (added)
        freeReplyObject(added);
    if (cas)
        freeReplyObject(cas);
    return rc;
}

/* Read one reply (or group) per job that sent it, in order. -1 when the
 * connection broke (the rest is not read), else the number of jobs whose
 * reply was an error (those are marked failed). */
typedef int (*job_reader)(cp_publisher *p, board_job *j, int64_t now);

static int read_board_job(cp_publisher *p, board_job *j, int64_t now) {
    int rc = read_board(p, j);
    if (rc > 0)
        job_failed(p, j, now, j->top && j->top->type == REDIS_REPLY_ERROR ? j->top : j->state);
    return rc;
}

static int read_teams_job(cp_publisher *p, board_job *j, int64_t now) {
    if (!needs_teams(j))
        return 0;
    int rc = read_teams(p, j);
    if (rc > 0)
        job_failed(p, j, now, j->teams);
    return rc;
}

static int read_cas_job(cp_publisher *p, board_job *j, int64_t now) {
    return j->cas_sent ? read_cas(p, j, now) : 0;
}

static int read_all(cp_publisher *p, board_job *jobs, size_t n, int64_t now, job_reader fn) {
    int errors = 0;
    for (size_t i = 0; i < n; i++) {
        int rc = fn(p, &jobs[i], now);
        if (rc < 0)
            return -1;
        errors += rc;
    }
    return errors;
}

/* One pass over at most PUBLISH_MAX due boards, in three pipelined round
 * trips: read them all, read the teams of the "all" boards, send the
 * compare-and-sets; the messages are produced once every reply is read
 * (a delivery report served meanwhile uses this connection). */
static int publish_due(cp_publisher *p, board_job *jobs, size_t n, int64_t now) {
    int64_t wall = cp_now_wall_ms();
    int errors = 0, rc, published = 0;
    for (size_t i = 0; i < n; i++)
        append_read(p, jobs[i].b->board);
    if ((rc = read_all(p, jobs, n, now, read_board_job)) < 0)
        return -1;
    errors += rc;
    for (size_t i = 0; i < n; i++)
        if (needs_teams(&jobs[i]) && append_teams(p, &jobs[i]) != 0)
            cp_redis_fail_unsent(&p->redis, "out of memory reading a board's teams");
    if ((rc = read_all(p, jobs, n, now, read_teams_job)) < 0)
        return -1;
    errors += rc;
    for (size_t i = 0; i < n; i++)
        if (!jobs[i].failed)
            decide(p, &jobs[i], now, wall);
    rc = read_all(p, jobs, n, now, read_cas_job);
    for (size_t i = 0; i < n; i++) /* those confirmed, even if a later reply broke */
        if (jobs[i].cas_ok) {
            produce(p, jobs[i].b->board, jobs[i].seq + 1, jobs[i].json);
            published++;
        }
    if (rc < 0)
        return -1;
    return errors + rc > 0 ? -1 : published;
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
    board_job jobs[PUBLISH_MAX];
    size_t n = 0;
    int rc;
    for (size_t i = 0; i < p->nboards && n < PUBLISH_MAX; i++)
        if (p->boards[i].dirty && p->boards[i].due_ms <= now) {
            memset(&jobs[n], 0, sizeof(jobs[n]));
            jobs[n++].b = &p->boards[i];
        }
    if (n == 0)
        return 0;
    rc = cp_redis_ensure(&p->redis) != 0 ? -1 : publish_due(p, jobs, n, now);
    if (rc < 0)
        retry_later(p, now);
    for (size_t i = 0; i < n; i++)
        free_job(&jobs[i]);
    return rc;
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
