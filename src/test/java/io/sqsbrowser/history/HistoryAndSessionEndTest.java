package io.sqsbrowser.history;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.testing.Await;
import io.sqsbrowser.local.AwsResources;
import io.sqsbrowser.local.ChangeRecords;
import io.sqsbrowser.testing.CountersReporter;
import io.sqsbrowser.testing.DynamoDbFaultProxy;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.Mailboxes;
import io.sqsbrowser.testing.TestJob;
import io.sqsbrowser.testing.TestSession;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** History rows, read receipts and the end of sessions, through the whole job on a MiniCluster (parallelism 2). */
@ExtendWith(EmulatorsExtension.class)
class HistoryAndSessionEndTest {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(CountersReporter.configuration()).setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static void put(Emulators emulators, TestJob job, String json) {
        AwsResources.put(emulators.kinesis(), job.eventStream, Integer.toString(json.hashCode()), json.getBytes(StandardCharsets.UTF_8));
    }

    private static void insert(Emulators emulators, TestJob job, TestSession... sessions) {
        for (TestSession s : sessions) {
            AwsResources.put(emulators.kinesis(), job.changeStream, s.userId, ChangeRecords.insert(s.item()));
        }
    }

    /** userId -> messageId -> is_read, for every row in the history table. */
    private static Map<String, Map<String, Integer>> rows(Emulators emulators, TestJob job) {
        Map<String, Map<String, Integer>> rows = new TreeMap<>();
        emulators.dynamoDb().scanPaginator(b -> b.tableName(job.historyTable).consistentRead(true)).items().forEach(item ->
                rows.computeIfAbsent(item.get("userId").s(), u -> new TreeMap<>())
                        .put(item.get("messageId").s(), Integer.parseInt(item.get("is_read").n())));
        return rows;
    }

    private static Map<String, Map<String, Integer>> expected(Object... userMessageRead) {
        Map<String, Map<String, Integer>> rows = new TreeMap<>();
        for (int i = 0; i < userMessageRead.length; i += 3) {
            rows.computeIfAbsent((String) userMessageRead[i], u -> new TreeMap<>())
                    .put((String) userMessageRead[i + 1], (Integer) userMessageRead[i + 2]);
        }
        return rows;
    }

    private static Set<String> ids(String... ids) {
        return new TreeSet<>(List.of(ids));
    }

    @Test
    void oneHistoryRowPerRecipientUserAndAReplayKeepsWhatWasRead(Emulators emulators) throws Exception {
        TestJob job = new TestJob(emulators, 2);
        TestSession a = job.session("100", "200", "ha-" + job.eventStream, CipherFormat.GCM);
        TestSession b = job.session("100", "200", "hb-" + job.eventStream, CipherFormat.CTR);
        TestSession c = job.session("100", "201", "hc-" + job.eventStream, CipherFormat.GCM);
        TestSession d = job.session("101", "300", "hd-" + job.eventStream, CipherFormat.GCM);
        insert(emulators, job, a, b, c, d);
        JobClient client = job.start(2);
        Mailboxes mail = new Mailboxes(emulators.sqs(), List.of(a, b, c, d));
        try {
            job.awaitSessionsKnown(mail, List.of(a, b, c, d));
            put(emulators, job, "{\"userId\":200,\"messageId\":\"m-user\",\"_type\":\"alert\"}");
            put(emulators, job, "{\"userId\":999,\"messageId\":\"m-nobody\"}");
            put(emulators, job, "{\"accountId\":100,\"messageId\":\"m-account\"}");
            put(emulators, job, "{\"_everyone\":true,\"messageId\":\"m-all\"}");
            put(emulators, job, "{\"userId\":200,\"messageId\":\"m-ephemeral\",\"_sqs_only\":true}");
            put(emulators, job, "{\"_type\":\"message-read-receipt\",\"_sqs_only\":true,\"userId\":200,"
                    + "\"messages-receipted\":[\"m-user\"],\"messageId\":\"m-receipt\"}");
            put(emulators, job, "{\"accountId\":101,\"sessionId\":\"" + d.sessionId + "\",\"messageId\":\"m-session\"}");

            Map<TestSession, Set<String>> deliveries = new HashMap<>();
            deliveries.put(a, ids("m-user", "m-account", "m-all", "m-ephemeral", "m-receipt"));
            deliveries.put(b, ids("m-user", "m-account", "m-all", "m-ephemeral", "m-receipt"));
            deliveries.put(c, ids("m-account", "m-all"));
            deliveries.put(d, ids("m-all", "m-session"));
            mail.awaitAtLeast(deliveries, Duration.ofSeconds(60));
            mail.forget("probe");
            for (TestSession s : List.of(a, b, c, d)) {
                assertThat(mail.messageIds(s)).as("the receipt reaches both of the user's sessions and no one else")
                        .isEqualTo(deliveries.get(s));
            }

            // And each fan-out event once more, under its scope (what /messages?include= reads).
            Map<String, Map<String, Integer>> unread = expected("200", "m-user", 0, "200", "m-account", 0, "200", "m-all", 0,
                    "999", "m-nobody", 0, "201", "m-account", 0, "201", "m-all", 0, "300", "m-all", 0, "300", "m-session", 0,
                    "#account:100", "m-account", 0, "#everyone", "m-all", 0);
            Await.until(Duration.ofSeconds(30), "one history row per recipient user", () -> rows(emulators, job).equals(unread));
            Map<String, AttributeValue> row = emulators.dynamoDb().getItem(g -> g.tableName(job.historyTable).key(Map.of(
                    "userId", AttributeValue.builder().s("200").build(), "messageId", AttributeValue.builder().s("m-user").build()))).item();
            assertThat(row.get("_type").s()).isEqualTo("alert");
            assertThat(row.get("message").s()).contains("\"messageId\":\"m-user\"");
            assertThat(Long.parseLong(row.get("ttl").n()) - Long.parseLong(row.get("created").n())).isEqualTo(86_400);

            emulators.dynamoDb().updateItem(u -> u.tableName(job.historyTable).key(Map.of(
                    "userId", AttributeValue.builder().s("200").build(), "messageId", AttributeValue.builder().s("m-user").build()))
                    .updateExpression("SET is_read = :one").expressionAttributeValues(Map.of(":one", AttributeValue.builder().n("1").build())));
        } finally {
            client.cancel().get();
        }

        // Replay: a new job reads the event stream again from its start. Its session state fills up at the
        // same time, so fan-out events may find fewer sessions; user events always write their row again.
        CountersReporter.clear();
        int events = AwsResources.readAll(emulators.kinesis(), job.eventStream).size();
        JobClient replay = job.start(2);
        try {
            Await.until(Duration.ofSeconds(90), "the replay to read every event and write its rows",
                    () -> CountersReporter.sum("eventsIn") >= events && CountersReporter.sum("historyRowsWritten") >= 2
                            && CountersReporter.sum("historyRowsUnwritten") == 0);
            Map<String, Map<String, Integer>> after = rows(emulators, job);
            assertThat(after.get("200")).containsEntry("m-user", 1);
            assertThat(after).isEqualTo(expected("200", "m-user", 1, "200", "m-account", 0, "200", "m-all", 0,
                    "999", "m-nobody", 0, "201", "m-account", 0, "201", "m-all", 0, "300", "m-all", 0, "300", "m-session", 0,
                    "#account:100", "m-account", 0, "#everyone", "m-all", 0));
        } finally {
            replay.cancel().get();
        }
    }

