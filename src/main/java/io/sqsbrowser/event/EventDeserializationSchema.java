package io.sqsbrowser.event;

import io.sqsbrowser.aws.ManagedFlinkMetrics;
import io.sqsbrowser.deadletter.Parsed;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeHint;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.connectors.kinesis.serialization.KinesisDeserializationSchema;

/** Reads event-stream records for {@code FlinkKinesisConsumer}; never throws, invalid records become dead letters. */
public final class EventDeserializationSchema implements KinesisDeserializationSchema<Parsed<DeliveryEvent>> {
    private static final long serialVersionUID = 1L;
    private final EventParser parser;
    private transient Counter eventsIn;
    private transient Counter eventsInvalid;

    public EventDeserializationSchema(EventParser parser) {
        this.parser = parser;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        eventsIn = context.getMetricGroup().counter("eventsIn");
        eventsInvalid = context.getMetricGroup().counter("eventsInvalid");
        ManagedFlinkMetrics.rate(context.getMetricGroup(), ManagedFlinkMetrics.EVENTS_IN_PER_SECOND, eventsIn);
        ManagedFlinkMetrics.rate(context.getMetricGroup(), ManagedFlinkMetrics.EVENTS_INVALID_PER_SECOND, eventsInvalid);
    }

    @Override
    public Parsed<DeliveryEvent> deserialize(byte[] data, String partitionKey, String sequenceNumber, long arrivalMillis,
            String stream, String shardId) {
        Parsed<DeliveryEvent> parsed = parser.parse(data, stream, shardId, sequenceNumber, arrivalMillis);
        eventsIn.inc();
        if (parsed.deadLetter != null) {
            eventsInvalid.inc();
        }
        return parsed;
    }

    @Override
    public TypeInformation<Parsed<DeliveryEvent>> getProducedType() {
        return new TypeHint<Parsed<DeliveryEvent>>() {}.getTypeInfo();
    }
}
