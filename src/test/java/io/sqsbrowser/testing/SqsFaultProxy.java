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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TEST DOUBLE for SQS faults ElasticMQ cannot produce: an HTTP proxy in front of ElasticMQ that passes every
 * request through, except that (a) a chosen fraction of SendMessage and SendMessageBatch calls is answered with
 * SQS's throttling error (HTTP 400, {@code RequestThrottled}), as a throttled queue answers, and (b) while an
 * outage lasts it accepts no connection at all (its listening socket is closed, and the connections it had
 * are closed), as when SQS cannot be reached.
 */
public final class SqsFaultProxy implements AutoCloseable {
    private static final Set<String> NOT_FORWARDED = Set.of("host", "connection", "content-length", "expect", "upgrade");
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "sqs-fault-proxy");
        t.setDaemon(true);
        return t;
    });
    private final String target;
    private final int port;
    private HttpServer server;
    private volatile double throttledFraction;
    public final AtomicInteger forwarded = new AtomicInteger();
    public final AtomicInteger throttled = new AtomicInteger();

    public SqsFaultProxy(int elasticMqPort) throws IOException {
        this.target = "http://127.0.0.1:" + elasticMqPort;
        this.port = io.sqsbrowser.local.Emulators.freePort();
        listen();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** From now on, this fraction of sends (0 to 1) is answered as throttled. */
    public void throttle(double fraction) {
        throttledFraction = fraction;
    }

    /** Starts an outage: connections are refused until {@link #endOutage()}. */
    public synchronized void startOutage() {
        server.stop(0);
    }

    public synchronized void endOutage() throws IOException {
        listen();
    }

    private synchronized void listen() throws IOException {
        server = HttpServer.create();
        server.bind(new InetSocketAddress("127.0.0.1", port), 256);
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    private void handle(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        String target = String.valueOf(exchange.getRequestHeaders().getFirst("X-Amz-Target"));
        if (target.startsWith("AmazonSQS.SendMessage") && ThreadLocalRandom.current().nextDouble() < throttledFraction) {
            throttled.incrementAndGet();
            exchange.getResponseHeaders().set("x-amzn-query-error", "RequestThrottled;Sender");
            reply(exchange, 400, Map.of("Content-Type", List.of("application/x-amz-json-1.0")),
                    "{\"__type\":\"com.amazonaws.sqs#RequestThrottled\",\"message\":\"Rate exceeded\"}".getBytes(StandardCharsets.UTF_8));
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
            HttpResponse<byte[]> response = client.send(forward.build(), HttpResponse.BodyHandlers.ofByteArray());
            forwarded.incrementAndGet();
            reply(exchange, response.statusCode(), response.headers().map(), response.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exchange.close();
        } catch (IOException e) {
            exchange.close();
        }
    }

    private static void reply(HttpExchange exchange, int status, Map<String, List<String>> headers, byte[] body)
            throws IOException {
        headers.forEach((name, values) -> {
            if (!NOT_FORWARDED.contains(name.toLowerCase()) && !name.startsWith(":") && !name.equalsIgnoreCase("transfer-encoding")) {
                exchange.getResponseHeaders().put(name, values);
            }
        });
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    @Override
    public synchronized void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
