/* testrng.h -- the unit tests' pseudo-random numbers: xorshift64, the
 * same sequence on every run for a given seed (a failure repeats). */
#ifndef CALLPULSE_TESTRNG_H
#define CALLPULSE_TESTRNG_H

#include <stdint.h>

static inline uint64_t test_rng(uint64_t *state) {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

/* A number in lo..hi. */
static inline int64_t test_between(uint64_t *state, int64_t lo, int64_t hi) {
    return lo + (int64_t)(test_rng(state) % (uint64_t)(hi - lo + 1));
}

#endif
