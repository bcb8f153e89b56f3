/* ledger.c -- the day fields of the points ledger: which days a write keeps
 * and deletes, and the field names (ledger.h). */
#include "ledger.h"

#include <stdio.h>
#include <string.h>

#include "timefmt.h"

/* 9999-12-31, the last day of CP_TS_MAX_MS. */
#define LAST_DAY 2932896

void cp_ledger_span_add(cp_ledger_span *s, int64_t day) {
    if (!s->held) {
        s->held = 1;
        s->first = s->last = day;
        return;
    }
    if (day < s->first)
        s->first = day;
    if (day > s->last)
        s->last = day;
}

int64_t cp_ledger_keep_from(int64_t newest, int ledger_days) {
    if (ledger_days <= 0 || newest == INT64_MIN)
        return CP_LEDGER_KEEP_ALL;
    return newest - ledger_days + 1;
}

int64_t cp_ledger_prune(cp_ledger_span *s, int64_t keep_from, int64_t *from, int64_t *to) {
    if (!s->held || s->first >= keep_from)
        return 0;
    *from = s->first;
    *to = s->last < keep_from ? s->last : keep_from - 1;
    if (s->last < keep_from)
        s->held = 0;
    else
        s->first = keep_from;
    return *to - *from + 1;
}

size_t cp_ledger_field(int64_t day, char *buf, size_t size) {
    int64_t y;
    int m, d;
    cp_civil_from_days(day, &y, &m, &d);
    int n = snprintf(buf, size, "day:%04lld-%02d-%02d", (long long)y, m, d);
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

static int digits(const char *s, size_t n, int *out) {
    *out = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        *out = *out * 10 + (s[i] - '0');
    }
    return 0;
}

int cp_ledger_parse_field(const char *f, size_t len, int64_t *day) {
    char again[CP_LEDGER_FIELD_SIZE];
    int y, m, d;
    if (len != CP_LEDGER_FIELD_SIZE - 1 || memcmp(f, "day:", 4) != 0 || f[8] != '-' ||
        f[11] != '-' || digits(f + 4, 4, &y) || digits(f + 9, 2, &m) || digits(f + 12, 2, &d) ||
        m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    int64_t n = cp_days_from_civil(y, m, d);
    /* an impossible date (February 30) names another day when written back */
    if (n < 0 || n > LAST_DAY || cp_ledger_field(n, again, sizeof(again)) != len ||
        memcmp(again, f, len) != 0)
        return -1;
    *day = n;
    return 0;
}
