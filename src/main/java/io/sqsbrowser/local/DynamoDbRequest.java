package io.sqsbrowser.local;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * LOCAL ONLY: a DynamoDB request (JSON 1.0, {@code X-Amz-Target: DynamoDB_20120810.<Operation>}): authorized on the
 * table it names, or on {@code table/<t>/index/<i>} when it reads an index, or on each table of a batch.
 */
final class DynamoDbRequest extends JsonProtocolRequest {
    static final Protocol PROTOCOL = new Protocol("dynamodb", "DynamoDB_20120810", "application/x-amz-json-1.0");

    private DynamoDbRequest(Map<String, String> headers, byte[] raw) {
        super(PROTOCOL, headers, raw);
    }

    static DynamoDbRequest read(Map<String, String> headers, byte[] raw) {
        return new DynamoDbRequest(headers, raw);
    }

    @Override
    List<String> resources() {
        if (operation.startsWith("Batch")) {
            List<String> tables = new ArrayList<>();
            body.path("RequestItems").fieldNames().forEachRemaining(t -> tables.add(table(t)));
            if (tables.isEmpty()) {
                throw new IllegalArgumentException(operation + " names no table");
            }
            return tables;
        }
        if (operation.equals("ListTables")) {
            return List.of("*");
        }
        String table = table(text(body, "TableName"));
        return List.of(body.has("IndexName") ? table + "/index/" + text(body, "IndexName") : table);
    }

    private static String table(String name) {
        if (!name.matches("[A-Za-z0-9_.-]{3,255}")) {
            throw new IllegalArgumentException("not a table name: " + name);
        }
        return arn("dynamodb", "table/" + name);
    }
}
