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
    /** How the reason of an event refused for having no audience begins: the redrive can send it to everyone. */
    public static final String NO_AUDIENCE = "no audience";
    private static final Set<String> ROUTING_FIELDS = Set.of("accountId", "userId", "sessionId", "topic");

    private final int maxBodyBytes;
    private final boolean explicitEveryone;
    private final boolean topicsByAccount;

    /**
     * A new deployment's rules: everyone only when said, topics one namespace.
     *
     * @param maxBodyBytes the largest SQS message body allowed; events that would encrypt larger are refused.
     */
    public EventParser(int maxBodyBytes) {
        this(maxBodyBytes, true, false);
    }

    /**
     * @param explicitEveryone true (the default): an event reaches everyone only if it says so ({@code "_everyone": true},
     *     as the notify API's {@code /notify} does), and one with no audience is refused; false: the original system's
     *     rule, where an event with no routing field reaches everyone, and then any key a person would read as a routing
     *     field is refused too ({@link RoutingFieldLookalikes#misread}), lest a typo make a broadcast
     * @param topicsByAccount true: topics are names within an account (a multi-tenant application's), so an event's
     *     {@code topic} must come with its {@code accountId}; false (the default): one namespace, {@code accountId}
     *     narrowing as for any event
     */
    public EventParser(int maxBodyBytes, boolean explicitEveryone, boolean topicsByAccount) {
        this.maxBodyBytes = maxBodyBytes;
        this.explicitEveryone = explicitEveryone;
        this.topicsByAccount = topicsByAccount;
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
        if (topicsByAccount && event.topic != null && event.accountId == null) {
            throw new InvalidEventException("invalid routing: topic needs accountId beside it (topics are names within an account here)");
        }
        checkAudience(event, message);
        if (!explicitEveryone && !message.has(EVERYONE) && !routed(event)) {
            refuseNestedRoutingFields(message);
        }
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
        int body = Envelopes.maxBodyLength(event.payload.length) + Envelopes.SEQUENCE_ATTRIBUTE_BYTES;
        if (body > maxBodyBytes) {
            throw new InvalidEventException("message too large: " + body + " bytes once encrypted (with its sequence), limit "
                    + maxBodyBytes);
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
     * A key that is a routing field spelt otherwise ({@code userid}, {@code user_id}): refused, always. Where a missing
     * routing field means everyone, so is any key a person would read as one ({@code userld}, {@code us3r1d}, userId with
     * an invisible character: {@link RoutingFieldLookalikes#misread}): a typo there would turn a targeted event into a
     * broadcast.
     */
    private void refuseMisspeltRoutingFields(ObjectNode message) {
        for (Iterator<String> names = message.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            String imitated = RoutingFieldLookalikes.spelledOtherwise(name, ROUTING_FIELDS);
            if (imitated == null && !explicitEveryone) {
                imitated = RoutingFieldLookalikes.misread(name, ROUTING_FIELDS);
            }
            if (imitated != null) {
                throw new InvalidEventException("invalid routing field: '" + visible(abbreviated(name)) + "' is not spelt "
                        + imitated + " (routing fields are spelt exactly" + (explicitEveryone ? ": no other case, _ or -)"
                        : ", and where an event without one reaches everyone no key may pass for one: no other case, spaces, "
                                + "punctuation, _ or -, invisible or look-alike characters, nor a letter mistaken, typed twice, "
                                + "missing from a double or swapped)"));
            }
        }
    }

    /**
     * Where an event without routing fields reaches everyone: a routing field nested in an object ({@code data.userId})
     * routes nothing, and its event would be a broadcast; so it is refused, as any key passing for one is.
     */
    private static void refuseNestedRoutingFields(ObjectNode message) {
        java.util.Deque<JsonNode> nested = new java.util.ArrayDeque<>();
        message.elements().forEachRemaining(nested::push);
        while (!nested.isEmpty()) {
            JsonNode node = nested.pop();
            if (node.isObject()) {
                for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
                    String name = names.next();
                    String field = ROUTING_FIELDS.contains(name) ? name : RoutingFieldLookalikes.misread(name, ROUTING_FIELDS);
                    if (field != null) {
                        throw new InvalidEventException("invalid routing: '" + visible(abbreviated(name)) + "' is nested in an "
                                + "object, where it routes nothing, and the event has no routing field of its own: it would reach "
                                + "everyone (routing fields are top-level; say " + EVERYONE + ": true if everyone is meant)");
                    }
                }
            }
            node.elements().forEachRemaining(nested::push);
        }
    }

    private static boolean routed(DeliveryEvent event) {
        return event.accountId != null || event.userId != null || event.sessionId != null || event.topic != null;
    }

    /** An event with no routing field: a broadcast, which {@code explicitEveryone} wants said ({@link #EVERYONE}). */
    private void checkAudience(DeliveryEvent event, ObjectNode message) {
        boolean routed = routed(event);
        if (!message.has(EVERYONE)) {
            if (!routed && explicitEveryone) {
                throw new InvalidEventException(NO_AUDIENCE + ": an event with no accountId, userId, sessionId or topic must say "
                        + EVERYONE + ": true to reach every session");
            }
            return;
        }
        boolean everyone = optionalFlag(message, EVERYONE);
        if (everyone == routed) {
            throw new InvalidEventException(everyone ? "contradictory audience: " + EVERYONE + " with a routing field"
                    : NO_AUDIENCE + ": " + EVERYONE + " is false and there is no routing field");
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
