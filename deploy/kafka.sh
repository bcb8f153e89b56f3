#!/usr/bin/env bash
# kafka.sh -- a real Apache Kafka on loopback, for tests, benchmarks and the
# demo's real-Kafka mode (contract section 1).
#
#   deploy/kafka.sh up --dir DIR [--partitions N] [--brokers N]
#       starts N brokers (default 1) in KRaft combined mode (each node both
#       broker and controller), creates the contract's topics with N
#       partitions (default 4; leaderboard-updates, queue-updates and
#       agent-states compacted), prints bootstrap=HOST:PORT[,...] on stdout
#       once a client can produce to them, and returns with them running
#       (DIR may hold a stopped cluster: its data is removed, every up starts
#       a fresh one)
#   deploy/kafka.sh down --dir DIR
#       stops them (SIGTERM, then SIGKILL after 30 s)
#   deploy/kafka.sh fetch
#       only fetches the release into the cache (up does it when needed)
#
# Internal, for the real-Kafka tests (one node of a running cluster):
#   deploy/kafka.sh stop-node --dir DIR --node N [--signal TERM|KILL]
#       stops node N (default SIGTERM; waits until it is gone, SIGKILL
#       after 30 s); its data stays for start-node
#   deploy/kafka.sh start-node --dir DIR --node N
#       starts node N again with its own configuration and data, and
#       returns once it accepts connections (KAFKA_START_TIMEOUT)
#   deploy/kafka.sh tool CLASS [ARGS...]
#       runs one of the release's command-line tools (a Java class from
#       its jars, e.g. org.apache.kafka.tools.consumer.group.
#       ConsumerGroupCommand or kafka.admin.ConfigCommand)
# DIR/pids lists the pid of every running node (down stops those);
# DIR/node-N/pid names node N's.
#
# The release is pinned (KAFKA_VERSION, deploy/kafka/pom.xml): Maven fetches
# it from Maven Central once into $CALLPULSE_CACHE (default
# ~/.cache/callpulse) and every later run reuses it. Java 17 runs it.
# Start-up is bounded by KAFKA_START_TIMEOUT seconds (default 120): past it
# the brokers are stopped, their logs' tails printed, and it exits 1.
#
# Why 3.9 and not 4.x: Kafka 4.x rejects SASL/SCRAM logins from librdkafka
# before 2.6.1 (Debian 12 ships 2.0.2) as invalid credentials: that
# librdkafka repeats the client nonce in its final SCRAM message, which 4.x's
# strict RFC 5802 check refuses (librdkafka PR 4895). PLAINTEXT and SASL/PLAIN
# work on 4.0 and 4.1 (measured; see README, "Real Kafka").
set -euo pipefail

KAFKA_VERSION=3.9.1
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${CALLPULSE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/callpulse}
LIBS=$CACHE/kafka-$KAFKA_VERSION/libs
TIMEOUT=${KAFKA_START_TIMEOUT:-120}

die() { echo "kafka.sh: $*" >&2; exit 1; }
usage() { die "usage: kafka.sh up --dir DIR [--partitions N] [--brokers N] | down --dir DIR | fetch"; }

# The release's jars, fetched once.
fetch() {
    [ -f "$LIBS/.complete" ] && return 0
    command -v mvn >/dev/null || die "Maven (mvn) is needed once to fetch Kafka $KAFKA_VERSION"
    echo "kafka.sh: fetching Apache Kafka $KAFKA_VERSION from Maven Central into $LIBS" >&2
    rm -rf "$LIBS.tmp"
    mvn -q -B -f "$HERE/kafka/pom.xml" dependency:copy-dependencies \
        -Dkafka.version="$KAFKA_VERSION" -DoutputDirectory="$LIBS.tmp" \
        -Dmdep.includeScope=runtime >&2 || die "Maven could not fetch Kafka $KAFKA_VERSION"
    rm -rf "$LIBS" && mv "$LIBS.tmp" "$LIBS" && touch "$LIBS/.complete"
}

# n free loopback ports, one per line.
free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print("\n".join(str(s.getsockname()[1]) for s in socks))
PY
}

