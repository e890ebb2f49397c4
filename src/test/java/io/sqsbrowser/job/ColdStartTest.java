package io.sqsbrowser.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.local.AwsResources;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.Mailboxes;
import io.sqsbrowser.testing.TestJob;
import io.sqsbrowser.testing.TestSession;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A first start: 1,000 sessions are in the table and nowhere else, and events flow from the moment the job is
 * submitted, while each subtask is still reading the table, which answers each Scan 4 s late (a test double in front of
 * dynalite: a large table), so that events certainly arrive before the scan ends and must wait for it. No probing
 * first: every live session must receive every event meant for it.
 */
@ExtendWith(EmulatorsExtension.class)
class ColdStartTest {
    private static final int SESSIONS = 1000;
    private static final int ACCOUNTS = 10;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(io.sqsbrowser.testing.CountersReporter.configuration()).setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());


    @Test
    void eventsArrivingDuringTheBootstrapScanReachEverySessionAlreadyInTheTable(Emulators emulators) throws Exception {
        TestJob job = new TestJob(emulators, 2);
        List<TestSession> sessions = new ArrayList<>();
        for (int i = 0; i < SESSIONS; i++) {
            sessions.add(job.session("acct" + (i % ACCOUNTS), "user" + (i / 2), "cold" + i,
                    i % 2 == 0 ? CipherFormat.GCM : CipherFormat.CTR));
        }
        job.storeInTable(sessions);
        Map<TestSession, Set<String>> expected = new HashMap<>();
        sessions.forEach(s -> expected.put(s, new TreeSet<>()));
        List<String> events = new ArrayList<>();
        for (int e = 0; e < 30; e++) {
            String id = "cold-" + e;
            if (e % 3 == 0) {
                events.add("{\"_everyone\":true,\"messageId\":\"" + id + "\"}");
                sessions.forEach(s -> expected.get(s).add(id));
            } else if (e % 3 == 1) {
                String account = "acct" + (e % ACCOUNTS);
                events.add("{\"accountId\":\"" + account + "\",\"messageId\":\"" + id + "\"}");
                sessions.stream().filter(s -> s.accountId.equals(account)).forEach(s -> expected.get(s).add(id));
            } else {
                String user = "user" + (e * 17 % (SESSIONS / 2));
                events.add("{\"userId\":\"" + user + "\",\"messageId\":\"" + id + "\"}");
                sessions.stream().filter(s -> s.userId.equals(user)).forEach(s -> expected.get(s).add(id));
            }
        }
        // The events go onto the stream while the job is being submitted and starts.
        CompletableFuture<Void> producing = CompletableFuture.runAsync(() -> {
            for (String event : events) {
                AwsResources.put(emulators.kinesis(), job.eventStream, Integer.toString(event.hashCode()),
                        event.getBytes(StandardCharsets.UTF_8));
                try {
                    Thread.sleep(100);
                } catch (InterruptedException stop) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        });
        io.sqsbrowser.testing.CountersReporter.clear();
        try (io.sqsbrowser.testing.DynamoDbFaultProxy slowTable = new io.sqsbrowser.testing.DynamoDbFaultProxy(emulators.dynamoDbPort)) {
            slowTable.delayScans(Duration.ofSeconds(4));
            java.util.Map<String, java.util.Properties> groups = job.propertyGroups(2);
            groups.get("Aws").setProperty("endpoint.dynamodb", slowTable.endpoint());
            JobClient client = TestJob.start(org.apache.flink.streaming.api.environment.StreamExecutionEnvironment.getExecutionEnvironment(), groups);
            long mostWaiting = 0;
            while (!producing.isDone()) {
                mostWaiting = Math.max(mostWaiting, io.sqsbrowser.testing.CountersReporter.sum("eventsWaitingForSessions"));
                Thread.sleep(20);
            }
            assertThat(mostWaiting).as("events waited for the scan").isPositive();
            deliveredAll(emulators, client, sessions, expected);
        }
    }

    private static void deliveredAll(Emulators emulators, JobClient client, List<TestSession> sessions,
            Map<TestSession, Set<String>> expected) throws Exception {
        try {
            Mailboxes mail = new Mailboxes(emulators.sqs(), sessions);
            mail.awaitAtLeast(expected, Duration.ofSeconds(120));
            for (TestSession s : sessions) {
                assertThat(mail.messageIds(s)).as("messages of %s", s).isEqualTo(expected.get(s));
            }
        } finally {
            client.cancel().get();
        }
    }
}
