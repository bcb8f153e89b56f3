/* rulecond.c -- comparisons and conditions on events (rulecond.h): the
 * fields a condition may name, which event types carry them, and their
 * values. */
#include "rulecond.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *op_texts[] = {"<", "<=", ">", ">=", "==", "!="};

/* The fields a condition may name. */
static const struct {
    const char *name;
    cp_event_type type; /* the event type carrying the field */
    int is_flag;
} fields[CP_F_FIELD_COUNT] = {
    [CP_F_RING_S] = {"ring_s", CP_EV_CALL_ANSWERED, 0},
    [CP_F_TALK_S] = {"talk_s", CP_EV_CALL_ENDED, 0},
    [CP_F_HOLD_S] = {"hold_s", CP_EV_CALL_ENDED, 0},
    [CP_F_ACW_S] = {"acw_s", CP_EV_TYPE_COUNT, 0}, /* call_ended and wrapup_ended */
    [CP_F_SALE_VALUE] = {"sale_value", CP_EV_CALL_ENDED, 0},
    [CP_F_CSAT] = {"csat", CP_EV_SURVEY, 0},
    [CP_F_QA_SCORE] = {"qa_score", CP_EV_QA_SCORED, 0},
    [CP_F_FLAG_TRANSFERRED] = {"transferred", CP_EV_CALL_ENDED, 1},
    [CP_F_FLAG_RESOLVED] = {"resolved", CP_EV_CALL_ENDED, 1},
    [CP_F_FLAG_COMPLAINT] = {"complaint", CP_EV_CALL_ENDED, 1},
    [CP_F_FLAG_SALE] = {"sale", CP_EV_CALL_ENDED, 1},
};

/* ---- comparisons ---------------------------------------------------------- */

int cp_op_eval(cp_op op, double a, double b) {
    switch (op) {
    case CP_OP_LT:
        return a < b;
    case CP_OP_LE:
        return a <= b;
    case CP_OP_GT:
        return a > b;
    case CP_OP_GE:
        return a >= b;
    case CP_OP_EQ:
        return a == b;
    default:
        return a != b;
    }
}

int cp_op_parse(const char *s, cp_op *op) {
    for (int i = 0; i < 6; i++) {
        if (strcmp(s, op_texts[i]) == 0) {
            *op = (cp_op)i;
            return 0;
        }
    }
    return -1;
}

/* ---- conditions --------------------------------------------------------- */

static double field_value(const cp_event *ev, cp_event_field f) {
    switch (f) {
    case CP_F_RING_S:
        return (double)ev->ring_ms / 1000.0;
    case CP_F_TALK_S:
        return (double)ev->talk_ms / 1000.0;
    case CP_F_HOLD_S:
        return (double)ev->hold_ms / 1000.0;
    case CP_F_ACW_S:
        return (double)ev->acw_ms / 1000.0;
    case CP_F_SALE_VALUE:
        return (double)ev->sale_value_milli / 1000.0;
    case CP_F_CSAT:
        return ev->csat;
    case CP_F_QA_SCORE:
        return (double)ev->qa_milli / 1000.0;
    case CP_F_FLAG_TRANSFERRED:
        return (ev->flags & CP_F_TRANSFERRED) != 0;
    case CP_F_FLAG_RESOLVED:
        return (ev->flags & CP_F_RESOLVED) != 0;
    case CP_F_FLAG_COMPLAINT:
        return (ev->flags & CP_F_COMPLAINT) != 0;
    default:
        return (ev->flags & CP_F_SALE) != 0;
    }
}

int cp_cond_eval(const cp_cond *c, const cp_event *ev) {
    for (int i = 0; i < c->n; i++) {
        double v = field_value(ev, c->t[i].field);
        int holds = c->t[i].compare ? cp_op_eval(c->t[i].op, v, c->t[i].value) : v != 0;
        if (holds == c->t[i].negate)
            return 0;
    }
    return 1;
}

static int fail(char *why, size_t whysz, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t whysz, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whysz, fmt, ap);
    va_end(ap);
    return -1;
}

/* One term: ['!'] name [op number]. Advances *at. */
static int parse_term(cp_cond *c, const char **at, cp_event_type type, char *why, size_t whysz) {
    const char *p = *at;
    char name[32], opbuf[3] = "";
    size_t n = 0;
    int i = c->n;
    while (isspace((unsigned char)*p))
        p++;
    c->t[i].negate = *p == '!';
    if (*p == '!')
        p++;
    while (isspace((unsigned char)*p))
        p++;
    while ((isalnum((unsigned char)*p) || *p == '_') && n + 1 < sizeof(name))
        name[n++] = *p++;
    name[n] = '\0';
    int f;
    for (f = 0; f < CP_F_FIELD_COUNT && strcmp(fields[f].name, name) != 0; f++)
        ;
    if (f == CP_F_FIELD_COUNT)
        return fail(why, whysz, "unknown field '%s'", name);
    int fits = fields[f].type == type || (fields[f].type == CP_EV_TYPE_COUNT &&
                                          (type == CP_EV_CALL_ENDED || type == CP_EV_WRAPUP_ENDED));
    if (!fits)
        return fail(why, whysz, "%s events have no field '%s'", cp_event_type_name(type), name);
    c->t[i].field = (cp_event_field)f;
    while (isspace((unsigned char)*p))
        p++;
    n = 0;
    while (strchr("<>=!", *p) && *p && n < 2)
        opbuf[n++] = *p++;
    opbuf[n] = '\0';
    c->t[i].compare = n > 0;
    if (n > 0) {
        char *end;
        if (c->t[i].negate)
            return fail(why, whysz, "'!' only negates a bare field");
        if (cp_op_parse(opbuf, &c->t[i].op) != 0)
            return fail(why, whysz, "unknown comparison '%s'", opbuf);
        c->t[i].value = strtod(p, &end);
        if (end == p || !isfinite(c->t[i].value))
            return fail(why, whysz, "a number must follow '%s'", opbuf);
        p = end;
    } else if (!fields[f].is_flag) {
        return fail(why, whysz, "'%s' is a number: compare it (for example %s >= 1)", name, name);
    }
    c->n++;
    *at = p;
    return 0;
}

int cp_cond_parse(cp_cond *c, const char *text, cp_event_type type, char *why, size_t whysz) {
    const char *p = text;
    memset(c, 0, sizeof(*c));
    if (strlen(text) >= sizeof(c->text))
        return fail(why, whysz, "condition longer than %zu characters", sizeof(c->text) - 1);
    snprintf(c->text, sizeof(c->text), "%s", text);
    for (;;) {
        if (c->n == CP_COND_TERMS_MAX)
            return fail(why, whysz, "more than %d terms", CP_COND_TERMS_MAX);
        if (parse_term(c, &p, type, why, whysz) != 0)
            return -1;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0')
            return 0;
        if (p[0] != '&' || p[1] != '&')
            return fail(why, whysz, "expected && or the end after a term, at \"%s\"", p);
        p += 2;
    }
}
