package io.sqsbrowser.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.local.AwsResources;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.Await;
import io.sqsbrowser.testing.CountersReporter;
import io.sqsbrowser.testing.Mailboxes;
import io.sqsbrowser.testing.SqsFaultProxy;
import io.sqsbrowser.testing.TestJob;
import io.sqsbrowser.testing.TestSession;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * The reliability scenarios, each against the emulators and a job of its own on the surrounding Flink
 * MiniCluster, each answering one line of figures and the problems it found (none, when all is well). The
 * suite ({@link ReliabilitySuite}) runs them at full size; the normal test run ({@code ReliabilityTest}) small.
 */
final class Scenarios {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PARALLELISM = 2;
    private final Emulators emulators;
    private final MiniCluster cluster;

    /** What a scenario measured, and what went wrong. */
    static final class Figures {
        final String line;
        final List<String> problems;

        Figures(String line, List<String> problems) {
            this.line = line;
            this.problems = problems;
        }

        @Override
        public String toString() {
            return line + (problems.isEmpty() ? "" : "  PROBLEMS: " + problems);
        }
    }

    Scenarios(Emulators emulators, MiniCluster cluster) {
        this.emulators = emulators;
        this.cluster = cluster;
    }

    /** Bad records of every kind interleaved with valid user events: every valid one arrives, every bad one is a dead letter. */
    Figures fuzz(int bad, int valid, int users, int hugeStringBytes) throws Exception {
        long started = System.nanoTime();
        TestJob job = new TestJob(emulators, 4);
        List<TestSession> sessions = sessions(job, users, "fuzz");
        Map<TestSession, Set<String>> expected = new HashMap<>();
        sessions.forEach(s -> expected.put(s, new TreeSet<>()));
        List<byte[]> records = new ArrayList<>(new BadRecords(1, hugeStringBytes).make(bad));
        for (int i = 0; i < valid; i++) {
            TestSession s = sessions.get(i % users);
            String id = "valid-" + i;
            expected.get(s).add(id);
            records.add(("{\"userId\":\"" + s.userId + "\",\"messageId\":\"" + id + "\",\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8));
        }
        Collections.shuffle(records, new Random(2));
        CountersReporter.clear();
        JobClient client = start(job, job.propertyGroups(PARALLELISM));
        try {
            putAll(job, records);
            Mailboxes mail = new Mailboxes(emulators.sqs(), sessions);
            mail.awaitExactly(expected, Duration.ofMinutes(10));
            List<JsonNode> deadLetters = deadLetters(job, bad, Duration.ofMinutes(10));
            mail.poll();
            List<String> problems = new ArrayList<>();
            long misrouted = sessions.stream().mapToLong(s -> mail.messageIds(s).stream().filter(id -> !expected.get(s).contains(id)).count()).sum();
            if (misrouted > 0) {
                problems.add(misrouted + " message(s) reached a session they were not for");
            }
            long withoutReason = deadLetters.stream().filter(d -> d.path("reason").asText("").isEmpty()).count();
            if (withoutReason > 0) {
                problems.add(withoutReason + " dead letter(s) without a reason");
            }
            long sources = deadLetters.stream().map(d -> d.path("source").asText()).distinct().count();
            if (sources != bad) {
                problems.add(sources + " distinct dead letters for " + bad + " bad records");
            }
            restarts(problems, 0);
            return new Figures(String.format("fuzz: %,d records (%,d bad, %,d valid to %,d sessions): valid delivered %,d/%,d, bad "
                            + "dead-lettered %,d/%,d with a reason, misrouted %d, task restarts %d, %.0f s",
                    bad + valid, bad, valid, users, valid - missingCount(mail, expected), valid, sources, bad, misrouted,
                    CountersReporter.sum("numRestarts"), seconds(started)), problems);
        } finally {
            TestJob.stop(client);
        }
    }

    /** SQS refuses every connection for a while in the middle of a broadcast: nothing is lost. */
    Figures sqsOutage(int sessionCount, Duration outage) throws Exception {
        return throughFaultProxy("sqs outage of " + outage.getSeconds() + " s", sessionCount, proxy -> {
            Await.until(Duration.ofMinutes(5), "a third of the broadcast", () -> CountersReporter.sum("messagesSent") >= sessionCount / 3);
            proxy.startOutage();
            Thread.sleep(outage.toMillis());
            proxy.endOutage();
        });
    }

    /** A fifth of SQS's answers say "throttled": every message arrives, the retries counted. */
    Figures throttling(int sessionCount, double fraction) throws Exception {
        return throughFaultProxy(String.format("throttling %.0f%%", fraction * 100), sessionCount, proxy -> proxy.throttle(fraction));
    }

    private interface Fault {
        void during(SqsFaultProxy proxy) throws Exception;
    }

    private Figures throughFaultProxy(String name, int sessionCount, Fault fault) throws Exception {
        long started = System.nanoTime();
        TestJob job = new TestJob(emulators, 2);
        List<TestSession> sessions = sessions(job, sessionCount, "proxy");
        try (SqsFaultProxy proxy = new SqsFaultProxy(emulators.sqsPort)) {
            Map<String, Properties> groups = job.propertyGroups(PARALLELISM);
            groups.get("Aws").setProperty("endpoint.sqs", proxy.endpoint());
            CountersReporter.clear();
            JobClient client = start(job, groups);
            try {
                String id = "broadcast-" + UUID.randomUUID();
                put(job, "{\"_everyone\":true,\"message\":\"Breaking\",\"messageId\":\"" + id + "\"}");
                fault.during(proxy);
                Mailboxes mail = new Mailboxes(emulators.sqs(), sessions);
                Map<TestSession, Set<String>> expected = new HashMap<>();
                sessions.forEach(s -> expected.put(s, Set.of(id)));
                int[] received = {0};
                Await.until(Duration.ofMinutes(10), () -> "every session to receive the broadcast; missing "
                        + mail.missing(expected).size(), () -> {
                            received[0] += mail.poll();
                            return mail.missing(expected).isEmpty();
                        });
                List<String> problems = new ArrayList<>();
                int deadLetters = deadLetters(job, 0, Duration.ofSeconds(2)).size();
                if (deadLetters > 0) {
                    problems.add(deadLetters + " dead letter(s)");
                }
                restarts(problems, 0);
                return new Figures(String.format("%s: %,d sessions: delivered %,d/%,d (duplicates %,d), throttled answers %,d, "
                                + "send retries %,d, dead letters %d, task restarts %d, %.0f s", name, sessionCount,
                        sessionCount - mail.missing(expected).size(), sessionCount, received[0] - sessionCount, proxy.throttled.get(),
                        CountersReporter.sum("sendRetries"), deadLetters, CountersReporter.sum("numRestarts"), seconds(started)), problems);
            } finally {
                TestJob.stop(client);
            }
        }
    }

    /** The dead-letter queue is gone for a while as bad records arrive: no dead letter lost, no restart. */
    Figures deadLetterQueueDown(int bad, Duration down) throws Exception {
        long started = System.nanoTime();
        TestJob job = new TestJob(emulators, 2);
        List<TestSession> sessions = sessions(job, 10, "dlq");
        String queueName = job.deadLetterQueue.substring(job.deadLetterQueue.lastIndexOf('/') + 1);
        CountersReporter.clear();
        JobClient client = start(job, job.propertyGroups(PARALLELISM));
        try {
            emulators.sqs().deleteQueue(b -> b.queueUrl(job.deadLetterQueue));
            List<byte[]> records = new BadRecords(3, 300 * 1024).make(bad);
            long pause = down.toMillis() / Math.max(1, bad);
            long downSince = System.nanoTime();
            for (byte[] r : records) {
                AwsResources.put(emulators.kinesis(), job.eventStream, UUID.randomUUID().toString(), r);
                Thread.sleep(pause);
            }
            put(job, "{\"userId\":\"" + sessions.get(0).userId + "\",\"messageId\":\"still-delivering\"}");
            Mailboxes mail = new Mailboxes(emulators.sqs(), sessions);
            mail.awaitAtLeast(Map.of(sessions.get(0), Set.of("still-delivering")), Duration.ofSeconds(60));
            Thread.sleep(Math.max(0, down.toMillis() - (System.nanoTime() - downSince) / 1_000_000));
            emulators.sqs().createQueue(b -> b.queueName(queueName));
            List<JsonNode> deadLetters = deadLetters(job, bad, Duration.ofMinutes(5));
            List<String> problems = new ArrayList<>();
            long distinct = deadLetters.stream().map(d -> d.path("source").asText()).distinct().count();
            if (distinct != bad) {
                problems.add(distinct + " distinct dead letters for " + bad + " bad records");
            }
            restarts(problems, 0);
            return new Figures(String.format("dead-letter queue down %d s: %,d bad records: dead letters %,d/%,d, retries %,d, "
                            + "delivery went on (1/1), task restarts %d, %.0f s", down.getSeconds(), bad, distinct, bad,
                    CountersReporter.sum("deadLetterRetries"), CountersReporter.sum("numRestarts"), seconds(started)), problems);
        } finally {
            TestJob.stop(client);
        }
    }

    /** The TaskManager dies in the middle of broadcasts; the job restores from its checkpoint and nothing is lost. */
    Figures taskManagerKilled(int sessionCount, int broadcasts) throws Exception {
        long started = System.nanoTime();
        TestJob job = new TestJob(emulators, 2);
        List<TestSession> sessions = sessions(job, sessionCount, "kill");
        CountersReporter.clear();
        JobClient client = start(job, job.propertyGroups(PARALLELISM));
        try {
            Set<String> all = new TreeSet<>();
            for (int b = 0; b < broadcasts; b++) {
                all.add("b-" + b);
                put(job, "{\"_everyone\":true,\"message\":\"Breaking " + b + "\",\"messageId\":\"b-" + b + "\"}");
            }
            long total = (long) sessionCount * broadcasts;
            Await.until(Duration.ofMinutes(5), "a quarter of the broadcasts", () -> CountersReporter.sum("messagesSent") >= total / 4);
            long sentBefore = CountersReporter.sum("messagesSent");
            cluster.terminateTaskManager(0).get();
            cluster.startTaskManager();
            Mailboxes mail = new Mailboxes(emulators.sqs(), sessions);
            Map<TestSession, Set<String>> expected = new HashMap<>();
            sessions.forEach(s -> expected.put(s, all));
            int[] received = {0};
            Await.until(Duration.ofMinutes(10), () -> "every session to receive every broadcast; missing "
                    + mail.missing(expected).size(), () -> {
                        received[0] += mail.poll();
                        return mail.missing(expected).isEmpty();
                    });
            return new Figures(String.format("taskmanager killed after %,d of %,d messages: %,d sessions x %d broadcasts: delivered "
                            + "%,d/%,d (duplicates %,d), %.0f s", sentBefore, total, sessionCount, broadcasts,
                    total - mail.missing(expected).values().stream().mapToLong(Set::size).sum(), total, received[0] - total,
                    seconds(started)), new ArrayList<>());
        } finally {
            TestJob.stop(client);
        }
    }

    private List<TestSession> sessions(TestJob job, int count, String name) {
        List<TestSession> sessions = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            sessions.add(job.session("acct" + (i % 7), name + "-u" + i, name + "-s" + i,
                    i % 2 == 0 ? CipherFormat.GCM : CipherFormat.CTR));
        }
        job.storeInTable(sessions);
        return sessions;
    }

    private static JobClient start(TestJob job, Map<String, Properties> groups) throws Exception {
        return TestJob.start(StreamExecutionEnvironment.getExecutionEnvironment(), groups);
    }

    private void put(TestJob job, String json) {
        AwsResources.put(emulators.kinesis(), job.eventStream, UUID.randomUUID().toString(), json.getBytes(StandardCharsets.UTF_8));
    }

    /** PutRecords in batches of at most 500 records and 4 MB; a bigger record goes alone. */
    private void putAll(TestJob job, List<byte[]> records) {
        List<PutRecordsRequestEntry> batch = new ArrayList<>();
        long bytes = 0;
        for (byte[] r : records) {
            if (!batch.isEmpty() && (batch.size() == 500 || bytes + r.length > 4_000_000)) {
                putBatch(job, batch);
                batch = new ArrayList<>();
                bytes = 0;
            }
            batch.add(PutRecordsRequestEntry.builder().partitionKey(UUID.randomUUID().toString()).data(SdkBytes.fromByteArray(r)).build());
            bytes += r.length;
        }
        if (!batch.isEmpty()) {
            putBatch(job, batch);
        }
    }

    private void putBatch(TestJob job, List<PutRecordsRequestEntry> batch) {
        List<PutRecordsRequestEntry> remaining = batch;
        while (!remaining.isEmpty()) {
            List<PutRecordsRequestEntry> current = remaining;
            var results = emulators.kinesis().putRecords(b -> b.streamName(job.eventStream).records(current)).records();
            List<PutRecordsRequestEntry> retry = new ArrayList<>();
            for (int i = 0; i < results.size(); i++) {
                if (results.get(i).errorCode() != null) {
                    retry.add(current.get(i)); // kinesalite limits a shard's write rate, as Kinesis does
                }
            }
            remaining = retry;
        }
    }

    /** Reads (and deletes) the dead letters, until {@code expected} distinct ones have come or the time is up. */
    private List<JsonNode> deadLetters(TestJob job, int expected, Duration timeout) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        Set<String> distinct = new HashSet<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        do {
            List<Message> batch = emulators.sqs().receiveMessage(b -> b.queueUrl(job.deadLetterQueue).maxNumberOfMessages(10)
                    .waitTimeSeconds(1)).messages();
            for (Message m : batch) {
                JsonNode d = JSON.readTree(m.body());
                out.add(d);
                distinct.add(d.path("source").asText() + d.path("messageId").asText() + d.path("userId").asText());
                emulators.sqs().deleteMessage(b -> b.queueUrl(job.deadLetterQueue).receiptHandle(m.receiptHandle()));
            }
        } while (distinct.size() < expected && System.nanoTime() < deadline || expected == 0 && System.nanoTime() < deadline);
        return out;
    }

    private static void restarts(List<String> problems, long allowed) {
        long restarts = CountersReporter.sum("numRestarts");
        if (restarts > allowed) {
            problems.add(restarts + " task restart(s)");
        }
    }

    private static long missingCount(Mailboxes mail, Map<TestSession, Set<String>> expected) {
        return mail.missing(expected).values().stream().mapToLong(Set::size).sum();
    }

    private static double seconds(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1e9;
    }
}
