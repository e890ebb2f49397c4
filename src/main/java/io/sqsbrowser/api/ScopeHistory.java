package io.sqsbrowser.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sqsbrowser.aws.Attributes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;

/**
 * A user's history with the fan-out events of some scopes merged in ({@code include}). The job keeps each fan-out
 * event once under its scope ({@code FanOutScope}), beside the users' own rows (one per recipient, unless the
 * deployment keeps fan-out events per scope only). A user reads a scope's event whether or not they had a live session
 * when it was sent; their read state of it is their own row if they have one, else a read mark under
 * {@code <userId>#read} (written when they mark it read; no id contains {@code #}, so marks are in no user's history
 * and never change an answer without {@code include}).
 *
 * <p>Pages merge the partitions newest first (created, then message id), each message once (the user's own row wins):
 * each partition is read lazily, a page at a time, and the {@code next} token holds each one's position.
 */
final class ScopeHistory {
    static final String READ_MARKS = "#read";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DONE = "done";

    private final DynamoDbClient dynamoDb;
    private final String table;

    ScopeHistory(DynamoDbClient dynamoDb, String table) {
        this.dynamoDb = dynamoDb;
        this.table = table;
    }

    /** One partition's history, read a page at a time as the merge needs it. */
    private final class Partition {
        final String key;
        final boolean own;
        final HistoryQuery query;
        final int pageSize;
        final ArrayDeque<Map<String, AttributeValue>> buffered = new ArrayDeque<>();
        /** Just after the last item taken (or where the call's token said): where the next call starts. */
        Map<String, AttributeValue> position;
        /** Where the next page read starts: after what is buffered. */
        Map<String, AttributeValue> readFrom;
        boolean more;

        Partition(String key, boolean own, HistoryQuery query, int pageSize, String token) {
            this.key = key;
            this.own = own;
            this.query = query;
            this.pageSize = pageSize;
            this.more = !DONE.equals(token);
            this.position = token == null || !more ? null : SessionService.PageTokens.decode(token, HistoryQuery.POSITION, key);
            this.readFrom = position;
        }

        /** The newest item not taken yet, reading the next page when needed; null when there is none. */
        Map<String, AttributeValue> peek() {
            while (buffered.isEmpty() && more) {
                QueryResponse page = dynamoDb.query(query.page(key, pageSize, readFrom));
                buffered.addAll(page.items());
                more = page.hasLastEvaluatedKey() && !page.lastEvaluatedKey().isEmpty();
                readFrom = more ? page.lastEvaluatedKey() : null;
            }
            return buffered.peekFirst();
        }

        Map<String, AttributeValue> take() {
            Map<String, AttributeValue> item = buffered.pollFirst();
            position = HistoryQuery.positionAfter(item);
            return item;
        }

        /** Where the next page of this partition starts. */
        String token() {
            return buffered.isEmpty() && !more ? DONE : position == null ? null : SessionService.PageTokens.encode(position);
        }
    }

    ObjectNode page(String userId, List<String> scopes, HistoryQuery query, int limit, String next) {
        List<String> tokens = tokens(next, scopes.size() + 1);
        List<Partition> partitions = new ArrayList<>();
        partitions.add(new Partition(userId, true, query, limit, tokens.get(0)));
        for (int i = 0; i < scopes.size(); i++) {
            partitions.add(new Partition(scopes.get(i), false, query, limit, tokens.get(i + 1)));
        }
        List<Map<String, AttributeValue>> taken = new ArrayList<>();
        Set<String> takenIds = new HashSet<>();
        Set<String> ownIds = new HashSet<>();
        String last = null;
        while (true) {
            Partition newest = null;
            for (Partition p : partitions) {
                Map<String, AttributeValue> head = p.peek();
                if (head != null && (newest == null || newer(head, newest.peek()))) {
                    newest = p;
                }
            }
            if (newest == null) {
                break;
            }
            String id = newest.peek().get("messageId").s();
            // A message whose row was taken is not taken again; the page ends only between two messages.
            if (taken.size() >= limit && !id.equals(last)) {
                break;
            }
            Map<String, AttributeValue> item = newest.take();
            last = id;
            if (newest.own) {
                ownIds.add(id);
                if (takenIds.add(id)) {
                    taken.add(item);
                } else {
                    // The scope's row of this message came first (the same time and id: just before): the user's own wins.
                    for (int i = taken.size() - 1; i >= 0; i--) {
                        if (taken.get(i).get("messageId").s().equals(id)) {
                            taken.set(i, item);
                            break;
                        }
                    }
                }
            } else if (takenIds.add(id)) {
                taken.add(item);
            }
        }
        Set<String> read = readMarks(userId, taken, ownIds);
        ObjectNode out = JSON.createObjectNode().put("success", true);
        ArrayNode messages = out.putArray("messages");
        for (Map<String, AttributeValue> item : taken) {
            ObjectNode m = MessagesService.message(item);
            String id = item.get("messageId").s();
            if (!ownIds.contains(id)) {
                m.put("is_read", read.contains(id) ? 1 : 0);
            }
            messages.add(m);
        }
        List<String> positions = new ArrayList<>();
        partitions.forEach(p -> positions.add(p.token()));
        if (positions.stream().anyMatch(t -> !DONE.equals(t))) {
            out.put("next", token(positions));
        }
        return out;
    }

