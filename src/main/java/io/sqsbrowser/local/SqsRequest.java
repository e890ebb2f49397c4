package io.sqsbrowser.local;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LOCAL ONLY: an SQS request, read as SQS reads it. The protocol is the one its Content-Type says: JSON
 * ({@code application/x-amz-json-1.0}, the action in {@code X-Amz-Target: AmazonSQS.<Action>}, the queue in the body)
 * or query ({@code application/x-www-form-urlencoded} or a GET, the action in {@code Action}, the queue in
 * {@code QueueUrl} or the path); a request that mixes them is refused, as is a key or parameter given twice. A queue
 * is named by a URL of exactly the shape SQS issues, {@code <endpoint>/<12 digits>/<name>} with this account's id and
 * the endpoint's own scheme, host and port, or (CreateQueue, GetQueueUrl) by its name: nothing else is read as a
 * queue, so the queue authorized is the queue the emulator serves.
 */
final class SqsRequest extends ServiceRequest {
    static final String JSON_TYPE = "application/x-amz-json-1.0";
    static final String FORM_TYPE = "application/x-www-form-urlencoded";
    private static final Pattern QUEUE_NAME = Pattern.compile("[A-Za-z0-9_-]{1,80}(\\.fifo)?");
    private static final Pattern QUEUE_PATH = Pattern.compile("/([0-9]{12})/([^/]+)");
    private static final Pattern QUERY_TAG = Pattern.compile("Tag\\.([0-9]+)\\.(Key|Value)");

    final boolean json;
    private final String operation;
    /** The queue's name, or null for an action on no queue (ListQueues). */
    final String queueName;
    private final JsonNode body;
    private final Map<String, String> parameters;

    private SqsRequest(boolean json, String operation, String queueName, JsonNode body, Map<String, String> parameters) {
        this.json = json;
        this.operation = operation;
        this.queueName = queueName;
        this.body = body;
        this.parameters = parameters;
    }

    /**
     * @param endpoint the scheme, host and port queue URLs are issued with (the emulator's), e.g. {@code http://127.0.0.1:9324}
     * @param headers the request's headers, names in lower case
     */
    static SqsRequest read(String method, URI uri, Map<String, String> headers, byte[] raw, String endpoint) {
        String contentType = mediaType(headers.get("content-type"));
        String target = headers.get("x-amz-target");
        if (JSON_TYPE.equals(contentType)) {
            if (!method.equals("POST") || uri.getRawQuery() != null || !uri.getRawPath().equals("/")) {
                throw new IllegalArgumentException("the JSON protocol is a POST to / with the queue in the body");
            }
            String operation = operation(target, "AmazonSQS");
            JsonNode body = jsonObject(raw);
            return new SqsRequest(true, operation, queueOf(operation, body.path("QueueUrl").isMissingNode() ? null : text(body, "QueueUrl"),
                    body.path("QueueName").isMissingNode() ? null : text(body, "QueueName"), body.get("QueueOwnerAWSAccountId"), endpoint),
                    body, null);
        }
        if (target != null) {
            throw new IllegalArgumentException("X-Amz-Target names the JSON protocol, but the Content-Type is " + contentType);
        }
        if (method.equals("POST") ? !FORM_TYPE.equals(contentType) : !method.equals("GET") || raw.length > 0) {
            throw new IllegalArgumentException("the query protocol is a form POST or a GET");
        }
        Map<String, String> form = strictForm(new String(raw, StandardCharsets.UTF_8));
        for (Map.Entry<String, String> q : strictForm(uri.getRawQuery()).entrySet()) {
            if (form.putIfAbsent(q.getKey(), q.getValue()) != null) {
                throw new IllegalArgumentException("parameter " + q.getKey() + " given twice");
            }
        }
        String operation = form.getOrDefault("Action", "");
        if (!operation.matches("[A-Za-z]{1,64}")) {
            throw new IllegalArgumentException("Action is missing or malformed");
        }
        String queueUrl = form.get("QueueUrl");
        if (!uri.getRawPath().equals("/")) {
            // The query protocol may name the queue by the request's path: the same URL, or nothing.
            String inPath = endpoint + uri.getRawPath();
            if (queueUrl != null && !queueUrl.equals(inPath)) {
                throw new IllegalArgumentException("the path and QueueUrl name different queues");
            }
            queueUrl = inPath;
        }
        String queueName = queueOf(operation, queueUrl, form.get("QueueName"), form.containsKey("QueueOwnerAWSAccountId")
                ? STRICT.getNodeFactory().textNode(form.get("QueueOwnerAWSAccountId")) : null, endpoint);
        if (queueUrl != null) {
            form.put("QueueUrl", queueUrl);
        }
        return new SqsRequest(false, operation, queueName, null, form);
    }

