package io.sqsbrowser.api;

import static io.sqsbrowser.aws.Attributes.n;
import static io.sqsbrowser.aws.Attributes.s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sqsbrowser.aws.AwsFailures;
import io.sqsbrowser.aws.FreshRandom;
import io.sqsbrowser.aws.QueueNames;
import io.sqsbrowser.crypto.CipherFormat;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.ArrayList;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.ReturnValue;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;
import software.amazon.awssdk.services.sts.model.Credentials;

/** Sessions (SPEC §2): each a private queue, a key, a Cognito identity and an item in the session table. */
final class SessionService {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int MIN_RETENTION = 60;
    static final int MAX_RETENTION = 1_209_600;
    /** The attributes of a page token of {@code /status}: the table's key. */
    private static final Set<String> STATUS_PAGE_KEY = Set.of("userId", "sessionId");
    /**
     * Conditional writes of a session's topics tried before answering 409 (each loses only to another write), with a
     * full-jitter backoff between them (10 ms doubling): requests that raced once do not race again in step.
     */
    private static final int TOPIC_WRITE_ATTEMPTS = 8;
    private static final long TOPIC_WRITE_BACKOFF_BASE_MILLIS = 10;
    private static final long TOPIC_WRITE_BACKOFF_MAX_MILLIS = 500;

    private final DynamoDbClient dynamoDb;
    private final SqsClient sqs;
    private final CredentialsBroker credentials;
    private final ApiConfig config;

    SessionService(DynamoDbClient dynamoDb, SqsClient sqs, CredentialsBroker credentials, ApiConfig config) {
        this.dynamoDb = dynamoDb;
        this.sqs = sqs;
        this.credentials = credentials;
        this.config = config;
    }

    /**
     * Idempotent: an existing session is returned with fresh credentials, never a second queue (and, when
     * {@code topics} is given, following exactly those). A create that fails midway deletes what it made (queue,
     * identity), unless its item was written after all.
     *
     * @param topics the topics the session follows from its first moment, or null (none; an existing session's kept)
     * @param rewind the seconds before its creation whose fan-out events a new session is given (the item's
     *     {@code rewind}; the job reads it when it learns of the session), or null; for an existing session, those of
     *     the topics it follows from now on
     */
    ObjectNode create(SessionKey key, Integer retentionSeconds, CipherFormat cipher, Set<String> topics, Integer rewind) {
        if (topics != null) {
            // Before anything is made: the job refuses a whole session item that follows more.
            TopicList.checkCount(topics);
        }
        Map<String, AttributeValue> existing = find(key);
        if (existing != null) {
            if (topics != null) {
                changeTopics(key, current -> topics, rewind);
            }
            return renew(key, find(key));
        }
        String queueName = QueueNames.newName(config.queuePrefix);
        int retention = retentionSeconds != null ? retentionSeconds : config.messageRetentionSeconds;
        // Tagged with this deployment: only its own clean-up may ever delete the queue.
        String queueUrl = sqs.createQueue(b -> b.queueName(queueName)
                .attributes(Map.of(QueueAttributeName.MESSAGE_RETENTION_PERIOD, Integer.toString(retention)))
                .tags(Map.of(QueueNames.DEPLOYMENT_TAG, config.deploymentId))).queueUrl();
        String identityId = null;
        try {
            CredentialsBroker.Issued issued = credentials.issue(null, queueName, QueueNames.arn(queueUrl, config.aws.region()));
            identityId = issued.identityId;
            Map<String, AttributeValue> item = newItem(key, queueUrl, queueName, identityId, issued.credentials,
                    cipher != null ? cipher : config.cipher);
            if (topics != null && !topics.isEmpty()) {
                item.put("topics", AttributeValue.builder().ss(topics).build());
            }
            if (rewind != null) {
                item.put("rewind", n(rewind));
            }
            dynamoDb.putItem(b -> b.tableName(config.sessionTable).item(item)
                    .conditionExpression("attribute_not_exists(sessionId)"));
            return sessionJson(item, issued.credentials);
        } catch (ConditionalCheckFailedException raced) {
            // A concurrent create won, or the SDK's retry of our own put found it done: keep what the item names.
            Map<String, AttributeValue> stored = find(key);
            deleteUnlessStored(queueUrl, identityId, stored);
            if (topics != null) {
                changeTopics(key, current -> topics, rewind);
            }
            return renew(key, find(key));
        } catch (RuntimeException e) {
            Map<String, AttributeValue> stored;
            try {
                stored = find(key);
            } catch (RuntimeException unknown) {
                // Cannot tell whether the item was written: keep both; /cleanup removes an orphaned queue.
                throw e;
            }
            deleteUnlessStored(queueUrl, identityId, stored);
            throw e;
        }
    }

