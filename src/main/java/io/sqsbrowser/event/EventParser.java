package io.sqsbrowser.event;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sqsbrowser.crypto.Envelopes;
import io.sqsbrowser.deadletter.DeadLetter;
import io.sqsbrowser.deadletter.Parsed;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;

/**
 * Turns a record of the event stream into a {@link DeliveryEvent} or a dead letter with the reason (SPEC §3).
 * Never throws: whatever arrives, the job keeps running.
 */
public final class EventParser implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String STAGE = "event";

    private final int maxBodyBytes;

    /** @param maxBodyBytes the largest SQS message body allowed; events that would encrypt larger are refused. */
    public EventParser(int maxBodyBytes) {
        this.maxBodyBytes = maxBodyBytes;
    }

    public Parsed<DeliveryEvent> parse(byte[] data, String stream, String shardId, String sequenceNumber, long arrivalMillis) {
        try {
            DeliveryEvent event = parse(data, shardId, sequenceNumber);
            event.arrivalMillis = arrivalMillis;
            return Parsed.valid(event);
        } catch (InvalidEventException e) {
            return Parsed.invalid(DeadLetter.of(STAGE, e.getMessage(), data)
                    .withSource(stream, shardId, sequenceNumber));
        }
    }

    private DeliveryEvent parse(byte[] data, String shardId, String sequenceNumber) {
        ObjectNode message = jsonObject(data);
        DeliveryEvent event = new DeliveryEvent();
        try {
            event.accountId = optional(message, "accountId", true);
            event.userId = optional(message, "userId", true);
            event.sessionId = optional(message, "sessionId", false);
        } catch (Ids.InvalidIdException e) {
            throw new InvalidEventException("invalid routing field: " + e.getMessage());
        }
        event.sqsOnly = optionalBoolean(message, "_sqs_only");
        event.type = optionalText(message, "_type");
        JsonNode given = message.get("messageId");
        if (given == null) {
            event.messageId = derivedMessageId(shardId, sequenceNumber);
            message.put("messageId", event.messageId);
        } else {
            event.messageId = messageId(given);
        }
        event.payload = message.toString().getBytes(StandardCharsets.UTF_8);
        int body = Envelopes.maxBodyLength(event.payload.length);
        if (body > maxBodyBytes) {
            throw new InvalidEventException("message too large: " + body + " bytes once encrypted, limit " + maxBodyBytes);
        }
        return event;
    }

    private static ObjectNode jsonObject(byte[] data) {
        JsonNode node;
        try {
            node = JSON.readTree(data);
        } catch (JsonProcessingException e) {
            throw new InvalidEventException("not a JSON object: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new InvalidEventException("not a JSON object: " + e.getMessage());
        }
        if (node == null || !node.isObject()) {
            throw new InvalidEventException("not a JSON object: got " + (node == null ? "nothing" : node.getNodeType()));
        }
        return (ObjectNode) node;
    }

    private static String optional(ObjectNode message, String field, boolean integerAllowed) {
        JsonNode value = message.get(field);
        if (value == null) {
            return null;
        }
        return integerAllowed ? Ids.accountOrUserId(field, value) : Ids.sessionId(field, value);
    }

    private static boolean optionalBoolean(ObjectNode message, String field) {
        JsonNode value = message.get(field);
        if (value == null) {
            return false;
        }
        if (!value.isBoolean()) {
            throw new InvalidEventException("invalid " + field + ": must be true or false, got " + value.getNodeType());
        }
        return value.booleanValue();
    }

    private static String optionalText(ObjectNode message, String field) {
        JsonNode value = message.get(field);
        if (value == null) {
            return null;
        }
        if (!value.isTextual()) {
            throw new InvalidEventException("invalid " + field + ": must be a string, got " + value.getNodeType());
        }
        return value.textValue();
    }

    private static String messageId(JsonNode value) {
        try {
            if (!value.isTextual()) {
                throw new Ids.InvalidIdException("messageId must be a string, got " + value.getNodeType());
            }
            return Ids.messageId(value.textValue());
        } catch (Ids.InvalidIdException e) {
            throw new InvalidEventException("invalid " + e.getMessage());
        }
    }

    /** Same record, same id: a replay of the stream yields the ids of the first run. */
    public static String derivedMessageId(String shardId, String sequenceNumber) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((shardId + ":" + sequenceNumber).getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(digest, 20));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is in every JRE", e);
        }
    }

    /** A reason an event is refused; the message is the dead letter's reason. */
    static final class InvalidEventException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InvalidEventException(String reason) {
            super(reason, null, false, false);
        }
    }
}
