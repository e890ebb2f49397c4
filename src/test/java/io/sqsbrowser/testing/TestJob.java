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
import io.sqsbrowser.local.LocalDeployment;
import io.sqsbrowser.crypto.CipherFormat;
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

/**
 * A delivery job wired to the emulators: a deployment of the template of its own (streams, tables, dead-letter queue),
 * the job signing as the template's job role through the local AWS endpoint, which authorizes every call as IAM does.
 * Its sessions' queues are named {@code test-...} (the deployment's QueuePrefix) and tagged with its deployment.
 */
public final class TestJob {
    public final String eventStream;
    public final String changeStream;
    public final String sessionTable;
    public final String historyTable;
    public final String deadLetterQueue;
    public final LocalDeployment deployment;
    /** Cognito (DeleteIdentities) for the session-end clean-up: the local stand-in. */
    public final LocalIdentityServices services;
    private final Emulators emulators;
    private final StackConfig config;

    public TestJob(Emulators emulators, int eventShards) {
        this.emulators = emulators;
        deployment = LocalDeployment.of("t" + UUID.randomUUID().toString().substring(0, 8),
                Map.of("QueuePrefix", TestSession.QUEUE_PREFIX), emulators.sqsEndpoint());
        deployment.create(emulators, emulators.iam(), eventShards);
        eventStream = deployment.eventStream;
        changeStream = deployment.changeStream;
        sessionTable = deployment.sessionTable;
        historyTable = deployment.historyTable;
        deadLetterQueue = deployment.deadLetterQueueUrl();
        try {
            services = new LocalIdentityServices(emulators.iam(), deployment, LocalIdentityServices.PrincipalTags.DROPPED, 900);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        config = new StackConfig(emulators, deployment, services.endpoint());
    }

    /** A session of this deployment: its queue made (and tagged as the session API tags it), its key and item. */
    public TestSession session(String accountId, String userId, String sessionId, CipherFormat cipher) {
        return TestSession.create(emulators.sqs(), deployment.deploymentId, accountId, userId, sessionId, cipher);
    }

    /** The runtime property groups, in the same shape as on Managed Flink; sessions are {@link TestSession}s. */
    public Map<String, Properties> propertyGroups(int parallelism) {
        return config.jobProperties(parallelism);
    }

    /**
     * The property groups of a job that calls the emulators themselves, unauthorized: for the benchmarks, whose figures
     * must be the job's and the emulators' own, with no IAM endpoint between them.
     */
    public Map<String, Properties> benchmarkPropertyGroups(int parallelism) {
        Map<String, Properties> groups = propertyGroups(parallelism);
        Properties aws = groups.get("Aws");
        aws.setProperty("endpoint.sqs", emulators.sqsEndpoint());
        aws.setProperty("endpoint.kinesis", "http://127.0.0.1:" + emulators.kinesisPort);
        aws.setProperty("endpoint.dynamodb", "http://127.0.0.1:" + emulators.dynamoDbPort);
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
            String json = "{\"_type\":\"probe\",\"_sqs_only\":true,\"_everyone\":true,\"messageId\":\"probe-" + probe[0]++ + "\"}";
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
