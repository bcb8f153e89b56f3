/* checks.c -- comparing what callpulse stored in Redis with the oracle
 * (checks.h). */
#include "checks.h"

#include <check.h>
#include <hiredis/hiredis.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct check_window check_windows[CHECK_WINDOWS] = {
    {"15m", {900}}, {"60m", {3600}}, {"day", {0}}};

/* A quiet agent's sliding window must have slid past its last event that
 * counts (agent_state adds nothing to any sum) without an event of its
 * own: by the end of the stream its window starts after that bucket. */
static int check_slid(const stream *s, const char *agent, int64_t window_s, char **fields, size_t n,
                      char *why, size_t whysz) {
    int64_t last = 0, as_of = -1;
    for (size_t i = 0; i < s->n; i++) /* agent_state adds nothing to slide out */
        if (s->evs[i].accepted == 1 && s->evs[i].type != O_STATE &&
            strcmp(s->evs[i].agent, agent) == 0 && s->evs[i].ts > last)
            last = s->evs[i].ts;
    for (size_t i = 0; i + 1 < n; i += 2)
        if (strcmp(fields[i], "as_of") == 0)
            as_of = strtoll(fields[i + 1], NULL, 10);
    /* the window at as_of starts after the bucket of the last event */
    if (as_of / STREAM_BUCKET - window_s * 1000 / STREAM_BUCKET + 1 <= last / STREAM_BUCKET) {
        snprintf(why, whysz, "quiet %s: window not slid (as_of %lld, last event %lld)", agent,
                 (long long)as_of, (long long)last);
        return -1;
    }
    return 0;
}

/* Every agent with an accepted event has its three hashes, each equal to
 * the oracle at its as_of. Returns how many hashes were compared. */
int check_kpi_hashes(h_env *e, stream *s, int agents, int quiet) {
    char why[512];
    int compared = 0;
    stream_accept(s);
    redisContext *rc = h_redis_connect(e);
    for (int a = 0; a < agents; a++) {
        char agent[16];
        snprintf(agent, sizeof(agent), "a%d", a);
        for (size_t k = 0; k < 3; k++) {
            redisReply *r =
                redisCommand(rc, "HGETALL cp:kpi:{%s}:%s", agent, check_windows[k].name);
            ck_assert_msg(r && r->type == REDIS_REPLY_ARRAY && r->elements > 0,
                          "no hash cp:kpi:{%s}:%s", agent, check_windows[k].name);
            char **fields = malloc(r->elements * sizeof(char *));
            for (size_t f = 0; f < r->elements; f++)
                fields[f] = r->element[f]->str;
            int ok = o_check_hash(s->evs, s->n, agent, check_windows[k].w, STREAM_BUCKET,
                                  s->day_offset_min, fields, r->elements, why, sizeof(why));
            if (ok == 0 && a >= agents - quiet && check_windows[k].w.seconds > 0)
                ok = check_slid(s, agent, check_windows[k].w.seconds, fields, r->elements, why,
                                sizeof(why));
            free(fields);
            freeReplyObject(r);
            ck_assert_msg(ok == 0, "%s %s: %s", agent, check_windows[k].name, why);
            compared++;
        }
    }
    redisFree(rc);
    return compared;
}

static int64_t hash_as_of(redisContext *rc, const char *agent, const char *window) {
    redisReply *r = redisCommand(rc, "HGET cp:kpi:{%s}:%s as_of", agent, window);
    ck_assert_msg(r && r->type == REDIS_REPLY_STRING, "no hash for %s %s", agent, window);
    int64_t as_of = strtoll(r->str, NULL, 10);
    freeReplyObject(r);
    return as_of;
}

/* The agent's score on a board, or NAN when it is not a member. */
static double zscore(redisContext *rc, const char *board, const char *agent) {
    redisReply *r = redisCommand(rc, "ZSCORE cp:lb:%s %s", board, agent);
    double v = r && r->type == REDIS_REPLY_STRING ? strtod(r->str, NULL) : NAN;
    freeReplyObject(r);
    return v;
}

