/* kpipeer.h -- bench_kpi's Kafka Streams peer (tests/bench/peers/kstreams):
 * run it on the input topic from scratch, time it until every event is
 * reflected in Redis, and check its sums against callpulse's. */
#ifndef CALLPULSE_BENCH_KPIPEER_H
#define CALLPULSE_BENCH_KPIPEER_H

#include <stddef.h>

typedef struct bench_peer_result {
    double events_per_s; /* n / (stored - first event processed) */
    double startup_s;    /* launch to first event processed */
} bench_peer_result;

/* Runs `exec CMD BROKERS REDIS_HOST:PORT APP_ID STATE_DIR` (a fresh
 * application id and empty state dir per round) until the peer's progress
 * in Redis (peer:offsets) reaches every partition's end offset of `topic`,
 * then stops it. Returns 0, or -1 with err set. */
int bench_peer_run(const char *cmd, const char *brokers, const char *redis_url, const char *topic,
                   int round, long n, bench_peer_result *out, char *err, size_t errsz);

/* Compares the sums (kpi.def's CP_SUM rows) of every cp:kpi:{A}:W hash
 * with peer:kpi:{A}:W (a missing hash or field counts as 0); *compared
 * windows, *differ of them differ (the first few printed to stderr). */
int bench_peer_compare(const char *redis_url, long *compared, long *differ, char *err,
                       size_t errsz);

#endif
