package io.callpulse.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * One task's (one input partition's) per-agent KPI sums over the 15m, 60m and day windows,
 * by event time at the partition's clock as contract section 3 defines them.
 *
 * State, in two fault-tolerant key-value stores (RocksDB, changelogged, restored by Kafka
 * Streams; exactly-once v2 commits them with the input offsets): BUCKETS holds an agent's
 * sums per one-minute bucket inside the longest window (key: Windows.key), DAYS an agent's
 * sums of the clock's calendar day ([day, 16 sums]) and, under CLOCK, the partition's clock
 * (the largest ts accepted so far). Events further than the lateness limit (600 s) behind the
 * clock, or over 300 s ahead of the wall clock, are skipped (callpulse dead-letters them); so
 * are messages that are not JSON objects with a type and a ts.
 *
 * Every flush (a wall-clock punctuation) writes to Redis the windows of each agent that had
 * an event since the last flush, and of each agent whose windows the clock moved (it had data
 * inside the longest window, or in the day that ended), then the partition's progress. Agents
 * that went quiet therefore see their windows slide and empty, as in callpulse.
 */
final class KpiProcessor implements Processor<String, byte[], Void, Void> {
    static final String BUCKETS = "kpi-buckets";
    static final String DAYS = "kpi-days";
    private static final String CLOCK = "\u0000clock";
    private static final long LATENESS_MS = 600_000L;
    private static final long FUTURE_SKEW_MS = 300_000L;
    private static final long NONE = Long.MIN_VALUE;

    private final ObjectMapper json = new ObjectMapper();
    private final String redisAddr, prefix;
    private final Duration flushEvery;
    private RedisSink redis;
    private ProcessorContext<Void, Void> ctx;
    private KeyValueStore<Bytes, long[]> buckets;
    private KeyValueStore<String, long[]> days;

    private long clock = NONE;
    private final long[] delta = new long[Sums.COUNT];
    /* in memory, rebuilt from BUCKETS on init: each agent's newest bucket with data */
    private final Map<String, Long> lastBucket = new HashMap<>();
    private final Set<String> dirty = new HashSet<>();
    private long flushedBucket = NONE, flushedDay = NONE;
    private int partition = -1;
    private long nextOffset = -1, flushedOffset = -1, firstMs;
    private long skipped;

    KpiProcessor(String redisAddr, String prefix, Duration flushEvery) {
        this.redisAddr = redisAddr;
        this.prefix = prefix;
        this.flushEvery = flushEvery;
    }

    @Override
    public void init(ProcessorContext<Void, Void> context) {
        ctx = context;
        buckets = context.getStateStore(BUCKETS);
        days = context.getStateStore(DAYS);
        long[] c = days.get(CLOCK);
        clock = c == null ? NONE : c[0];
        try (KeyValueIterator<Bytes, long[]> it = buckets.all()) {
            while (it.hasNext()) {
                Bytes k = it.next().key;
                noteBucket(Windows.agentOf(k), Windows.bucketOf(k));
            }
        }
        redis = new RedisSink(redisAddr, prefix);
        context.schedule(flushEvery, PunctuationType.WALL_CLOCK_TIME, this::flush);
    }

    @Override
    public void process(Record<String, byte[]> record) {
        RecordMetadata meta = ctx.recordMetadata().orElseThrow();
        partition = meta.partition();
        nextOffset = meta.offset() + 1;
        if (firstMs == 0)
            firstMs = System.currentTimeMillis();
        JsonNode ev;
        long ts;
        try {
            ev = json.readTree(record.value());
            ts = timestamp(ev.get("ts"));
        } catch (Exception e) {
            skipped++;
            return;
        }
        String type = ev.path("type").asText("");
        if (type.isEmpty() || ts == NONE || (clock != NONE && ts < clock - LATENESS_MS)
            || ts > System.currentTimeMillis() + FUTURE_SKEW_MS) {
            skipped++;
            return;
        }
        if (clock == NONE || ts > clock) {
            clock = ts;
            days.put(CLOCK, new long[] {clock});
        }
        String agent = ev.path("agent_id").asText("");
        if (agent.isEmpty() || !Sums.ofEvent(type, ev, delta))
            return; /* moves the clock only */
        addToBucket(agent, Windows.bucket(ts));
        addToDay(agent, Windows.day(ts));
        dirty.add(agent);
    }

