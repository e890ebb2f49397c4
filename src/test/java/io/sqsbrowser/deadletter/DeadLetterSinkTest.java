package io.sqsbrowser.deadletter;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sqsbrowser.local.AwsResources;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.EmulatorsExtension;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.flink.streaming.api.operators.StreamSink;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.sqs.model.Message;

/** Dead letters reach either kind of destination, as JSON with reason and payload. */
@ExtendWith(EmulatorsExtension.class)
class DeadLetterSinkTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static DeadLetter deadLetter() {
        DeadLetter d = DeadLetter.of("delivery", "failed after 8 attempts, last: InternalError", "{\"m\":1}".getBytes(StandardCharsets.UTF_8));
        d.messageId = "m-1";
        d.queueUrl = "http://sqs/q";
        return d;
    }

    private static void write(Emulators emulators, DeadLetterDestination destination) throws Exception {
        try (OneInputStreamOperatorTestHarness<DeadLetter, Object> harness = new OneInputStreamOperatorTestHarness<>(
                new StreamSink<>(new DeadLetterSink(emulators.aws(), destination)))) {
            harness.open();
            harness.processElement(deadLetter(), 1);
        }
    }

    private static void assertDeadLetter(byte[] json) throws Exception {
        JsonNode node = JSON.readTree(json);
        assertThat(node.get("stage").asText()).isEqualTo("delivery");
        assertThat(node.get("reason").asText()).isEqualTo("failed after 8 attempts, last: InternalError");
        assertThat(node.get("messageId").asText()).isEqualTo("m-1");
        assertThat(node.get("payload").asText()).isEqualTo("{\"m\":1}");
    }

    @Test
    void writesToAnSqsQueue(Emulators emulators) throws Exception {
        String queue = emulators.sqs().createQueue(b -> b.queueName("dlq-" + UUID.randomUUID())).queueUrl();
        write(emulators, new DeadLetterDestination(DeadLetterDestination.Type.SQS, queue));
        Message m = emulators.sqs().receiveMessage(b -> b.queueUrl(queue).waitTimeSeconds(5)).messages().get(0);
        assertDeadLetter(m.body().getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void writesToAKinesisStream(Emulators emulators) throws Exception {
        String stream = "dlq-" + UUID.randomUUID();
        AwsResources.createStream(emulators.kinesis(), stream, 1);
        write(emulators, new DeadLetterDestination(DeadLetterDestination.Type.KINESIS, stream));
        String shard = emulators.kinesis().listShards(b -> b.streamName(stream)).shards().get(0).shardId();
        String iterator = emulators.kinesis().getShardIterator(b -> b.streamName(stream).shardId(shard)
                .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
        Record r = emulators.kinesis().getRecords(b -> b.shardIterator(iterator)).records().get(0);
        assertDeadLetter(r.data().asByteArray());
    }
}