    /** The queue a request names: by URL of the exact shape, or by name for the two actions that take one. */
    private static String queueOf(String operation, String queueUrl, String queueName, JsonNode owner, String endpoint) {
        boolean byName = operation.equals("CreateQueue") || operation.equals("GetQueueUrl");
        if (byName) {
            if (queueUrl != null || queueName == null || !QUEUE_NAME.matcher(queueName).matches()) {
                throw new IllegalArgumentException(operation + " names its queue by a valid QueueName only");
            }
            if (owner != null && !LocalIam.ACCOUNT.equals(owner.asText())) {
                throw new IllegalArgumentException("QueueOwnerAWSAccountId must be this account's");
            }
            return queueName;
        }
        if (queueName != null || owner != null) {
            throw new IllegalArgumentException(operation + " takes no QueueName");
        }
        if (queueUrl == null) {
            if (!operation.equals("ListQueues")) {
                throw new IllegalArgumentException(operation + " needs a QueueUrl");
            }
            return null;
        }
        return nameInUrl(queueUrl, endpoint);
    }

    /** The name in {@code <endpoint>/<this account>/<name>}; anything else (more segments, a query, another host) is refused. */
    static String nameInUrl(String queueUrl, String endpoint) {
        URI uri;
        try {
            uri = new URI(queueUrl);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("QueueUrl is not a URL");
        }
        Matcher path = uri.getRawPath() == null ? null : QUEUE_PATH.matcher(uri.getRawPath());
        if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null || path == null
                || !path.matches() || !queueUrl.equals(endpoint + uri.getRawPath()) || !path.group(1).equals(LocalIam.ACCOUNT)
                || !QUEUE_NAME.matcher(path.group(2)).matches()) {
            throw new IllegalArgumentException("QueueUrl must be " + endpoint + "/" + LocalIam.ACCOUNT + "/<queue name>");
        }
        return path.group(2);
    }

    private static String mediaType(String contentType) {
        return contentType == null ? null : contentType.split(";", 2)[0].trim().toLowerCase(java.util.Locale.ROOT);
    }

    private static Map<String, String> strictForm(String raw) {
        Map<String, String> params = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return params;
        }
        for (String pair : raw.split("&", -1)) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            if (params.put(name, value) != null) {
                throw new IllegalArgumentException("parameter " + name + " given twice");
            }
        }
        return params;
    }

    @Override
    String operation() {
        return operation;
    }

    /** Batch calls are authorized as their single action, as SQS does. */
    @Override
    String action() {
        return "sqs:" + (operation.endsWith("Batch") ? operation.substring(0, operation.length() - "Batch".length()) : operation);
    }

    /** A CreateQueue with tags needs sqs:TagQueue as well (SQS API reference, CreateQueue). */
    @Override
    List<String> actions() {
        return operation.equals("CreateQueue") && !tags().isEmpty() ? List.of(action(), "sqs:TagQueue") : List.of(action());
    }

    @Override
    List<String> resources() {
        return List.of(queueName == null ? "*" : arn("sqs", queueName));
    }

    /** The tags a CreateQueue (or TagQueue) asks to set: {@code aws:RequestTag/<key>} and {@code aws:TagKeys}. */
    @Override
    Map<String, List<String>> requestKeys() {
        Map<String, String> tags = tags();
        if (tags.isEmpty()) {
            return Map.of();
        }
        Map<String, List<String>> keys = new TreeMap<>();
        tags.forEach((k, v) -> keys.put("aws:requesttag/" + k.toLowerCase(java.util.Locale.ROOT), List.of(v)));
        keys.put("aws:tagkeys", new ArrayList<>(tags.keySet()));
        return keys;
    }

    private Map<String, String> tags() {
        Map<String, String> tags = new TreeMap<>();
        if (json) {
            body.path(operation.equals("CreateQueue") ? "tags" : "Tags").fields()
                    .forEachRemaining(e -> tags.put(e.getKey(), e.getValue().asText()));
        } else {
            Map<String, String[]> numbered = new TreeMap<>();
            parameters.forEach((name, value) -> {
                Matcher m = QUERY_TAG.matcher(name);
                if (m.matches()) {
                    numbered.computeIfAbsent(m.group(1), k -> new String[2])[m.group(2).equals("Key") ? 0 : 1] = value;
                }
            });
            numbered.values().forEach(kv -> tags.put(kv[0], kv[1]));
        }
        return tags;
    }

    @Override
    byte[] forwardedBody() {
        if (json) {
            return bytes(body);
        }
        StringBuilder out = new StringBuilder();
        parameters.forEach((name, value) -> out.append(out.length() == 0 ? "" : "&")
                .append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
                .append(URLEncoder.encode(value, StandardCharsets.UTF_8)));
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    String contentType() {
        return json ? JSON_TYPE : FORM_TYPE;
    }

    @Override
    String target() {
        return json ? "AmazonSQS." + operation : null;
    }
}
