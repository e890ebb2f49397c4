package io.sqsbrowser.event;

import io.sqsbrowser.deadletter.Parsed;
import org.apache.flink.api.common.typeinfo.TypeHint;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.connectors.kinesis.serialization.KinesisDeserializationSchema;

/**
 * Reads event-stream records for the Kinesis readers; never throws, invalid records become dead letters (counted by
 * {@link io.sqsbrowser.deadletter.SplitDeadLetters}, once per subtask).
 */
public final class EventDeserializationSchema implements KinesisDeserializationSchema<Parsed<DeliveryEvent>> {
    private static final long serialVersionUID = 1L;
    private final EventParser parser;

    public EventDeserializationSchema(EventParser parser) {
        this.parser = parser;
    }

    @Override
    public Parsed<DeliveryEvent> deserialize(byte[] data, String partitionKey, String sequenceNumber, long arrivalMillis,
            String stream, String shardId) {
        return parser.parse(data, stream, shardId, sequenceNumber, arrivalMillis);
    }

    @Override
    public TypeInformation<Parsed<DeliveryEvent>> getProducedType() {
        return new TypeHint<Parsed<DeliveryEvent>>() {}.getTypeInfo();
    }
}
