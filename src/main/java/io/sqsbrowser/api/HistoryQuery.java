package io.sqsbrowser.api;

import io.sqsbrowser.aws.Attributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;

/**
 * One history partition (a user's, or a fan-out scope's) read newest first through the table's {@code created-index},
 * between {@code start} and {@code end} (epoch seconds), optionally of some {@code _type}s.
 */
final class HistoryQuery {
    static final String CREATED_INDEX = "created-index";
    /** The attributes of a position in a partition's history: the table's key and the index's. */
    static final Set<String> POSITION = Set.of("userId", "messageId", "created");

    private final String table;
    private final Long start;
    private final Long end;
    private final List<String> types;

    HistoryQuery(String table, Long start, Long end, List<String> types) {
        this.table = table;
        this.start = start;
        this.end = end;
        this.types = types;
    }

    /** A page of {@code partition}'s history after {@code after} (exclusive; null for the newest). */
    QueryRequest page(String partition, int limit, Map<String, AttributeValue> after) {
        Map<String, String> names = new HashMap<>(Map.of("#created", "created"));
        Map<String, AttributeValue> values = new HashMap<>(Map.of(":u", Attributes.s(partition),
                ":start", Attributes.n(start != null ? start : 0),
                ":end", Attributes.n(end != null ? end : Long.MAX_VALUE / 1000)));
        QueryRequest.Builder query = QueryRequest.builder().tableName(table).indexName(CREATED_INDEX)
                .keyConditionExpression("userId = :u AND #created BETWEEN :start AND :end")
                .scanIndexForward(false).limit(limit).exclusiveStartKey(after);
        if (!types.isEmpty()) {
            List<String> placeholders = new ArrayList<>();
            for (int i = 0; i < types.size(); i++) {
                placeholders.add(":t" + i);
                values.put(":t" + i, Attributes.s(types.get(i)));
            }
            names.put("#type", "_type");
            query.filterExpression("#type IN (" + String.join(", ", placeholders) + ")");
        }
        return query.expressionAttributeNames(names).expressionAttributeValues(values).build();
    }

    /** The position just after {@code item}, as a query's exclusive start key. */
    static Map<String, AttributeValue> positionAfter(Map<String, AttributeValue> item) {
        return Map.of("userId", item.get("userId"), "messageId", item.get("messageId"), "created", item.get("created"));
    }
}