kafka_java() { java -Xms256m -Xmx768m -cp "$LIBS/*" -Dlog4j.configuration="file:$DIR/log4j.properties" "$@"; }

write_config() { # node port controller_port voters brokers
    local node=$1 port=$2 cport=$3 voters=$4 n=$5 rf=$(( $5 < 3 ? $5 : 3 ))
    mkdir -p "$DIR/node-$node"
    cat >"$DIR/node-$node/server.properties" <<CONF
process.roles=broker,controller
node.id=$node
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DIR/node-$node/data
num.partitions=$PARTITIONS
auto.create.topics.enable=true
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.cleaner.backoff.ms=1000
log.segment.bytes=16777216
CONF
}

# Start node $1 from its server.properties, in its own session (kill it
# by its pid alone), and record its pid.
launch() {
    local i=$1
    setsid bash -c 'exec "$@"' _ java -Xms256m -Xmx768m -cp "$LIBS/*" \
        -Dlog4j.configuration="file:$DIR/log4j.properties" \
        kafka.Kafka "$DIR/node-$i/server.properties" >>"$DIR/node-$i/kafka.log" 2>&1 </dev/null &
    echo "$!" >"$DIR/node-$i/pid"
    echo "$!" >>"$DIR/pids"
}

up() {
    [ -n "${DIR:-}" ] || usage
    [ "$BROKERS" -ge 1 ] && [ "$PARTITIONS" -ge 1 ] || usage
    [ -e "$DIR/pids" ] && die "$DIR holds running brokers: kafka.sh down --dir $DIR first"
    command -v java >/dev/null || die "a JDK (java 17) is needed"
    fetch
    mkdir -p "$DIR"
    rm -rf "$DIR"/node-* "$DIR/bootstrap" # a stopped cluster's data: every up starts afresh
    cat >"$DIR/log4j.properties" <<'LOG'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=WARN
log4j.logger.org.apache.kafka=WARN
log4j.logger.state.change.logger=WARN
LOG
    mapfile -t ports < <(free_ports $(( BROKERS * 2 )))
    local voters="" bootstrap="" cluster
    for i in $(seq 1 "$BROKERS"); do
        voters+="${voters:+,}$i@127.0.0.1:${ports[$(( BROKERS + i - 1 ))]}"
        bootstrap+="${bootstrap:+,}127.0.0.1:${ports[$(( i - 1 ))]}"
    done
    cluster=$(kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null)
    : >"$DIR/pids"
    for i in $(seq 1 "$BROKERS"); do
        write_config "$i" "${ports[$(( i - 1 ))]}" "${ports[$(( BROKERS + i - 1 ))]}" "$voters" "$BROKERS"
        kafka_java kafka.tools.StorageTool format -t "$cluster" \
            -c "$DIR/node-$i/server.properties" >"$DIR/node-$i/format.log" 2>&1 ||
            { down; die "formatting node $i failed (see $DIR/node-$i/format.log)"; }
        : >"$DIR/node-$i/kafka.log"
        launch "$i"
    done
    echo "$bootstrap" >"$DIR/bootstrap"
    if ! kafka_java "$HERE/kafka/Topics.java" "$bootstrap" "$PARTITIONS" \
        "$(( BROKERS < 3 ? BROKERS : 3 ))" "$(( TIMEOUT * 1000 ))" >"$DIR/topics.log" 2>&1; then
        for i in $(seq 1 "$BROKERS"); do tail -n 20 "$DIR/node-$i/kafka.log" >&2 || true; done
        tail -n 20 "$DIR/topics.log" >&2 || true
        down
        die "Kafka did not come up within ${TIMEOUT} s (logs in $DIR)"
    fi
    echo "bootstrap=$bootstrap"
}

# Whether pid $1 is one of our brokers (a pid left in a file after a crash
# or a reboot may name another process by now).
broker_pid() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q ' kafka\.Kafka '; }

