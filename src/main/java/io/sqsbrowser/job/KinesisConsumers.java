package io.sqsbrowser.job;

import io.sqsbrowser.aws.AwsSettings;
import java.util.Properties;
import org.apache.flink.streaming.connectors.kinesis.FlinkKinesisConsumer;
import org.apache.flink.streaming.connectors.kinesis.config.AWSConfigConstants;
import org.apache.flink.streaming.connectors.kinesis.config.ConsumerConfigConstants;
import org.apache.flink.streaming.connectors.kinesis.serialization.KinesisDeserializationSchema;

/** Builds FlinkKinesisConsumers from the typed configuration, for AWS and for kinesalite alike. */
final class KinesisConsumers {
    private KinesisConsumers() {}

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
