package io.sqsbrowser.bench;

import com.sun.management.OperatingSystemMXBean;
import io.sqsbrowser.aws.AwsClients;
import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.crypto.MessageEncryptor;
import io.sqsbrowser.session.SessionRecord;
import io.sqsbrowser.testing.Await;
import io.sqsbrowser.testing.CountersReporter;
import io.sqsbrowser.local.AwsResources;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.TestJob;
import io.sqsbrowser.testing.TestSession;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;

/**
 * Broadcast throughput and state size. ElasticMQ runs in its own process, so the CPU time measured here is
 * the job's own (plus the Kinesis consumer's polling). In one run: the ceiling (a minimal async client
 * sending already-encrypted messages straight to ElasticMQ), then one broadcast event through the job to
 * every session at parallelism 1 and 2 (each after an unreported warm-up broadcast); a first round warms up
 * and is not reported. Then the heap held per session in the expander's state.
 *
 * <p>Run: {@code mvn -q -Pbench test-compile exec:exec}; {@code -Dbench.args="sessions stateSessions parallelisms rounds"},
 * for example {@code "10000 100000 1,2 2"}.
 */
public final class BroadcastBenchmark {
    private static final OperatingSystemMXBean OS = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private static final int IN_FLIGHT = 128;

    public static void main(String[] args) throws Exception {
        int sessions = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        String[] parallelisms = (args.length > 2 ? args[2] : "1,2").split(",");
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        System.out.printf("Broadcast benchmark: %d sessions, %d requests in flight, %d cores, %d measured rounds%n",
                sessions, IN_FLIGHT, Runtime.getRuntime().availableProcessors(), rounds);
        List<Result> results = new ArrayList<>();
        try (Emulators emulators = Emulators.start(true)) {
            TestJob job = new TestJob(emulators, 2);
            List<TestSession> all = createSessions(emulators, job, sessions);
            // Round 0 warms up this JVM and ElasticMQ's; its numbers are not reported.
            for (int round = 0; round <= rounds; round++) {
                System.out.printf("round %d%s%n", round, round == 0 ? " (warm-up)" : "");
                Result ceiling = ceiling(emulators, all);
                List<Result> jobs = new ArrayList<>();
                for (String p : parallelisms) {
                    jobs.add(throughJob(emulators, job, sessions, Integer.parseInt(p.trim())));
                }
                if (round > 0) {
                    results.add(ceiling);
                    jobs.forEach(r -> r.ceiling = ceiling);
                    results.addAll(jobs);
                }
            }
        }
        System.out.printf("%nJob rate as a fraction of the ceiling measured in the same round; CPU is this process's"
                + " (ElasticMQ runs in its own).%n");
        System.out.printf("%-32s %10s %12s %14s %12s%n", "run", "messages", "msg/s", "CPU µs/msg", "of ceiling");
        for (Result r : results) {
            System.out.printf("%-32s %10d %12.0f %14.1f %12s%n", r.name, r.messages, r.rate(), r.cpuMicrosPerMessage(),
                    r.ceiling == null ? "" : String.format("%.0f%%", 100 * r.rate() / r.ceiling.rate()));
        }
        // The local MiniClusters leave non-daemon threads behind after their jobs are cancelled.
        System.exit(0);
    }

