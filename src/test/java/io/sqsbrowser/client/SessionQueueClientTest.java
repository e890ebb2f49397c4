package io.sqsbrowser.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.crypto.MessageEncryptor;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.EmulatorsExtension;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A body that is not the job's, among messages that are: the client hands on what it decrypted, reports the rest, and
 * deletes the whole batch, so nothing comes back with the next poll (a batch kept for one bad body would return
 * forever, with the good messages in it).
 */
@ExtendWith(EmulatorsExtension.class)
class SessionQueueClientTest {
    @Test
    void aTamperedBodyIsReportedAndTheBatchStillDeleted(Emulators emulators) {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        String base64Key = Base64.getEncoder().encodeToString(key);
        String queue = emulators.sqs().createQueue(b -> b.queueName("client-" + UUID.randomUUID())).queueUrl();
        MessageEncryptor encryptor = new MessageEncryptor();
        String first = encryptor.encrypt(CipherFormat.GCM, key, "{\"messageId\":\"m1\"}".getBytes(StandardCharsets.UTF_8));
        String ctrOnAGcmSession = encryptor.encrypt(CipherFormat.CTR, key, "{\"messageId\":\"forged\"}".getBytes(StandardCharsets.UTF_8));
        String last = encryptor.encrypt(CipherFormat.GCM, key, "{\"messageId\":\"m2\"}".getBytes(StandardCharsets.UTF_8));
        for (String body : List.of(first, ctrOnAGcmSession, "g1|not base64 at all", last)) {
            emulators.sqs().sendMessage(b -> b.queueUrl(queue).messageBody(body));
        }
        List<SessionQueueClient.Refused> refused = new ArrayList<>();
        List<String> received = new ArrayList<>();
        // Not closed: it would close the emulators' shared client it was given.
        SessionQueueClient client = new SessionQueueClient(emulators.sqs(), queue, base64Key, CipherFormat.GCM, refused::add);
        for (int poll = 0; poll < 5 && received.size() + refused.size() < 4; poll++) {
            received.addAll(client.receive(1));
        }
        assertThat(received).containsExactlyInAnyOrder("{\"messageId\":\"m1\"}", "{\"messageId\":\"m2\"}");
        assertThat(refused).hasSize(2).allSatisfy(r -> assertThat(r.reason).doesNotContain(base64Key).doesNotContain("forged"));
        assertThat(client.receive(1)).as("nothing comes back").isEmpty();
        assertThat(emulators.sqs().getQueueAttributes(b -> b.queueUrl(queue).attributeNamesWithStrings(
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")).attributesAsStrings().values())
                .containsOnly("0");
    }
}
