package io.sqsbrowser.sqs;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.deadletter.DeadLetter;
import io.sqsbrowser.expand.Delivery;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SqsDeliveryWriterTest {
    @Test
    void anUndeliverableMessageBecomesADeadLetterWithThePlaintextNotTheEnvelope() {
        Delivery d = new Delivery();
        d.queueUrl = "http://sqs/q-1";
        d.messageId = "m-1";
        d.userId = "200";
        d.sessionId = "s-1";
        d.body = "g1|ENCRYPTED-ENVELOPE";
        d.plaintext = "{\"message\":\"hi\",\"messageId\":\"m-1\"}".getBytes(StandardCharsets.UTF_8);
        DeadLetter dl = SqsDeliveryWriter.deadLetter(d, "failed after 8 attempts");
        assertThat(dl.stage).isEqualTo("delivery");
        assertThat(dl.payload).isEqualTo("{\"message\":\"hi\",\"messageId\":\"m-1\"}");
        assertThat(dl.toJson()).contains("\"queueUrl\":\"http://sqs/q-1\"", "\"sessionId\":\"s-1\"", "\"userId\":\"200\"")
                .doesNotContain("ENCRYPTED-ENVELOPE");
    }
}
