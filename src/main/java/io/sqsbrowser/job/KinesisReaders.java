package io.sqsbrowser.job;

import io.sqsbrowser.aws.AwsSettings;
import java.util.Properties;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.connectors.kinesis.FlinkKinesisConsumer;
import org.apache.flink.streaming.connectors.kinesis.config.AWSConfigConstants;
import org.apache.flink.streaming.connectors.kinesis.config.ConsumerConfigConstants;
import org.apache.flink.streaming.connectors.kinesis.serialization.KinesisDeserializationSchema;

/**
 * Reads a Kinesis stream with the reader configured ({@link JobConfig.Reader}): the connector's legacy
 * {@code FlinkKinesisConsumer} (the default) or its new {@code KinesisStreamsSource} ({@link KinesisStreamsSources}),
 * built from the typed configuration, for AWS and for kinesalite alike.
 */
public final class KinesisReaders {
    private KinesisReaders() {}

    /**
     * The stream's records, deserialized by {@code schema}. The new source takes another uid than the consumer: their
     * state does not restore into each other, so a switch starts from the configured position, by the operator's own
     * choice ({@code allowNonRestoredState}), rather than silently from the wrong place.
     */
    public static <T> DataStream<T> read(StreamExecutionEnvironment env, AwsSettings aws, JobConfig.KinesisSourceConfig source,
            KinesisDeserializationSchema<T> schema, String uid, String name) {
        if (source.reader == JobConfig.Reader.SOURCE) {
            return env.fromSource(KinesisStreamsSources.source(aws, source, schema), WatermarkStrategy.noWatermarks(), name,
                            schema.getProducedType())
                    .uid(uid + "-flip27");
        }
        return env.addSource(consumer(aws, source, schema)).uid(uid).name(name);
    }

    static <T> FlinkKinesisConsumer<T> consumer(AwsSettings aws, JobConfig.KinesisSourceConfig source,
            KinesisDeserializationSchema<T> schema) {
        return new FlinkKinesisConsumer<>(source.stream, schema, properties(aws, source));
    }

    static Properties properties(AwsSettings aws, JobConfig.KinesisSourceConfig source) {
        Properties p = new Properties();
        p.setProperty(AWSConfigConstants.AWS_REGION, aws.region());
        if (aws.endpoint("kinesis") != null) {
            p.setProperty(AWSConfigConstants.AWS_ENDPOINT, aws.endpoint("kinesis").toString());
        }
        if (aws.credentials() == AwsSettings.Credentials.STATIC) {
            p.setProperty(AWSConfigConstants.AWS_CREDENTIALS_PROVIDER, "BASIC");
            p.setProperty(AWSConfigConstants.AWS_ACCESS_KEY_ID, aws.accessKeyId());
            p.setProperty(AWSConfigConstants.AWS_SECRET_ACCESS_KEY, aws.secretAccessKey());
        } else {
            p.setProperty(AWSConfigConstants.AWS_CREDENTIALS_PROVIDER, "AUTO");
        }
        p.setProperty(ConsumerConfigConstants.STREAM_INITIAL_POSITION, source.initialPosition);
        if (source.initialTimestamp != null) {
            p.setProperty(ConsumerConfigConstants.STREAM_INITIAL_TIMESTAMP, source.initialTimestamp);
        }
        p.setProperty(ConsumerConfigConstants.RECORD_PUBLISHER_TYPE, source.recordPublisher);
        if (source.efoConsumerName != null) {
            p.setProperty(ConsumerConfigConstants.EFO_CONSUMER_NAME, source.efoConsumerName);
        }
        p.setProperty(ConsumerConfigConstants.SHARD_DISCOVERY_INTERVAL_MILLIS,
                Long.toString(source.shardDiscoveryIntervalMillis));
        p.putAll(source.consumerOverrides);
        return p;
    }
}
