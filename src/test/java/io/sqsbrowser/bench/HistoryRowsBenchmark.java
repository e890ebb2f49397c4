package io.sqsbrowser.bench;

import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.local.AwsResources;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.Await;
import io.sqsbrowser.testing.Parallel;
import io.sqsbrowser.testing.TestJob;
import io.sqsbrowser.testing.TestSession;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * What a broadcast writes to the history table in each storage mode ({@code History.fanOutRows}): one "everyone"
 * event with a message of {@code messageBytes} to {@code users} users (a session each), and the rows and write units
 * (a conditional write of an item costs one per KB, rounded up) it left, counted in the table; then the same per
 * 1,000,000 users and at on-demand's price ($1.25 per million write request units, us-east-1, 2026).
 *
 * <p>Run: {@code mvn -q -Pbench -Dbench=HistoryRowsBenchmark test-compile exec:exec}; {@code -Dbench.args="users
 * messageBytes"}, by default {@code "5000 1000"}.
 */
public final class HistoryRowsBenchmark {
    private static final double DOLLARS_PER_WRITE_UNIT = 1.25e-6;

    private HistoryRowsBenchmark() {}

    public static void main(String[] args) throws Exception {
        int users = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
        int messageBytes = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
        System.out.printf("History rows benchmark, %s: one broadcast of a %,d-byte message to %,d users%n",
                java.time.LocalDate.now(), messageBytes, users);
        try (Emulators emulators = Emulators.start(true, "3g")) {
            for (String mode : List.of("per-recipient", "per-scope")) {
                measure(emulators, users, messageBytes, mode);
            }
        }
        System.exit(0);
    }

    private static void measure(Emulators emulators, int users, int messageBytes, String mode) throws Exception {
        TestJob job = new TestJob(emulators, 2);
        List<TestSession> sessions = Parallel.map(users, n -> job.session("acct" + (n % 20), "user" + n,
                UUID.randomUUID().toString(), CipherFormat.GCM));
        job.storeInTable(sessions);
        Map<String, Properties> groups = job.benchmarkPropertyGroups(2);
        groups.get("History").setProperty("fanOutRows", mode);
        JobClient client = TestJob.start(StreamExecutionEnvironment.createLocalEnvironment(2), groups);
        try {
            Thread.sleep(10_000); // the session table read
            String id = "broadcast-" + mode;
            String event = "{\"_everyone\":true,\"message\":\"" + "x".repeat(messageBytes) + "\",\"messageId\":\"" + id + "\"}";
            AwsResources.put(emulators.kinesis(), job.eventStream, "everyone", event.getBytes(StandardCharsets.UTF_8));
            long expected = mode.equals("per-scope") ? 1 : users + 1L;
            AtomicLong rows = new AtomicLong();
            AtomicLong units = new AtomicLong();
            Await.until(Duration.ofMinutes(10), "the broadcast's " + expected + " rows", () -> {
                rows.set(0);
                units.set(0);
                emulators.dynamoDb().scanPaginator(b -> b.tableName(job.historyTable).filterExpression("messageId = :id")
                        .expressionAttributeValues(Map.of(":id", AttributeValue.builder().s(id).build()))).items().forEach(item -> {
                            rows.incrementAndGet();
                            units.addAndGet((itemBytes(item) + 1023) / 1024);
                        });
                return rows.get() >= expected;
            });
            Thread.sleep(5_000);
            double perMillion = 1_000_000.0 / users;
            System.out.printf("  %-14s %,9d rows, %,9d write units; for 1,000,000 users: %,.0f rows, %,.0f write units, $%.4f%n",
                    mode, rows.get(), units.get(), rows.get() * (mode.equals("per-scope") ? 1 : perMillion),
                    units.get() * (mode.equals("per-scope") ? 1 : perMillion),
                    units.get() * (mode.equals("per-scope") ? 1 : perMillion) * DOLLARS_PER_WRITE_UNIT);
        } finally {
            TestJob.stop(client);
        }
    }

    /** An item's size as DynamoDB counts it: names and values (numbers as their text, a fair bound). */
    private static long itemBytes(Map<String, AttributeValue> item) {
        long bytes = 0;
        for (Map.Entry<String, AttributeValue> a : item.entrySet()) {
            AttributeValue v = a.getValue();
            bytes += a.getKey().length() + (v.s() != null ? v.s().getBytes(StandardCharsets.UTF_8).length : v.n() != null ? v.n().length() : 0);
        }
        return bytes;
    }
}
