#!/usr/bin/env bash
# dev.sh -- the two commands of the README, for a fresh Debian machine.
#
#   deploy/dev.sh demo [--kafka]
#                        install what is missing, build, start Redis, the
#                        embedded broker (with --kafka: a real Apache Kafka
#                        through deploy/kafka.sh, which needs a JDK and Maven),
#                        the processor and the simulator, and open the live
#                        wallboard (q or Ctrl-C ends it); without a terminal,
#                        or with DEMO_SECONDS, it runs for that long and
#                        prints a wallboard frame and a summary
#   deploy/dev.sh test   install what is missing, build, run the unit and
#                        integration tests (on the embedded broker, then the
#                        focused set labelled kafka on a real Apache Kafka),
#                        validate the deployment files, run
#                        the tests again under ASan+UBSan, fuzz the decoder
#                        for a bounded time, check formatting
#   deploy/dev.sh bench  build and run the benchmarks (tests/bench), which
#                        print figures beside a baseline measured in the same run;
#                        BENCH_KAFKA=1: on a real Apache Kafka, beside the Kafka
#                        Streams peer (tests/bench/peers/kstreams)
#
# Environment: FUZZ_SECONDS (default 60), DEMO_SECONDS (demo runs until
# q or Ctrl-C when unset), JOBS (build parallelism, default nproc),
# CALLPULSE_BIN (demo: run this program instead of building one).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JOBS=${JOBS:-$(nproc)}
PACKAGES=(build-essential cmake pkg-config librdkafka-dev libhiredis-dev libjansson-dev
          check redis-server clang libclang-rt-14-dev clang-format kcat tmux libmicrohttpd-dev
          yamllint python3-yaml systemd curl)
