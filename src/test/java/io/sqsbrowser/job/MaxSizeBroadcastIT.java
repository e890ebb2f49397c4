package io.sqsbrowser.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sqsbrowser.client.MessageDecryptor;
import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.crypto.Envelopes;
import io.sqsbrowser.local.AwsResources;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.Await;
import io.sqsbrowser.testing.Parallel;
import io.sqsbrowser.testing.StandaloneCluster;
import io.sqsbrowser.testing.TestJob;
import io.sqsbrowser.testing.TestSession;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The largest message SQS takes, broadcast by the shaded job on a real TaskManager whose task heap is 512 MB: to
 * 2,000 sessions in every test run (0.5 GB of ciphertext), to 20,000 (5.2 GB) with {@code -Dlargest.sessions=20000}
 * (docs/reliability.md). The expander's byte budget lets it through a few tens of MB at a time, with
 * checkpoints taken in the middle of the broadcast. Every session gets the message; the figures
 * (time, checkpoint size mid-broadcast, the TaskManager's peak heap) are printed. The message is {@code _sqs_only}:
 * its 20,000 history rows would be 4 GB in dynalite's memory (the history writer holds the message once per 500
 * users, and is tested on its own).
 */
class MaxSizeBroadcastIT {
    private static final int SESSIONS = Integer.getInteger("largest.sessions", 2_000);
    private static final String TASK_HEAP = "512m";

    @Test
    void aMaximumSizeBroadcastFitsInA512MegabyteTaskHeap(@TempDir Path dir) throws Exception {
        // ElasticMQ holds every message in memory: 256 KiB each, and its bookkeeping.
        String elasticMqHeap = (512 + SESSIONS * 450L / 1000) + "m";
        try (Emulators emulators = Emulators.start(true, elasticMqHeap);
             StandaloneCluster cluster = new StandaloneCluster(dir, TASK_HEAP, "256m")) {
            TestJob job = new TestJob(emulators, 1);
            List<TestSession> sessions = createSessions(emulators, job);
            Map<String, Properties> groups = job.propertyGroups(2);
            groups.get("Job").setProperty("checkpointIntervalMillis", "3000");
            String jobId = cluster.submit(groups);

            String messageId = "largest-" + System.currentTimeMillis();
            byte[] event = largestEvent(messageId);
            long started = System.currentTimeMillis();
            AwsResources.put(emulators.kinesis(), job.eventStream, "breaking", event);
            AtomicLong peakHeap = new AtomicLong();
            Await.until(Duration.ofMinutes(15), "the broadcast to be sent", () -> {
                peakHeap.accumulateAndGet(cluster.taskManagerHeapUsed(), Math::max);
                return cluster.metricSum(jobId, "messagesSent") >= SESSIONS;
            });
            long finished = System.currentTimeMillis();
            JsonNode midway = checkpointDuring(cluster, jobId, started, finished);
            assertThat(midway).as("a checkpoint completed in the middle of the broadcast").isNotNull();
            assertThat(cluster.metric("/jobs/" + jobId + "/metrics?get=numRestarts")).as("task restarts").isZero();

            List<TestSession> empty = sessionsWithout(emulators, sessions);
            assertThat(empty).as("sessions without the message").isEmpty();
            TestSession sample = sessions.get(SESSIONS / 2);
            String body = emulators.sqs().receiveMessage(b -> b.queueUrl(sample.queueUrl)).messages().get(0).body();
            assertThat(new MessageDecryptor(sample.aesKey, sample.cipher).decrypt(body)).contains(messageId);
            System.out.printf("Largest broadcast: %,d sessions x %,d-byte message (%,d-byte bodies, %.1f GB in all) in %.0f s on a"
                            + " %s task heap; checkpoint %d mid-broadcast: %,d bytes of state (%d ms); TaskManager heap peak %,d MB%n",
                    SESSIONS, event.length, body.length(), (double) SESSIONS * body.length() / 1e9, (finished - started) / 1e3,
                    TASK_HEAP, midway.get("id").asLong(), midway.get("state_size").asLong(), midway.get("end_to_end_duration").asLong(),
                    peakHeap.get() >> 20);
        }
    }

    /** The largest event whose GCM or CTR envelope, and its sequence attribute, still fit in an SQS message (262,144 bytes). */
    private static byte[] largestEvent(String messageId) {
        String head = "{\"_everyone\":true,\"messageId\":\"" + messageId + "\",\"_sqs_only\":true,\"message\":\"";
        int filler = 262_144;
        while (Envelopes.maxBodyLength(head.length() + filler + 2) + Envelopes.SEQUENCE_ATTRIBUTE_BYTES > 262_144) {
            filler--;
        }
        return (head + "x".repeat(filler) + "\"}").getBytes(StandardCharsets.UTF_8);
    }

    private static List<TestSession> createSessions(Emulators emulators, TestJob job) throws Exception {
        List<TestSession> sessions = Parallel.map(SESSIONS, n -> job.session("acct" + (n % 50),
                "big-u" + n, "big-s" + n, n % 2 == 0 ? CipherFormat.GCM : CipherFormat.CTR));
        job.storeInTable(sessions);
        return sessions;
    }

    private static List<TestSession> sessionsWithout(Emulators emulators, List<TestSession> sessions) throws Exception {
        List<Boolean> hasMessages = Parallel.map(sessions.size(), i -> Integer.parseInt(emulators.sqs().getQueueAttributes(b -> b
                .queueUrl(sessions.get(i).queueUrl).attributeNamesWithStrings("ApproximateNumberOfMessages")).attributesAsStrings()
                .get("ApproximateNumberOfMessages")) > 0);
        List<TestSession> empty = new ArrayList<>();
        for (int i = 0; i < sessions.size() && empty.size() < 10; i++) {
            if (!hasMessages.get(i)) {
                empty.add(sessions.get(i));
            }
        }
        return empty;
    }

    /** A completed checkpoint triggered after the broadcast began and completed before it ended, or null. */
    private static JsonNode checkpointDuring(StandaloneCluster cluster, String jobId, long from, long to) throws Exception {
        for (JsonNode c : cluster.get("/jobs/" + jobId + "/checkpoints").path("history")) {
            if ("COMPLETED".equals(c.path("status").asText()) && c.path("trigger_timestamp").asLong() > from
                    && c.path("latest_ack_timestamp").asLong() < to) {
                return c;
            }
        }
        return null;
    }
}
