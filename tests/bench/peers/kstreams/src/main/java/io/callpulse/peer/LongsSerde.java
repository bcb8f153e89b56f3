package io.callpulse.peer;

import java.nio.ByteBuffer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/** A long[] as its 8-byte big-endian elements: the state stores' values. */
final class LongsSerde implements Serde<long[]> {
    @Override
    public Serializer<long[]> serializer() {
        return (topic, v) -> {
            if (v == null)
                return null;
            ByteBuffer b = ByteBuffer.allocate(v.length * 8);
            b.asLongBuffer().put(v);
            return b.array();
        };
    }

    @Override
    public Deserializer<long[]> deserializer() {
        return (topic, data) -> {
            if (data == null)
                return null;
            long[] v = new long[data.length / 8];
            ByteBuffer.wrap(data).asLongBuffer().get(v);
            return v;
        };
    }
}
