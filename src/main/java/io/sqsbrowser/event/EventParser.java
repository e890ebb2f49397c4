package io.sqsbrowser.event;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
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
import java.util.Iterator;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * Turns a record of the event stream into a {@link DeliveryEvent} or a dead letter with the reason (SPEC §3).
 * Never throws: whatever arrives, the job keeps running.
 */
public final class EventParser implements Serializable {
    private static final long serialVersionUID = 1L;
    /**
     * Duplicate keys and trailing data are refused: they would let two readers see two different events. Decimal
     * numbers are kept exact, so {@code 1e400} goes to clients as written, not as {@code Infinity} (not JSON). The
     * notify API reads its bodies with the same reader.
     */
    public static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    public static final String STAGE = "event";
    /** Marks a broadcast to everyone as meant: {@code true}, {@code 1}, ... as {@code _sqs_only}. */
    public static final String EVERYONE = "_everyone";
    private static final Set<String> ROUTING_FIELDS = Set.of("accountId", "userId", "sessionId", "topic");

    private final int maxBodyBytes;
    private final boolean explicitEveryone;

    /** @param maxBodyBytes the largest SQS message body allowed; events that would encrypt larger are refused. */
    public EventParser(int maxBodyBytes) {
        this(maxBodyBytes, false);
    }

    /**
     * @param explicitEveryone when true, an event without routing fields is a broadcast only if it says so
     *     ({@code "_everyone": true}); otherwise it is refused, as the notify API's {@code /notify} would never make it
     */
    public EventParser(int maxBodyBytes, boolean explicitEveryone) {
        this.maxBodyBytes = maxBodyBytes;
        this.explicitEveryone = explicitEveryone;
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
        refuseMisspeltRoutingFields(message);
        DeliveryEvent event = new DeliveryEvent();
        try {
            event.accountId = optional(message, "accountId", Ids::accountOrUserId);
            event.userId = optional(message, "userId", Ids::accountOrUserId);
            event.sessionId = optional(message, "sessionId", Ids::sessionId);
            event.topic = optional(message, "topic", Ids::topic);
        } catch (Ids.InvalidIdException e) {
            throw new InvalidEventException("invalid routing field: " + e.getMessage());
        }
        if (event.sessionId != null && event.userId == null && event.accountId == null) {
            // Session ids are unique per user only: alone, one could reach other users' sessions of the same id.
            throw new InvalidEventException("invalid routing: sessionId needs userId or accountId beside it");
        }
        checkAudience(event, message);
        event.sqsOnly = optionalFlag(message, "_sqs_only");
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

    private static String optional(ObjectNode message, String field, BiFunction<String, JsonNode, String> canonical) {
        JsonNode value = message.get(field);
        return value == null ? null : canonical.apply(field, value);
    }

    /**
     * A key a person would read as a routing field ({@code userid}, {@code "userId "}, userId with a zero-width space,
     * {@code usеrId} with a Cyrillic е, {@code userld}: {@link RoutingFieldLookalikes}) is a typo that would otherwise
     * turn a targeted event into a broadcast.
     */
    private static void refuseMisspeltRoutingFields(ObjectNode message) {
        for (Iterator<String> names = message.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            String imitated = RoutingFieldLookalikes.imitated(name, ROUTING_FIELDS);
            if (imitated != null) {
                throw new InvalidEventException("invalid routing field: '" + visible(abbreviated(name)) + "' is not spelt "
                        + imitated + " (routing fields are spelt exactly: no other case, spaces, _ or -, invisible or "
                        + "look-alike characters, nor a wrong, missing or swapped letter)");
            }
        }
    }

    /** An event with no routing field: a broadcast, which {@code explicitEveryone} wants said ({@link #EVERYONE}). */
    private void checkAudience(DeliveryEvent event, ObjectNode message) {
        boolean routed = event.accountId != null || event.userId != null || event.sessionId != null || event.topic != null;
        if (!message.has(EVERYONE)) {
            if (!routed && explicitEveryone) {
                throw new InvalidEventException("no audience: an event with no accountId, userId, sessionId or topic must say "
                        + EVERYONE + ": true to reach every session");
            }
            return;
        }
        boolean everyone = optionalFlag(message, EVERYONE);
        if (everyone == routed) {
            throw new InvalidEventException(everyone ? "contradictory audience: " + EVERYONE + " with a routing field"
                    : "no audience: " + EVERYONE + " is false and there is no routing field");
        }
    }

    /** Names a key's invisible and non-ASCII characters, so that an operator sees what was sent. */
    private static String visible(String name) {
        StringBuilder out = new StringBuilder();
        name.codePoints().forEach(c -> out.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\u%04x", c)));
        return out.toString();
    }

    private static String abbreviated(String name) {
        return name.length() <= 40 ? name : name.substring(0, 40) + "...";
    }

    /** Yes: true, 1, "1", "true"; no: false, 0, "0", "false" (the original system's producers send 1). */
    private static boolean optionalFlag(ObjectNode message, String field) {
        JsonNode value = message.get(field);
        if (value == null) {
            return false;
        }
        String text = value.isBoolean() || value.isIntegralNumber() || value.isTextual() ? value.asText() : "";
        switch (text) {
            case "true":
            case "1":
                return true;
            case "false":
            case "0":
                return false;
            default:
                throw new InvalidEventException("invalid " + field + ": must be true, false, 1, 0, \"1\", \"0\", "
                        + "\"true\" or \"false\", got " + (value.isTextual() || value.isNumber() ? abbreviated(value.toString())
                                : value.getNodeType().toString()));
        }
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
