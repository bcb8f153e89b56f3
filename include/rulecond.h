/* rulecond.h -- the comparisons and the conditions on events that rules
 * are written with (contract section 5: "a condition" of a streak or an
 * event reward, the `op` of a threshold or a goal). Pure.
 *
 * A condition is a conjunction (&&) of terms over the fields of one event
 * type: `field` or `!field` for a flag, `field OP number` for a number. */
#ifndef CALLPULSE_RULECOND_H
#define CALLPULSE_RULECOND_H

#include <stddef.h>

#include "decoder.h"

#define CP_COND_TERMS_MAX 8

typedef enum { CP_OP_LT = 0, CP_OP_LE, CP_OP_GT, CP_OP_GE, CP_OP_EQ, CP_OP_NE } cp_op;

/* Event fields a condition may test. */
typedef enum {
    CP_F_RING_S = 0,
    CP_F_TALK_S,
    CP_F_HOLD_S,
    CP_F_ACW_S,
    CP_F_SALE_VALUE,
    CP_F_CSAT,
    CP_F_QA_SCORE,
    CP_F_FLAG_TRANSFERRED,
    CP_F_FLAG_RESOLVED,
    CP_F_FLAG_COMPLAINT,
    CP_F_FLAG_SALE,
    CP_F_FIELD_COUNT
} cp_event_field;

/* A conjunction of terms: `field`, `!field` or `field OP number`. */
typedef struct cp_cond {
    struct {
        cp_event_field field;
        int compare; /* 0: truthiness of the field */
        int negate;
        cp_op op;
        double value;
    } t[CP_COND_TERMS_MAX];
    int n;
    char text[128]; /* as written */
} cp_cond;

/* a OP b. */
int cp_op_eval(cp_op op, double a, double b);

/* The comparison written as s (one of the texts above): 0, or -1. */
int cp_op_parse(const char *s, cp_op *op);

/* Does the condition hold for the event? (An empty condition holds.) */
int cp_cond_eval(const cp_cond *c, const cp_event *ev);

/* Parse a condition for events of `type`. -1 with why. */
int cp_cond_parse(cp_cond *c, const char *text, cp_event_type type, char *why, size_t whysz);

#endif
