package io.sqsbrowser.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TEST DOUBLE for DynamoDB faults that dynalite cannot produce: an HTTP proxy in front of dynalite that
 * passes every request through, except that while {@link #throttle} is on it answers UpdateItem with the
 * real protocol's ProvisionedThroughputExceededException (HTTP 400), as a throttled table does; and it can
 * carry out one request but answer it with a 500, as when the answer is lost, so that the SDK retries it; and it can
 * answer Scans late, as a large or busy table does.
 */
public final class DynamoDbFaultProxy implements AutoCloseable {
    private static final Set<String> NOT_FORWARDED = Set.of("host", "connection", "content-length", "expect", "upgrade");
    private final HttpServer server;
    private final HttpClient client = HttpClient.newHttpClient();
    private final String target;
    private volatile boolean throttling;
    /** A target (e.g. PutItem) whose next request is carried out but answered with a 500, as when a response is lost. */
    private volatile String loseNextAnswerTo;
    /** How long each Scan answer is held back: a slow table, to make a cold start's scan last. */
    private volatile long scanDelayMillis;
    public final AtomicInteger throttled = new AtomicInteger();

    public DynamoDbFaultProxy(int dynamoDbPort) throws IOException {
        this.target = "http://127.0.0.1:" + dynamoDbPort;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8));
        server.start();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public void throttle(boolean on) {
        throttling = on;
    }

    /** From now on each Scan is answered this much later. */
    public void delayScans(java.time.Duration delay) {
        scanDelayMillis = delay.toMillis();
    }

    /** The next {@code operation} (e.g. "PutItem") reaches dynalite, but its answer is replaced by a 500. */
    public void loseNextAnswer(String operation) {
        loseNextAnswerTo = "DynamoDB_20120810." + operation;
    }

    private void handle(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
        if (throttling && "DynamoDB_20120810.UpdateItem".equals(target)) {
            throttled.incrementAndGet();
            reply(exchange, 400, Map.of("Content-Type", List.of("application/x-amz-json-1.0")),
                    ("{\"__type\":\"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException\","
                            + "\"message\":\"injected throttling\"}").getBytes(StandardCharsets.UTF_8));
            return;
        }
        HttpRequest.Builder forward = HttpRequest.newBuilder(URI.create(this.target + exchange.getRequestURI()))
                .method(exchange.getRequestMethod(), HttpRequest.BodyPublishers.ofByteArray(body));
        exchange.getRequestHeaders().forEach((name, values) -> {
            if (!NOT_FORWARDED.contains(name.toLowerCase())) {
                values.forEach(v -> forward.header(name, v));
            }
        });
        try {
            if ("DynamoDB_20120810.Scan".equals(target) && scanDelayMillis > 0) {
                Thread.sleep(scanDelayMillis);
            }
            HttpResponse<byte[]> response = client.send(forward.build(), HttpResponse.BodyHandlers.ofByteArray());
            if (target != null && target.equals(loseNextAnswerTo)) {
                loseNextAnswerTo = null;
                reply(exchange, 500, Map.of("Content-Type", List.of("application/x-amz-json-1.0")),
                        "{\"__type\":\"com.amazonaws.dynamodb.v20120810#InternalServerError\",\"message\":\"injected\"}"
                                .getBytes(StandardCharsets.UTF_8));
                return;
            }
            reply(exchange, response.statusCode(), response.headers().map(), response.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            reply(exchange, 500, Map.of(), new byte[0]);
        }
    }

    private static void reply(HttpExchange exchange, int status, Map<String, List<String>> headers, byte[] body)
            throws IOException {
        headers.forEach((name, values) -> {
            if (!NOT_FORWARDED.contains(name.toLowerCase()) && !name.startsWith(":")) {
                exchange.getResponseHeaders().put(name, values);
            }
        });
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