    private void addToBucket(String agent, long b) {
        if (b < Windows.bucket(clock) - Windows.REACH + 1)
            return; /* outside every sliding window for good */
        Bytes key = Windows.key(agent, b);
        long[] s = buckets.get(key);
        if (s == null)
            s = new long[Sums.COUNT];
        Sums.add(s, delta);
        buckets.put(key, s);
        noteBucket(agent, b);
    }

    /* [day, sums] of the clock's day: a new day starts from zero; an event of an earlier day
     * (late, across midnight) adds nothing to it. */
    private void addToDay(String agent, long eventDay) {
        long today = Windows.day(clock);
        long[] d = days.get(agent);
        if (d == null || d[0] != today) {
            d = new long[Sums.COUNT + 1];
            d[0] = today;
        }
        if (eventDay == today) {
            for (int i = 0; i < Sums.COUNT; i++)
                d[i + 1] += delta[i];
        }
        days.put(agent, d);
    }

    private void noteBucket(String agent, long b) {
        lastBucket.merge(agent, b, Math::max);
    }

    private void flush(long wallMs) {
        if (clock == NONE || (dirty.isEmpty() && nextOffset == flushedOffset))
            return;
        long bt = Windows.bucket(clock), today = Windows.day(clock);
        Set<String> write = new HashSet<>(dirty);
        boolean newBucket = flushedBucket != NONE && bt != flushedBucket;
        boolean newDay = flushedDay != NONE && today != flushedDay;
        for (Map.Entry<String, Long> e : lastBucket.entrySet()) {
            long b = e.getValue(); /* its data reached a window the clock moved */
            if ((newBucket && b >= flushedBucket - Windows.REACH + 1)
                || (newDay && Windows.day(b * Windows.BUCKET_MS) >= flushedDay))
                write.add(e.getKey());
        }
        for (String agent : write)
            writeAgent(agent, bt, today);
        redis.progress(partition, nextOffset, firstMs);
        redis.sync();
        dirty.clear();
        flushedBucket = bt;
        flushedDay = today;
        flushedOffset = nextOffset;
    }

    /* The agent's three windows at the clock, and its buckets that left them pruned. */
    private void writeAgent(String agent, long bt, long today) {
        long[] w15 = new long[Sums.COUNT], w60 = new long[Sums.COUNT], wday = new long[Sums.COUNT];
        try (KeyValueIterator<Bytes, long[]> it =
                 buckets.range(Windows.key(agent, bt - 59), Windows.key(agent, bt))) {
            while (it.hasNext()) {
                KeyValue<Bytes, long[]> kv = it.next();
                Sums.add(w60, kv.value);
                if (Windows.bucketOf(kv.key) >= bt - 14)
                    Sums.add(w15, kv.value);
            }
        }
        long[] d = days.get(agent);
        if (d != null && d[0] == today)
            System.arraycopy(d, 1, wday, 0, Sums.COUNT);
        redis.window(agent, Windows.NAMES[0], clock, w15);
        redis.window(agent, Windows.NAMES[1], clock, w60);
        redis.window(agent, Windows.NAMES[2], clock, wday);
        List<Bytes> gone = new ArrayList<>();
        try (KeyValueIterator<Bytes, long[]> it =
                 buckets.range(Windows.key(agent, Long.MIN_VALUE), Windows.key(agent, bt - Windows.REACH))) {
            while (it.hasNext())
                gone.add(it.next().key);
        }
        for (Bytes k : gone)
            buckets.delete(k);
    }

    /* ts: epoch ms (an integral JSON number) or RFC 3339 with an offset; NONE when absent. */
    private static long timestamp(JsonNode ts) {
        if (ts == null)
            return NONE;
        if (ts.isIntegralNumber())
            return ts.asLong();
        if (ts.isNumber())
            return (long) ts.asDouble();
        return OffsetDateTime.parse(ts.asText()).toInstant().toEpochMilli();
    }

    @Override
    public void close() {
        if (skipped > 0)
            System.err.printf("kstreams-peer: partition %d: %d messages skipped%n", partition, skipped);
        if (redis != null)
            redis.close();
    }
}
