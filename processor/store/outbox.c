/* outbox.c -- the list of alert and reward messages awaiting production or
 * deletion, and the set of messages a process holds (outbox.h). */
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grow.h"

/* ---- the set of (agent, id) ------------------------------------------------ */

/* Bytes of a key that live on the stack: any pair of a cp_outmsg fits. */
#define PAIR_BUF (sizeof(((cp_outmsg *)0)->agent) + sizeof(((cp_outmsg *)0)->id))

/* The key of (agent, id), "agent\0id" (*len bytes): in buf (PAIR_BUF
 * bytes) when it fits, else in *heap, which the caller frees. NULL on out
 * of memory. */
static const char *pair_key(char *buf, const char *agent, const char *id, size_t *len,
                            char **heap) {
    size_t na = strlen(agent), ni = strlen(id);
    char *key = buf;
    *heap = NULL;
    *len = na + 1 + ni;
    if (*len > PAIR_BUF && !(key = *heap = malloc(*len)))
        return NULL;
    memcpy(key, agent, na + 1);
    memcpy(key + na + 1, id, ni);
    return key;
}

int cp_msgset_add(cp_keyset *s, const char *agent, const char *id) {
    char buf[PAIR_BUF], *heap;
    size_t len;
    const char *key = pair_key(buf, agent, id, &len, &heap);
    int rc = key ? cp_keyset_put(s, key, len, 0) : -1;
    free(heap);
    return rc;
}

int cp_msgset_has(const cp_keyset *s, const char *agent, const char *id) {
    char buf[PAIR_BUF], *heap;
    size_t len;
    if (s->n == 0)
        return 0;
    const char *key = pair_key(buf, agent, id, &len, &heap);
    int rc = key ? cp_keyset_get(s, key, len, NULL) : 0;
    free(heap);
    return rc;
}

int cp_msgset_remove(cp_keyset *s, const char *agent, const char *id) {
    char buf[PAIR_BUF], *heap;
    size_t len;
    if (s->n == 0)
        return 0;
    const char *key = pair_key(buf, agent, id, &len, &heap);
    int rc = key ? cp_keyset_remove(s, key, len) : 0;
    free(heap);
    return rc;
}

/* ---- the list ----------------------------------------------------------------- */

void cp_outbox_track(cp_outbox *o) {
    o->tracking = 1;
}

void cp_outbox_release(cp_outbox *o, const char *agent, const char *id) {
    if (o->tracking)
        cp_msgset_remove(&o->held, agent, id);
}

int cp_outbox_push(cp_outbox *o, cp_emit_kind kind, const char *agent, const char *id, char *json) {
    if (o->tracking && cp_msgset_has(&o->held, agent, id)) {
        free(json);
        return 1;
    }
    if (cp_grow(o->v, o->cap, o->n + 1) != 0) {
        free(json);
        return -1;
    }
    cp_outmsg *m = &o->v[o->n++];
    memset(m, 0, sizeof(*m));
    m->kind = kind;
    snprintf(m->agent, sizeof(m->agent), "%s", agent);
    snprintf(m->id, sizeof(m->id), "%s", id);
    m->json = json;
    /* out of memory for the set: the message goes out (a duplicate at
     * worst), never lost */
    if (o->tracking)
        cp_msgset_add(&o->held, agent, id);
    return 0;
}

int cp_outbox_move(cp_outbox *to, cp_outbox *from) {
    int rc = 0;
    for (size_t i = 0; i < from->n; i++) {
        cp_outmsg *m = &from->v[i];
        int pushed = cp_outbox_push(to, m->kind, m->agent, m->id, m->json);
        if (pushed < 0)
            rc = -1;
        else if (pushed == 0)
            to->v[to->n - 1].due_ms = m->due_ms;
        m->json = NULL;
    }
    from->n = 0;
    return rc;
}

void cp_outbox_clear(cp_outbox *o) {
    for (size_t i = 0; i < o->n; i++)
        free(o->v[i].json);
    o->n = 0;
}

void cp_outbox_free(cp_outbox *o) {
    cp_outbox_clear(o);
    cp_keyset_free(&o->held);
    free(o->v);
    memset(o, 0, sizeof(*o));
}

char *cp_outbox_value(cp_emit_kind kind, const char *json) {
    size_t n = strlen(json);
    char *v = malloc(n + 2);
    if (!v)
        return NULL;
    v[0] = kind == CP_EMIT_ALERT ? 'A' : 'R';
    memcpy(v + 1, json, n + 1);
    return v;
}

int cp_outbox_parse(const char *value, size_t len, cp_emit_kind *kind, char **json) {
    if (len < 2 || (value[0] != 'A' && value[0] != 'R') || value[1] != '{')
        return -1;
    *kind = value[0] == 'A' ? CP_EMIT_ALERT : CP_EMIT_REWARD;
    *json = malloc(len);
    if (!*json)
        return -1;
    memcpy(*json, value + 1, len - 1);
    (*json)[len - 1] = '\0';
    return 0;
}
