package io.callpulse.peer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Bytes;

/**
 * Contract section 3's window arithmetic with the default config (processor/kpis/window.c):
 * buckets of 60 s, bucket(ts) = floor(ts / 60000); a sliding window of n buckets at clock T
 * covers buckets bucket(T)-n+1 .. bucket(T); the day window is T's UTC calendar day. Also the
 * key of one agent's bucket in the bucket store: the agent id, a NUL (never in an id), and the
 * bucket as 8 big-endian bytes with the sign bit flipped, so one agent's buckets are
 * contiguous and in order.
 */
final class Windows {
    static final long BUCKET_MS = 60_000L;
    static final long DAY_MS = 86_400_000L;
    static final String[] NAMES = {"15m", "60m", "day"};
    static final int[] BUCKETS = {15, 60, 0}; /* 0: the day window */
    static final int REACH = 60; /* the longest sliding window, in buckets */

    private Windows() {}

    static long bucket(long tsMs) {
        return Math.floorDiv(tsMs, BUCKET_MS);
    }

    static long day(long tsMs) {
        return Math.floorDiv(tsMs, DAY_MS);
    }

    static Bytes key(String agent, long bucket) {
        byte[] a = agent.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(a.length + 9);
        b.put(a).put((byte) 0).putLong(bucket ^ Long.MIN_VALUE);
        return Bytes.wrap(b.array());
    }

    static String agentOf(Bytes key) {
        byte[] k = key.get();
        return new String(k, 0, k.length - 9, StandardCharsets.UTF_8);
    }

    static long bucketOf(Bytes key) {
        byte[] k = key.get();
        return ByteBuffer.wrap(k, k.length - 8, 8).getLong() ^ Long.MIN_VALUE;
    }
}
