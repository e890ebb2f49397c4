package io.sqsbrowser.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Session-table change records in exactly the JSON the Kinesis Data Streams destination for DynamoDB writes
 * (what dynalite cannot make): used by the local stack's {@link LocalDynamoDbFeatures} and by the tests.
 */
public final class ChangeRecords {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The region the local stack and the tests use. */
    public static final String REGION = "us-east-1";

    private ChangeRecords() {}

    public static byte[] insert(Map<String, AttributeValue> item) {
        return record("INSERT", item, null, false);
    }

    public static byte[] modify(Map<String, AttributeValue> before, Map<String, AttributeValue> after) {
        return record("MODIFY", after, before, false);
    }

    /** A removal; {@code byTtl} marks it as done by DynamoDB's TTL process. */
    public static byte[] remove(Map<String, AttributeValue> before, boolean byTtl) {
        return record("REMOVE", null, before, byTtl);
    }

    public static byte[] record(String eventName, Map<String, AttributeValue> newImage,
            Map<String, AttributeValue> oldImage, boolean byTtl) {
        Map<String, AttributeValue> any = newImage != null ? newImage : oldImage;
        ObjectNode root = JSON.createObjectNode();
        root.put("awsRegion", REGION);
        root.put("eventID", UUID.randomUUID().toString());
        root.put("eventName", eventName);
        if (byTtl) {
            root.putObject("userIdentity").put("type", "Service").put("principalId", "dynamodb.amazonaws.com");
        } else {
            root.putNull("userIdentity");
        }
        root.put("recordFormat", "application/json");
        root.put("tableName", "sessions");
        ObjectNode ddb = root.putObject("dynamodb");
        ddb.put("ApproximateCreationDateTime", System.currentTimeMillis());
        ObjectNode keys = ddb.putObject("Keys");
        keys.set("userId", attribute(any.get("userId")));
        keys.set("sessionId", attribute(any.get("sessionId")));
        if (newImage != null) {
            ddb.set("NewImage", image(newImage));
        }
        if (oldImage != null) {
            ddb.set("OldImage", image(oldImage));
        }
        ddb.put("SizeBytes", 300);
        ddb.put("ApproximateCreationDateTimePrecision", "MILLISECOND");
        root.put("eventSource", "aws:dynamodb");
        return root.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static ObjectNode image(Map<String, AttributeValue> item) {
        ObjectNode image = JSON.createObjectNode();
        item.forEach((name, value) -> image.set(name, attribute(value)));
        return image;
    }

    private static ObjectNode attribute(AttributeValue value) {
        ObjectNode node = JSON.createObjectNode();
        if (value.s() != null) {
            node.put("S", value.s());
        } else if (value.n() != null) {
            node.put("N", value.n());
        } else if (value.hasSs()) {
            value.ss().forEach(node.putArray("SS")::add);
        } else if (value.bool() != null) {
            node.put("BOOL", value.bool());
        } else {
            throw new IllegalArgumentException("unsupported attribute in a session item: " + value);
        }
        return node;
    }
}
