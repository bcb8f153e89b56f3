/* outbox.c -- the list of alert and reward messages awaiting production or
 * deletion (outbox.h). */
#include "outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cp_outbox_push(cp_outbox *o, cp_emit_kind kind, const char *agent, const char *id, char *json) {
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
    return 0;
}

int cp_outbox_move(cp_outbox *to, cp_outbox *from) {
    int rc = 0;
    for (size_t i = 0; i < from->n; i++) {
        cp_outmsg *m = &from->v[i];
        if (cp_outbox_push(to, m->kind, m->agent, m->id, m->json) != 0)
            rc = -1;
        else
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
