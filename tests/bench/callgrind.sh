#!/usr/bin/env bash
# callgrind.sh -- instructions per event (Ir, valgrind --tool=callgrind) of
# the bare consume + parse loop and of callpulse on the same fixed stream:
# repeatable on a noisy machine, where events/s are not.
#
#   tests/bench/callgrind.sh BUILD_DIR [EVENTS] [AGENTS] [TOP]
#
# Defaults: 100000 events of the floor profile for 4000 agents, taken from
# the middle of the shift (BENCH_FLOOR_SKIP, default 600000 events in, so
# the stream holds calls, breaks and late surveys, not the log-on ramp), on
# 64 partitions of the embedded broker; TOP (default 25) functions listed.
# BENCH_PROFILE=sim measures the default profile instead. Only the
# bench_kpi process is counted (consumer, librdkafka, jansson, hiredis, the
# engine), not the broker or Redis. The callgrind files stay in the
# directory printed at the end for callgrind_annotate or kcachegrind.
# Build with -DCMAKE_BUILD_TYPE=RelWithDebInfo (the flags of the figures).
#
# What repeats: the baseline's Ir per event (41,300 to 43,600 in six runs)
# and callpulse's decoding (cp_event_decode, within 0.1 %). What does not:
# the engine's and the boards' share, which follow the agent writes and
# board commands per event printed beside them (0.05 to 0.54 writes per
# event in six runs of the same stream: how often an agent is written
# depends on timing, under valgrind more so). Compare builds on the decode
# line, and on the engine lines at similar writes per event.
set -euo pipefail
build=$1
events=${2:-100000}
agents=${3:-4000}
top=${4:-25}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$(mktemp -d /tmp/callpulse-callgrind-XXXXXX)
export BENCH_PROFILE=${BENCH_PROFILE:-floor} BENCH_PARTITIONS=${BENCH_PARTITIONS:-64}
export BENCH_FLOOR_SKIP=${BENCH_FLOOR_SKIP:-600000} BENCH_CALLGRIND=1 BENCH_DIY=0
export BENCH_WRAP="valgrind --tool=callgrind --callgrind-out-file=$out/cg.out"
bash "$here/run.sh" "$build" bench_kpi "$events" "$agents" 1 2>"$out/valgrind.log" | tee "$out/bench.txt"
n=$(sed -n 's/^callgrind: \([0-9]*\) events.*/\1/p' "$out/bench.txt")
[ -n "$n" ] || { echo "callgrind.sh: bench_kpi did not finish, see $out" >&2; exit 1; }
for part in baseline callpulse; do
    f=$(grep -l "^desc: Trigger: Client Request: $part\$" "$out"/cg.out.* | head -1)
    [ -n "$f" ] || { echo "callgrind.sh: no dump for $part in $out" >&2; exit 1; }
    callgrind_annotate --inclusive=no "$f" >"$out/$part.txt"
    ir=$(sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' "$out/$part.txt" | tr -d ,)
    printf '%-10s %14s Ir in total, %8.0f Ir per event\n' "$part" "$ir" "$(echo "$ir / $n" | bc -l)"
    eval "ir_$part=$ir"
done
printf 'callpulse / baseline Ir per event: %.2f\n' "$(echo "$ir_callpulse / $ir_baseline" | bc -l)"
f=$(grep -l '^desc: Trigger: Client Request: callpulse$' "$out"/cg.out.* | head -1)
callgrind_annotate --inclusive=yes "$f" >"$out/callpulse-inclusive.txt"
for fn in cp_event_decode cp_engine_submit cp_publisher_run; do
    ir=$(grep -m1 ":$fn " "$out/callpulse-inclusive.txt" | awk '{print $1}' | tr -d ,)
    printf '  of which %-18s %8.0f Ir per event\n' "$fn" "$(echo "${ir:-0} / $n" | bc -l)"
done
echo
echo "callpulse: top $top functions by own Ir (self), share of the total:"
awk -v top="$top" '/^-+$/ { sep++; next } sep >= 3 && NF >= 2 && $1 ~ /^[0-9,]+$/ && shown < top {
    print; shown++ }' "$out/callpulse.txt"
echo
echo "callpulse: top $top of its own functions by inclusive Ir (with what they call):"
# (awk reads to the end: head would stop grep early, a SIGPIPE pipefail reports)
awk -v top="$top" '/\/processor\// && shown < top { print; shown++ }' "$out/callpulse-inclusive.txt" |
    sed -E 's| [^ ]*/processor/| processor/|; s| \[[^]]*\]$||'
echo
echo "files: $out (callgrind_annotate --inclusive=yes $out/cg.out.N for inclusive costs)"
