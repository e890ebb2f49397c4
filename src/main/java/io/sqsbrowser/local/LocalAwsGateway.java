package io.sqsbrowser.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LOCAL ONLY: the endpoint of SQS, Kinesis and DynamoDB for every principal of the local stack (sessions' browsers,
 * the job, the Lambda), in front of ElasticMQ, kinesalite and dynalite, which check no credentials. Like AWS it
 * verifies each request's SigV4 signature, reads the request as the service does ({@link SqsRequest},
 * {@link KinesisRequest}, {@link DynamoDbRequest}), and serves it only if IAM ({@link LocalIam}) allows its action on
 * each resource it names for the principal that signed it; then it forwards exactly what it read and authorized, with
 * a fixed Content-Type. The service is the one the signature is scoped to.
 *
 * <p>Browsers reach it only from the web origins given (the demo page's, a developer's own app), which it answers with
 * CORS as SQS does; any other page is refused ({@link LocalCallers}). It counts ReceiveMessage calls per queue, and how
 * many were waiting at once, so a test can tell how many pollers a session had.
 */
public final class LocalAwsGateway implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SCOPE = Pattern.compile("Credential=[^/]+/\\d{8}/[^/]+/([a-z0-9-]+)/aws4_request");
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(io.sqsbrowser.aws.DaemonThreads.factory("local-aws-gateway"));
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final String sqs;
    private final Map<String, String> targets;
    private final LocalIam iam;
    private final LocalCallers callers;
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

    /**
     * @param port 0 for any free port
     * @param origins the web origins whose pages may call it
     */
    public LocalAwsGateway(int port, Emulators emulators, LocalIam iam, Set<String> origins) throws IOException {
        this.sqs = "http://127.0.0.1:" + emulators.sqsPort;
        this.targets = Map.of("sqs", sqs, "kinesis", "http://127.0.0.1:" + emulators.kinesisPort,
                "dynamodb", "http://127.0.0.1:" + emulators.dynamoDbPort);
        this.iam = iam;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 128);
        this.callers = new LocalCallers(server.getAddress().getPort(), origins);
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
        Map<String, String> headers = LocalHttp.lowerCaseHeaders(exchange);
        if (callers.refused(exchange, headers)) {
            return;
        }
        allowCors(exchange, headers.get("origin"));
        if (exchange.getRequestMethod().equals("OPTIONS")) {
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
            return;
        }
        byte[] body = exchange.getRequestBody().readAllBytes();
        Matcher scope = SCOPE.matcher(headers.getOrDefault("authorization", ""));
        String service = scope.find() ? scope.group(1) : "sqs";
        boolean xml = service.equals("sqs") && !SqsRequest.JSON_TYPE.equals(headers.getOrDefault("content-type", "").split(";")[0].trim());
        ServiceRequest request;
        try {
            SigV4Verifier.Signed signed = SigV4Verifier.verify(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                    exchange.getRequestURI().getRawQuery(), headers, body, LocalIam.REGION, service, iam::secretOf);
            request = read(service, exchange, headers, body);
            Function<String, List<String>> keys = requestKeys(request);
            for (String action : request.actions()) {
                for (String resource : request.resources()) {
                    iam.authorize(signed.accessKeyId, signed.sessionToken, action, resource, keys, () -> resourceGone(resource));
                }
            }
        } catch (IllegalArgumentException unreadable) {
            refuse(exchange, xml, new LocalIam.Refusal(service.equals("sqs") ? "InvalidParameterValue" : "ValidationException", 400,
                    unreadable.getMessage()));
            return;
        } catch (LocalIam.Refusal refusal) {
            refuse(exchange, xml, refusal);
            return;
        }
        Receives counted = request.operation().equals("ReceiveMessage") ? receives(((SqsRequest) request).queueName) : null;
        if (counted != null) {
            counted.total.incrementAndGet();
            counted.mostAtOnce.accumulateAndGet(counted.waiting.incrementAndGet(), Math::max);
        }
        try {
            forward(exchange, service, request);
        } finally {
            if (counted != null) {
                counted.waiting.decrementAndGet();
            }
        }
    }

    private ServiceRequest read(String service, HttpExchange exchange, Map<String, String> headers, byte[] body) throws LocalIam.Refusal {
        URI uri = exchange.getRequestURI();
        if (!service.equals("sqs") && (!exchange.getRequestMethod().equals("POST") || !uri.getRawPath().equals("/") || uri.getRawQuery() != null)) {
            throw new IllegalArgumentException(service + " takes a POST to / only");
        }
        switch (service) {
            case "sqs": return SqsRequest.read(exchange.getRequestMethod(), uri, headers, body, sqs);
            case "kinesis": return KinesisRequest.read(headers, body);
            case "dynamodb": return DynamoDbRequest.read(headers, body);
            default: throw new LocalIam.Refusal("InvalidClientTokenId", 403, "this endpoint serves no service " + service);
        }
    }

    /** The request's own keys, and a queue's tags ({@code aws:ResourceTag/...}) read from SQS when a condition asks. */
    private Function<String, List<String>> requestKeys(ServiceRequest request) {
        Map<String, List<String>> own = request.requestKeys();
        return key -> {
            if (key.startsWith("aws:resourcetag/") && request instanceof SqsRequest && ((SqsRequest) request).queueName != null) {
                String tag = key.substring("aws:resourcetag/".length());
                return queueTags(((SqsRequest) request).queueName).entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(tag))
                        .map(e -> List.of(e.getValue())).findFirst().orElse(null);
            }
            return own.get(key);
        };
    }

    private Map<String, String> queueTags(String queueName) {
        try {
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(sqs + "/"))
                    .header("Content-Type", SqsRequest.JSON_TYPE).header("X-Amz-Target", "AmazonSQS.ListQueueTags")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.createObjectNode()
                            .put("QueueUrl", sqs + "/" + LocalIam.ACCOUNT + "/" + queueName).toString()))
                    .build(), HttpResponse.BodyHandlers.ofString());
            Map<String, String> tags = new java.util.TreeMap<>();
            if (answer.statusCode() == 200) {
                JSON.readTree(answer.body()).path("Tags").fields().forEachRemaining(e -> tags.put(e.getKey(), e.getValue().asText()));
            }
            return tags;
        } catch (IOException e) {
            return Map.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Map.of();
        }
    }

    private void forward(HttpExchange exchange, String service, ServiceRequest request) throws IOException {
        HttpRequest.Builder out = HttpRequest.newBuilder(URI.create(targets.get(service) + "/"))
                .header("Content-Type", request.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(request.forwardedBody()));
        if (request.target() != null) {
            out.header("X-Amz-Target", request.target());
        }
        signedByTheGateway(out, service);
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
        if (response.statusCode() >= 500 && request.operation().equals("ReceiveMessage") && ((SqsRequest) request).json
                && queueGone(((SqsRequest) request).queueName)) {
            // ElasticMQ leaves a long poll on a queue deleted meanwhile unanswered until its HTTP server times it out
            // (503); SQS answers that the queue does not exist, which is how a client learns its session ended.
            exchange.getResponseHeaders().set("x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender");
            LocalHttp.send(exchange, 400, SqsRequest.JSON_TYPE, JSON.createObjectNode()
                    .put("__type", "com.amazonaws.sqs#QueueDoesNotExist").put("message", "The specified queue does not exist.").toString());
            return;
        }
        for (String name : new String[] {"content-type", "x-amzn-requestid", "x-amzn-query-error", "x-amz-crc32"}) {
            response.headers().firstValue(name).ifPresent(v -> exchange.getResponseHeaders().set(name, v));
        }
        exchange.sendResponseHeaders(response.statusCode(), response.body().length == 0 ? -1 : response.body().length);
        exchange.getResponseBody().write(response.body());
        exchange.close();
    }

    /**
     * kinesalite and dynalite want an Authorization of SigV4's shape (they check nothing in it): the gateway's own, never
     * the caller's, whose request they are not given.
     */
    private static HttpRequest.Builder signedByTheGateway(HttpRequest.Builder out, String service) {
        String now = java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(java.time.ZoneOffset.UTC)
                .format(java.time.Instant.now());
        return out.header("X-Amz-Date", now).header("Authorization", "AWS4-HMAC-SHA256 Credential=local-aws-gateway/"
                + now.substring(0, 8) + "/" + LocalIam.REGION + "/" + service + "/aws4_request, SignedHeaders=host;x-amz-date, Signature="
                + "0".repeat(64));
    }

    /** Whether the queue, table or stream a refused call named does not exist, asked of its emulator directly. */
    private boolean resourceGone(String resource) {
        String[] arn = resource.split(":", 6);
        if (arn.length < 6) {
            return false;
        }
        String[] path = arn[5].split("/");
        switch (arn[2]) {
            case "sqs":
                return queueGone(arn[5]);
            case "dynamodb":
                return path[0].equals("table") && path.length > 1 && notFound(DynamoDbRequest.PROTOCOL, "DescribeTable", "TableName", path[1]);
            case "kinesis":
                return path[0].equals("stream") && path.length > 1
                        && notFound(KinesisRequest.PROTOCOL, "DescribeStreamSummary", "StreamName", path[1]);
            default:
                return false;
        }
    }

    private boolean notFound(JsonProtocolRequest.Protocol protocol, String operation, String nameField, String name) {
        try {
            HttpResponse<String> answer = http.send(signedByTheGateway(HttpRequest.newBuilder(URI.create(targets.get(protocol.service) + "/")),
                    protocol.service).header("Content-Type", protocol.contentType).header("X-Amz-Target", protocol.target(operation))
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.createObjectNode().put(nameField, name).toString()))
                    .build(), HttpResponse.BodyHandlers.ofString());
            return answer.statusCode() == 400 && answer.body().contains("ResourceNotFoundException");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Asks ElasticMQ directly (it checks no signature) whether a queue still exists. */
    private boolean queueGone(String queueName) {
        try {
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(sqs + "/"))
                    .header("Content-Type", SqsRequest.JSON_TYPE).header("X-Amz-Target", "AmazonSQS.GetQueueUrl")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.createObjectNode().put("QueueName", queueName).toString()))
                    .build(), HttpResponse.BodyHandlers.ofString());
            return answer.statusCode() == 400 && answer.body().contains("QueueDoesNotExist");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** As SQS answers browsers, but only the allowed origins: the headers a signed request sends, the error headers readable. */
    private void allowCors(HttpExchange exchange, String origin) {
        if (!callers.allows(origin)) {
            return;
        }
        com.sun.net.httpserver.Headers out = exchange.getResponseHeaders();
        out.set("Access-Control-Allow-Origin", origin);
        out.set("Vary", "Origin");
        out.set("Access-Control-Allow-Methods", "POST, OPTIONS");
        out.set("Access-Control-Allow-Headers",
                "authorization, content-type, x-amz-date, x-amz-security-token, x-amz-target, x-amz-user-agent, amz-sdk-invocation-id, amz-sdk-request");
        out.set("Access-Control-Expose-Headers", "x-amzn-RequestId, x-amzn-query-error, Date");
        out.set("Access-Control-Max-Age", "600");
    }

    private static void refuse(HttpExchange exchange, boolean xml, LocalIam.Refusal refused) throws IOException {
        exchange.getResponseHeaders().set("x-amzn-query-error", refused.code + ";Sender");
        if (xml) {
            LocalHttp.send(exchange, refused.status, "text/xml", "<ErrorResponse><Error><Type>Sender</Type><Code>" + refused.code
                    + "</Code><Message>" + escape(refused.getMessage()) + "</Message></Error></ErrorResponse>");
        } else {
            LocalHttp.send(exchange, refused.status, "application/x-amz-json-1.0", JSON.createObjectNode()
                    .put("__type", "com.amazon.coral.service#" + refused.code).put("message", refused.getMessage()).toString());
        }
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
