package io.sqsbrowser.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.kinesisanalytics.runtime.KinesisAnalyticsRuntime;
import io.sqsbrowser.deadletter.DeadLetterDestination;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.flink.streaming.connectors.kinesis.config.AWSConfigConstants;
import org.apache.flink.streaming.connectors.kinesis.config.ConsumerConfigConstants;
import org.junit.jupiter.api.Test;

class JobConfigTest {
    private static Map<String, Properties> minimal() {
        Map<String, Properties> groups = new HashMap<>();
        groups.put("EventSource", props("stream", "events"));
        groups.put("SessionSource", props("changeStream", "changes", "table", "sessions"));
        groups.put("DeadLetter", props("target", "https://sqs/dlq"));
        groups.put("History", props("table", "history"));
        groups.put("Cleanup", props("queuePrefix", "prod-sqs-browser"));
        return groups;
    }

    private static Properties props(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return p;
    }

    @Test
    void theExampleRuntimePropertiesOfManagedFlinkAreAValidConfiguration() throws Exception {
        JobConfig c = JobConfig.fromPropertyGroups(
                KinesisAnalyticsRuntime.getApplicationProperties("kinesis-analytics/runtime-properties.example.json"));
        assertThat(c.eventSource.recordPublisher).isEqualTo("EFO");
        assertThat(c.sessionTable).isEqualTo("prod-sqs-browser-sessions");
        assertThat(c.deadLetter.type).isEqualTo(DeadLetterDestination.Type.SQS);
        assertThat(c.aws.endpoint("sqs")).isNull();
    }

    @Test
    void defaultsSuitAwsAndReplayIsConfigurable() {
        JobConfig c = JobConfig.fromPropertyGroups(minimal());
        assertThat(c.eventSource.initialPosition).isEqualTo("LATEST");
        assertThat(c.sessionChanges.initialPosition).isEqualTo("TRIM_HORIZON");
        assertThat(c.bootstrapScan).isTrue();
        assertThat(c.sqs.maxInFlightRequests).isEqualTo(128);
        assertThat(c.delivery.fanOutMessagesPerSecond).as("broadcasts unpaced").isZero();
        assertThat(c.parallelism).isZero();
        assertThat(c.history.ttlSeconds).isEqualTo(86_400);
        assertThat(c.cleanup).isTrue();

        Map<String, Properties> replay = minimal();
        replay.get("EventSource").setProperty("initialPosition", "AT_TIMESTAMP");
        replay.get("EventSource").setProperty("initialTimestamp", "2026-11-27T00:00:00.000Z");
        Properties consumer = KinesisReaders.properties(JobConfig.fromPropertyGroups(replay).aws,
                JobConfig.fromPropertyGroups(replay).eventSource);
        assertThat(consumer.getProperty(ConsumerConfigConstants.STREAM_INITIAL_POSITION)).isEqualTo("AT_TIMESTAMP");
        assertThat(consumer.getProperty(ConsumerConfigConstants.STREAM_INITIAL_TIMESTAMP)).isEqualTo("2026-11-27T00:00:00.000Z");
        assertThat(consumer.getProperty(AWSConfigConstants.AWS_CREDENTIALS_PROVIDER)).isEqualTo("AUTO");
    }

    @Test
    void endpointsAndStaticCredentialsPointEverythingAtEmulators() {
        Map<String, Properties> groups = minimal();
        groups.put("Aws", props("credentials", "static", "accessKeyId", "AKIDEXAMPLE", "secretAccessKey", "s3cr3t-value",
                "endpoint.kinesis", "http://127.0.0.1:4567", "endpoint.sqs", "http://127.0.0.1:9324"));
        groups.get("EventSource").setProperty("consumer.flink.shard.getrecords.intervalmillis", "100");
        JobConfig c = JobConfig.fromPropertyGroups(groups);
        Properties consumer = KinesisReaders.properties(c.aws, c.eventSource);
        assertThat(consumer.getProperty(AWSConfigConstants.AWS_ENDPOINT)).isEqualTo("http://127.0.0.1:4567");
        assertThat(consumer.getProperty(AWSConfigConstants.AWS_CREDENTIALS_PROVIDER)).isEqualTo("BASIC");
        assertThat(consumer.getProperty("flink.shard.getrecords.intervalmillis")).isEqualTo("100");
        assertThat(c.aws.endpoint("sqs")).hasToString("http://127.0.0.1:9324");
        assertThat(c.aws.toString()).doesNotContain("s3cr3t-value");
    }

