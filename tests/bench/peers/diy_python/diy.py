#!/usr/bin/python3
"""diy.py -- the do-it-yourself consumer bench_kpi compares callpulse with.

What a competent engineer writes in an afternoon with confluent-kafka and
redis-py: poll a batch, parse each event, count it into a per-agent,
per-minute hash (diy:{AGENT}:MINUTE, with a 2-day TTL), keep the agent's
last state, and send the batch's writes as one Redis pipeline per poll.
No sliding windows, no de-duplication, no rules, no boards: less work than
callpulse does, so the comparison flatters it.

    /usr/bin/python3 diy.py BROKERS REDIS_HOST:PORT GROUP_ID STATE_DIR

(STATE_DIR is unused; the arguments are those of bench_kpi's peers,
kpipeer.h.) DIY_BATCH (default 1000) is how many messages one poll takes
(Consumer.consume); DIY_BATCH=1 polls one message at a time (Consumer.poll)
and so sends one pipeline per message, the quicker job still. Progress for bench_kpi, in each poll's pipeline: hash
peer:offsets (partition -> next offset stored) and peer:first (the
wall-clock ms of the first event). Runs until SIGTERM.

Debian's python3-confluent-kafka and python3-redis load in /usr/bin/python3.
"""
import json
import os
import signal
import sys
import time
from datetime import datetime

import redis
from confluent_kafka import Consumer

TOPIC = "call-events"
BATCH = int(os.environ.get("DIY_BATCH", "1000"))
TTL_S = 2 * 86400

running = True


def stop(*_):
    global running
    running = False


def epoch_ms(ts):
    if isinstance(ts, (int, float)):
        return int(ts)
    return int(datetime.fromisoformat(ts).timestamp() * 1000)


def count(pipe, ev, touched):
    """Queue the Redis writes of one event; returns False when invalid."""
    agent = ev.get("agent_id")
    etype = ev.get("type")
    if not agent or not etype or "ts" not in ev:
        return False
    key = "diy:{%s}:%d" % (agent, epoch_ms(ev["ts"]) // 60000)
    pipe.hincrby(key, etype, 1)
    if etype == "call_ended":
        pipe.hincrbyfloat(key, "talk_s", ev.get("talk_s", 0))
        pipe.hincrbyfloat(key, "hold_s", ev.get("hold_s", 0))
        for flag in ("resolved", "transferred", "complaint", "sale"):
            if ev.get(flag):
                pipe.hincrby(key, flag, 1)
    elif etype == "wrapup_ended":
        pipe.hincrbyfloat(key, "acw_s", ev.get("acw_s", 0))
    elif etype == "survey":
        pipe.hincrby(key, "csat_sum", ev.get("csat", 0))
    elif etype == "qa_scored":
        pipe.hincrbyfloat(key, "qa_sum", ev.get("qa_score", 0))
    elif etype == "agent_state":
        pipe.hset("diy:now:{%s}" % agent, mapping={"state": ev.get("state", ""), "ts": ev["ts"]})
    if key not in touched:
        touched.add(key)
        pipe.expire(key, TTL_S)
    return True


def main():
    brokers, hostport, group = sys.argv[1], sys.argv[2], sys.argv[3]
    host, port = hostport.rsplit(":", 1)
    signal.signal(signal.SIGTERM, stop)
    r = redis.Redis(host=host, port=int(port))
    c = Consumer({"bootstrap.servers": brokers, "group.id": group,
                  "auto.offset.reset": "earliest", "enable.auto.commit": True})
    c.subscribe([TOPIC])
    first = None
    invalid = 0
    while running:
        if BATCH > 1:
            msgs = c.consume(BATCH, 0.5)
        else:
            m = c.poll(0.5)
            msgs = [m] if m is not None else []
        if not msgs:
            continue
        pipe = r.pipeline(transaction=False)
        touched = set()
        offsets = {}
        for m in msgs:
            if m.error():
                continue
            try:
                ok = count(pipe, json.loads(m.value()), touched)
            except (ValueError, TypeError):
                ok = False
            invalid += not ok
            offsets[m.partition()] = m.offset() + 1
        if first is None:
            first = int(time.time() * 1000)
            pipe.hset("peer:first", "diy", first)
        if offsets:
            pipe.hset("peer:offsets", mapping=offsets)
        pipe.execute()
    c.close()
    print("diy: stopped, %d invalid events" % invalid, file=sys.stderr)


if __name__ == "__main__":
    main()
