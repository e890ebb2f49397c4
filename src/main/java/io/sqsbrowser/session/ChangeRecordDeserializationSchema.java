package io.sqsbrowser.session;

import io.sqsbrowser.deadletter.Parsed;
import org.apache.flink.api.common.typeinfo.TypeHint;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.connectors.kinesis.serialization.KinesisDeserializationSchema;

/** Reads the session change stream for {@code FlinkKinesisConsumer}; never throws. */
public final class ChangeRecordDeserializationSchema implements KinesisDeserializationSchema<Parsed<SessionRecord>> {
    private static final long serialVersionUID = 1L;
    private final ChangeRecordParser parser = new ChangeRecordParser();

    @Override
    public Parsed<SessionRecord> deserialize(byte[] data, String partitionKey, String sequenceNumber,
            long arrivalMillis, String stream, String shardId) {
        return parser.parse(data, stream, shardId, sequenceNumber);
    }

    @Override
    public TypeInformation<Parsed<SessionRecord>> getProducedType() {
        return new TypeHint<Parsed<SessionRecord>>() {}.getTypeInfo();
    }
}
