package io.sqsbrowser.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.testing.Await;
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
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The TaskManager running the job dies in the middle of a broadcast; the job restarts from its last
 * checkpoint on a new TaskManager, and afterwards every live session holds every message (duplicates
 * allowed: clients recognise them by messageId).
 */
@ExtendWith(EmulatorsExtension.class)
class FailureRecoveryTest {
    private static final int SESSIONS = 400;
    /** Enough messages (4,800) that the TaskManager dies while most are still to be sent. */
    private static final int BROADCASTS = 12;

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @Test
    void noMessageToALiveSessionIsLostWhenTheJobFailsMidBroadcast(Emulators emulators,
            @InjectMiniCluster MiniCluster cluster) throws Exception {
        TestJob job = new TestJob(emulators, 2);
        List<TestSession> sessions = new ArrayList<>();
        for (int i = 0; i < SESSIONS; i++) {
            sessions.add(job.session("a" + (i % 3), "u" + i, "f" + i + "-" + job.eventStream,
                    i % 2 == 0 ? CipherFormat.GCM : CipherFormat.CTR));
        }
        job.storeInTable(sessions);

        JobClient client = job.start(2);
        try {
            Mailboxes mail = new Mailboxes(emulators.sqs(), sessions);
            job.awaitSessionsKnown(mail, sessions);

            for (int b = 0; b < BROADCASTS; b++) {
                String event = "{\"_everyone\":true,\"message\":\"Breaking " + b + "\",\"messageId\":\"b-" + b + "\"}";
                AwsResources.put(emulators.kinesis(), job.eventStream, "p" + b, event.getBytes(StandardCharsets.UTF_8));
            }
            int total = SESSIONS * BROADCASTS;
            int[] received = {0};
            Await.until(Duration.ofSeconds(60), "a quarter of the broadcast to arrive", () -> {
                received[0] += mail.poll();
                return received[0] >= total / 4;
            });
            assertThat(received[0]).as("the failure comes mid-broadcast").isLessThan(total);

            cluster.terminateTaskManager(0).get();
            cluster.startTaskManager();

            Map<TestSession, Set<String>> expected = new HashMap<>();
            Set<String> all = new TreeSet<>();
            for (int b = 0; b < BROADCASTS; b++) {
                all.add("b-" + b);
            }
            sessions.forEach(s -> expected.put(s, all));
            mail.awaitAtLeast(expected, Duration.ofSeconds(180));
            // The messages may all be in the queues before the restarted job is running again: it has to get there.
            Await.until(Duration.ofSeconds(60), "the restarted job to run", () -> client.getJobStatus().join() == JobStatus.RUNNING);
        } finally {
            client.cancel().get();
        }
    }
}
