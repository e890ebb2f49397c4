package io.sqsbrowser.api;

import io.sqsbrowser.aws.Attributes;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;

/**
 * Message history and read receipts (SPEC §5). The history table has keys {@code userId} + {@code messageId}
 * and a local index {@code created-index} on {@code created}, so a user's messages come newest first
 * without a scan. Items: {@code created}, {@code is_read} (0/1), {@code ttl}, {@code _type}, and
 * {@code message} (the message JSON). Fan-out events are also kept once under their scope ({@link ScopeHistory}),
 * which a call reads only when it names them ({@code include}): without, every answer is the original system's.
 */
final class MessagesService {
    static final int MAX_IDS = 100;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DynamoDbClient dynamoDb;
    private final String historyTable;
    private final NotifyService events;
    private final ScopeHistory scopes;

    MessagesService(DynamoDbClient dynamoDb, String historyTable, NotifyService events) {
        this.dynamoDb = dynamoDb;
        this.historyTable = historyTable;
        this.events = events;
        this.scopes = new ScopeHistory(dynamoDb, historyTable);
    }

    /**
     * Newest first, between {@code start} and {@code end} (epoch seconds), optionally of some {@code _type}s; with
     * {@code scopes} ({@link IncludedScopes}), the fan-out events of those scopes merged in, each once.
     */
    ObjectNode history(String userId, Long start, Long end, List<String> types, Integer limit, String next, List<String> scopes) {
        HistoryQuery query = new HistoryQuery(historyTable, start, end, types);
        int size = limit != null ? limit : 50;
        if (!scopes.isEmpty()) {
            return this.scopes.page(userId, scopes, query, size, next);
        }
        QueryResponse page = dynamoDb.query(query.page(userId, size,
                next == null ? null : SessionService.PageTokens.decode(next, HistoryQuery.POSITION, userId)));
        ObjectNode out = JSON.createObjectNode().put("success", true);
        ArrayNode messages = out.putArray("messages");
        page.items().forEach(item -> messages.add(message(item)));
        if (page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty()) {
            out.put("next", SessionService.PageTokens.encode(page.lastEvaluatedKey()));
        }
        return out;
    }

    /**
     * Marks the given messages read; reports (and receipts) only those that were unread. With {@code scopes}, an id
     * the user has no row of is marked read where one of those scopes has it.
     */
    ObjectNode setRead(String userId, Set<String> messageIds, List<String> scopes) {
        if (messageIds.isEmpty() || messageIds.size() > MAX_IDS) {
            throw ApiException.badRequest("give 1 to " + MAX_IDS + " message ids");
        }
        List<String> changed = markRead(userId, messageIds);
        if (!scopes.isEmpty()) {
            Set<String> rest = new LinkedHashSet<>(messageIds);
            rest.removeAll(changed);
            changed.addAll(this.scopes.markRead(userId, rest, scopes));
        }
        return receipted(userId, changed);
    }

    /**
     * Marks read every unread message created at or before {@code asOf} (epoch seconds); with {@code scopes}, their
     * fan-out events of that time too.
     */
    ObjectNode setReadAsOf(String userId, long asOf, List<String> scopes) {
        Set<String> unread = new LinkedHashSet<>();
        dynamoDb.queryPaginator(b -> b.tableName(historyTable).indexName(HistoryQuery.CREATED_INDEX)
                .keyConditionExpression("userId = :u AND #created <= :asof")
                .filterExpression("#read = :zero")
                .expressionAttributeNames(Map.of("#created", "created", "#read", "is_read"))
                .expressionAttributeValues(Map.of(":u", Attributes.s(userId), ":asof", Attributes.n(asOf),
                        ":zero", Attributes.n(0))))
                .items().forEach(item -> unread.add(item.get("messageId").s()));
        List<String> changed = markRead(userId, unread);
        if (!scopes.isEmpty()) {
            changed.addAll(this.scopes.markReadAsOf(userId, asOf, scopes));
        }
        return receipted(userId, changed);
    }

    /** One conditional update per id, so only messages that really changed from unread are returned. */
    private List<String> markRead(String userId, Set<String> messageIds) {
        List<String> changed = new ArrayList<>();
        for (String id : messageIds) {
            try {
                dynamoDb.updateItem(b -> b.tableName(historyTable)
                        .key(Map.of("userId", Attributes.s(userId), "messageId", Attributes.s(id)))
                        .updateExpression("SET #read = :one")
                        .conditionExpression("attribute_exists(messageId) AND #read = :zero")
                        .expressionAttributeNames(Map.of("#read", "is_read"))
                        .expressionAttributeValues(Map.of(":one", Attributes.n(1), ":zero", Attributes.n(0))));
                changed.add(id);
            } catch (ConditionalCheckFailedException unchangedOrMissing) {
                // already read, or no such message: not reported
            }
        }
        return changed;
    }

    /**
     * Tells all of the user's sessions (an {@code _sqs_only} receipt per 100 ids) and answers the caller. If a
     * receipt cannot be sent, the ids go back to unread, so that trying again sends it.
     */
    private ObjectNode receipted(String userId, List<String> changed) {
        for (int from = 0; from < changed.size(); from += MAX_IDS) {
            ObjectNode receipt = JSON.createObjectNode().put("_type", "message-read-receipt").put("_sqs_only", true);
            JsonIds.put(receipt, "userId", userId);
            List<String> part = changed.subList(from, Math.min(changed.size(), from + MAX_IDS));
            part.forEach(receipt.putArray("messages-receipted")::add);
            try {
                events.publish(receipt);
            } catch (RuntimeException e) {
                changed.subList(from, changed.size()).forEach(id -> markUnread(userId, id));
                throw e;
            }
        }
        ObjectNode out = JSON.createObjectNode().put("success", true);
        changed.forEach(out.putArray("messages-receipted")::add);
        return out;
    }

    private void markUnread(String userId, String id) {
        try {
            dynamoDb.updateItem(b -> b.tableName(historyTable)
                    .key(Map.of("userId", Attributes.s(userId), "messageId", Attributes.s(id)))
                    .updateExpression("SET #read = :zero").expressionAttributeNames(Map.of("#read", "is_read"))
                    .expressionAttributeValues(Map.of(":zero", Attributes.n(0))));
        } catch (RuntimeException e) {
            // best effort: the caller gets the original error either way
        }
    }

    /** An item as the API answers it: the message, with its id, creation time and read state. */
    static ObjectNode message(Map<String, AttributeValue> item) {
        ObjectNode m;
        try {
            JsonNode stored = item.containsKey("message") ? JSON.readTree(item.get("message").s()) : null;
            m = stored != null && stored.isObject() ? (ObjectNode) stored : JSON.createObjectNode();
        } catch (Exception e) {
            m = JSON.createObjectNode();
        }
        m.put("messageId", item.get("messageId").s());
        m.put("created", Long.parseLong(item.get("created").n()));
        m.put("is_read", Integer.parseInt(item.get("is_read").n()));
        return m;
    }
}
