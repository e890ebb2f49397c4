package io.sqsbrowser.testing;

import io.sqsbrowser.job.DeliveryJob;
import io.sqsbrowser.job.DeliveryTopology;
import io.sqsbrowser.job.JobConfig;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** A delivery job wired to the emulators: its own streams, session table and dead-letter queue. */
public final class TestJob {
    public final String eventStream;
    public final String changeStream;
    public final String sessionTable;
    public final String deadLetterQueue;
    public final String historyTable;
    /** Cognito (DeleteIdentities) for the session-end clean-up: the test double. */
    public final AwsServicesDouble services;
    private final Emulators emulators;

    public TestJob(Emulators emulators, int eventShards) {
        this.emulators = emulators;
        String id = UUID.randomUUID().toString().substring(0, 8);
        eventStream = "events-" + id;
        changeStream = "session-changes-" + id;
        sessionTable = "sessions-" + id;
        AwsResources.createStream(emulators.kinesis(), eventStream, eventShards);
        AwsResources.createStream(emulators.kinesis(), changeStream, 1);
        AwsResources.createSessionTable(emulators.dynamoDb(), sessionTable);
        deadLetterQueue = emulators.sqs().createQueue(b -> b.queueName("dead-letters-" + id)).queueUrl();
        historyTable = "history-" + id;
        AwsResources.createHistoryTable(emulators.dynamoDb(), historyTable);
        try {
            services = new AwsServicesDouble();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The runtime property groups, in the same shape as on Managed Flink. */
    public Map<String, Properties> propertyGroups(int parallelism) {
        Map<String, Properties> groups = new HashMap<>();
        groups.put("Aws", props("region", Emulators.REGION, "credentials", "STATIC", "accessKeyId", "test",
                "secretAccessKey", "test", "endpoint.sqs", "http://127.0.0.1:" + emulators.sqsPort,
                "endpoint.kinesis", "http://127.0.0.1:" + emulators.kinesisPort,
                "endpoint.dynamodb", "http://127.0.0.1:" + emulators.dynamoDbPort,
                "endpoint.cognitoidentity", services.endpoint()));
        groups.put("EventSource", props("stream", eventStream, "initialPosition", "TRIM_HORIZON",
                "shardDiscoveryIntervalMillis", "1000", "consumer.flink.shard.getrecords.intervalmillis", "100"));
        groups.put("SessionSource", props("changeStream", changeStream, "table", sessionTable,
                "shardDiscoveryIntervalMillis", "1000", "consumer.flink.shard.getrecords.intervalmillis", "100"));
        groups.put("Sqs", props("maxInFlightRequests", "64", "backoffBaseMillis", "20", "backoffMaxMillis", "500"));
        groups.put("DeadLetter", props("type", "SQS", "target", deadLetterQueue));
        groups.put("History", props("table", historyTable, "backoffBaseMillis", "20", "backoffMaxMillis", "500"));
        groups.put("Job", props("parallelism", Integer.toString(parallelism), "checkpointIntervalMillis", "300"));
        return groups;
    }

    /** Submits the job to the MiniCluster of the surrounding test; cancel it through the returned client. */
    public JobClient start(int parallelism) throws Exception {
        return start(StreamExecutionEnvironment.getExecutionEnvironment(), propertyGroups(parallelism));
    }

    /** Submits the job with these property groups to {@code env}. */
    public static JobClient start(StreamExecutionEnvironment env, Map<String, Properties> groups) throws Exception {
        JobConfig config = JobConfig.fromPropertyGroups(groups);
        DeliveryJob.configure(env, config);
        DeliveryTopology.build(env, config);
        return env.executeAsync("delivery-test");
    }

    /** Broadcasts probes until every live session got one: then every subtask knows every session. */
    public void awaitSessionsKnown(Mailboxes mail, List<TestSession> live) {
        int[] probe = {0};
        Await.until(Duration.ofSeconds(90), "the job to know every session", () -> {
            String json = "{\"_type\":\"probe\",\"_sqs_only\":true,\"messageId\":\"probe-" + probe[0]++ + "\"}";
            AwsResources.put(emulators.kinesis(), eventStream, "probe", json.getBytes(StandardCharsets.UTF_8));
            long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
            while (System.nanoTime() < deadline) {
                mail.poll();
                if (live.stream().allMatch(s -> !mail.messageIds(s).isEmpty())) {
                    return true;
                }
            }
            return false;
        });
        mail.poll();
        mail.forget("probe");
    }

    private static Properties props(String... keyValues) {
        Properties p = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            p.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return p;
    }
}
