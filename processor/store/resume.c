/* resume.c -- partitions' resume positions in Redis (resume.h). */
#include "resume.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "agentlayout.h"
#include "log.h"
#include "luascripts.h"

int cp_resume_init(cp_redis *r) {
    return cp_redis_add_script(r, &cp_lua_resume_write);
}

/* A decimal field of the claim's HMGET; "" or nil: none (0), else -1 when
 * it is not a number. */
static int field(const redisReply *f, int64_t *out, int *present) {
    *present = 0;
    if (f->type == REDIS_REPLY_NIL || (f->type == REDIS_REPLY_STRING && f->len == 0))
        return 0;
    if (f->type != REDIS_REPLY_STRING || cp_layout_parse_i64(f->str, f->len, out) != 0)
        return -1;
    *present = 1;
    return 0;
}

int cp_resume_claim(cp_redis *r, const char *prefix, int32_t partition, int64_t *epoch,
                    cp_hold *found) {
    redisReply *inc = NULL, *get = NULL;
    int rc = -1, has_offset, has_clock;
    *found = (cp_hold){partition, -1, INT64_MIN};
    cp_redis_appendf(r, "HINCRBY " CP_KEY_RESUME " e 1", prefix, (int)partition);
    cp_redis_appendf(r, "HMGET " CP_KEY_RESUME " o c", prefix, (int)partition);
    if (cp_redis_flush(r) != 0 || !(inc = cp_redis_read(r)) || !(get = cp_redis_read(r)))
        goto done;
    if (inc->type != REDIS_REPLY_INTEGER || get->type != REDIS_REPLY_ARRAY || get->elements != 2) {
        snprintf(r->err, sizeof(r->err), "claiming partition %d: unexpected replies",
                 (int)partition);
        goto done;
    }
    if (field(get->element[0], &found->offset, &has_offset) != 0 ||
        field(get->element[1], &found->clock_ms, &has_clock) != 0) {
        /* not ours to guess: a claim that failed forever would stop the floor */
        cp_error("the resume position of partition %d is malformed: ignored", (int)partition);
        has_offset = has_clock = 0;
    }
    if (!has_offset)
        found->offset = -1;
    if (!has_clock)
        found->clock_ms = INT64_MIN;
    *epoch = inc->integer;
    rc = 0;
done:
    if (inc)
        freeReplyObject(inc);
    if (get)
        freeReplyObject(get);
    return rc;
}

void cp_resume_append_write(cp_redis *r, const char *prefix, int64_t epoch, const cp_hold *h) {
    char key[128], e[24], o[24] = "", c[24] = "";
    snprintf(key, sizeof(key), CP_KEY_RESUME, prefix, (int)h->partition);
    snprintf(e, sizeof(e), "%" PRId64, epoch);
    if (h->offset >= 0)
        snprintf(o, sizeof(o), "%" PRId64, h->offset);
    if (h->offset >= 0 && h->clock_ms != INT64_MIN)
        snprintf(c, sizeof(c), "%" PRId64, h->clock_ms);
    const char *argv[] = {"1", key, e, o, c};
    size_t len[5];
    for (int i = 0; i < 5; i++)
        len[i] = strlen(argv[i]);
    cp_redis_append_script(r, &cp_lua_resume_write, 5, argv, len);
}

int cp_resume_read_write(cp_redis *r) {
    redisReply *reply = cp_redis_read(r);
    if (!reply)
        return -1;
    int rc = reply->type == REDIS_REPLY_INTEGER ? (reply->integer == 1) : -1;
    if (rc < 0 && reply->type == REDIS_REPLY_ERROR)
        snprintf(r->err, sizeof(r->err), "resume position: %s", reply->str);
    freeReplyObject(reply);
    return rc;
}