    private static List<TestSession> createSessions(Emulators emulators, TestJob job, int count) {
        List<TestSession> sessions = new ArrayList<>(count);
        List<WriteRequest> writes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            TestSession s = TestSession.create(emulators.sqs(), "acct" + (i % 20), "user" + i, "bench" + i, CipherFormat.GCM);
            sessions.add(s);
            writes.add(WriteRequest.builder().putRequest(PutRequest.builder().item(s.item()).build()).build());
            if (writes.size() == 25 || i == count - 1) {
                List<WriteRequest> batch = List.copyOf(writes);
                emulators.dynamoDb().batchWriteItem(b -> b.requestItems(Map.of(job.sessionTable, batch)));
                writes.clear();
            }
        }
        return sessions;
    }

    /** A minimal async client: one SendMessage per queue, bodies encrypted beforehand, 128 in flight. */
    private static Result ceiling(Emulators emulators, List<TestSession> sessions) throws Exception {
        MessageEncryptor encryptor = new MessageEncryptor();
        byte[] plaintext = "{\"message\":\"Breaking news\",\"messageId\":\"ceiling\"}".getBytes(StandardCharsets.UTF_8);
        List<String> bodies = new ArrayList<>(sessions.size());
        for (TestSession s : sessions) {
            bodies.add(encryptor.encrypt(CipherFormat.GCM, Base64.getDecoder().decode(s.aesKey), plaintext));
        }
        try (SqsAsyncClient sqs = AwsClients.sqsAsync(emulators.aws(), IN_FLIGHT)) {
            Semaphore slots = new Semaphore(IN_FLIGHT);
            Measure m = Measure.start();
            List<CompletableFuture<?>> sends = new ArrayList<>(sessions.size());
            for (int i = 0; i < sessions.size(); i++) {
                slots.acquire();
                String queue = sessions.get(i).queueUrl;
                String body = bodies.get(i);
                sends.add(sqs.sendMessage(b -> b.queueUrl(queue).messageBody(body)).whenComplete((r, e) -> slots.release()));
            }
            CompletableFuture.allOf(sends.toArray(new CompletableFuture<?>[0])).join();
            return m.stop("ceiling: async client, no job", sessions.size());
        }
    }

    private static Result throughJob(Emulators emulators, TestJob job, int sessions, int parallelism) throws Exception {
        CountersReporter.clear();
        Configuration conf = new Configuration();
        conf.setString("metrics.reporter.bench.factory.class", CountersReporter.Factory.class.getName());
        Map<String, Properties> groups = job.propertyGroups(parallelism);
        groups.get("Job").setProperty("checkpointIntervalMillis", "10000");
        groups.get("Sqs").setProperty("maxInFlightRequests", Integer.toString(IN_FLIGHT));
        JobClient client = TestJob.start(StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf), groups);
        try {
            Await.until(Duration.ofMinutes(5), "the job to load every session",
                    () -> CountersReporter.sum("sessionsIndexed") >= (long) sessions * parallelism);
            broadcast(emulators, job, sessions); // warm-up, not reported
            Measure m = Measure.start();
            broadcast(emulators, job, 2L * sessions);
            Result result = m.stop("job, parallelism " + parallelism, sessions);
            System.out.printf("    batches %d, retries %d, failed %d (both broadcasts)%n", CountersReporter.sum("batchesSent"),
                    CountersReporter.sum("sendRetries"), CountersReporter.sum("messagesFailed"));
            return result;
        } finally {
            client.cancel().get();
        }
    }

    /** Puts one broadcast event on the stream and waits until the job has sent {@code sentInAll} messages. */
    private static void broadcast(Emulators emulators, TestJob job, long sentInAll) {
        String event = "{\"message\":\"Breaking news\",\"messageId\":\"" + UUID.randomUUID() + "\"}";
        AwsResources.put(emulators.kinesis(), job.eventStream, "breaking", event.getBytes(StandardCharsets.UTF_8));
        Await.until(Duration.ofMinutes(10), "the broadcast to be delivered",
                () -> CountersReporter.sum("messagesSent") >= sentInAll);
    }

    private static final class Measure {
        final long nanos = System.nanoTime();
        final long cpuNanos = OS.getProcessCpuTime();

        static Measure start() {
            return new Measure();
        }

        Result stop(String name, int messages) {
            return new Result(name, messages, System.nanoTime() - nanos, OS.getProcessCpuTime() - cpuNanos);
        }
    }

    private static final class Result {
        /** The ceiling of the same round, for a job run. */
        Result ceiling;
        final String name;
        final int messages;
        final long nanos;
        final long cpuNanos;

        Result(String name, int messages, long nanos, long cpuNanos) {
            this.name = name;
            this.messages = messages;
            this.nanos = nanos;
            this.cpuNanos = cpuNanos;
            System.out.printf("  %s: %d messages in %.2f s%n", name, messages, nanos / 1e9);
        }

        double rate() {
            return messages / (nanos / 1e9);
        }

        double cpuMicrosPerMessage() {
            return cpuNanos / 1e3 / messages;
        }
    }
}
