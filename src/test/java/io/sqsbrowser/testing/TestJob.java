package io.sqsbrowser.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sqsbrowser.job.DeliveryJob;
import io.sqsbrowser.job.DeliveryTopology;
import io.sqsbrowser.job.JobConfig;
import io.sqsbrowser.local.AwsResources;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.local.LocalIdentityServices;
import io.sqsbrowser.local.StackConfig;
import io.sqsbrowser.local.StackNames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/** A delivery job wired to the emulators: its own streams, tables and dead-letter queue. */
public final class TestJob {
    public final String eventStream;
    public final String changeStream;
    public final String sessionTable;
    public final String historyTable;
    public final String deadLetterQueue;
    /** Cognito (DeleteIdentities) for the session-end clean-up: the test double. */
    public final LocalIdentityServices services;
    private final StackNames names;
    private final Emulators emulators;

    public TestJob(Emulators emulators, int eventShards) {
        this.emulators = emulators;
        names = new StackNames("-" + UUID.randomUUID().toString().substring(0, 8));
        eventStream = names.eventStream;
        changeStream = names.changeStream;
        sessionTable = names.sessionTable;
        historyTable = names.historyTable;
        AwsResources.createStream(emulators.kinesis(), eventStream, eventShards);
        AwsResources.createStream(emulators.kinesis(), changeStream, 1);
        AwsResources.createSessionTable(emulators.dynamoDb(), sessionTable);
        AwsResources.createHistoryTable(emulators.dynamoDb(), historyTable);
        deadLetterQueue = emulators.sqs().createQueue(b -> b.queueName(names.deadLetterQueueName)).queueUrl();
        try {
            services = new LocalIdentityServices(TestSession.QUEUE_PREFIX, LocalIdentityServices.PrincipalTags.DROPPED);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The runtime property groups, in the same shape as on Managed Flink; sessions are {@link TestSession}s. */
    public Map<String, Properties> propertyGroups(int parallelism) {
        Map<String, Properties> groups = StackConfig.jobProperties(emulators, names, deadLetterQueue, services.endpoint(), parallelism);
        groups.get("Cleanup").setProperty("queuePrefix", TestSession.QUEUE_PREFIX);
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

    /** Property groups as Managed Flink's local JSON file: {@code [{"PropertyGroupId": ..., "PropertyMap": {...}}]}. */
    public static String runtimePropertiesJson(Map<String, Properties> groups) {
        ArrayNode out = new ObjectMapper().createArrayNode();
        groups.forEach((id, properties) -> {
            ObjectNode group = out.addObject().put("PropertyGroupId", id);
            ObjectNode map = group.putObject("PropertyMap");
            properties.stringPropertyNames().forEach(k -> map.put(k, properties.getProperty(k)));
        });
        return out.toString();
    }

    /** Cancels the job and waits until it has stopped, so its slots are free for the next. */
    public static void stop(JobClient client) throws Exception {
        client.cancel().get();
        Await.until(Duration.ofSeconds(60), "the job to stop", () -> {
            try {
                return client.getJobStatus().get().isGloballyTerminalState();
            } catch (Exception gone) {
                return true; // the cluster no longer knows it
            }
        });
    }

    /** Writes the sessions' items into the session table (not the change stream): what a job finds at its start. */
    public void storeInTable(List<TestSession> sessions) {
        List<WriteRequest> writes = new ArrayList<>();
        for (int i = 0; i < sessions.size(); i++) {
            writes.add(WriteRequest.builder().putRequest(PutRequest.builder().item(sessions.get(i).item()).build()).build());
            if (writes.size() == 25 || i == sessions.size() - 1) {
                List<WriteRequest> batch = List.copyOf(writes);
                emulators.dynamoDb().batchWriteItem(b -> b.requestItems(Map.of(sessionTable, batch)));
                writes.clear();
            }
        }
    }

    /** Broadcasts probes until every live session got one: then every subtask knows every session. */
    public void awaitSessionsKnown(Mailboxes mail, List<TestSession> live) {
        awaitSessionsKnown(emulators, eventStream, mail, live);
    }

    /** As {@link #awaitSessionsKnown(Mailboxes, List)}, for a job reading {@code eventStream}. */
    public static void awaitSessionsKnown(Emulators emulators, String eventStream, Mailboxes mail, List<TestSession> live) {
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
}
