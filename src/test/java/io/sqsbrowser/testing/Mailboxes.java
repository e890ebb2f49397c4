package io.sqsbrowser.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * What each session received, read the way clients read it: long-polled, decrypted with the session's
 * key, de-duplicated by messageId (delivery is at-least-once).
 */
public final class Mailboxes {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final SqsClient sqs;
    private final Map<TestSession, Map<String, JsonNode>> received = new ConcurrentHashMap<>();
    /** Each message's place in its session's sequence ({@code <epoch>:<n>}), by session and messageId, as last received. */
    private final Map<TestSession, Map<String, String>> sequences = new ConcurrentHashMap<>();
    /** Messages received again (the same messageId in the same queue): at-least-once delivery's copies. */
    private int copies;

    public Mailboxes(SqsClient sqs, Collection<TestSession> sessions) {
        this.sqs = sqs;
        for (TestSession s : sessions) {
            received.put(s, new LinkedHashMap<>());
            sequences.put(s, new LinkedHashMap<>());
        }
    }

    /** Reads every queue once, without waiting; returns how many messages arrived. */
    public int poll() {
        int count = 0;
        for (Map.Entry<TestSession, Map<String, JsonNode>> e : received.entrySet()) {
            List<io.sqsbrowser.client.SessionQueueClient.Received> messages;
            do {
                messages = e.getKey().client(sqs).receiveNumbered(0);
                for (io.sqsbrowser.client.SessionQueueClient.Received m : messages) {
                    JsonNode node = parse(m.plaintext);
                    if (e.getValue().put(node.get("messageId").asText(), node) != null) {
                        copies++;
                    }
                    if (m.sequence != null) {
                        sequences.get(e.getKey()).put(node.get("messageId").asText(), m.sequence);
                    }
                    count++;
                }
            } while (!messages.isEmpty());
        }
        return count;
    }

    /** How many messages arrived more than once in their queue so far. */
    public int copies() {
        return copies;
    }

    /** The sequences of the session's messages received, by messageId ({@code <epoch>:<n>[~<k>]}). */
    public Map<String, String> sequences(TestSession s) {
        return new TreeMap<>(sequences.get(s));
    }

    public Set<String> messageIds(TestSession s) {
        return new TreeSet<>(received.get(s).keySet());
    }

    public JsonNode message(TestSession s, String messageId) {
        return received.get(s).get(messageId);
    }

    /** Forgets the messages whose {@code _type} is {@code type} (e.g. probes). */
    public void forget(String type) {
        for (Map<String, JsonNode> box : received.values()) {
            box.values().removeIf(m -> type.equals(m.path("_type").asText()));
        }
    }

    /** Polls until every session holds at least the expected ids, or the timeout passes. */
    public void awaitAtLeast(Map<TestSession, Set<String>> expected, Duration timeout) {
        Await.until(timeout, () -> "every session to receive its messages; missing " + summary(missing(expected)), () -> {
            poll();
            return missing(expected).isEmpty();
        });
    }

    /**
     * As {@link #awaitAtLeast}, but fails at once, without waiting out the timeout, when a session holds a message it
     * was not meant to have: a misroute is never fixed by waiting.
     */
    public void awaitExactly(Map<TestSession, Set<String>> expected, Duration timeout) {
        Await.until(timeout, () -> "every session to receive its messages; missing " + summary(missing(expected)), () -> {
            poll();
            Map<String, Set<String>> extra = new HashMap<>();
            expected.forEach((s, ids) -> {
                Set<String> more = new TreeSet<>(received.get(s).keySet());
                more.removeAll(ids);
                if (!more.isEmpty()) {
                    extra.put(s.toString(), more);
                }
            });
            if (!extra.isEmpty()) {
                throw new AssertionError("message(s) reached a session they were not for: " + summary(extra));
            }
            return missing(expected).isEmpty();
        });
    }

    /** At most five sessions' missing messages, and how many sessions miss some. */
    private static String summary(Map<String, Set<String>> missing) {
        return missing.size() + " session(s), e.g. " + missing.entrySet().stream().limit(5)
                .map(e -> e.getKey() + "=" + e.getValue()).collect(java.util.stream.Collectors.joining(", "));
    }

    public Map<String, Set<String>> missing(Map<TestSession, Set<String>> expected) {
        Map<String, Set<String>> missing = new HashMap<>();
        expected.forEach((s, ids) -> {
            Set<String> m = new TreeSet<>(ids);
            m.removeAll(received.get(s).keySet());
            if (!m.isEmpty()) {
                missing.put(s.toString(), m);
            }
        });
        return missing;
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