    /** Newest first: by creation time, then by message id (both descending), as the index answers. */
    private static boolean newer(Map<String, AttributeValue> a, Map<String, AttributeValue> b) {
        int created = Long.compare(Long.parseLong(a.get("created").n()), Long.parseLong(b.get("created").n()));
        return created != 0 ? created > 0 : a.get("messageId").s().compareTo(b.get("messageId").s()) > 0;
    }

    /** The ids of the page's scope messages that the user marked read. */
    private Set<String> readMarks(String userId, List<Map<String, AttributeValue>> taken, Set<String> ownIds) {
        List<Map<String, AttributeValue>> keys = new ArrayList<>();
        for (Map<String, AttributeValue> item : taken) {
            if (!ownIds.contains(item.get("messageId").s())) {
                keys.add(Map.of("userId", Attributes.s(userId + READ_MARKS), "messageId", item.get("messageId")));
            }
        }
        Set<String> read = new HashSet<>();
        for (int from = 0; from < keys.size(); from += 100) {
            Map<String, KeysAndAttributes> request = Map.of(table, KeysAndAttributes.builder()
                    .keys(keys.subList(from, Math.min(keys.size(), from + 100))).consistentRead(true).build());
            while (!request.isEmpty()) {
                BatchGetItemResponse answer = dynamoDb.batchGetItem(BatchGetItemRequest.builder().requestItems(request).build());
                answer.responses().getOrDefault(table, List.of()).forEach(i -> read.add(i.get("messageId").s()));
                request = answer.unprocessedKeys();
            }
        }
        return read;
    }

    /**
     * Marks read the ids the user has no row of that one of {@code scopes} holds; answers those it marked (not those
     * marked before).
     */
    List<String> markRead(String userId, Collection<String> ids, List<String> scopes) {
        List<String> changed = new ArrayList<>();
        for (String id : ids) {
            if (ownRow(userId, id)) {
                continue;
            }
            for (String scope : scopes) {
                Map<String, AttributeValue> row = dynamoDb.getItem(b -> b.tableName(table)
                        .key(Map.of("userId", Attributes.s(scope), "messageId", Attributes.s(id)))).item();
                if (row != null && !row.isEmpty()) {
                    if (mark(userId, row)) {
                        changed.add(id);
                    }
                    break;
                }
            }
        }
        return changed;
    }

    /** Marks read every message of {@code scopes} created at or before {@code asOf} that the user has no row of. */
    List<String> markReadAsOf(String userId, long asOf, List<String> scopes) {
        Map<String, Map<String, AttributeValue>> rows = new LinkedHashMap<>();
        for (String scope : scopes) {
            dynamoDb.queryPaginator(b -> b.tableName(table).indexName(HistoryQuery.CREATED_INDEX)
                    .keyConditionExpression("userId = :u AND #created <= :asof")
                    .expressionAttributeNames(Map.of("#created", "created"))
                    .expressionAttributeValues(Map.of(":u", Attributes.s(scope), ":asof", Attributes.n(asOf))))
                    .items().forEach(row -> rows.putIfAbsent(row.get("messageId").s(), row));
        }
        List<String> changed = new ArrayList<>();
        for (Map.Entry<String, Map<String, AttributeValue>> row : rows.entrySet()) {
            if (!ownRow(userId, row.getKey()) && mark(userId, row.getValue())) {
                changed.add(row.getKey());
            }
        }
        return changed;
    }

    private boolean ownRow(String userId, String id) {
        Map<String, AttributeValue> own = dynamoDb.getItem(b -> b.tableName(table).consistentRead(true)
                .key(Map.of("userId", Attributes.s(userId), "messageId", Attributes.s(id)))).item();
        return own != null && !own.isEmpty();
    }

    /** Writes the user's read mark of a scope's row, once; whether it was written now. It lives as long as the row. */
    private boolean mark(String userId, Map<String, AttributeValue> row) {
        Map<String, AttributeValue> mark = new HashMap<>();
        mark.put("userId", Attributes.s(userId + READ_MARKS));
        mark.put("messageId", row.get("messageId"));
        mark.put("created", row.get("created"));
        mark.put("is_read", Attributes.n(1));
        if (row.containsKey("ttl")) {
            mark.put("ttl", row.get("ttl"));
        }
        try {
            dynamoDb.putItem(b -> b.tableName(table).item(mark).conditionExpression("attribute_not_exists(messageId)"));
            return true;
        } catch (ConditionalCheckFailedException alreadyRead) {
            return false;
        }
    }

    private static String token(List<String> positions) {
        ArrayNode list = JSON.createArrayNode();
        positions.forEach(list::add);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(list.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Each partition's position from a {@code next} token (null: from the newest); a token of another call is refused. */
    private static List<String> tokens(String next, int partitions) {
        List<String> positions = new ArrayList<>();
        if (next == null) {
            for (int i = 0; i < partitions; i++) {
                positions.add(null);
            }
            return positions;
        }
        try {
            JsonNode list = JSON.readTree(Base64.getUrlDecoder().decode(next));
            if (list.isArray() && list.size() == partitions) {
                list.forEach(t -> positions.add(t.isNull() ? null : t.textValue()));
                if (positions.stream().allMatch(t -> t == null || !t.isEmpty())) {
                    return positions;
                }
            }
        } catch (Exception e) {
            // refused below
        }
        throw ApiException.badRequest("invalid next token");
    }
}
