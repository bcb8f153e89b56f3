/* numfmt.c -- numbers as text without printf (numfmt.h).
 *
 * cp_fmt_fixed: printf rounds the exact binary value of v to `decimals`
 * places (to nearest). s = |v| * 10^decimals is one correctly rounded
 * multiplication (10^decimals is exact in a double). Below 2^50, s's
 * fraction is exact and every k + 1/2 is a double; rounding is monotonic,
 * so the exact product lies on the same side of k + 1/2 as s unless s is
 * exactly k + 1/2. Off that point the integer is exact, and so is the
 * text. That point (a tie, or near one), a huge value, NaN and infinity
 * go to snprintf. */
#include "numfmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The decimal digits of x, most significant first; their count. */
static size_t digits(uint64_t x, char *buf) {
    char tmp[24];
    size_t n = 0, len;
    if (x < 10) { /* most lengths, counts and flags */
        buf[0] = (char)('0' + x);
        return 1;
    }
    do {
        tmp[n++] = (char)('0' + x % 10);
        x /= 10;
    } while (x);
    for (len = 0; n;)
        buf[len++] = tmp[--n];
    return len;
}

/* |v| as an unsigned magnitude (INT64_MIN included). */
static uint64_t magnitude(int64_t v) {
    return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

size_t cp_fmt_i64(int64_t v, char *buf) {
    size_t n = 0;
    if (v < 0)
        buf[n++] = '-';
    n += digits(magnitude(v), buf + n);
    buf[n] = '\0';
    return n;
}

/* The sign (when negative), the integer part of m / 10^decimals, and
 * its remainder in exactly `decimals` digits after a point. */
static size_t scaled(int negative, uint64_t m, int decimals, uint64_t unit, char *buf) {
    size_t n = 0;
    if (negative)
        buf[n++] = '-';
    n += digits(m / unit, buf + n);
    if (decimals > 0) {
        uint64_t frac = m % unit;
        buf[n++] = '.';
        for (int i = decimals - 1; i >= 0; i--, frac /= 10)
            buf[n + (size_t)i] = (char)('0' + frac % 10);
        n += (size_t)decimals;
    }
    buf[n] = '\0';
    return n;
}

size_t cp_fmt_milli(int64_t x, char *buf) {
    return scaled(x < 0, magnitude(x), 3, 1000, buf);
}

static const double pow10d[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
static const uint64_t pow10u[] = {1,      10,      100,      1000,      10000,
                                  100000, 1000000, 10000000, 100000000, 1000000000};

size_t cp_fmt_fixed(double v, int decimals, char *buf) {
    if (decimals >= 0 && decimals <= 9 && isfinite(v)) {
        double s = fabs(v) * pow10d[decimals];
        if (s < 0x1p50) {
            double whole = floor(s), frac = s - whole;
            if (frac != 0.5) {
                uint64_t m = (uint64_t)whole + (frac > 0.5);
                /* printf writes the sign of every negative value, even one
                 * that rounds to zero ("-0.00") */
                return scaled(signbit(v) != 0, m, decimals, pow10u[decimals], buf);
            }
        }
    }
    int n = snprintf(buf, CP_NUM_TEXT_MAX, "%.*f", decimals, v);
    return n < 0 ? 0 : (size_t)n < CP_NUM_TEXT_MAX ? (size_t)n : CP_NUM_TEXT_MAX - 1;
}
