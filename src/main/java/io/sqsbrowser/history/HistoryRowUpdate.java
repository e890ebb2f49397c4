package io.sqsbrowser.history;

import static io.sqsbrowser.aws.Attributes.n;
import static io.sqsbrowser.aws.Attributes.s;

import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/**
 * The write of one history row: an {@code UpdateItem} with {@code if_not_exists} on every attribute, so writing a
 * row again (a replay of the stream, a redrive of its dead letter) adds nothing and never resets {@code is_read}; a
 * put would replace the whole item. Used by the job's writer and by the operator's redrive.
 */
public final class HistoryRowUpdate {
    private HistoryRowUpdate() {}

    /**
     * @param created epoch seconds
     * @param type the message's {@code _type}, or null
     */
    public static UpdateItemRequest request(String table, long ttlSeconds, String userId, String messageId, long created,
            String type, String message) {
        Map<String, AttributeValue> values = new HashMap<>();
        values.put(":created", n(created));
        values.put(":unread", n(0));
        values.put(":ttl", n(created + ttlSeconds));
        values.put(":message", s(message));
        // Every attribute name through a placeholder: TTL is a reserved word, and others may become one.
        Map<String, String> names = new HashMap<>(Map.of("#created", "created", "#read", "is_read", "#ttl", "ttl",
                "#message", "message"));
        String update = "SET #created = if_not_exists(#created, :created), #read = if_not_exists(#read, :unread), "
                + "#ttl = if_not_exists(#ttl, :ttl), #message = if_not_exists(#message, :message)";
        if (type != null) {
            names.put("#type", "_type");
            values.put(":type", s(type));
            update += ", #type = if_not_exists(#type, :type)";
        }
        return UpdateItemRequest.builder().tableName(table).key(Map.of("userId", s(userId), "messageId", s(messageId)))
                .updateExpression(update).expressionAttributeNames(names).expressionAttributeValues(values).build();
    }
}
