package io.sqsbrowser.session;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sqsbrowser.deadletter.DeadLetter;
import io.sqsbrowser.deadletter.Parsed;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Reads the session table's change records as the Kinesis Data Streams destination for DynamoDB writes
 * them: {@code eventName} INSERT/MODIFY/REMOVE, {@code dynamodb.Keys}, {@code NewImage}, {@code OldImage}
 * in attribute-value JSON, {@code ApproximateCreationDateTime}. Never throws; a record it cannot use
 * becomes a dead letter whose payload has every {@code aesKey} redacted.
 */
public final class ChangeRecordParser implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String STAGE = "session-change";

    public Parsed<SessionRecord> parse(byte[] data, String stream, String shardId, String sequenceNumber) {
        JsonNode root;
        try {
            root = JSON.readTree(data);
        } catch (IOException e) {
            root = null;
        }
        if (root == null || !root.isObject()) {
            // Unreadable, so it cannot be redacted: keep its size, not its bytes.
            return deadLetter("not a JSON object", ("{\"unreadableBytes\":" + data.length + "}").getBytes(StandardCharsets.UTF_8),
                    stream, shardId, sequenceNumber);
        }
        try {
            return Parsed.valid(parse(root));
        } catch (IllegalArgumentException e) {
            return deadLetter(e.getMessage(), redacted((ObjectNode) root), stream, shardId, sequenceNumber);
        }
    }

    private static SessionRecord parse(JsonNode root) {
        JsonNode ddb = root.path("dynamodb");
        long changedMillis = approximateCreationMillis(ddb);
        String eventName = root.path("eventName").asText("");
        switch (eventName) {
            case "INSERT":
            case "MODIFY":
                return SessionItems.live(image(ddb, "NewImage", true), stringSet(ddb.path("NewImage").path("topics")),
                        changedMillis);
            case "REMOVE":
                SessionRecord removed = SessionItems.removed(image(ddb, "Keys", true), image(ddb, "OldImage", false), changedMillis);
                if (!byTtl(root)) {
                    // /destroy deleted the queue before the item (an item deleted by hand leaves an orphan /cleanup deletes):
                    // only a TTL expiry leaves the queue to the job. Asking SQS to delete a queue already gone would be
                    // refused by the role's tag condition (it has no tags left) or answered that it does not exist.
                    removed.queueUrl = null;
                }
                return removed;
            default:
                throw new IllegalArgumentException("unknown eventName '" + eventName + "'");
        }
    }

    /** Whether DynamoDB's TTL process removed the item (its change record names the service as the user). */
    private static boolean byTtl(JsonNode root) {
        JsonNode user = root.path("userIdentity");
        return "Service".equals(user.path("type").asText()) && "dynamodb.amazonaws.com".equals(user.path("principalId").asText());
    }

    private static long approximateCreationMillis(JsonNode ddb) {
        JsonNode time = ddb.path("ApproximateCreationDateTime");
        if (!time.isNumber()) {
            return System.currentTimeMillis();
        }
        // The Kinesis destination writes milliseconds, or microseconds when the table asks for that precision.
        return "MICROSECOND".equals(ddb.path("ApproximateCreationDateTimePrecision").asText())
                ? time.longValue() / 1000 : time.longValue();
    }

    private static Function<String, String> image(JsonNode ddb, String name, boolean required) {
        JsonNode image = ddb.get(name);
        if (image == null || !image.isObject()) {
            if (required) {
                throw new IllegalArgumentException("change record has no dynamodb." + name);
            }
            return null;
        }
        return attribute -> scalar(image.get(attribute));
    }

    /** The text of an S or N attribute value; null when absent or of another type. */
    private static String scalar(JsonNode value) {
        if (value == null) {
            return null;
        }
        JsonNode s = value.get("S");
        if (s != null && s.isTextual()) {
            return s.textValue();
        }
        JsonNode n = value.get("N");
        return n != null && n.isTextual() ? n.textValue() : null;
    }

    /** An SS attribute value's strings; empty when absent. Another type, or a non-string member, is refused. */
    private static List<String> stringSet(JsonNode value) {
        if (value.isMissingNode()) {
            return List.of();
        }
        JsonNode ss = value.get("SS");
        if (ss == null || !ss.isArray()) {
            throw new IllegalArgumentException("topics is not a string set");
        }
        List<String> strings = new ArrayList<>(ss.size());
        for (JsonNode member : ss) {
            if (!member.isTextual()) {
                throw new IllegalArgumentException("topics has a member that is not a string");
            }
            strings.add(member.textValue());
        }
        return strings;
    }

    private static byte[] redacted(ObjectNode root) {
        JsonNode ddb = root.path("dynamodb");
        for (String image : new String[] {"NewImage", "OldImage"}) {
            JsonNode node = ddb.path(image);
            if (node.isObject() && node.has("aesKey")) {
                ((ObjectNode) node).putObject("aesKey").put("S", "<redacted>");
            }
        }
        return root.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static Parsed<SessionRecord> deadLetter(String reason, byte[] payload, String stream, String shardId,
            String sequenceNumber) {
        return Parsed.invalid(DeadLetter.of(STAGE, "invalid session change record: " + reason, payload)
                .withSource(stream, shardId, sequenceNumber));
    }
}
