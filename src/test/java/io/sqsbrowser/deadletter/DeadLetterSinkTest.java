package io.sqsbrowser.deadletter;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sqsbrowser.local.AwsResources;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.Await;
import io.sqsbrowser.testing.EmulatorsExtension;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;

import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import io.sqsbrowser.testing.SinkHarness;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * Dead letters reach either kind of destination as JSON with reason and payload; they always fit, and a
 * destination that is missing for a while delays them without failing the sink or losing one.
 */
@ExtendWith(EmulatorsExtension.class)
class DeadLetterSinkTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static DeadLetter deadLetter(String messageId, byte[] payload) {
        DeadLetter d = DeadLetter.of("delivery", "failed after 8 attempts, last: InternalError", payload);
        d.messageId = messageId;
        d.queueUrl = "http://sqs/q";
        return d;
    }

    private static OneInputStreamOperatorTestHarness<DeadLetter, CommittableMessage<Void>> harness(Emulators emulators,
            DeadLetterDestination destination, OperatorSubtaskState restoreFrom) throws Exception {
        return SinkHarness.open(new DeadLetterSink(emulators.aws(), destination, 1 << 20), restoreFrom);
    }

    private static List<JsonNode> receive(Emulators emulators, String queue, int expected) {
        List<JsonNode> out = new ArrayList<>();
        Await.until(Duration.ofSeconds(30), expected + " dead letters", () -> {
            for (Message m : emulators.sqs().receiveMessage(b -> b.queueUrl(queue).maxNumberOfMessages(10).waitTimeSeconds(1)).messages()) {
                assertThat(m.body().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(DeadLetterDestinations.SQS_MAX_BYTES);
                out.add(json(m.body().getBytes(StandardCharsets.UTF_8)));
            }
            return out.size() >= expected;
        });
        return out;
    }

    private static JsonNode json(byte[] bytes) {
        try {
            return JSON.readTree(bytes);
        } catch (Exception e) {
            throw new AssertionError("dead letter is not JSON", e);
        }
    }

    private static String queue(Emulators emulators) {
        return emulators.sqs().createQueue(b -> b.queueName("dlq-" + UUID.randomUUID())).queueUrl();
    }

    @Test
    void writesToAnSqsQueue(Emulators emulators) throws Exception {
        String queue = queue(emulators);
        try (var h = harness(emulators, new DeadLetterDestination(DeadLetterDestination.Type.SQS, queue), null)) {
            h.processElement(deadLetter("m-1", "{\"m\":1}".getBytes(StandardCharsets.UTF_8)), 1);
            JsonNode node = receive(emulators, queue, 1).get(0);
            assertThat(node.get("stage").asText()).isEqualTo("delivery");
            assertThat(node.get("reason").asText()).isEqualTo("failed after 8 attempts, last: InternalError");
            assertThat(node.get("messageId").asText()).isEqualTo("m-1");
            assertThat(node.get("payload").asText()).isEqualTo("{\"m\":1}");
            assertThat(node.get("payloadBytes").asInt()).isEqualTo(7);
            assertThat(node.get("payloadTruncated").asBoolean()).isFalse();
        }
    }

    @Test
    void writesToAKinesisStreamAndAMegabytePayloadFits(Emulators emulators) throws Exception {
        String stream = "dlq-" + UUID.randomUUID();
        AwsResources.createStream(emulators.kinesis(), stream, 1);
        byte[] huge = "x".repeat(3_000_000).getBytes(StandardCharsets.UTF_8);
        try (var h = harness(emulators, new DeadLetterDestination(DeadLetterDestination.Type.KINESIS, stream), null)) {
            h.processElement(deadLetter("m-1", "{\"m\":1}".getBytes(StandardCharsets.UTF_8)), 1);
            h.processElement(deadLetter("m-2", huge), 2);
            String shard = emulators.kinesis().listShards(b -> b.streamName(stream)).shards().get(0).shardId();
            String iterator = emulators.kinesis().getShardIterator(b -> b.streamName(stream).shardId(shard)
                    .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
            // kinesalite limits a shard to 1 MB/s as Kinesis does: the big record may be throttled and retried.
            List<JsonNode> records = new ArrayList<>();
            String[] next = {iterator};
            Await.until(Duration.ofSeconds(30), "both dead letters", () -> {
                var page = emulators.kinesis().getRecords(b -> b.shardIterator(next[0]));
                next[0] = page.nextShardIterator();
                for (Record r : page.records()) {
                    assertThat(r.data().asByteArray().length).isLessThanOrEqualTo(DeadLetterDestinations.KINESIS_MAX_BYTES);
                    records.add(json(r.data().asByteArray()));
                }
                return records.stream().map(n -> n.get("messageId").asText()).distinct().count() == 2;
            });
            assertThat(byId(records, "m-1").get("payload").asText()).isEqualTo("{\"m\":1}");
            JsonNode big = byId(records, "m-2");
            assertThat(big.get("payloadTruncated").asBoolean()).isTrue();
            assertThat(big.get("payloadBytes").asLong()).isEqualTo(3_000_000);
            assertThat(big.get("payloadSha256").asText()).isEqualTo(sha256(huge));
            assertThat(big.get("payload").asText()).startsWith("xxxx").hasSizeGreaterThan(200_000);
        }
    }

    @Test
    void oversizeTextBinaryAndCharactersSqsRefusesAllFitInAQueue(Emulators emulators) throws Exception {
        String queue = queue(emulators);
        byte[] bigText = ("{\"message\":\"" + "é\\u0001\"".repeat(200_000) + "\"}").getBytes(StandardCharsets.UTF_8);
        byte[] binary = new byte[2_000_000];
        new Random(1).nextBytes(binary);
        byte[] nonCharacter = "{\"m\":\"\uFFFF\"}".getBytes(StandardCharsets.UTF_8);
        try (var h = harness(emulators, new DeadLetterDestination(DeadLetterDestination.Type.SQS, queue), null)) {
            h.processElement(deadLetter("text", bigText), 1);
            h.processElement(deadLetter("binary", binary), 2);
            h.processElement(deadLetter("nonchar", nonCharacter), 3);
            List<JsonNode> received = receive(emulators, queue, 3);
            JsonNode text = byId(received, "text");
            assertThat(text.get("payloadEncoding").asText()).isEqualTo("utf-8");
            assertThat(text.get("payloadTruncated").asBoolean()).isTrue();
            assertThat(text.get("payloadSha256").asText()).isEqualTo(sha256(bigText));
            assertThat(new String(bigText, StandardCharsets.UTF_8)).startsWith(text.get("payload").asText());
            JsonNode bin = byId(received, "binary");
            assertThat(bin.get("payloadEncoding").asText()).isEqualTo("base64");
            assertThat(bin.get("payloadBytes").asLong()).isEqualTo(2_000_000);
            byte[] head = java.util.Base64.getDecoder().decode(bin.get("payload").asText());
            assertThat(java.util.Arrays.copyOf(binary, head.length)).isEqualTo(head);
            JsonNode nonchar = byId(received, "nonchar");
            assertThat(nonchar.get("payloadEncoding").asText()).isEqualTo("base64");
            assertThat(java.util.Base64.getDecoder().decode(nonchar.get("payload").asText())).isEqualTo(nonCharacter);
        }
    }

    @Test
    void aMissingDestinationDelaysDeadLettersWithoutFailingAndTheCheckpointKeepsThem(Emulators emulators) throws Exception {
        String name = "dlq-" + UUID.randomUUID();
        String queue = emulators.sqs().createQueue(b -> b.queueName(name)).queueUrl();
        emulators.sqs().deleteQueue(b -> b.queueUrl(queue));
        DeadLetterDestination destination = new DeadLetterDestination(DeadLetterDestination.Type.SQS, queue);
        OperatorSubtaskState snapshot;
        try (var h = harness(emulators, destination, null)) {
            for (int i = 0; i < 25; i++) {
                h.processElement(deadLetter("m-" + i, ("{\"i\":" + i + "}").getBytes(StandardCharsets.UTF_8)), i);
            }
            snapshot = h.snapshot(1, 100);
        }
        // The sink that took them is gone; a restored one writes them once the queue exists again.
        try (var restored = harness(emulators, destination, snapshot)) {
            restored.processElement(deadLetter("m-25", "{}".getBytes(StandardCharsets.UTF_8)), 26);
            Thread.sleep(500);
            emulators.sqs().createQueue(b -> b.queueName(name));
            List<JsonNode> received = receive(emulators, queue, 26);
            assertThat(received).extracting(n -> n.get("messageId").asText()).doesNotHaveDuplicates().hasSize(26);
        }
    }

    /**
     * Once the buffer is full (the destination down), the task waits for room in its mailbox, not in a monitor: its
     * mails (timers, answers of the operators chained with it, cancellation) still run meanwhile, and it goes on as
     * soon as the destination takes the dead letters.
     */
    @Test
    void aFullBufferHoldsTheTaskInItsMailboxNotInAMonitor(Emulators emulators) throws Exception {
        String name = "dlq-" + UUID.randomUUID();
        String queue = emulators.sqs().createQueue(b -> b.queueName(name)).queueUrl();
        emulators.sqs().deleteQueue(b -> b.queueUrl(queue));
        DeadLetterDestination destination = new DeadLetterDestination(DeadLetterDestination.Type.SQS, queue);
        try (var h = SinkHarness.open(new DeadLetterSink(emulators.aws(), destination, 1), null)) {
            h.processElement(deadLetter("m-0", "{}".getBytes(StandardCharsets.UTF_8)), 0);
            java.util.concurrent.atomic.AtomicBoolean mailRan = new java.util.concurrent.atomic.AtomicBoolean();
            Thread meanwhile = new Thread(() -> {
                try {
                    Thread.sleep(500);
                    h.getTaskMailbox().put(new org.apache.flink.streaming.runtime.tasks.mailbox.Mail(() -> mailRan.set(true),
                            org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox.MAX_PRIORITY, "a mail while the task waits"));
                    Thread.sleep(500);
                    emulators.sqs().createQueue(b -> b.queueName(name));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            meanwhile.start();
            h.processElement(deadLetter("m-1", "{}".getBytes(StandardCharsets.UTF_8)), 1);
            meanwhile.join();
            assertThat(mailRan).as("a mail ran while the task waited for room").isTrue();
            assertThat(receive(emulators, queue, 2)).extracting(n -> n.get("messageId").asText()).containsExactlyInAnyOrder("m-0", "m-1");
        }
    }

    private static JsonNode byId(List<JsonNode> nodes, String messageId) {
        return nodes.stream().filter(n -> n.get("messageId").asText().equals(messageId)).findFirst().orElseThrow();
    }

    private static String sha256(byte[] bytes) throws Exception {
        return String.format("%064x", new BigInteger(1, MessageDigest.getInstance("SHA-256").digest(bytes)));
    }
}
