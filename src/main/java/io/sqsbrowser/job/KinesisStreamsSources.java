package io.sqsbrowser.job;

import io.sqsbrowser.aws.AwsSettings;
import java.util.Locale;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kinesis.source.KinesisStreamsSource;
import org.apache.flink.connector.kinesis.source.config.KinesisStreamsSourceConfigConstants;
import org.apache.flink.connector.kinesis.source.serialization.KinesisDeserializationSchema;
import org.apache.flink.kinesis.shaded.software.amazon.awssdk.services.kinesis.model.Record;
import org.apache.flink.streaming.connectors.kinesis.config.AWSConfigConstants;
import org.apache.flink.util.Collector;

/**
 * Builds the connector's new (FLIP-27) {@code KinesisStreamsSource} from the typed configuration, for
 * {@code reader: SOURCE}: the same settings as the legacy consumer where the source has them (start position and
 * timestamp, shard discovery, region, endpoint, credentials), with the records handed to the same deserialization
 * schema. Experimental in connector 4.3.0 (see docs/configuration.md, "Which Kinesis reader"): polling only, no enhanced fan-out.
 */
final class KinesisStreamsSources {
    private KinesisStreamsSources() {}

    static <T> KinesisStreamsSource<T> source(AwsSettings aws, JobConfig.KinesisSourceConfig source,
            org.apache.flink.streaming.connectors.kinesis.serialization.KinesisDeserializationSchema<T> schema) {
        return KinesisStreamsSource.<T>builder()
                .setStreamArn(source.streamArn)
                .setSourceConfig(configuration(aws, source))
                .setDeserializationSchema(new ConsumerSchema<>(schema, source.stream))
                .build();
    }

    static Configuration configuration(AwsSettings aws, JobConfig.KinesisSourceConfig source) {
        Configuration c = new Configuration();
        // The source's client takes its region from here, not from the ARN (connector 4.3.0).
        c.setString(AWSConfigConstants.AWS_REGION, aws.region());
        if (aws.endpoint("kinesis") != null) {
            c.setString(AWSConfigConstants.AWS_ENDPOINT, aws.endpoint("kinesis").toString());
        }
        if (aws.credentials() == AwsSettings.Credentials.STATIC) {
            c.setString(AWSConfigConstants.AWS_CREDENTIALS_PROVIDER, "BASIC");
            c.setString(AWSConfigConstants.AWS_ACCESS_KEY_ID, aws.accessKeyId());
            c.setString(AWSConfigConstants.AWS_SECRET_ACCESS_KEY, aws.secretAccessKey());
        } else {
            c.setString(AWSConfigConstants.AWS_CREDENTIALS_PROVIDER, "AUTO");
        }
        c.set(KinesisStreamsSourceConfigConstants.STREAM_INITIAL_POSITION,
                KinesisStreamsSourceConfigConstants.InitialPosition.valueOf(source.initialPosition.toUpperCase(Locale.ROOT)));
        if (source.initialTimestamp != null) {
            c.set(KinesisStreamsSourceConfigConstants.STREAM_INITIAL_TIMESTAMP, source.initialTimestamp);
        }
        c.set(KinesisStreamsSourceConfigConstants.SHARD_DISCOVERY_INTERVAL_MILLIS, source.shardDiscoveryIntervalMillis);
        source.consumerOverrides.forEach(c::setString);
        return c;
    }

    /**
     * A deserialization schema of the legacy consumer, as the new source calls one: the same fields from the record,
     * and the stream's name (not its ARN), so dead letters name their source alike whichever reader read them.
     */
    static final class ConsumerSchema<T> implements KinesisDeserializationSchema<T> {
        private static final long serialVersionUID = 1L;
        private final org.apache.flink.streaming.connectors.kinesis.serialization.KinesisDeserializationSchema<T> schema;
        private final String stream;

        ConsumerSchema(org.apache.flink.streaming.connectors.kinesis.serialization.KinesisDeserializationSchema<T> schema, String stream) {
            this.schema = schema;
            this.stream = stream;
        }

        @Override
        public void open(org.apache.flink.api.common.serialization.DeserializationSchema.InitializationContext context) throws Exception {
            schema.open(context);
        }

        @Override
        public void deserialize(Record record, String streamArn, String shardId, Collector<T> out) throws java.io.IOException {
            out.collect(schema.deserialize(record.data().asByteArrayUnsafe(), record.partitionKey(), record.sequenceNumber(),
                    record.approximateArrivalTimestamp().toEpochMilli(), stream, shardId));
        }

        @Override
        public org.apache.flink.api.common.typeinfo.TypeInformation<T> getProducedType() {
            return schema.getProducedType();
        }
    }
}