    ObjectNode renew(SessionKey key) {
        return renew(key, require(key));
    }

    private void deleteUnlessStored(String queueUrl, String identityId, Map<String, AttributeValue> stored) {
        if (stored == null || !queueUrl.equals(stored.get("sqsUrl").s())) {
            deleteQueue(queueUrl);
            if (identityId != null) {
                credentials.deleteIdentity(identityId);
            }
        }
    }


    private ObjectNode renew(SessionKey key, Map<String, AttributeValue> item) {
        if (item == null || !key.accountId.equals(item.get("accountId").s())) {
            throw new ApiException(409, "session " + key.sessionId + " exists for another account");
        }
        String queueUrl = item.get("sqsUrl").s();
        Credentials issued = credentials.issue(item.get("identityId").s(), QueueNames.name(queueUrl),
                QueueNames.arn(queueUrl, config.aws.region())).credentials;
        Map<String, AttributeValue> updated;
        try {
            updated = dynamoDb.updateItem(b -> b.tableName(config.sessionTable).key(key.dynamoKey())
                // Every attribute name through a placeholder: TTL is a reserved word, and others may become one.
                .updateExpression("SET #expires = :expires, #ttl = :ttl ADD #version :one")
                .conditionExpression("attribute_exists(sessionId)")
                .expressionAttributeNames(Map.of("#expires", "expires", "#ttl", "ttl", "#version", "version"))
                .expressionAttributeValues(Map.of(":expires", n(issued.expiration().getEpochSecond()),
                        ":ttl", n(ttl()), ":one", n(1)))
                .returnValues(ReturnValue.ALL_NEW)).attributes();
        } catch (ConditionalCheckFailedException destroyedMeanwhile) {
            throw ApiException.notFound("no session " + key.sessionId + " for user " + key.userId);
        }
        return sessionJson(updated, issued);
    }

    /**
     * Follows {@code add} and stops following {@code remove}; answers the session's topics. Read, change, write on
     * condition that nobody wrote the item meanwhile (its {@code version}), a few times: two calls at once both take
     * effect, neither undoes the other. Every write increments {@code version}, so the job orders it after the last.
     * With {@code rewind}, the session is given the events of the topics it follows from now on sent in that many
     * seconds before.
     */
    ObjectNode topics(SessionKey key, Set<String> add, Set<String> remove, Integer rewind) {
        Set<String> both = new TreeSet<>(add);
        both.retainAll(remove);
        if (!both.isEmpty()) {
            throw ApiException.badRequest("topics both added and removed: " + String.join(",", both));
        }
        Set<String> topics = changeTopics(key, current -> {
            Set<String> next = new TreeSet<>(current);
            next.addAll(add);
            next.removeAll(remove);
            return next;
        }, rewind);
        ObjectNode out = JSON.createObjectNode().put("success", true);
        topics.forEach(out.putArray("topics")::add);
        return out;
    }

