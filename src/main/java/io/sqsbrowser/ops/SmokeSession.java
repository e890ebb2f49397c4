package io.sqsbrowser.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sqsbrowser.client.SessionCredentials;
import io.sqsbrowser.client.SessionQueueClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import software.amazon.awssdk.services.sqs.SqsClient;

/** A session the smoke test created: what {@code /create} answered, and its queue read as a client reads it. */
final class SmokeSession implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    final String accountId;
    final String userId;
    final String sessionId;
    final JsonNode session;
    /** Signs with the session's own credentials. */
    final SqsClient sqs;
    private final SessionQueueClient queue;
    private final List<JsonNode> received = new ArrayList<>();
    /** Each message's place in the session's sequence, by messageId. */
    private final java.util.Map<String, String> sequences = new java.util.HashMap<>();

    SmokeSession(String accountId, String userId, String sessionId, JsonNode session, URI sqsEndpoint) {
        this.accountId = accountId;
        this.userId = userId;
        this.sessionId = sessionId;
        this.session = session;
        this.sqs = SessionCredentials.sqsClient(session, sqsEndpoint);
        this.queue = SessionCredentials.queueClient(session, sqsEndpoint);
    }

    String queueUrl() {
        return session.get("sqsUrl").asText();
    }

    String path() {
        return accountId + "/" + userId + "/" + sessionId;
    }

    /** Long-polls until a message decrypted with the session's key matches, or the time is up; null then. */
    JsonNode await(Predicate<JsonNode> wanted, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (JsonNode m : received) {
                if (wanted.test(m)) {
                    return m;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return null;
            }
            for (SessionQueueClient.Received r : queue.receiveNumbered((int) Math.min(5, Math.max(1, left / 1_000_000_000L)))) {
                try {
                    JsonNode m = JSON.readTree(r.plaintext);
                    received.add(m);
                    sequences.put(m.path("messageId").asText(), r.sequence);
                } catch (IOException e) {
                    throw new UncheckedIOException("a message that decrypts is not JSON", e);
                }
            }
        }
    }

    /** The place in the session's sequence of a message received ({@code <epoch>:<n>}), or null. */
    String sequenceOf(String messageId) {
        return sequences.get(messageId);
    }

    JsonNode awaitMessage(String messageId, Duration timeout) {
        return await(m -> messageId.equals(m.path("messageId").asText()), timeout);
    }

    @Override
    public void close() {
        queue.close();
        sqs.close();
    }
}