    @Test
    void aTtlRemovalDeletesTheQueueOnceAndTheIdentityOnce(Emulators emulators) throws Exception {
        TestJob job = new TestJob(emulators, 1);
        TestSession ended = job.session("100", "200", "ttl-" + job.eventStream, CipherFormat.GCM);
        TestSession live = job.session("100", "201", "live-" + job.eventStream, CipherFormat.GCM);
        insert(emulators, job, ended);
        byte[] removal = ChangeRecords.remove(ended.item(), true);
        for (int i = 0; i < 3; i++) {
            // Change records arrive more than once.
            AwsResources.put(emulators.kinesis(), job.changeStream, ended.userId, removal);
        }
        insert(emulators, job, live);
        CountersReporter.clear();
        JobClient client = job.start(2);
        try {
            String identity = ended.item().get("identityId").s();
            Await.until(Duration.ofSeconds(60), "the queue and the identity to be deleted",
                    () -> CountersReporter.sum("sessionQueuesDeleted") == 1 && CountersReporter.sum("identitiesDeleted") == 1);
            assertThat(emulators.sqs().listQueues(l -> l.queueNamePrefix(ended.queueUrl.substring(ended.queueUrl.lastIndexOf('/') + 1)))
                    .queueUrls()).isEmpty();
            Mailboxes mail = new Mailboxes(emulators.sqs(), List.of(live));
            job.awaitSessionsKnown(mail, List.of(live));
            long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < deadline) {
                assertThat(CountersReporter.sum("sessionQueuesDeleted")).as("the queue is deleted once").isEqualTo(1);
                assertThat(job.services.calls("DeleteIdentities").stream()
                        .filter(call -> call.parameters.get("IdentityIdsToDelete").contains(identity)))
                        .as("the identity is deleted once, not once per subtask").hasSize(1);
            }
        } finally {
            client.cancel().get();
        }
    }

    @Test
    void aThrottledHistoryTableDelaysNoDeliveryAndLosesNoRow(Emulators emulators) throws Exception {
        TestJob job = new TestJob(emulators, 1);
        TestSession a = job.session("100", "200", "ta-" + job.eventStream, CipherFormat.GCM);
        TestSession b = job.session("100", "200", "tb-" + job.eventStream, CipherFormat.GCM);
        insert(emulators, job, a, b);
        try (DynamoDbFaultProxy proxy = new DynamoDbFaultProxy(emulators.dynamoDbPort)) {
            Map<String, Properties> groups = job.propertyGroups(2);
            groups.get("Aws").setProperty("endpoint.dynamodb", proxy.endpoint());
            JobClient client = TestJob.start(StreamExecutionEnvironment.getExecutionEnvironment(), groups);
            try {
                Mailboxes mail = new Mailboxes(emulators.sqs(), List.of(a, b));
                job.awaitSessionsKnown(mail, List.of(a, b));
                proxy.throttle(true);
                Set<String> sent = new TreeSet<>();
                for (int i = 0; i < 5; i++) {
                    put(emulators, job, "{\"userId\":200,\"messageId\":\"t-" + i + "\"}");
                    sent.add("t-" + i);
                }
                mail.awaitAtLeast(Map.of(a, sent, b, sent), Duration.ofSeconds(30));
                assertThat(proxy.throttled.get()).as("history writes were throttled meanwhile").isPositive();
                assertThat(rows(emulators, job)).as("no row could be written yet").isEmpty();

                proxy.throttle(false);
                Await.until(Duration.ofSeconds(60), "every row once the table recovers",
                        () -> rows(emulators, job).getOrDefault("200", Map.of()).keySet().equals(sent));
            } finally {
                client.cancel().get();
            }
        }
    }
}
