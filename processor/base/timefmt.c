/* timefmt.c -- RFC 3339 and calendar arithmetic (see timefmt.h).
 *
 * Date conversions use the well-known days-from-civil algorithm over 400-year
 * eras, so they are exact for any proleptic Gregorian date and never touch
 * TZ or locale state. */
#include "timefmt.h"

#include <stdio.h>

int64_t cp_floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

int64_t cp_days_from_civil(int64_t y, int m, int d) {
    y -= m <= 2;
    int64_t era = cp_floor_div(y, 400);
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void cp_civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
    z += 719468;
    int64_t era = cp_floor_div(z, 146097);
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m) {
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

/* Read exactly n decimal digits at s[*i]. */
static int digits(const char *s, size_t len, size_t *i, int n, int *out) {
    int v = 0;
    if (*i + (size_t)n > len)
        return -1;
    for (int k = 0; k < n; k++) {
        char c = s[*i + (size_t)k];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *i += (size_t)n;
    *out = v;
    return 0;
}

static int expect(const char *s, size_t len, size_t *i, char c) {
    if (*i >= len || s[*i] != c)
        return -1;
    (*i)++;
    return 0;
}

static int fail(char *err, size_t errsz, const char *why) {
    snprintf(err, errsz, "%s", why);
    return -1;
}

/* Parse "(Z|z|+HH:MM|-HH:MM)" ending the text; returns offset minutes. */
static int parse_offset(const char *s, size_t len, size_t *i, int *off, char *err, size_t errsz) {
    int oh, om, sign;
    if (*i < len && (s[*i] == 'Z' || s[*i] == 'z')) {
        (*i)++;
        *off = 0;
        return 0;
    }
    if (*i >= len || (s[*i] != '+' && s[*i] != '-'))
        return fail(err, errsz, "RFC 3339 timestamp lacks a UTC offset (Z or +HH:MM)");
    sign = s[*i] == '-' ? -1 : 1;
    (*i)++;
    if (digits(s, len, i, 2, &oh) || expect(s, len, i, ':') || digits(s, len, i, 2, &om))
        return fail(err, errsz, "malformed UTC offset, expected +HH:MM");
    if (oh > 23 || om > 59)
        return fail(err, errsz, "UTC offset out of range");
    *off = sign * (oh * 60 + om);
    return 0;
}

int cp_rfc3339_parse(const char *s, size_t len, int64_t *ms, char *err, size_t errsz) {
    size_t i = 0;
    int y, mo, d, h, mi, sec, off, frac = 0;

    if (digits(s, len, &i, 4, &y) || expect(s, len, &i, '-') || digits(s, len, &i, 2, &mo) ||
        expect(s, len, &i, '-') || digits(s, len, &i, 2, &d))
        return fail(err, errsz, "not an RFC 3339 date, expected YYYY-MM-DD");
    if (i >= len || (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
        return fail(err, errsz, "RFC 3339 timestamp needs a time after T");
    i++;
    if (digits(s, len, &i, 2, &h) || expect(s, len, &i, ':') || digits(s, len, &i, 2, &mi) ||
        expect(s, len, &i, ':') || digits(s, len, &i, 2, &sec))
        return fail(err, errsz, "not an RFC 3339 time, expected HH:MM:SS");
    if (i < len && s[i] == '.') {
        int n = 0;
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (n < 3)
                frac = frac * 10 + (s[i] - '0');
            n++;
            i++;
        }
        if (n == 0)
            return fail(err, errsz, "empty fraction of a second");
        for (; n < 3; n++)
            frac *= 10;
    }
    if (parse_offset(s, len, &i, &off, err, errsz) != 0)
        return -1;
    if (i != len)
        return fail(err, errsz, "trailing characters after RFC 3339 timestamp");
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return fail(err, errsz, "impossible calendar date");
    if (h > 23 || mi > 59 || sec > 60)
        return fail(err, errsz, "impossible time of day");
    if (sec == 60)
        sec = 59, frac = 999; /* leap second: the last instant of its minute */
    int64_t t = cp_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off * 60;
    *ms = t * 1000 + frac;
    return 0;
}

void cp_rfc3339_format(int64_t ms, char *buf, size_t size) {
    int64_t days = cp_floor_div(ms, 86400000), y;
    int64_t rem = ms - days * 86400000;
    int m, d;
    cp_civil_from_days(days, &y, &m, &d);
    snprintf(buf, size, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)y, m, d,
             (int)(rem / 3600000), (int)(rem / 60000 % 60), (int)(rem / 1000 % 60),
             (int)(rem % 1000));
}

int64_t cp_day_number(int64_t ms, int offset_min) {
    return cp_floor_div(ms + (int64_t)offset_min * 60000, 86400000);
}

void cp_day_string(int64_t ms, int offset_min, char *buf, size_t size) {
    int64_t y;
    int m, d;
    cp_civil_from_days(cp_day_number(ms, offset_min), &y, &m, &d);
    snprintf(buf, size, "%04lld-%02d-%02d", (long long)y, m, d);
}

int64_t cp_day_start_ms(int64_t day, int offset_min) {
    return day * 86400000 - (int64_t)offset_min * 60000;
}
