/* numfmt.h -- numbers as text without printf, for the hot path: every
 * value written to Redis or into a JSON message (KPI sums and derived
 * values, scores, board scores, message values).
 *
 * The output is byte for byte what printf gives for the same value
 * ("%" PRId64, "%.Nf"), with one correction: thousandths are written with
 * the sign once ("-1.500"; printf-by-parts gave "-1.-500"). Buffers need
 * CP_NUM_TEXT_MAX bytes; the text is NUL-terminated and its length is
 * returned. */
#ifndef CALLPULSE_NUMFMT_H
#define CALLPULSE_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

/* Room for any text below: a 64-bit integer with a sign, a point and 9
 * decimals, or printf's longest "%.9f" of a double fits in the fast path;
 * larger doubles are written by snprintf into the same room (cut, like
 * snprintf, when they do not fit). */
#define CP_NUM_TEXT_MAX 64

/* "%" PRId64. */
size_t cp_fmt_i64(int64_t v, char *buf);

/* x thousandths with exactly 3 decimals: 600500 -> "600.500",
 * -1500 -> "-1.500", -500 -> "-0.500". */
size_t cp_fmt_milli(int64_t x, char *buf);

/* snprintf(buf, CP_NUM_TEXT_MAX, "%.*f", decimals, v) for decimals 0..9:
 * exact integer arithmetic when the value's rounding is unambiguous (it
 * always is but within a few units in the last place of a tie), printf
 * otherwise. */
size_t cp_fmt_fixed(double v, int decimals, char *buf);

#endif
