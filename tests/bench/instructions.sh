#!/usr/bin/env bash
# instructions.sh -- instructions per event of `callpulse run`, counted by
# valgrind's callgrind on one fixed stream (repeatable on a noisy machine,
# unlike events/s), for one or more builds side by side.
#
#   tests/bench/instructions.sh EVENTS AGENTS BUILD_DIR [BUILD_DIR...]
#
# Starts a redis-server and the first build's embedded broker (64
# partitions), produces EVENTS simulated events of AGENTS agents once
# (callpulse simulate, 2% duplicates, 3 s of disorder), then runs each
# build's `callpulse run` under callgrind until it consumed them all, each
# with its own group and Redis database, windows.idle_s 0 (no wall-clock
# steps: the work depends on the stream alone, not on how fast it ran).
# Prints per event: instructions of the engine (cp_engine_submit +
# cp_engine_complete), of the consumer thread (cp_consumer_run, the engine
# and the polling), of the decoding thread (decodepool worker), and the
# processor's counters (agent writes, Redis commands, board commands).
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 EVENTS AGENTS BUILD_DIR [BUILD_DIR...]" >&2; exit 2; }
events=$1
agents=$2
shift 2
first=$(cd "$1" && pwd)/callpulse
dir=$(mktemp -d /tmp/callpulse-instr-XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
http=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
    >"$dir/redis.log" 2>&1 &
redis_pid=$!
"$first" broker --partitions 64 --bootstrap-file "$dir/bootstrap" >"$dir/broker.log" 2>&1 &
broker_pid=$!
run_pid=""
stop() {
    [ -n "$run_pid" ] && kill "$run_pid" 2>/dev/null
    kill "$broker_pid" "$redis_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap stop EXIT
for _ in $(seq 100); do [ -s "$dir/bootstrap" ] && break; sleep 0.1; done
[ -s "$dir/bootstrap" ] || { echo "instructions.sh: no broker came up" >&2; exit 1; }
brokers=$(cat "$dir/bootstrap")
echo '{"windows":{"idle_s":0}}' >"$dir/config.json"
"$first" simulate --brokers "$brokers" --agents "$agents" --teams $((agents / 20 + 1)) --rate 0 \
    --events "$events" --dup 0.02 --jitter-ms 3000 --seed 9 >"$dir/simulate.log" 2>&1

metric() { # NAME: its total on the metrics page
    curl -s "127.0.0.1:$http/metrics" | awk -v m="$1" '$1 ~ "^"m {s += $2} END {print s + 0}'
}
inclusive() { # FILE FUNCTION: its inclusive instructions
    callgrind_annotate --inclusive=yes "$1" 2>/dev/null |
        awk -v f=":$2 " '!done && index($0, f) && $0 !~ /=>/ {gsub(",", "", $1); print $1; done = 1}'
}
printf "%-40s %12s %12s %12s %8s %8s %8s\n" "build" "engine/ev" "consumer/ev" "decode/ev" \
    "writes" "cmds" "board"
db=0
for build in "$@"; do
    db=$((db + 1))
    out=$dir/callgrind-$db.out
    valgrind --tool=callgrind --callgrind-out-file="$out" "$(cd "$build" && pwd)/callpulse" run \
        --config "$dir/config.json" --brokers "$brokers" --redis "redis://127.0.0.1:$port/$db" \
        --group "instr-$db" --http "127.0.0.1:$http" >"$dir/run-$db.log" 2>&1 &
    run_pid=$!
    until [ "$(metric callpulse_messages_consumed_total 2>/dev/null)" -ge "$events" ] 2>/dev/null; do
        sleep 3
    done
    sleep 5 # the last batch stored
    writes=$(metric callpulse_agent_writes_total)
    cmds=$(metric callpulse_redis_commands_total)
    board=$(metric callpulse_board_commands_total)
    kill -TERM "$run_pid"
    wait "$run_pid" || true
    run_pid=""
    engine=$(($(inclusive "$out" cp_engine_submit) + $(inclusive "$out" cp_engine_complete)))
    consumer=$(inclusive "$out" cp_consumer_run)
    decode=$(inclusive "$out" worker)
    awk -v b="$build" -v e="$engine" -v c="$consumer" -v d="$decode" -v n="$events" -v w="$writes" \
        -v m="$cmds" -v o="$board" 'BEGIN {printf "%-40s %12.0f %12.0f %12.0f %8.3f %8.3f %8.3f\n",
        b, e / n, c / n, d / n, w / n, m / n, o / n}'
done
