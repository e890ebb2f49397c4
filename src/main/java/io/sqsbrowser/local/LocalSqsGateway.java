package io.sqsbrowser.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * LOCAL ONLY: the SQS endpoint clients (browsers, the listener, attacker tests) use, in front of ElasticMQ, which
 * answers no CORS and checks no credentials. Like SQS it answers CORS (any origin, as SQS does), verifies each
 * request's SigV4 signature against the credentials {@link LocalIdentityServices} issued, and lets a request
 * through only if IAM ({@link LocalIam}) allows its action on its queue: a session's credentials reach their own
 * queue's four actions and nothing else. Speaks SQS's JSON protocol (and the query protocol's {@code Action}). What it
 * forwards is exactly what it authorized: the request as it read it, written again ({@link Request}), never the raw
 * bytes, which ElasticMQ might read otherwise (a queue in the path and another in QueueUrl, a key given twice).
 * It counts ReceiveMessage calls per queue, and how many were waiting at once, so a test can tell how many
 * pollers a session had.
 */
public final class LocalSqsGateway implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> NOT_FORWARDED = Set.of("host", "connection", "content-length", "expect", "upgrade",
            "origin", "referer");
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "local-sqs-gateway");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final String target;
    private final LocalIam iam;
    private final Map<String, Receives> receives = new ConcurrentHashMap<>();

    /** ReceiveMessage calls on one queue: how many in all, now, and at most at once. */
    public static final class Receives {
        public final AtomicInteger total = new AtomicInteger();
        public final AtomicInteger waiting = new AtomicInteger();
        public final AtomicInteger mostAtOnce = new AtomicInteger();

        ObjectNode json() {
            return JSON.createObjectNode().put("total", total.get()).put("waiting", waiting.get()).put("mostAtOnce", mostAtOnce.get());
        }
    }

    public LocalSqsGateway(int port, String elasticMqEndpoint, LocalIam iam) throws IOException {
        this.target = elasticMqEndpoint;
        this.iam = iam;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** ReceiveMessage counts of one queue, by name. */
    public Receives receives(String queueName) {
        return receives.computeIfAbsent(queueName, k -> new Receives());
    }

    /** Every queue's counts, as JSON. */
    public ObjectNode receivesJson() {
        ObjectNode out = JSON.createObjectNode();
        receives.forEach((queue, r) -> out.set(queue, r.json()));
        return out;
    }

    private void handle(HttpExchange exchange) throws IOException {
        allowCors(exchange);
        if (exchange.getRequestMethod().equals("OPTIONS")) {
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
            return;
        }
        byte[] body = exchange.getRequestBody().readAllBytes();
        Map<String, String> headers = LocalHttp.lowerCaseHeaders(exchange);
        Request request;
        try {
            request = Request.of(headers, body, exchange.getRequestURI());
        } catch (IllegalArgumentException ambiguous) {
            refuse(exchange, headers.getOrDefault("x-amz-target", "").startsWith("AmazonSQS."),
                    new LocalIam.Refusal("InvalidParameterValue", 400, ambiguous.getMessage()));
            return;
        }
        try {
            SigV4Verifier.Signed signed = SigV4Verifier.verify(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                    exchange.getRequestURI().getRawQuery(), headers, body, Emulators.REGION, "sqs", iam::secretOf);
            iam.authorize(signed.accessKeyId, signed.sessionToken, request.iamAction(), request.resourceArn());
        } catch (LocalIam.Refusal refused) {
            refuse(exchange, request.json, refused);
            return;
        }
        Receives counted = request.action.equals("ReceiveMessage") ? receives(request.queueName()) : null;
        if (counted != null) {
            counted.total.incrementAndGet();
            counted.mostAtOnce.accumulateAndGet(counted.waiting.incrementAndGet(), Math::max);
        }
        try {
            forward(exchange, request);
        } finally {
            if (counted != null) {
                counted.waiting.decrementAndGet();
            }
        }
    }

    private void forward(HttpExchange exchange, Request request) throws IOException {
        HttpRequest.Builder out = HttpRequest.newBuilder(URI.create(target + "/"))
                .method("POST", HttpRequest.BodyPublishers.ofByteArray(request.forwarded()));
        exchange.getRequestHeaders().forEach((name, values) -> {
            if (!NOT_FORWARDED.contains(name.toLowerCase())) {
                values.forEach(v -> out.header(name, v));
            }
        });
        HttpResponse<byte[]> response;
        try {
            response = http.send(out.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
            return;
        } catch (IOException e) {
            exchange.sendResponseHeaders(502, -1);
            exchange.close();
            return;
        }
        if (response.statusCode() >= 500 && request.action.equals("ReceiveMessage") && request.json && queueGone(request)) {
            // ElasticMQ leaves a long poll on a queue deleted meanwhile unanswered until its HTTP server times it out
            // (503); SQS answers that the queue does not exist, which is how a client learns its session ended.
            exchange.getResponseHeaders().set("x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender");
            LocalHttp.send(exchange, 400, "application/x-amz-json-1.0", JSON.createObjectNode()
                    .put("__type", "com.amazonaws.sqs#QueueDoesNotExist").put("message", "The specified queue does not exist.").toString());
            return;
        }
        response.headers().map().forEach((name, values) -> {
            if (!NOT_FORWARDED.contains(name.toLowerCase()) && !name.startsWith(":") && !name.equalsIgnoreCase("transfer-encoding")) {
                exchange.getResponseHeaders().put(name, values);
            }
        });
        exchange.sendResponseHeaders(response.statusCode(), response.body().length == 0 ? -1 : response.body().length);
        exchange.getResponseBody().write(response.body());
        exchange.close();
    }

    /** Asks ElasticMQ directly (it checks no signature) whether the request's queue still exists. */
    private boolean queueGone(Request request) {
        try {
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(target + "/"))
                    .header("Content-Type", "application/x-amz-json-1.0").header("X-Amz-Target", "AmazonSQS.GetQueueUrl")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.createObjectNode().put("QueueName", request.queueName()).toString()))
                    .build(), HttpResponse.BodyHandlers.ofString());
            return answer.statusCode() == 400 && answer.body().contains("QueueDoesNotExist");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** As SQS answers browsers: any origin, the headers a signed request sends, the error headers readable. */
    private static void allowCors(HttpExchange exchange) {
        Headers in = exchange.getRequestHeaders();
        Headers out = exchange.getResponseHeaders();
        String origin = in.getFirst("Origin");
        out.set("Access-Control-Allow-Origin", origin != null ? origin : "*");
        out.set("Vary", "Origin");
        out.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        String requested = in.getFirst("Access-Control-Request-Headers");
        out.set("Access-Control-Allow-Headers", requested != null ? requested
                : "authorization, content-type, x-amz-date, x-amz-security-token, x-amz-target, x-amz-user-agent, amz-sdk-invocation-id, amz-sdk-request");
        out.set("Access-Control-Expose-Headers", "x-amzn-RequestId, x-amzn-query-error, Date");
        out.set("Access-Control-Max-Age", "600");
    }

    private static void refuse(HttpExchange exchange, boolean json, LocalIam.Refusal refused) throws IOException {
        exchange.getResponseHeaders().set("x-amzn-query-error", refused.code + ";Sender");
        if (json) {
            LocalHttp.send(exchange, refused.status, "application/x-amz-json-1.0", JSON.createObjectNode()
                    .put("__type", "com.amazon.coral.service#" + refused.code).put("message", refused.getMessage()).toString());
        } else {
            LocalHttp.send(exchange, refused.status, "text/xml", "<ErrorResponse><Error><Type>Sender</Type><Code>" + refused.code
                    + "</Code><Message>" + refused.getMessage() + "</Message></Error></ErrorResponse>");
        }
    }

    /**
     * What a request asks for, read strictly: its SQS action, the queue it names, and its parameters, which are what is
     * forwarded. A JSON body with a key twice, a query parameter given twice, or a queue named by the path and by a
     * different QueueUrl is refused: two readers could see two requests in it.
     */
    private static final class Request {
        private static final ObjectMapper STRICT = new ObjectMapper().enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
                .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        final boolean json;
        final String action;
        final String queueUrl;
        /** The JSON body, or the query parameters, as read. */
        private final JsonNode body;
        private final Map<String, String> parameters;

        private Request(boolean json, String action, String queueUrl, JsonNode body, Map<String, String> parameters) {
            this.json = json;
            this.action = action;
            this.queueUrl = queueUrl;
            this.body = body;
            this.parameters = parameters;
        }

        static Request of(Map<String, String> headers, byte[] body, URI uri) {
            String target = headers.get("x-amz-target");
            if (target != null && target.startsWith("AmazonSQS.")) {
                if (uri.getRawQuery() != null || uri.getPath().length() > 1) {
                    throw new IllegalArgumentException("the JSON protocol names its queue in the body only");
                }
                JsonNode node;
                try {
                    node = body.length == 0 ? STRICT.createObjectNode() : STRICT.readTree(body);
                } catch (IOException e) {
                    throw new IllegalArgumentException("not one JSON object: " + e.getMessage());
                }
                if (node == null || !node.isObject()) {
                    throw new IllegalArgumentException("not a JSON object");
                }
                String queueUrl = node.hasNonNull("QueueUrl") ? node.get("QueueUrl").asText() : null;
                return new Request(true, target.substring("AmazonSQS.".length()), queueUrl, node, null);
            }
            Map<String, String> form = strictForm(new String(body, StandardCharsets.UTF_8));
            for (Map.Entry<String, String> q : strictForm(uri.getRawQuery()).entrySet()) {
                if (form.putIfAbsent(q.getKey(), q.getValue()) != null) {
                    throw new IllegalArgumentException("parameter " + q.getKey() + " given twice");
                }
            }
            String inPath = uri.getPath().length() > 1 ? uri.toString() : null;
            String queueUrl = form.get("QueueUrl");
            if (inPath != null && queueUrl != null && !URI.create(queueUrl).getPath().equals(uri.getPath())) {
                throw new IllegalArgumentException("the path and QueueUrl name different queues");
            }
            if (queueUrl == null && inPath != null) {
                queueUrl = inPath;
                form.put("QueueUrl", queueUrl);
            }
            return new Request(false, form.getOrDefault("Action", ""), queueUrl, null, form);
        }

        private static Map<String, String> strictForm(String raw) {
            Map<String, String> params = new java.util.LinkedHashMap<>();
            if (raw == null || raw.isEmpty()) {
                return params;
            }
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                String name = java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                if (params.put(name, value) != null) {
                    throw new IllegalArgumentException("parameter " + name + " given twice");
                }
            }
            return params;
        }

        /** The body sent on to ElasticMQ (at its root): the request exactly as read and authorized. */
        byte[] forwarded() {
            if (json) {
                return body.toString().getBytes(StandardCharsets.UTF_8);
            }
            StringBuilder out = new StringBuilder();
            parameters.forEach((name, value) -> out.append(out.length() == 0 ? "" : "&")
                    .append(java.net.URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
                    .append(java.net.URLEncoder.encode(value, StandardCharsets.UTF_8)));
            return out.toString().getBytes(StandardCharsets.UTF_8);
        }

        /** Batch calls are authorized as their single action, as SQS does. */
        String iamAction() {
            return "sqs:" + (action.endsWith("Batch") ? action.substring(0, action.length() - "Batch".length()) : action);
        }

        String queueName() {
            return queueUrl == null ? "" : queueUrl.substring(queueUrl.lastIndexOf('/') + 1);
        }

        /** The queue's ARN; actions on no queue (ListQueues, CreateQueue...) are checked against the account. */
        String resourceArn() {
            String prefix = "arn:aws:sqs:" + Emulators.REGION + ":" + LocalIam.ACCOUNT + ":";
            return queueUrl == null ? prefix + "*" : prefix + queueName();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