    @Test
    void mistakesAreNamedByGroupAndKey() {
        Map<String, Properties> noStream = minimal();
        noStream.get("EventSource").remove("stream");
        assertThatThrownBy(() -> JobConfig.fromPropertyGroups(noStream)).hasMessage("missing property EventSource.stream");

        Map<String, Properties> badNumber = minimal();
        badNumber.put("Sqs", props("maxInFlightBytes", "many"));
        assertThatThrownBy(() -> JobConfig.fromPropertyGroups(badNumber)).hasMessage("Sqs.maxInFlightBytes must be an integer, got many");

        Map<String, Properties> negativePace = minimal();
        negativePace.put("Sqs", props("fanOutMessagesPerSecond", "-5"));
        assertThatThrownBy(() -> JobConfig.fromPropertyGroups(negativePace))
                .hasMessage("Sqs.fanOutMessagesPerSecond must be at least 0, got -5");

        Map<String, Properties> gone = minimal();
        gone.put("Sqs", props("maxAttempts", "8"));
        assertThatThrownBy(() -> JobConfig.fromPropertyGroups(gone)).hasMessage("unknown property Sqs.maxAttempts");

        Map<String, Properties> badPosition = minimal();
        badPosition.get("EventSource").setProperty("initialPosition", "AT_TIMESTAMP");
        assertThatThrownBy(() -> JobConfig.fromPropertyGroups(badPosition))
                .hasMessage("EventSource.initialTimestamp is required with AT_TIMESTAMP");

        Map<String, Properties> nanos = minimal();
        nanos.get("EventSource").setProperty("initialPosition", "AT_TIMESTAMP");
        nanos.get("EventSource").setProperty("initialTimestamp", "2026-12-04T19:45:51.123456789Z");
        assertThatThrownBy(() -> JobConfig.fromPropertyGroups(nanos)).hasMessageStartingWith("EventSource.initialTimestamp must be "
                + "epoch seconds or yyyy-MM-ddTHH:mm:ss.SSS with Z or an offset");

        Map<String, Properties> efoSource = minimal();
        efoSource.get("EventSource").setProperty("reader", "SOURCE");
        efoSource.get("EventSource").setProperty("streamArn", "arn:aws:kinesis:us-east-1:123456789012:stream/events");
        efoSource.get("EventSource").setProperty("recordPublisher", "EFO");
        efoSource.get("EventSource").setProperty("efoConsumerName", "delivery");
        assertThatThrownBy(() -> JobConfig.fromPropertyGroups(efoSource)).hasMessageStartingWith("EventSource.recordPublisher EFO needs reader CONSUMER");

        Map<String, Properties> noArn = minimal();
        noArn.get("SessionSource").setProperty("reader", "SOURCE");
        assertThatThrownBy(() -> JobConfig.fromPropertyGroups(noArn)).hasMessageStartingWith("SessionSource.streamArn is required with reader SOURCE");

        Map<String, Properties> efoNoName = minimal();
        efoNoName.get("EventSource").setProperty("recordPublisher", "EFO");
        assertThatThrownBy(() -> JobConfig.fromPropertyGroups(efoNoName)).hasMessageStartingWith("EventSource.efoConsumerName is required");

        Map<String, Properties> renamed = minimal();
        renamed.get("SessionSource").setProperty("maxWaitingEventBytes", "1000");
        assertThatThrownBy(() -> JobConfig.fromPropertyGroups(renamed))
                .hasMessageStartingWith("SessionSource.maxWaitingEventBytes is no longer read; set HeldEvents.maxBytes");

        Map<String, Properties> heldBelowAMessage = minimal();
        heldBelowAMessage.put("HeldEvents", props("maxBytes", "64"));
        assertThatThrownBy(() -> JobConfig.fromPropertyGroups(heldBelowAMessage))
                .hasMessage("HeldEvents.maxBytes (64) must be at least Sqs.maxMessageBytes (262144): an event of the largest size must fit");

        Map<String, Properties> backoff = minimal();
        backoff.put("History", props("table", "history", "backoffBaseMillis", "500", "backoffMaxMillis", "100"));
        assertThatThrownBy(() -> JobConfig.fromPropertyGroups(backoff)).hasMessage(
                "History.backoffMaxMillis (100) must be at least History.backoffBaseMillis (500): the longest wait cannot be shorter than the first");

        Map<String, Properties> window = minimal();
        window.get("SessionSource").setProperty("graceWindowBytes", "0");
        assertThatThrownBy(() -> JobConfig.fromPropertyGroups(window)).hasMessageStartingWith(
                "SessionSource.graceWindowBytes (0) must be at least Sqs.maxMessageBytes (262144)");

        Map<String, Properties> parallelism = minimal();
        parallelism.put("Job", props("parallelism", "200"));
        assertThatThrownBy(() -> JobConfig.fromPropertyGroups(parallelism)).hasMessageStartingWith(
                "Job.maxParallelism (128) must be at least Job.parallelism (200)");

        Map<String, Properties> badDlq = minimal();
        badDlq.get("DeadLetter").setProperty("type", "S3");
        assertThatThrownBy(() -> JobConfig.fromPropertyGroups(badDlq)).hasMessage("DeadLetter.type must be SQS or KINESIS, got S3");

        Map<String, Properties> staticWithoutKeys = minimal();
        staticWithoutKeys.put("Aws", props("credentials", "STATIC"));
        assertThatThrownBy(() -> JobConfig.fromPropertyGroups(staticWithoutKeys)).hasMessageContaining("Aws.accessKeyId");
    }
}
