#!/usr/bin/env bash
# demo.sh -- smoke test of `deploy/dev.sh demo` run for a bounded time
# (DEMO_SMOKE_SECONDS, default 45) without a terminal: the whole pipeline
# runs, the wallboard frame ranks agents, boards moved, alerts and rewards
# arrived, invalid events became dead letters, and nothing is left running.
# CALLPULSE_BIN names the program to run (ctest passes the one it built);
# DEMO_SMOKE_ARGS=--kafka runs `deploy/dev.sh demo --kafka` (real Kafka).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT

fail() {
    cat "$out" >&2
    echo "FAIL: $*" >&2
    exit 1
}

DEMO_SECONDS=${DEMO_SMOKE_SECONDS:-45} bash "$ROOT/deploy/dev.sh" demo ${DEMO_SMOKE_ARGS:-} >"$out" 2>&1 </dev/null ||
    fail "the demo exited with status $?"

# messages per topic, from the demo's summary ("  TOPIC  N messages, the
# first S s after the start")
count() { awk -v t="$1" '$1 == t && $3 == "messages," { print $2 }' "$out"; }
first() { awk -v t="$1" '$1 == t && $3 == "messages," { print $6 }' "$out"; }

grep -q "RANK MOVE  AGENT" "$out" || fail "no wallboard frame"
ranked=$(grep -cE '^ +[0-9]+  (new|=|[-+][0-9]+|▲[0-9]+|▼[0-9]+) +[^ ]+ ' "$out" || true)
[ "$ranked" -ge 5 ] || fail "only $ranked agents on the wallboard"
updates=$(count leaderboard-updates) alerts=$(count agent-alerts) rewards=$(count agent-rewards)
dead=$(count call-events-dlq)
[ "${updates:-0}" -ge 30 ] || fail "boards hardly moved: ${updates:-0} updates"
[ "${alerts:-0}" -gt 0 ] || fail "no alerts"
[ "${rewards:-0}" -gt 0 ] || fail "no rewards"
[ "${dead:-0}" -gt 0 ] || fail "no dead letters from the simulator's bad events"
grep -qE '^  callpulse_messages_consumed_total [1-9]' "$out" || fail "no metrics from the processor"
dir=$(grep -o '/tmp/callpulse-demo-[A-Za-z0-9]*' "$out" | head -1)
[ -n "$dir" ] || fail "no demo directory named"
if pgrep -f "$dir" >/dev/null; then fail "processes of $dir still running"; fi
# the simulator and the wallboard name only the broker on their command line
brokers=$(grep -o 'kcat on [0-9.:]*' "$out" | head -1 | cut -d' ' -f3)
[ -n "$brokers" ] || fail "no broker address in the demo's summary"
if pgrep -f -- "--brokers $brokers" >/dev/null; then fail "clients of $brokers still running"; fi
# under the sanitizers, a finding in any demo process is a failure
if grep -lE "runtime error|AddressSanitizer|LeakSanitizer" "$dir"/*.log 2>/dev/null; then
    fail "sanitizer findings in the demo's logs"
fi
echo "demo smoke test: $ranked agents on the wallboard, $updates board updates, $alerts alerts," \
    "$rewards rewards, $dead dead letters; first update, alert, reward after" \
    "$(first leaderboard-updates), $(first agent-alerts), $(first agent-rewards) s"