down() {
    [ -n "${DIR:-}" ] || usage
    if [ ! -f "$DIR/pids" ]; then
        echo "kafka.sh: no running cluster in $DIR" >&2
        return 0
    fi
    local pids="" p
    for p in $(cat "$DIR/pids"); do broker_pid "$p" && pids+=" $p"; done
    for p in $pids; do kill -TERM "$p" 2>/dev/null || true; done
    for _ in $(seq 1 300); do
        local alive=0
        for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ "$alive" -eq 0 ] && break
        sleep 0.1
    done
    for p in $pids; do kill -KILL "$p" 2>/dev/null || true; done
    rm -f "$DIR/pids"
}

# ---- internal: one node of a running cluster, and the release's tools ----

node_pid() { # prints node $NODE's pid, if it runs
    [ -n "${DIR:-}" ] && [[ "$NODE" =~ ^[0-9]+$ ]] && [ -f "$DIR/node-$NODE/server.properties" ] ||
        die "usage: kafka.sh stop-node|start-node --dir DIR --node N (a node of DIR)"
    [ -f "$DIR/node-$NODE/pid" ] && cat "$DIR/node-$NODE/pid"
    return 0
}

# Whether pid $1 runs: one of its threads is not a zombie (a JVM's main
# thread is one while the others still close its sockets).
running() {
    local t stat
    kill -0 "$1" 2>/dev/null || return 1
    for t in /proc/"$1"/task/*/stat; do
        stat=$(cat "$t" 2>/dev/null) || continue
        stat=${stat##*) }
        [ "${stat%% *}" != Z ] && return 0
    done
    return 1
}

stop_node() {
    local pid
    pid=$(node_pid)
    [ -n "$pid" ] || die "node $NODE of $DIR is not running"
    case $SIGNAL in TERM | KILL) ;; *) usage ;; esac
    kill -"$SIGNAL" "$pid" 2>/dev/null || true
    for _ in $(seq 1 300); do
        running "$pid" || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
        running "$pid" || break
        sleep 0.1
    done
    rm -f "$DIR/node-$NODE/pid"
    grep -vx "$pid" "$DIR/pids" >"$DIR/pids.tmp" || true
    mv "$DIR/pids.tmp" "$DIR/pids"
}

start_node() {
    local pid port deadline=$(( SECONDS + TIMEOUT ))
    pid=$(node_pid)
    [ -z "$pid" ] || die "node $NODE of $DIR is running"
    [ -f "$DIR/pids" ] || die "no cluster runs in $DIR"
    port=$(sed -n 's/^listeners=PLAINTEXT:\/\/127\.0\.0\.1:\([0-9]*\),.*/\1/p' \
        "$DIR/node-$NODE/server.properties")
    launch "$NODE"
    pid=$(cat "$DIR/node-$NODE/pid")
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        running "$pid" || die "node $NODE exited (see $DIR/node-$NODE/kafka.log)"
        [ "$SECONDS" -lt "$deadline" ] || die "node $NODE does not listen on $port after ${TIMEOUT} s"
        sleep 0.2
    done
}

cmd=${1:-}
[ $# -gt 0 ] && shift
if [ "$cmd" = tool ]; then
    [ $# -ge 1 ] || die "usage: kafka.sh tool CLASS [ARGS...]"
    fetch
    exec java -Xms64m -Xmx256m -cp "$LIBS/*" -Dlog4j.configuration="file:$HERE/kafka/tools-log4j.properties" "$@"
fi
DIR="" PARTITIONS=4 BROKERS=1 NODE="" SIGNAL=TERM
while [ $# -gt 0 ]; do
    case $1 in
    --dir) DIR=${2:-}; shift 2 ;;
    --partitions) PARTITIONS=${2:-}; shift 2 ;;
    --brokers) BROKERS=${2:-}; shift 2 ;;
    --node) NODE=${2:-}; shift 2 ;;
    --signal) SIGNAL=${2:-}; shift 2 ;;
    *) usage ;;
    esac
done
[[ "$PARTITIONS" =~ ^[0-9]+$ && "$BROKERS" =~ ^[0-9]+$ ]] || usage
case $cmd in
up) up ;;
down) down ;;
fetch) fetch ;;
stop-node) stop_node ;;
start-node) start_node ;;
*) usage ;;
esac
