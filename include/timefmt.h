/* timefmt.h -- civil time without the C library's time zone state.
 *
 * RFC 3339 parsing and formatting, calendar-day arithmetic at a fixed UTC
 * offset. All times are epoch milliseconds (int64). Pure functions. */
#ifndef CALLPULSE_TIMEFMT_H
#define CALLPULSE_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* Latest accepted instant: 9999-12-31T23:59:59.999Z. */
#define CP_TS_MAX_MS 253402300799999LL

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
int64_t cp_days_from_civil(int64_t y, int m, int d);

/* The date of a day number. */
void cp_civil_from_days(int64_t days, int64_t *y, int *m, int *d);

/* Parse RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" (T/t or one
 * space; Z or z) of exactly len bytes. Fractions beyond milliseconds are
 * truncated. Returns 0, or -1 with a reason in err for an unparseable
 * text or an impossible date (February 30, hour 24, offset 24:00). */
int cp_rfc3339_parse(const char *s, size_t len, int64_t *ms, char *err, size_t errsz);

/* Format as "YYYY-MM-DDTHH:MM:SS.mmmZ"; buf needs 25 bytes. */
void cp_rfc3339_format(int64_t ms, char *buf, size_t size);

/* The calendar day number of instant ms at a UTC offset in minutes. */
int64_t cp_day_number(int64_t ms, int offset_min);

/* "YYYY-MM-DD" of instant ms at a UTC offset; buf needs 11 bytes. */
void cp_day_string(int64_t ms, int offset_min, char *buf, size_t size);

/* Epoch ms at which calendar day `day` starts at the given offset. */
int64_t cp_day_start_ms(int64_t day, int offset_min);

/* Floor division that rounds towards negative infinity. */
int64_t cp_floor_div(int64_t a, int64_t b);

#endif
