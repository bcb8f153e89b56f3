package io.callpulse.peer;

import java.util.HashMap;
import java.util.Map;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;

/**
 * The peer's writes to Redis, one pipeline per flush: an agent's window values as the hash
 * PREFIX kpi:{AGENT}:WINDOW (as_of and the 16 sums, written whole, so a replay after a crash
 * writes the same values again), and per input partition the next offset whose event is not
 * yet reflected there (PREFIX offsets) and the wall-clock ms its first event was processed
 * (PREFIX first): bench_kpi's end condition and start.
 */
final class RedisSink implements AutoCloseable {
    private final Jedis jedis;
    private final String prefix;
    private final Pipeline pipe;
    private boolean queued;

    RedisSink(String hostPort, String prefix) {
        int colon = hostPort.lastIndexOf(':');
        this.jedis = new Jedis(hostPort.substring(0, colon),
                               Integer.parseInt(hostPort.substring(colon + 1)));
        this.prefix = prefix;
        this.pipe = jedis.pipelined();
    }

    private Pipeline pipe() {
        queued = true;
        return pipe;
    }

    void window(String agent, String window, long asOf, long[] sums) {
        Map<String, String> h = new HashMap<>(32);
        h.put("as_of", Long.toString(asOf));
        for (int i = 0; i < Sums.COUNT; i++)
            h.put(Sums.NAMES[i], Sums.text(i, sums[i]));
        pipe().hset(prefix + "kpi:{" + agent + "}:" + window, h);
    }

    void progress(int partition, long nextOffset, long firstMs) {
        String p = Integer.toString(partition);
        pipe().hset(prefix + "offsets", p, Long.toString(nextOffset));
        if (firstMs > 0)
            pipe().hsetnx(prefix + "first", p, Long.toString(firstMs));
    }

    /** Sends what was queued and waits for the replies. */
    void sync() {
        if (queued)
            pipe.sync();
        queued = false;
    }

    @Override
    public void close() {
        pipe.close();
        jedis.close();
    }
}
