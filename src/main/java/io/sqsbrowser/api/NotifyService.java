package io.sqsbrowser.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sqsbrowser.aws.FreshRandom;
import io.sqsbrowser.deadletter.Parsed;
import io.sqsbrowser.event.DeliveryEvent;
import io.sqsbrowser.event.EventParser;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * The notify API (SPEC §3): builds the event from the query string (and a JSON body, if POSTed), adds the
 * path's routing fields and a messageId, checks it with the job's own parser, and puts it on the event stream
 * keyed by its target, so one user's events stay in order.
 */
final class NotifyService {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int MAX_SQS_BODY = 262_144;

    private final KinesisClient kinesis;
    private final String eventStream;
    /** The job's parser, with the deployment's rules: what it would refuse is refused here. */
    private final EventParser parser;

    NotifyService(KinesisClient kinesis, String eventStream, EventParser parser) {
        this.kinesis = kinesis;
        this.eventStream = eventStream;
        this.parser = parser;
    }

    ObjectNode notify(Map<String, String> routing, Map<String, String> query, String body) {
        ObjectNode message = body == null || body.isEmpty() ? JSON.createObjectNode() : jsonObject(body);
        query.forEach((name, value) -> {
            if (name.equals("_sqs_only")) {
                message.put(name, bool(value));
            } else {
                message.put(name, value);
            }
        });
        // Ids as the original system wrote them (integers as numbers); a topic is a name, always a string.
        routing.forEach((field, value) -> {
            if (field.equals("topic")) {
                message.put(field, value);
            } else {
                JsonIds.put(message, field, value);
            }
        });
        if (routing.isEmpty()) {
            // /notify means everyone, and says so: the job may require it (EventSource.explicitEveryone).
            message.put(EventParser.EVERYONE, true);
        }
        if (!message.has("messageId")) {
            message.put("messageId", newMessageId());
        }
        DeliveryEvent event = validated(message);
        kinesis.putRecord(b -> b.streamName(eventStream).partitionKey(partitionKey(event))
                .data(SdkBytes.fromByteArray(event.payload)));
        return JSON.createObjectNode().put("success", true).put("messageId", event.messageId);
    }

    /** Puts an event made by the API itself (a read receipt) on the stream. */
    void publish(ObjectNode message) {
        message.put("messageId", newMessageId());
        DeliveryEvent event = validated(message);
        kinesis.putRecord(b -> b.streamName(eventStream).partitionKey(partitionKey(event))
                .data(SdkBytes.fromByteArray(event.payload)));
    }

    /** The job's parser decides: what it would dead-letter is refused here, too large with 413. */
    private DeliveryEvent validated(ObjectNode message) {
        Parsed<DeliveryEvent> parsed = parser.parse(message.toString().getBytes(StandardCharsets.UTF_8),
                eventStream, "api", "0", System.currentTimeMillis());
        if (parsed.deadLetter != null) {
            throw new ApiException(parsed.deadLetter.reason.startsWith("message too large") ? 413 : 400,
                    parsed.deadLetter.reason);
        }
        return parsed.value;
    }

    private static String partitionKey(DeliveryEvent e) {
        return e.userId != null ? e.userId : e.sessionId != null ? e.sessionId : e.topic != null ? e.topic : e.accountId != null ? e.accountId : e.messageId;
    }

    static String newMessageId() {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(FreshRandom.bytes(20));
    }

    /** Read as strictly as the job reads the stream: no duplicate keys, no trailing data, numbers exact. */
    private static ObjectNode jsonObject(String body) {
        try {
            JsonNode node = EventParser.JSON.readTree(body);
            if (node != null && node.isObject()) {
                return (ObjectNode) node;
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw ApiException.badRequest("body must be a JSON object: " + e.getOriginalMessage());
        } catch (Exception e) {
            // answered below
        }
        throw ApiException.badRequest("body must be a JSON object");
    }

    private static boolean bool(String value) {
        if (value.equals("true") || value.equals("1")) {
            return true;
        }
        if (value.equals("false") || value.equals("0")) {
            return false;
        }
        throw ApiException.badRequest("_sqs_only must be true or false");
    }
}