    /**
     * Writes the session's topics, with the change's {@code rewind} (or without one: an earlier change's must not be
     * read again with this one).
     */
    private Set<String> changeTopics(SessionKey key, UnaryOperator<Set<String>> change, Integer rewind) {
        for (int attempt = 0; attempt < TOPIC_WRITE_ATTEMPTS; attempt++) {
            Map<String, AttributeValue> item = require(key);
            Set<String> current = topicsOf(item);
            Set<String> next = change.apply(current);
            TopicList.checkCount(next);
            if (next.equals(current)) {
                return next;
            }
            AttributeValue version = item.get("version");
            Map<String, String> names = new HashMap<>(Map.of("#topics", "topics", "#version", "version", "#rewind", "rewind"));
            Map<String, AttributeValue> values = new HashMap<>(Map.of(":one", n(1)));
            if (rewind != null) {
                values.put(":rewind", n(rewind));
            }
            if (version != null) {
                values.put(":seen", version);
            }
            if (!next.isEmpty()) {
                values.put(":topics", AttributeValue.builder().ss(next).build());
            }
            try {
                dynamoDb.updateItem(b -> b.tableName(config.sessionTable).key(key.dynamoKey())
                        // A string set cannot be empty: no topics is no attribute.
                        .updateExpression(topicsUpdate(next.isEmpty(), rewind != null) + " ADD #version :one")
                        .conditionExpression(version != null ? "#version = :seen" : "attribute_exists(sessionId) AND attribute_not_exists(#version)")
                        .expressionAttributeNames(names)
                        .expressionAttributeValues(values));
                return next;
            } catch (ConditionalCheckFailedException writtenMeanwhile) {
                // another write (a renew, another change of topics, a destroy) came first: read again
                pause(AwsFailures.backoffMillis(TOPIC_WRITE_BACKOFF_BASE_MILLIS, TOPIC_WRITE_BACKOFF_MAX_MILLIS, attempt + 1,
                        FreshRandom.fraction()));
            }
        }
        throw new ApiException(409, "session " + key.sessionId + " was changed by other requests meanwhile; try again");
    }

