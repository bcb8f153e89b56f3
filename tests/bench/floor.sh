#!/usr/bin/env bash
# floor.sh -- bench_kpi's floor profile for several agent counts, each in
# its own run.sh (a fresh broker and Redis), then one table of the figures.
#
#   tests/bench/floor.sh BUILD_DIR [AGENTS...]     (default 1000 4000 16000)
#
# BENCH_EVENTS caps each stream (default 1000000: what the embedded broker
# keeps on 64 partitions), BENCH_ROUNDS rounds (default 3),
# BENCH_PARTITIONS partitions (default 64 here); BENCH_KAFKA, BENCH_DIY and
# BENCH_FLOOR_HOURS as for run.sh and bench_kpi. Full outputs go to
# $BENCH_OUT (default a new /tmp/callpulse-floor-XXXXXX), one file per count.
set -euo pipefail
build=$1
shift
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1000 4000 16000)
out=${BENCH_OUT:-$(mktemp -d /tmp/callpulse-floor-XXXXXX)}
mkdir -p "$out"
export BENCH_PROFILE=floor BENCH_PARTITIONS=${BENCH_PARTITIONS:-64}
for a in "${counts[@]}"; do
    echo "== $a agents (full output: $out/floor-$a.txt)"
    bash "$here/run.sh" "$build" bench_kpi "${BENCH_EVENTS:-1000000}" "$a" "${BENCH_ROUNDS:-3}" \
        | tee "$out/floor-$a.txt"
done
pick() { sed -n "s/^$2 *//p" "$1" | awk '{print $NF}' | head -1; }
printf '\n%-8s %10s %12s %12s %7s %10s %10s %10s %8s %12s %8s\n' agents events hours \
    "base ev/s" "cp ev/s" ratio "redis us" "cmds/ev" "board/ev" "DIY ev/s" "cp/DIY"
for a in "${counts[@]}"; do
    f=$out/floor-$a.txt
    printf '%-8s %10s %12s %12s %7s %10s %10s %10s %8s %12s %8s\n' "$a" \
        "$(sed -n 's/^produced \([0-9]*\) events.*/\1/p' "$f")" \
        "$(sed -n 's/^floor profile: \([0-9.]*\) h.*/\1/p' "$f")" \
        "$(pick "$f" 'baseline: consume + json_loadb, median ev\/s')" \
        "$(pick "$f" 'callpulse: consume..stored, median ev\/s')" \
        "$(pick "$f" 'ratio callpulse \/ baseline, median')" \
        "$(pick "$f" 'Redis CPU per event (user+sys), median us')" \
        "$(pick "$f" 'Redis commands per event')" \
        "$(pick "$f" 'leaderboard commands per event')" \
        "$(pick "$f" 'DIY Python consumer: first event..stored, ev\/s')" \
        "$(pick "$f" 'ratio callpulse \/ DIY Python, median')"
done
