package io.sqsbrowser.testing;

import io.sqsbrowser.aws.QueueNames;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.client.SessionQueueClient;
import io.sqsbrowser.crypto.CipherFormat;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.sqs.SqsClient;

/** A session as the session API would create it: its own queue (made in ElasticMQ), key and item. */
public final class TestSession {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** The queue prefix of test sessions, and so of the test job's clean-up. */
    public static final String QUEUE_PREFIX = "test";

    public final String accountId;
    public final String userId;
    public final String sessionId;
    public final String queueUrl;
    public final String aesKey;
    public final CipherFormat cipher;
    public long expires;
    public long version = 1;
    public final long created = System.currentTimeMillis();
    private List<String> topics = List.of();

    private TestSession(String accountId, String userId, String sessionId, String queueUrl, CipherFormat cipher) {
        this(accountId, userId, sessionId, queueUrl, newKey(), cipher);
    }

    private TestSession(String accountId, String userId, String sessionId, String queueUrl, String aesKey, CipherFormat cipher) {
        this.accountId = accountId;
        this.userId = userId;
        this.sessionId = sessionId;
        this.queueUrl = queueUrl;
        this.cipher = cipher;
        this.aesKey = aesKey;
        this.expires = System.currentTimeMillis() / 1000 + 3600;
    }

    private static String newKey() {
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    /** A session known from elsewhere (a savepoint fixture's manifest), its queue made again under its old name. */
    public static TestSession known(SqsClient sqs, String deploymentId, String accountId, String userId, String sessionId,
            String queueName, String aesKey, CipherFormat cipher) {
        String url = sqs.createQueue(b -> b.queueName(queueName).tags(Map.of(QueueNames.DEPLOYMENT_TAG, deploymentId))).queueUrl();
        return new TestSession(accountId, userId, sessionId, url, aesKey, cipher);
    }

    /** A session the session API created: its {@code /create} answer's {@code session}. */
    public static TestSession ofCreateAnswer(com.fasterxml.jackson.databind.JsonNode session) {
        return new TestSession(session.get("accountId").asText(), session.get("userId").asText(), session.get("sessionId").asText(),
                session.get("sqsUrl").asText(), session.get("aesKey").asText(), CipherFormat.fromAttribute(session.get("cipher").asText()));
    }

    /**
     * Creates the session's queue in SQS, named as the session API names them and tagged with {@code deploymentId} (a
     * deployment's job deletes only its own queues); credentials valid for an hour.
     */
    public static TestSession create(SqsClient sqs, String deploymentId, String accountId, String userId, String sessionId,
            CipherFormat cipher) {
        String queueName = QueueNames.newName(QUEUE_PREFIX);
        String url = sqs.createQueue(b -> b.queueName(queueName).tags(Map.of(QueueNames.DEPLOYMENT_TAG, deploymentId))).queueUrl();
        return new TestSession(accountId, userId, sessionId, url, cipher);
    }

    /** A session whose queue is never made, for state-only measurements; its URL is shaped as SQS's and ElasticMQ's. */
    public static TestSession withoutQueue(String sqsEndpoint, String accountId, String userId, String sessionId, CipherFormat cipher) {
        return new TestSession(accountId, userId, sessionId, sqsEndpoint + "/000000000000/" + QueueNames.newName(QUEUE_PREFIX), cipher);
    }

    /** The session follows these topics (its item's {@code topics} string set), from the next {@link #item()} on. */
    public TestSession following(String... topics) {
        this.topics = List.of(topics);
        return this;
    }

    public TestSession expired() {
        expires = System.currentTimeMillis() / 1000 - 60;
        return this;
    }

    /** The session-table item, as the session API writes it. */
    public Map<String, AttributeValue> item() {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("userId", s(userId));
        item.put("sessionId", s(sessionId));
        item.put("accountId", s(accountId));
        item.put("sqsUrl", s(queueUrl));
        item.put("sqsQueueName", s(queueUrl.substring(queueUrl.lastIndexOf('/') + 1)));
        item.put("identityId", s(Emulators.REGION + ":" + sessionId));
        item.put("aesKey", s(aesKey));
        item.put("cipher", s(cipher.attributeValue()));
        item.put("expires", n(expires));
        item.put("ttl", n(expires + 3600));
        item.put("created", n(created));
        item.put("version", n(version));
        if (!topics.isEmpty()) {
            item.put("topics", AttributeValue.builder().ss(topics).build());
        }
        return item;
    }

    public SessionQueueClient client(SqsClient sqs) {
        return new SessionQueueClient(sqs, queueUrl, aesKey, cipher);
    }

    private static AttributeValue s(String v) {
        return AttributeValue.builder().s(v).build();
    }

    private static AttributeValue n(long v) {
        return AttributeValue.builder().n(Long.toString(v)).build();
    }

    @Override
    public String toString() {
        return accountId + "/" + userId + "/" + sessionId;
    }
}
