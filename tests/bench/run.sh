#!/usr/bin/env bash
# run.sh -- start a redis-server and a broker, run a benchmark program
# against them, stop them.
#
#   tests/bench/run.sh BUILD_DIR BENCH [ARGS...]
#
# The broker is the embedded one (callpulse broker, BENCH_PARTITIONS
# partitions, default 128), or with BENCH_KAFKA=1 a real Apache Kafka
# through deploy/kafka.sh (BENCH_PARTITIONS default 8 there; BENCH_BROKERS
# brokers, default 1). The benchmark gets BROKERS REDIS_URL ARGS...; it
# learns which broker it runs on from CALLPULSE_BENCH_BROKER (embedded|kafka).
#
# With BENCH_KAFKA=1, bench_kpi also runs the Kafka Streams peer
# (tests/bench/peers/kstreams, built here with Maven; BENCH_PEER=0 skips it):
# BENCH_PEER_CMD is its command line, unless already set.
#
# bench_kpi also runs the do-it-yourself Python consumer
# (tests/bench/peers/diy_python; BENCH_DIY=0 skips it) when /usr/bin/python3
# has confluent_kafka and redis: BENCH_DIY_CMD, unless already set.
# BENCH_PROFILE=floor chooses bench_kpi's floor profile (bench_kpi.c).
set -euo pipefail
build=$1
bench=$2
shift 2
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ "${BENCH_KAFKA:-0}" = 1 ] && [ "${BENCH_PEER:-1}" = 1 ] && [ "$bench" = bench_kpi ] &&
    [ -z "${BENCH_PEER_CMD:-}" ]; then
    peer=$here/peers/kstreams
    mvn -q -B -f "$peer/pom.xml" package >&2 || { echo "run.sh: could not build the peer" >&2; exit 1; }
    export BENCH_PEER_CMD="java -Xms128m -Xmx512m -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
-cp '$peer/target/kstreams-peer.jar:$peer/target/lib/*' io.callpulse.peer.KpiPeer"
fi
if [ "$bench" = bench_kpi ] && [ "${BENCH_DIY:-1}" = 1 ] && [ -z "${BENCH_DIY_CMD:-}" ]; then
    if /usr/bin/python3 -c 'import confluent_kafka, redis' 2>/dev/null; then
        export BENCH_DIY_CMD="/usr/bin/python3 $here/peers/diy_python/diy.py"
    else
        echo "run.sh: /usr/bin/python3 lacks confluent_kafka or redis: no DIY consumer" >&2
    fi
fi
dir=$(mktemp -d /tmp/callpulse-bench-XXXXXX)
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
    >"$dir/redis.log" 2>&1 &
redis_pid=$!
broker_pid=""
stop() {
    if [ -n "$broker_pid" ]; then
        kill "$broker_pid" 2>/dev/null || true
    else
        bash "$here/../../deploy/kafka.sh" down --dir "$dir/kafka" >/dev/null 2>&1 || true
    fi
    kill "$redis_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$dir"
}
trap stop EXIT
if [ "${BENCH_KAFKA:-0}" = 1 ]; then
    export CALLPULSE_BENCH_BROKER=kafka
    bash "$here/../../deploy/kafka.sh" up --dir "$dir/kafka" --partitions "${BENCH_PARTITIONS:-8}" \
        --brokers "${BENCH_BROKERS:-1}" | sed -n 's/^bootstrap=//p' >"$dir/bootstrap"
else
    export CALLPULSE_BENCH_BROKER=embedded
    "$build/callpulse" broker --partitions "${BENCH_PARTITIONS:-128}" --bootstrap-file "$dir/bootstrap" \
        >"$dir/broker.log" 2>&1 &
    broker_pid=$!
    for _ in $(seq 100); do [ -s "$dir/bootstrap" ] && break; sleep 0.1; done
fi
[ -s "$dir/bootstrap" ] || { echo "run.sh: no broker came up" >&2; exit 1; }
${BENCH_WRAP:-} "$build/tests/bench/$bench" "$(cat "$dir/bootstrap")" "redis://127.0.0.1:$port" "$@"