# What deploy/kafka.sh needs (the real-Kafka tests, demo --kafka): a JDK runs
# Apache Kafka, Maven fetches it once from Maven Central.
KAFKA_PACKAGES=(openjdk-17-jdk-headless maven)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_packages() { # [extra packages...]
    local missing=()
    for p in "${PACKAGES[@]}" "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}

build() { # build DIR [cmake options...]
    local dir=$1
    shift
    log "building $dir"
    cmake -S "$ROOT" -B "$ROOT/$dir" "$@" >/dev/null
    cmake --build "$ROOT/$dir" -j "$JOBS" ${TARGET:+--target "$TARGET"}
}

check_format() {
    log "checking clang-format"
    local bad
    bad=$(cd "$ROOT"; git ls-files '*.c' '*.h' | xargs clang-format --dry-run 2>&1 |
          grep -o '^[^:]*\.[ch]' | sort -u || true)
    if [ -n "$bad" ]; then
        echo "not clang-formatted:" >&2
        echo "$bad" >&2
        return 1
    fi
}

fuzz() {
    local seconds=${FUZZ_SECONDS:-60}
    TARGET=fuzz_decoder build build-fuzz -DCMAKE_C_COMPILER=clang -DCALLPULSE_FUZZ=ON -DCALLPULSE_TESTS=OFF \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo
    local corpus
    corpus=$(mktemp -d)
    cp "$ROOT"/tests/fuzz/corpus/decoder/* "$corpus"/
    log "fuzzing the decoder for ${seconds} s"
    "$ROOT/build-fuzz/tests/fuzz/fuzz_decoder" -max_total_time="$seconds" -print_final_stats=1 \
        -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$ROOT/build-fuzz/" "$corpus" \
        2>"$ROOT/build-fuzz/fuzz.log" || { tail -50 "$ROOT/build-fuzz/fuzz.log"; return 1; }
    grep -E 'stat::number_of_executed_units|stat::peak_rss' "$ROOT/build-fuzz/fuzz.log"
    rm -rf "$corpus"
}

cmd_test() {
    ensure_packages "${KAFKA_PACKAGES[@]}"
    check_format
    build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
    log "Apache Kafka for the tests labelled kafka (deploy/kafka.sh fetch: once, then cached)"
    bash "$ROOT/deploy/kafka.sh" fetch
    log "tests"
    ctest --test-dir "$ROOT/build" --output-on-failure
    log "deployment files (deploy/validate.sh)"
    bash "$ROOT/deploy/validate.sh" "$ROOT/build/callpulse"
    build build-asan -DCALLPULSE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
    log "tests under AddressSanitizer + UndefinedBehaviorSanitizer"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir "$ROOT/build-asan" --output-on-failure --label-exclude kafka
    fuzz
    log "all tests passed"
}

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
        echo $((20000 + RANDOM % 20000))
}

# Started services, stopped in reverse order when the demo ends.
DEMO_PIDS=()
DEMO_DIR=""
DEMO_KAFKA=0      # demo --kafka: a real Kafka through deploy/kafka.sh
DEMO_KAFKA_DIR="" # its --dir, stopped with the rest
demo_cleanup() {
    [ -n "$DEMO_DIR" ] || return 0
    log "stopping the demo"
    for ((i = ${#DEMO_PIDS[@]} - 1; i >= 0; i--)); do
        kill -TERM "${DEMO_PIDS[$i]}" 2>/dev/null || true
        wait "${DEMO_PIDS[$i]}" 2>/dev/null || true
    done
    grep -h "stopped:" "$DEMO_DIR/run.log" >&2 || true
    [ -z "$DEMO_KAFKA_DIR" ] || bash "$ROOT/deploy/kafka.sh" down --dir "$DEMO_KAFKA_DIR" || true
    log "logs kept in $DEMO_DIR"
    DEMO_DIR=""
}

# What the demo did, from the topics and Redis.
demo_summary() {
    local brokers=$1 port=$2 bin=$3 started_ms=$4 http_port=$5
    log "the wallboard now (callpulse wallboard --brokers $brokers --once):"
    COLUMNS=100 LINES=28 "$bin" wallboard --brokers "$brokers" --once 2>/dev/null || true
    log "messages so far (kcat on $brokers):"
    for t in leaderboard-updates agent-alerts agent-rewards call-events-dlq; do
        local first
        first=$(kcat -b "$brokers" -C -t "$t" -e -q -f '%T\n' 2>/dev/null | sort -n | awk 'NR == 1')
        printf '  %-20s %s messages, the first %s s after the start\n' "$t" \
            "$(kcat -b "$brokers" -C -t "$t" -e -q 2>/dev/null | wc -l)" \
            "$([ -n "$first" ] && echo $(((first - started_ms) / 1000)) || echo -)"
    done
    log "the processor's metrics (curl 127.0.0.1:$http_port/metrics), a few of them:"
    curl -s "127.0.0.1:$http_port/metrics" |
        grep -E '^callpulse_(messages_consumed|board_publishes|alerts|rewards)_total|_latency_seconds_count' |
        sed 's/^/  /' || true
    log "dead letters by reason:"
    kcat -b "$brokers" -C -t call-events-dlq -e -q -f '%h\n' 2>/dev/null |
        grep -o 'callpulse.error=[a-z_]*' | sort | uniq -c || true
    log "KPIs of agent a0001 over 15 minutes (redis-cli -p $port HGETALL 'cp:kpi:{a0001}:15m'):"
    redis-cli -p "$port" HGETALL 'cp:kpi:{a0001}:15m' |
        awk 'NR % 2 { k = $0; next } { printf "  %-16s %s\n", k, $0 }' || true
}

cmd_demo() {
    local bin=${CALLPULSE_BIN:-$ROOT/build/callpulse} dir started_ms
    case "${1:-}" in
    --kafka) DEMO_KAFKA=1 ;;
    "") ;;
    *) echo "usage: deploy/dev.sh demo [--kafka]" >&2; exit 2 ;;
    esac
    if [ "$DEMO_KAFKA" = 1 ]; then ensure_packages "${KAFKA_PACKAGES[@]}"; else ensure_packages; fi
    [ -n "${CALLPULSE_BIN:-}" ] || build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
    dir=$(mktemp -d /tmp/callpulse-demo-XXXXXX)
    DEMO_DIR=$dir
    trap demo_cleanup EXIT
    trap 'exit 0' INT TERM

    local port
    port=$(free_port)
    log "redis-server on 127.0.0.1:$port"
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
        >"$dir/redis.log" 2>&1 &
    DEMO_PIDS+=($!)

    local brokers
    if [ "$DEMO_KAFKA" = 1 ]; then
        log "Apache Kafka (deploy/kafka.sh up --dir $dir/kafka --partitions 8)"
        DEMO_KAFKA_DIR=$dir/kafka
        brokers=$(bash "$ROOT/deploy/kafka.sh" up --dir "$DEMO_KAFKA_DIR" --partitions 8 |
                  sed -n 's/^bootstrap=//p')
        [ -n "$brokers" ] || { echo "deploy/kafka.sh up printed no bootstrap" >&2; return 1; }
        echo '{}' >"$dir/config.json"
    else
        log "embedded Kafka broker"
        "$bin" broker --partitions 8 --bootstrap-file "$dir/bootstrap" >"$dir/broker.log" 2>&1 &
        DEMO_PIDS+=($!)
        for _ in $(seq 100); do [ -s "$dir/bootstrap" ] && break; sleep 0.1; done
        brokers=$(cat "$dir/bootstrap")
        # the embedded broker re-forms a group only after session.timeout.ms
        # (README, "Embedded broker")
        cat >"$dir/config.json" <<JSON
{"kafka": {"properties": {"session.timeout.ms": "6000", "heartbeat.interval.ms": "500"}}}
JSON
    fi
    log "broker at $brokers"

    local http_port
    http_port=$(free_port)
    log "processor (log: $dir/run.log; metrics: curl 127.0.0.1:$http_port/metrics, health: /healthz)"
    "$bin" run --config "$dir/config.json" --brokers "$brokers" \
        --redis "redis://127.0.0.1:$port" --group demo --http "127.0.0.1:$http_port" \
        2>"$dir/run.log" &
    local processor=$!
    DEMO_PIDS+=($processor)

    started_ms=$(date +%s%3N) # the summary's "after the start": from here
    log "simulator: 60 agents in 6 teams, 3 of them struggling, 1% bad events, 1% duplicates"
    "$bin" simulate --brokers "$brokers" --agents 60 --teams 6 --struggling 3 --rate 300 \
        --bad 0.01 --dup 0.01 ${DEMO_SECONDS:+--duration "$DEMO_SECONDS"} \
        2>"$dir/simulate.log" &
    DEMO_PIDS+=($!)

    if [ -t 0 ] && [ -t 1 ] && [ -z "${DEMO_SECONDS:-}" ]; then
        log "opening the wallboard: Tab for the next board, q to quit"
        sleep 2
        "$bin" wallboard --brokers "$brokers" --board all:15m 2>"$dir/wallboard.log" || true
    else
        log "running for ${DEMO_SECONDS:-60} s; the processor reports every 10 s"
        local until=$((SECONDS + ${DEMO_SECONDS:-60}))
        tail -n +1 -F "$dir/run.log" 2>/dev/null |
            grep --line-buffered -E "progress|assigned|ERROR|WARN" &
        local tailer=$!
        while [ $SECONDS -lt "$until" ] && kill -0 "$processor" 2>/dev/null; do sleep 1; done
        kill "$tailer" 2>/dev/null || true
    fi
    demo_summary "$brokers" "$port" "$bin" "$started_ms" "$http_port"
}

cmd_bench() {
    # BENCH_KAFKA=1: on a real Apache Kafka (deploy/kafka.sh, Java and Maven),
    # with the Kafka Streams peer beside callpulse (tests/bench/run.sh)
    local on="the embedded broker" extra=()
    if [ "${BENCH_KAFKA:-0}" = 1 ]; then
        extra=("${KAFKA_PACKAGES[@]}")
        on="Apache Kafka, beside the Kafka Streams peer"
    fi
    ensure_packages "${extra[@]}"
    build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
    log "bench_kpi: 1,000,000 events of 1,000 agents, 3 rounds, on $on"
    "$ROOT/tests/bench/run.sh" "$ROOT/build" bench_kpi 1000000 1000 3
    log "bench_kpi on a floor's traffic (tests/bench/floor.sh): 1k, 4k and 16k agents"
    "$ROOT/tests/bench/floor.sh" "$ROOT/build"
}

case "${1:-}" in
test) cmd_test ;;
demo) shift; cmd_demo "$@" ;;
bench) cmd_bench ;;
*)
    echo "usage: deploy/dev.sh test|demo [--kafka]|bench" >&2
    exit 2
    ;;
esac
