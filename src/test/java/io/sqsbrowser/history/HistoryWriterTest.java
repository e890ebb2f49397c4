package io.sqsbrowser.history;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.deadletter.DeadLetter;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sqsbrowser.deadletter.DeadLetterDestination;
import io.sqsbrowser.testing.Await;
import io.sqsbrowser.testing.SinkHarness;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.junit.jupiter.api.BeforeEach;
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
 * The history sink against dynalite: rows it cannot write become dead letters holding the row (written to the
 * dead-letter queue), it never waits for the table, and what is not yet written survives a restore.
 */
@ExtendWith(EmulatorsExtension.class)
class HistoryWriterTest {
    private static final String MESSAGE = "{\"message\":\"hello\",\"messageId\":\"m-1\"}";
    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** The dead-letter queue of the test in hand: rows the table refuses are written there. */
    private String deadLetterQueue;

    private OneInputStreamOperatorTestHarness<HistoryRows, CommittableMessage<Void>> harness(AwsSettings aws, String table,
            long maxBufferedBytes, OperatorSubtaskState restoreFrom) throws Exception {
        HistorySettings settings = HistorySettings.builder(table).ttlHours(1).maxInFlightRequests(4).maxBufferedBytes(maxBufferedBytes)
                .backoff(5, 50).finishWait(Duration.ofMillis(200)).build();
        return SinkHarness.open(new HistorySink(aws, settings,
                new DeadLetterDestination(DeadLetterDestination.Type.SQS, deadLetterQueue), 1 << 20), restoreFrom);
    }

    @BeforeEach
    void deadLetterQueue(Emulators emulators) {
        deadLetterQueue = emulators.sqs().createQueue(b -> b.queueName("history-dlq-" + UUID.randomUUID())).queueUrl();
    }

    /** The dead letters written so far to the test's queue (each read once). */
    private final List<DeadLetter> deadLetters = new java.util.ArrayList<>();

    private List<DeadLetter> deadLetters(Emulators emulators) {
        for (var m : emulators.sqs().receiveMessage(b -> b.queueUrl(deadLetterQueue).maxNumberOfMessages(10)).messages()) {
            try {
                deadLetters.add(JSON.readValue(m.body(), DeadLetter.class));
            } catch (java.io.IOException e) {
                throw new AssertionError("a dead letter that is not JSON: " + m.body(), e);
            }
        }
        return deadLetters;
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
            HarnessMails.runUntil(h, "two dead letters", () -> deadLetters(emulators).size() == 2);
            List<DeadLetter> deadLetters = deadLetters(emulators);
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
                    Map.of("dynamodb", proxy.endpoint(), "sqs", "http://127.0.0.1:" + emulators.sqsPort));
            proxy.throttle(true);
            OperatorSubtaskState snapshot;
            // Room for one group of three users (the message once, and each user).
            try (var h = harness(throughProxy, table, MESSAGE.length() + 3 * 64, null)) {
                long started = System.nanoTime();
                h.processElement(new StreamRecord<>(rows("u1", "u2", "u3")));
                h.processElement(new StreamRecord<>(rows("u4")));
                assertThat(Duration.ofNanos(System.nanoTime() - started)).as("the writer never waits for the table")
                        .isLessThan(Duration.ofSeconds(2));
                Await.until(Duration.ofSeconds(10), "the dead letter of u4's row", () -> !deadLetters(emulators).isEmpty());
                assertThat(deadLetters(emulators)).extracting(d -> d.userId + ": " + d.reason)
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
