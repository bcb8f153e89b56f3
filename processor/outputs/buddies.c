/* buddies.c -- looking up firing alerts' buddies on their team's board
 * (buddies.h). */
#include "buddies.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "messages.h"
#include "rules.h"

int cp_buddy_wanted(const cp_emit *m) {
    return m->kind == CP_EMIT_ALERT && m->firing && m->team[0];
}

/* The first entry of a board's top two that is not the asking agent. */
static void take_buddy(const redisReply *r, const cp_buddy_ask *a) {
    cp_emit *m = a->emit;
    for (size_t j = 0; r->type == REDIS_REPLY_ARRAY && j + 1 < r->elements && !m->has_buddy;
         j += 2) {
        if (strcmp(r->element[j]->str, a->agent) == 0)
            continue;
        snprintf(m->buddy, sizeof(m->buddy), "%s", r->element[j]->str);
        m->buddy_score = strtod(r->element[j + 1]->str, NULL);
        m->has_buddy = 1;
    }
}

int cp_buddies_lookup(cp_redis *r, const char *prefix, const cp_windows *ws,
                      const cp_buddy_ask *asks, size_t n) {
    for (size_t i = 0; i < n; i++)
        cp_redis_appendf(r, "ZREVRANGE %slb:team:%s:%s 0 1 WITHSCORES", prefix, asks[i].emit->team,
                         cp_rule_buddy_window(asks[i].emit->rule, ws));
    for (size_t i = 0; i < n; i++) {
        redisReply *reply = cp_redis_read(r);
        if (!reply)
            return -1;
        take_buddy(reply, &asks[i]);
        freeReplyObject(reply);
    }
    return 0;
}
