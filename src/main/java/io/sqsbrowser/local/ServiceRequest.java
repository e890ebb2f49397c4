package io.sqsbrowser.local;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * LOCAL ONLY: one request to an AWS service, read strictly, as the local gateway authorizes and forwards it: the API
 * operation, the IAM action and the resources IAM evaluates it on (as AWS's Service Authorization Reference names
 * them; {@code *} for an action with no resource type), the condition keys the request itself carries, and the exact
 * bytes (with a fixed Content-Type and target) the emulator behind is given. What is forwarded is what was read,
 * written again: never the raw request, which another reader might read as another request.
 */
abstract class ServiceRequest {
    /** Strict, and exact: numbers are written again as they were read (a timestamp keeps its digits). */
    static final ObjectMapper STRICT = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .setNodeFactory(JsonNodeFactory.withExactBigDecimals(true));

    /** The API operation, e.g. {@code SendMessageBatch}. */
    abstract String operation();

    /** The IAM action, e.g. {@code sqs:SendMessage}. */
    abstract String action();

    /** Every IAM action the request needs: its own, and any other AWS also requires of it. */
    List<String> actions() {
        return List.of(action());
    }

    /** The ARNs IAM evaluates the action on, each of which must be allowed. */
    abstract List<String> resources();

    /** Condition keys the request carries (lower-case names): {@code aws:RequestTag/...}, {@code aws:TagKeys}. */
    Map<String, List<String>> requestKeys() {
        return Map.of();
    }

    /** The body forwarded to the emulator. */
    abstract byte[] forwardedBody();

    abstract String contentType();

    /** The {@code X-Amz-Target} forwarded, or null (SQS's query protocol has none). */
    abstract String target();

    /** A JSON body: one object, no key twice, nothing after it. */
    static JsonNode jsonObject(byte[] body) {
        JsonNode node;
        try {
            node = body.length == 0 ? STRICT.createObjectNode() : STRICT.readTree(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("not one JSON object: " + e.getMessage().split("\n")[0]);
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        return node;
    }

    static byte[] bytes(JsonNode node) {
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }

    static String arn(String service, String resource) {
        return "arn:aws:" + service + ":" + LocalIam.REGION + ":" + LocalIam.ACCOUNT + ":" + resource;
    }

    /** The operation named by {@code X-Amz-Target: <prefix>.<Operation>}. */
    static String operation(String target, String prefix) {
        if (target == null || !target.startsWith(prefix + ".") || !target.substring(prefix.length() + 1).matches("[A-Za-z]{1,64}")) {
            throw new IllegalArgumentException("X-Amz-Target must be " + prefix + ".<Operation>");
        }
        return target.substring(prefix.length() + 1);
    }

    /** A required string parameter of a JSON request. */
    static String text(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || !value.isTextual() || value.asText().isEmpty()) {
            throw new IllegalArgumentException(field + " must be a non-empty string");
        }
        return value.asText();
    }
}