long long check_zcard(redisContext *rc, const char *board) {
    redisReply *r = redisCommand(rc, "ZCARD cp:lb:%s", board);
    long long n = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;
    freeReplyObject(r);
    return n;
}

/* Membership and scores of every agent on lb:all and its team's board. */
static void check_members(redisContext *rc, const stream *s, int agents, int quiet) {
    for (int w = 0; w < CHECK_WINDOWS; w++) {
        long long members = 0;
        char all[64];
        snprintf(all, sizeof(all), "all:%s", check_windows[w].name);
        for (int a = 0; a < agents; a++) {
            char agent[16], team_board[64];
            snprintf(agent, sizeof(agent), "a%d", a);
            int64_t T = hash_as_of(rc, agent, check_windows[w].name);
            double want = 0;
            int has = o_score(s->evs, s->n, agent, check_windows[w].w, T, STREAM_BUCKET,
                              s->day_offset_min, &want);
            const char *team = o_last_team(s->evs, s->n, agent);
            if (a >= agents - quiet && check_windows[w].w.seconds > 0)
                ck_assert_msg(!has, "quiet %s still scored over %s: the stream is wrong", agent,
                              check_windows[w].name);
            members += has;
            double got = zscore(rc, all, agent);
            ck_assert_msg(has == !isnan(got), "%s on %s: member %d, oracle %d", agent, all,
                          !isnan(got), has);
            ck_assert_msg(!has || fabs(got - want) < 0.0101, "%s on %s: %.4f, oracle %.4f", agent,
                          all, got, want);
            ck_assert_msg(team[0], "%s has no team: the stream is wrong", agent);
            snprintf(team_board, sizeof(team_board), "team:%s:%s", team, check_windows[w].name);
            double in_team = zscore(rc, team_board, agent);
            ck_assert_msg(has == !isnan(in_team) && (!has || in_team == got),
                          "%s on %s: %.4f, on %s: %.4f", agent, team_board, in_team, all, got);
        }
        ck_assert_int_eq(check_zcard(rc, all), members);
        ck_assert_msg(members > 0, "nobody on %s", all);
    }
}

/* No agent is on a team board other than its last team's. */
static void check_team_boards(redisContext *rc, const stream *s, int agents) {
    redisReply *keys = redisCommand(rc, "KEYS cp:lb:team:*");
    ck_assert(keys && keys->type == REDIS_REPLY_ARRAY);
    ck_assert_int_ge(keys->elements, 3 * CHECK_WINDOWS);
    for (size_t k = 0; k < keys->elements; k++) {
        char team[32];
        const char *rest = keys->element[k]->str + strlen("cp:lb:team:");
        snprintf(team, sizeof(team), "%.*s", (int)(strrchr(rest, ':') - rest), rest);
        redisReply *m = redisCommand(rc, "ZRANGE %s 0 -1", keys->element[k]->str);
        for (size_t i = 0; i < m->elements; i++)
            ck_assert_msg(strcmp(o_last_team(s->evs, s->n, m->element[i]->str), team) == 0,
                          "%s on %s, last team %s", m->element[i]->str, keys->element[k]->str,
                          o_last_team(s->evs, s->n, m->element[i]->str));
        freeReplyObject(m);
    }
    freeReplyObject(keys);
    for (int a = 0; a < agents; a++) {
        char agent[16];
        snprintf(agent, sizeof(agent), "a%d", a);
        redisReply *r = redisCommand(rc, "HGET cp:agent-teams %s", agent);
        ck_assert_msg(r && r->type == REDIS_REPLY_STRING &&
                          strcmp(r->str, o_last_team(s->evs, s->n, agent)) == 0,
                      "agent-teams %s: %s", agent, r && r->str ? r->str : "(none)");
        freeReplyObject(r);
    }
}

void check_boards(h_env *e, const stream *s, int agents, int quiet) {
    redisContext *rc = h_redis_connect(e);
    check_members(rc, s, agents, quiet);
    check_team_boards(rc, s, agents);
    redisFree(rc);
}
