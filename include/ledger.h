/* ledger.h -- the day fields of the points ledger and how long they are
 * kept (contract section 5: hash P points:{AGENT} holds `total` and one
 * `day:YYYY-MM-DD` field per calendar day with points).
 *
 * The ledger keeps rewards.ledger_days calendar days: the newest day
 * granted in a write and the ledger_days - 1 days before it. A write that
 * grants points deletes, in the same atomic step, every day field older
 * than that, so memory per agent stays bounded however long it works.
 *
 * Which day fields Redis holds is known as a span of days, [first, last]:
 * at load, from the fields found; after each write, the days kept and the
 * days written. Deleting a day with no field is harmless, so a write
 * deletes every day of the span before the first day kept: the first write
 * after a load deletes the fields found from the oldest on (however many
 * an older ledger left), and every later one at most the days by which the
 * newest day moved on (never more than ledger_days). Pure functions. */
#ifndef CALLPULSE_LEDGER_H
#define CALLPULSE_LEDGER_H

#include <stddef.h>
#include <stdint.h>

/* cp_ledger_keep_from() when nothing is pruned. */
#define CP_LEDGER_KEEP_ALL INT64_MIN

/* "day:YYYY-MM-DD" and its NUL. */
#define CP_LEDGER_FIELD_SIZE 15

/* The days whose fields Redis may hold. All zero: none. */
typedef struct cp_ledger_span {
    int held;            /* 0: no day field */
    int64_t first, last; /* day numbers (days since 1970-01-01), when held */
} cp_ledger_span;

/* Note a day field that Redis holds (found at load, or written). */
void cp_ledger_span_add(cp_ledger_span *s, int64_t day);

/* The first day kept when the newest day granted is `newest`:
 * newest - ledger_days + 1. CP_LEDGER_KEEP_ALL when ledger_days <= 0 (no
 * pruning) or newest is INT64_MIN (no day granted). */
int64_t cp_ledger_keep_from(int64_t newest, int ledger_days);

/* The days of s before keep_from, whose fields a write deletes: [*from,
 * *to], inclusive. Returns how many (0: none, *from and *to untouched) and
 * takes them out of s. */
int64_t cp_ledger_prune(cp_ledger_span *s, int64_t keep_from, int64_t *from, int64_t *to);

/* The field of a day, "day:YYYY-MM-DD" (UTC calendar date of the day
 * number); buf holds CP_LEDGER_FIELD_SIZE bytes. Returns its length. */
size_t cp_ledger_field(int64_t day, char *buf, size_t size);

/* The day of a field exactly as cp_ledger_field writes it, for a day in
 * 1970-01-01..9999-12-31: 0, or -1 for any other field (total, fields of
 * later features, a malformed or impossible date such as day:2026-02-30). */
int cp_ledger_parse_field(const char *f, size_t len, int64_t *day);

#endif
