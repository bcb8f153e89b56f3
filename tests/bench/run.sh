#!/usr/bin/env bash
# run.sh -- start a redis-server and the embedded broker, run a benchmark
# program against them, stop them. Usage: tests/bench/run.sh BUILD_DIR BENCH [ARGS...]
set -euo pipefail
build=$1
bench=$2
shift 2
dir=$(mktemp -d /tmp/callpulse-bench-XXXXXX)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
    >"$dir/redis.log" 2>&1 &
redis_pid=$!
"$build/callpulse" broker --partitions "${BENCH_PARTITIONS:-128}" --bootstrap-file "$dir/bootstrap" \
    >"$dir/broker.log" 2>&1 &
broker_pid=$!
trap 'kill $broker_pid $redis_pid 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do [ -s "$dir/bootstrap" ] && break; sleep 0.1; done
${BENCH_WRAP:-} "$build/tests/bench/$bench" "$(cat "$dir/bootstrap")" "redis://127.0.0.1:$port" "$@"
