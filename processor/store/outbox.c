/* outbox.c -- the list of alert and reward messages awaiting production or
 * deletion, and the set of messages a process holds (outbox.h). */
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the set of (agent, id) ------------------------------------------------ */

/* FNV-1a of "agent\0id"; never 0 (the empty slot). */
static uint64_t msg_hash(const char *agent, const char *id) {
    uint64_t h = 14695981039346656037ULL;
    for (const char *p = agent; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = h * 1099511628211ULL; /* the separator */
    for (const char *p = id; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h ? h : 1;
}

static int key_is(const char *key, const char *agent, const char *id) {
    size_t n = strlen(agent);
    return strncmp(key, agent, n) == 0 && key[n] == '\0' && strcmp(key + n + 1, id) == 0;
}

/* The slot holding (agent, id), or the empty slot where it would go. */
static size_t find_slot(const cp_msgset *s, uint64_t h, const char *agent, const char *id) {
    size_t mask = s->cap - 1, i = h & mask;
    while (s->slots[i].hash && (s->slots[i].hash != h || !key_is(s->slots[i].key, agent, id)))
        i = (i + 1) & mask;
    return i;
}

static int grow(cp_msgset *s) {
    size_t cap = s->cap ? s->cap * 2 : 64;
    struct cp_msgkey *slots = calloc(cap, sizeof(*slots)), *old = s->slots;
    if (!slots)
        return -1;
    for (size_t i = 0; i < s->cap; i++) {
        if (!old[i].hash)
            continue;
        size_t k = old[i].hash & (cap - 1);
        while (slots[k].hash)
            k = (k + 1) & (cap - 1);
        slots[k] = old[i];
    }
    free(old);
    s->slots = slots;
    s->cap = cap;
    return 0;
}

int cp_msgset_add(cp_msgset *s, const char *agent, const char *id) {
    uint64_t h = msg_hash(agent, id);
    if ((s->n + 1) * 2 > s->cap && grow(s) != 0)
        return -1;
    size_t i = find_slot(s, h, agent, id);
    if (s->slots[i].hash)
        return 0;
    size_t na = strlen(agent), ni = strlen(id);
    char *key = malloc(na + ni + 2);
    if (!key)
        return -1;
    memcpy(key, agent, na + 1);
    memcpy(key + na + 1, id, ni + 1);
    s->slots[i].hash = h;
    s->slots[i].key = key;
    s->n++;
    return 1;
}

int cp_msgset_has(const cp_msgset *s, const char *agent, const char *id) {
    if (s->n == 0)
        return 0;
    return s->slots[find_slot(s, msg_hash(agent, id), agent, id)].hash != 0;
}

int cp_msgset_remove(cp_msgset *s, const char *agent, const char *id) {
    if (s->n == 0)
        return 0;
    size_t mask = s->cap - 1, i = find_slot(s, msg_hash(agent, id), agent, id);
    if (!s->slots[i].hash)
        return 0;
    free(s->slots[i].key);
    s->slots[i].key = NULL;
    s->slots[i].hash = 0;
    s->n--;
    /* shift back the entries after it that would no longer be found */
    for (size_t j = (i + 1) & mask; s->slots[j].hash; j = (j + 1) & mask) {
        size_t home = s->slots[j].hash & mask;
        int between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (between)
            continue; /* still reachable from its home */
        s->slots[i] = s->slots[j];
        s->slots[j].hash = 0;
        s->slots[j].key = NULL;
        i = j;
    }
    return 1;
}

int cp_msgset_next(const cp_msgset *s, size_t *at, const char **agent, const char **id) {
    for (; *at < s->cap; (*at)++) {
        if (!s->slots[*at].hash)
            continue;
        *agent = s->slots[*at].key;
        *id = *agent + strlen(*agent) + 1;
        (*at)++;
        return 1;
    }
    return 0;
}

void cp_msgset_clear(cp_msgset *s) {
    for (size_t i = 0; i < s->cap; i++) {
        free(s->slots[i].key);
        s->slots[i].key = NULL;
        s->slots[i].hash = 0;
    }
    s->n = 0;
}

void cp_msgset_free(cp_msgset *s) {
    cp_msgset_clear(s);
    free(s->slots);
    memset(s, 0, sizeof(*s));
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
    if (o->n == o->cap) {
        size_t cap = o->cap ? o->cap * 2 : 16;
        cp_outmsg *v = realloc(o->v, cap * sizeof(*v));
        if (!v) {
            free(json);
            return -1;
        }
        o->v = v;
        o->cap = cap;
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
    cp_msgset_free(&o->held);
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
