package io.sqsbrowser.history;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.deadletter.DeadLetter;
import io.sqsbrowser.job.MailboxOperatorFactory;
import io.sqsbrowser.local.AwsResources;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.DynamoDbFaultProxy;
import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.HarnessMails;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The history writer against dynalite: rows it cannot write become dead letters holding the row, it never
 * waits for the table, and what is not yet written survives a restore.
 */
@ExtendWith(EmulatorsExtension.class)
class HistoryWriterTest {
    private static final String MESSAGE = "{\"message\":\"hello\",\"messageId\":\"m-1\"}";

    private static OneInputStreamOperatorTestHarness<HistoryRows, DeadLetter> harness(AwsSettings aws, String table,
            long maxBufferedBytes, OperatorSubtaskState restoreFrom) throws Exception {
        HistoryWriter.Settings settings = new HistoryWriter.Settings(table, 3600, 4, maxBufferedBytes, 5, 50, Duration.ofMillis(200));
        OneInputStreamOperatorTestHarness<HistoryRows, DeadLetter> h = new OneInputStreamOperatorTestHarness<>(
                new MailboxOperatorFactory<HistoryRows, DeadLetter>(HistoryWriter.class,
                        (parameters, mailbox) -> new HistoryWriter(aws, settings, mailbox)), 1, 1, 0);
        return HarnessMails.open(h, restoreFrom);
    }

    private static HistoryRows rows(String... users) {
        return new HistoryRows("m-1", 1_800_000_000L, "alert", MESSAGE, List.of(users));
    }

    private static String newTable(Emulators emulators) {
        String table = "history-" + UUID.randomUUID();
        AwsResources.createHistoryTable(emulators.dynamoDb(), table);
        return table;
    }

    private static List<String> usersWritten(Emulators emulators, String table) {
        return emulators.dynamoDb().scan(b -> b.tableName(table).consistentRead(true)).items().stream()
                .map(item -> item.get("userId").s()).sorted().collect(Collectors.toList());
    }

    /** A replay of the stream writes its rows again: a row already read stays read, and nothing of it changes. */
    @Test
    void aRowWrittenAgainKeepsItsReadStateAndEveryAttribute(Emulators emulators) throws Exception {
        String table = newTable(emulators);
        try (var h = harness(emulators.aws(), table, 1 << 20, null)) {
            h.processElement(new StreamRecord<>(rows("u1")));
            HarnessMails.runUntil(h, "the row", () -> usersWritten(emulators, table).size() == 1);
        }
        Map<String, AttributeValue> key = Map.of("userId", AttributeValue.builder().s("u1").build(),
                "messageId", AttributeValue.builder().s("m-1").build());
        emulators.dynamoDb().updateItem(b -> b.tableName(table).key(key).updateExpression("SET is_read = :one")
                .expressionAttributeValues(Map.of(":one", AttributeValue.builder().n("1").build())));
        Map<String, AttributeValue> read = emulators.dynamoDb().getItem(b -> b.tableName(table).key(key).consistentRead(true)).item();
        try (var h = harness(emulators.aws(), table, 1 << 20, null)) {
            // The same message replayed: another arrival time, even another text and type.
            h.processElement(new StreamRecord<>(new HistoryRows("m-1", 1_900_000_000L, "other", "{\"messageId\":\"m-1\"}", List.of("u1"))));
            HarnessMails.runFor(h, Duration.ofMillis(500));
        }
        assertThat(emulators.dynamoDb().getItem(b -> b.tableName(table).key(key).consistentRead(true)).item()).isEqualTo(read)
                .containsEntry("is_read", AttributeValue.builder().n("1").build());
    }

    @Test
    void writesOneRowPerUserWithTheMessageOnce(Emulators emulators) throws Exception {
        String table = newTable(emulators);
        try (var h = harness(emulators.aws(), table, 1 << 20, null)) {
            h.processElement(new StreamRecord<>(rows("u1", "u2", "u3")));
            HarnessMails.runUntil(h, "three rows", () -> usersWritten(emulators, table).size() == 3);
        }
        Map<String, AttributeValue> row = emulators.dynamoDb().getItem(b -> b.tableName(table)
                .key(Map.of("userId", AttributeValue.builder().s("u2").build(), "messageId", AttributeValue.builder().s("m-1").build()))).item();
        assertThat(row.get("message").s()).isEqualTo(MESSAGE);
        assertThat(row.get("is_read").n()).isEqualTo("0");
        assertThat(row.get("_type").s()).isEqualTo("alert");
    }

    @Test
    void rowsTheTableRefusesForGoodBecomeDeadLettersHoldingTheRow(Emulators emulators) throws Exception {
        try (var h = harness(emulators.aws(), "no-such-table-" + UUID.randomUUID(), 1 << 20, null)) {
            h.processElement(new StreamRecord<>(rows("u1", "u2")));
            HarnessMails.runUntil(h, "two dead letters", () -> h.extractOutputValues().size() == 2);
            List<DeadLetter> deadLetters = h.extractOutputValues();
            assertThat(deadLetters).extracting(d -> d.userId).containsExactlyInAnyOrder("u1", "u2");
            assertThat(deadLetters).allSatisfy(d -> {
                assertThat(d.stage).isEqualTo("history");
                assertThat(d.reason).startsWith("history table refused the row: ResourceNotFoundException");
                assertThat(d.messageId).isEqualTo("m-1");
                assertThat(d.payload).isEqualTo(MESSAGE);
            });
        }
    }

    @Test
    void whileTheTableThrottlesRowsBeyondTheBufferBecomeDeadLettersAndNothingWaits(Emulators emulators) throws Exception {
        String table = newTable(emulators);
        try (DynamoDbFaultProxy proxy = new DynamoDbFaultProxy(emulators.dynamoDbPort)) {
            AwsSettings throughProxy = new AwsSettings(Emulators.REGION, AwsSettings.Credentials.STATIC, "test", "test",
                    Map.of("dynamodb", proxy.endpoint()));
            proxy.throttle(true);
            OperatorSubtaskState snapshot;
            // Room for one group of three users (the message once, and each user).
            try (var h = harness(throughProxy, table, MESSAGE.length() + 3 * 64, null)) {
                long started = System.nanoTime();
                h.processElement(new StreamRecord<>(rows("u1", "u2", "u3")));
                h.processElement(new StreamRecord<>(rows("u4")));
                assertThat(Duration.ofNanos(System.nanoTime() - started)).as("the writer never waits for the table")
                        .isLessThan(Duration.ofSeconds(2));
                assertThat(h.extractOutputValues()).extracting(d -> d.userId + ": " + d.reason)
                        .containsExactly("u4: history table unavailable: 0 MiB of rows already wait to be written");
                // The harness's clock fires the retries' timers.
                for (long now = 1_000; proxy.throttled.get() < 6 && now < 100_000; now += 1_000) {
                    HarnessMails.runFor(h, Duration.ofMillis(50));
                    h.setProcessingTime(now);
                }
                assertThat(proxy.throttled.get()).as("rows retried while throttled").isGreaterThanOrEqualTo(6);
                snapshot = h.snapshot(1, 1);
            }
            // A restored writer has the three unwritten rows, and writes them once the table takes writes again.
            proxy.throttle(false);
            try (var h = harness(throughProxy, table, 1 << 20, snapshot)) {
                HarnessMails.runUntil(h, "the three rows", () -> usersWritten(emulators, table).equals(List.of("u1", "u2", "u3")));
            }
        }
    }
}
