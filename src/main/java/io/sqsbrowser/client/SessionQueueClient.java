package io.sqsbrowser.client;

import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.crypto.Envelopes;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;

/**
 * A session's side of delivery: long-polls the session's own queue, decrypts each message with the session key and
 * deletes what it received. A body that is not a message of the job's (tampered, in the other cipher's envelope,
 * unreadable) is reported and deleted too: it can never be read, and left in the queue it would come back with every
 * poll, and its batch with it. Used by the tests, the demo, the listener and the smoke test.
 */
public final class SessionQueueClient implements AutoCloseable {
    private final SqsClient sqs;
    private final String queueUrl;
    private final MessageDecryptor decryptor;
    private final Consumer<Refused> refused;

    /** A body refused: its SQS message id and why (never the body, which may be anyone's bytes, nor the key). */
    public static final class Refused {
        public final String sqsMessageId;
        public final String reason;

        Refused(String sqsMessageId, String reason) {
            this.sqsMessageId = sqsMessageId;
            this.reason = reason;
        }

        @Override
        public String toString() {
            return "message " + sqsMessageId + " refused: " + reason;
        }
    }

    /** Refused bodies reported on standard error. */
    public SessionQueueClient(SqsClient sqs, String queueUrl, String base64Key, CipherFormat cipher) {
        this(sqs, queueUrl, base64Key, cipher, r -> System.err.println(r));
    }

    public SessionQueueClient(SqsClient sqs, String queueUrl, String base64Key, CipherFormat cipher, Consumer<Refused> refused) {
        this.sqs = sqs;
        this.queueUrl = queueUrl;
        this.decryptor = new MessageDecryptor(base64Key, cipher);
        this.refused = refused;
    }

    /** A message received: its plaintext (JSON text), and its place in the session's sequence ({@code <epoch>:<n>}, or null). */
    public static final class Received {
        public final String plaintext;
        public final String sequence;

        Received(String plaintext, String sequence) {
            this.plaintext = plaintext;
            this.sequence = sequence;
        }
    }

    /** One long poll of up to {@code waitSeconds}: the decrypted messages (JSON text) received; all received is deleted. */
    public List<String> receive(int waitSeconds) {
        List<String> plaintexts = new ArrayList<>();
        receiveNumbered(waitSeconds).forEach(r -> plaintexts.add(r.plaintext));
        return plaintexts;
    }

    /** As {@link #receive}, with each message's sequence. */
    public List<Received> receiveNumbered(int waitSeconds) {
        List<Message> messages = sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10)
                .waitTimeSeconds(waitSeconds).messageAttributeNames(Envelopes.SEQUENCE_ATTRIBUTE)).messages();
        List<Received> plaintexts = new ArrayList<>(messages.size());
        List<DeleteMessageBatchRequestEntry> receipts = new ArrayList<>(messages.size());
        for (Message m : messages) {
            try {
                MessageAttributeValue sequence = m.messageAttributes().get(Envelopes.SEQUENCE_ATTRIBUTE);
                plaintexts.add(new Received(decryptor.decrypt(m.body()), sequence == null ? null : sequence.stringValue()));
            } catch (IllegalArgumentException notTheJobs) {
                refused.accept(new Refused(m.messageId(), notTheJobs.getMessage()));
            }
            receipts.add(DeleteMessageBatchRequestEntry.builder().id(Integer.toString(receipts.size()))
                    .receiptHandle(m.receiptHandle()).build());
        }
        if (!receipts.isEmpty()) {
            sqs.deleteMessageBatch(b -> b.queueUrl(queueUrl).entries(receipts));
        }
        return plaintexts;
    }

    @Override
    public void close() {
        sqs.close();
    }
}
