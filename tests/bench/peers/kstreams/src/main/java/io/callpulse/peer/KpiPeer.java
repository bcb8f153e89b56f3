package io.callpulse.peer;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.Stores;

/**
 * bench_kpi's Kafka Streams peer: the per-agent KPI sums of contract section 3 (15m, 60m and
 * day windows; no rules, boards or derived values) from call-events into Redis, with
 * processing.guarantee=exactly_once_v2. One processor with two key-value stores
 * (KpiProcessor); Redis writes batched per flush (RedisSink).
 *
 *   KpiPeer BOOTSTRAP REDIS_HOST:PORT APPLICATION_ID STATE_DIR
 *
 * Environment: PEER_TOPIC (call-events), PEER_PREFIX (peer:), PEER_THREADS (stream threads,
 * 2: the machine's cores), PEER_COMMIT_MS (commit.interval.ms, 1000: callpulse's
 * kafka.commit_interval_ms; Kafka Streams' exactly-once default is 100), PEER_FLUSH_MS (Redis
 * flush interval, default the commit interval), PEER_CACHE_MB (statestore.cache.max.bytes,
 * 64: holds every bucket of 1000 agents; the default 10 MB does not). Runs until SIGTERM or
 * SIGINT; exits 1 when a stream thread dies.
 */
public final class KpiPeer {
    private KpiPeer() {}

    private static String env(String name, String dflt) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? dflt : v;
    }

    static Topology topology(String topic, String redis, String prefix, Duration flush) {
        Topology t = new Topology();
        t.addSource("events", Serdes.String().deserializer(), Serdes.ByteArray().deserializer(),
                    topic);
        t.addProcessor("kpis", () -> new KpiProcessor(redis, prefix, flush), "events");
        t.addStateStore(Stores.keyValueStoreBuilder(
                            Stores.persistentKeyValueStore(KpiProcessor.BUCKETS), Serdes.Bytes(),
                            new LongsSerde()),
                        "kpis");
        t.addStateStore(Stores.keyValueStoreBuilder(
                            Stores.persistentKeyValueStore(KpiProcessor.DAYS), Serdes.String(),
                            new LongsSerde()),
                        "kpis");
        return t;
    }

    public static void main(String[] args) throws InterruptedException {
        if (args.length != 4) {
            System.err.println("usage: KpiPeer BOOTSTRAP REDIS_HOST:PORT APPLICATION_ID STATE_DIR");
            System.exit(2);
        }
        String commitMs = env("PEER_COMMIT_MS", "1000");
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, args[2]);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        p.put(StreamsConfig.STATE_DIR_CONFIG, args[3]);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, env("PEER_THREADS", "2"));
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitMs);
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG,
              Long.parseLong(env("PEER_CACHE_MB", "64")) << 20);
        p.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");

        Topology topo = topology(env("PEER_TOPIC", "call-events"), args[1],
                                 env("PEER_PREFIX", "peer:"),
                                 Duration.ofMillis(Long.parseLong(env("PEER_FLUSH_MS", commitMs))));
        KafkaStreams streams = new KafkaStreams(topo, p);
        CountDownLatch done = new CountDownLatch(1);
        int[] rc = {0};
        streams.setUncaughtExceptionHandler(e -> {
            System.err.println("kstreams-peer: stream thread died: " + e);
            rc[0] = 1;
            done.countDown();
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            streams.close(Duration.ofSeconds(10));
            streams.cleanUp();
        }));
        streams.start();
        done.await(); /* only a dead stream thread gets here; SIGTERM runs the hook */
        System.exit(rc[0]);
    }
}
