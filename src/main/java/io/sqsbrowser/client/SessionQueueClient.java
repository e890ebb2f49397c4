package io.sqsbrowser.client;

import io.sqsbrowser.crypto.CipherFormat;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * A session's side of delivery: long-polls the session's own queue, decrypts each message with the
 * session key and deletes what it received. Used by the tests, the demo and the listener.
 */
public final class SessionQueueClient implements AutoCloseable {
    private final SqsClient sqs;
    private final String queueUrl;
    private final MessageDecryptor decryptor;

    public SessionQueueClient(SqsClient sqs, String queueUrl, String base64Key, CipherFormat cipher) {
        this.sqs = sqs;
        this.queueUrl = queueUrl;
        this.decryptor = new MessageDecryptor(base64Key, cipher);
    }

    /** One long poll of up to {@code waitSeconds}: the decrypted messages (JSON text) received, now deleted. */
    public List<String> receive(int waitSeconds) {
        List<Message> messages = sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10)
                .waitTimeSeconds(waitSeconds)).messages();
        List<String> plaintexts = new ArrayList<>(messages.size());
        List<DeleteMessageBatchRequestEntry> receipts = new ArrayList<>(messages.size());
        for (Message m : messages) {
            plaintexts.add(decryptor.decrypt(m.body()));
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