    private static String topicsUpdate(boolean noTopics, boolean rewind) {
        List<String> set = new ArrayList<>();
        List<String> remove = new ArrayList<>();
        (noTopics ? remove : set).add(noTopics ? "#topics" : "#topics = :topics");
        (rewind ? set : remove).add(rewind ? "#rewind = :rewind" : "#rewind");
        return ((set.isEmpty() ? "" : "SET " + String.join(", ", set) + " ")
                + (remove.isEmpty() ? "" : "REMOVE " + String.join(", ", remove))).trim();
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // the attempts left then follow at once, and the answer is 409
        }
    }

    private static Set<String> topicsOf(Map<String, AttributeValue> item) {
        AttributeValue topics = item.get("topics");
        return topics == null || !topics.hasSs() ? new TreeSet<>() : new TreeSet<>(topics.ss());
    }

    ObjectNode destroy(SessionKey key) {
        Map<String, AttributeValue> item = require(key);
        deleteQueue(item.get("sqsUrl").s());
        dynamoDb.deleteItem(b -> b.tableName(config.sessionTable).key(key.dynamoKey()));
        return JSON.createObjectNode().put("success", true);
    }

    ObjectNode status(SessionKey key) {
        ObjectNode out = JSON.createObjectNode().put("success", true);
        out.set("session", publicView(require(key)));
        return out;
    }

    /** Live sessions, a page at a time: {@code next} continues where the last page ended. */
    ObjectNode statusAll(Integer limit, String next) {
        long now = System.currentTimeMillis() / 1000;
        ScanResponse page = dynamoDb.scan(b -> b.tableName(config.sessionTable)
                .filterExpression("#expires > :now")
                .expressionAttributeNames(Map.of("#expires", "expires"))
                .expressionAttributeValues(Map.of(":now", n(now)))
                .limit(limit != null ? limit : 100)
                .exclusiveStartKey(next == null ? null : PageTokens.decode(next, STATUS_PAGE_KEY, null)));
        ObjectNode out = JSON.createObjectNode().put("success", true);
        ArrayNode sessions = out.putArray("sessions");
        page.items().forEach(item -> sessions.add(publicView(item)));
        if (page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty()) {
            out.put("next", PageTokens.encode(page.lastEvaluatedKey()));
        }
        return out;
    }

    /**
     * Deletes session queues that no session owns: only names of the exact session-queue shape
     * ({@code <prefix>-<43 random characters>}) that carry this deployment's {@link QueueNames#DEPLOYMENT_TAG}, never
     * the dead-letter queue whatever its name, and never a queue younger than the safety margin (a session being
     * created has its queue before its item). Another deployment's queues (a prefix that happens to match, a
     * deployment sharing the prefix) and queues made by hand are left alone and counted.
     */
    ObjectNode cleanup() {
        Set<String> owned = ownedQueueNames();
        long now = System.currentTimeMillis() / 1000;
        String deadLetters = QueueNames.name(config.deadLetterQueueUrl);
        ArrayNode deleted = JSON.createArrayNode();
        int young = 0;
        int notOurs = 0;
        for (String url : sqs.listQueuesPaginator(b -> b.queueNamePrefix(config.queuePrefix + "-")).queueUrls()) {
            String name = QueueNames.name(url);
            if (!QueueNames.isSessionQueue(name, config.queuePrefix) || name.equals(deadLetters) || owned.contains(name)) {
                continue;
            }
            try {
                if (!config.deploymentId.equals(sqs.listQueueTags(b -> b.queueUrl(url)).tags().get(QueueNames.DEPLOYMENT_TAG))) {
                    notOurs++;
                    continue;
                }
                if (now - createdSeconds(url) < config.cleanupMinAgeSeconds) {
                    young++;
                    continue;
                }
            } catch (QueueDoesNotExistException gone) {
                continue;
            }
            deleteQueue(url);
            deleted.add(name);
        }
        ObjectNode out = JSON.createObjectNode().put("success", true);
        out.set("deleted", deleted);
        out.put("keptYoung", young);
        out.put("keptNotThisDeployment", notOurs);
        return out;
    }

    private long createdSeconds(String url) {
        return Long.parseLong(sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.CREATED_TIMESTAMP))
                .attributes().get(QueueAttributeName.CREATED_TIMESTAMP));
    }

    private Set<String> ownedQueueNames() {
        Set<String> owned = new HashSet<>();
        dynamoDb.scanPaginator(b -> b.tableName(config.sessionTable).projectionExpression("sqsQueueName, sqsUrl"))
                .items().forEach(item -> {
                    if (item.containsKey("sqsQueueName")) {
                        owned.add(item.get("sqsQueueName").s());
                    }
                    if (item.containsKey("sqsUrl")) {
                        owned.add(QueueNames.name(item.get("sqsUrl").s()));
                    }
                });
        return owned;
    }

    private Map<String, AttributeValue> find(SessionKey key) {
        Map<String, AttributeValue> item = dynamoDb.getItem(b -> b.tableName(config.sessionTable)
                .key(key.dynamoKey()).consistentRead(true)).item();
        return item == null || item.isEmpty() ? null : item;
    }

    /** The session, or 404; a session of another account is reported as missing, not revealed. */
    private Map<String, AttributeValue> require(SessionKey key) {
        Map<String, AttributeValue> item = find(key);
        if (item == null || !key.accountId.equals(item.get("accountId").s())) {
            throw ApiException.notFound("no session " + key.sessionId + " for user " + key.userId
                    + " of account " + key.accountId);
        }
        return item;
    }

    private Map<String, AttributeValue> newItem(SessionKey key, String queueUrl, String queueName, String identityId,
            Credentials issued, CipherFormat cipher) {
        byte[] aesKey = FreshRandom.bytes(32);
        Map<String, AttributeValue> item = new HashMap<>(key.dynamoKey());
        item.put("accountId", s(key.accountId));
        item.put("sqsUrl", s(queueUrl));
        item.put("sqsQueueName", s(queueName));
        item.put("identityId", s(identityId));
        item.put("aesKey", s(Base64.getEncoder().encodeToString(aesKey)));
        item.put("cipher", s(cipher.attributeValue()));
        item.put("expires", n(issued.expiration().getEpochSecond()));
        item.put("ttl", n(ttl()));
        item.put("created", n(System.currentTimeMillis()));
        item.put("version", n(1));
        return item;
    }

    private long ttl() {
        return System.currentTimeMillis() / 1000 + config.sessionTtlSeconds;
    }

    /** What the client holds: its queue, key and credentials (and the region to sign for); never the identity. */
    private ObjectNode sessionJson(Map<String, AttributeValue> item, Credentials issued) {
        ObjectNode session = publicView(item);
        session.put("region", config.aws.region());
        session.put("aesKey", item.get("aesKey").s());
        session.put("accessKey", issued.accessKeyId());
        session.put("secretKey", issued.secretAccessKey());
        session.put("sessionToken", issued.sessionToken());
        ObjectNode out = JSON.createObjectNode().put("success", true);
        out.set("session", session);
        return out;
    }

    /** What may be shown of a session without its secrets. */
    private static ObjectNode publicView(Map<String, AttributeValue> item) {
        ObjectNode s = JSON.createObjectNode();
        JsonIds.put(s, "accountId", item.get("accountId").s());
        JsonIds.put(s, "userId", item.get("userId").s());
        s.put("sessionId", item.get("sessionId").s());
        s.put("sqsUrl", item.get("sqsUrl").s());
        s.put("sqsQueueName", item.get("sqsQueueName").s());
        s.put("cipher", item.containsKey("cipher") ? item.get("cipher").s() : "ctr");
        s.put("expires", Long.parseLong(item.get("expires").n()));
        s.put("ttl", Long.parseLong(item.get("ttl").n()));
        s.put("version", item.containsKey("version") ? Long.parseLong(item.get("version").n()) : 0);
        topicsOf(item).forEach(s.putArray("topics")::add);
        return s;
    }

    private void deleteQueue(String url) {
        try {
            sqs.deleteQueue(b -> b.queueUrl(url));
        } catch (QueueDoesNotExistException alreadyGone) {
            // the goal is reached
        }
    }

    /**
     * Opaque continuation tokens: base64url of the DynamoDB key as JSON of strings and numbers. A token is checked
     * before DynamoDB sees it: exactly the key's attributes, each a string or a number, and the asked user's when the
     * page is of one user's; anything else (a tampered or foreign token) is a 400.
     */
    static final class PageTokens {
        private PageTokens() {}

        static String encode(Map<String, AttributeValue> key) {
            ObjectNode o = JSON.createObjectNode();
            key.forEach((name, v) -> o.putObject(name).put(v.s() != null ? "S" : "N", v.s() != null ? v.s() : v.n()));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(o.toString().getBytes(StandardCharsets.UTF_8));
        }

        /**
         * @param names the attributes the page's key has
         * @param userId the user the pages are of, or null
         */
        static Map<String, AttributeValue> decode(String token, Set<String> names, String userId) {
            Map<String, AttributeValue> key = new HashMap<>();
            try {
                ObjectNode o = (ObjectNode) JSON.readTree(Base64.getUrlDecoder().decode(token));
                o.fields().forEachRemaining(e -> {
                    JsonNode v = e.getValue();
                    if (v.size() != 1 || !(v.path("S").isTextual() || v.path("N").isTextual() && v.get("N").asText().matches("-?[0-9]{1,38}"))) {
                        throw new IllegalArgumentException("not a string or a number");
                    }
                    key.put(e.getKey(), v.has("S") ? s(v.get("S").asText()) : AttributeValue.builder().n(v.get("N").asText()).build());
                });
            } catch (Exception e) {
                throw ApiException.badRequest("invalid next token");
            }
            if (!key.keySet().equals(names) || userId != null && !userId.equals(key.get("userId").s())) {
                throw ApiException.badRequest("invalid next token");
            }
            return key;
        }
    }
}
