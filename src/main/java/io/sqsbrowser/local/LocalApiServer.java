package io.sqsbrowser.local;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.sqsbrowser.api.ApiHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * LOCAL ONLY: serves the session, notify and messages APIs over plain HTTP by handing each request, as an API
 * Gateway proxy event, to the same {@link ApiHandler} the Lambda runs; plus {@code GET /local/endpoints} (where
 * everything is), {@code GET /local/sqs-receives} (ReceiveMessage counts per queue at the browsers' SQS endpoint)
 * and {@code GET /health} (200 once the job runs and the APIs are ready); and the demo page ({@code /demo/}) with the
 * browser client's modules ({@code /client-js/}).
 *
 * <p>It answers only this machine's own callers: a request whose {@code Host} is not {@code 127.0.0.1} or
 * {@code localhost} (DNS rebinding: a web page's own name resolving to 127.0.0.1) or that another web page sends
 * ({@code Origin} other than this server's, or {@code Sec-Fetch-Site} cross-site or same-site) is refused with a 403:
 * any page open in the developer's browser could otherwise create, destroy and notify (the API has effects on GET),
 * and read what {@code /create} answers. Its demo page, curl, the SDKs and the tests are same-origin or send neither.
 */
public final class LocalApiServer implements AutoCloseable {
    private final HttpServer server;
    private final ApiHandler handler;
    private final ObjectNode endpoints;
    private final BooleanSupplier healthy;
    private final LocalSqsGateway sqsGateway;
    private final List<StaticFiles> files;

    public LocalApiServer(int port, ApiHandler handler, ObjectNode endpoints, BooleanSupplier healthy, LocalSqsGateway sqsGateway,
            List<StaticFiles> files) throws IOException {
        this.handler = handler;
        this.endpoints = endpoints;
        this.healthy = healthy;
        this.sqsGateway = sqsGateway;
        this.files = files;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.createContext("/", this::handle);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getRawPath();
        try {
            String refused = foreignCaller(exchange);
            if (refused != null) {
                send(exchange, 403, "{\"success\":false,\"message\":\"" + refused + "\"}");
            } else if (path.equals("/local/endpoints")) {
                send(exchange, 200, endpoints.toString());
            } else if (path.equals("/local/sqs-receives")) {
                send(exchange, 200, sqsGateway.receivesJson().toString());
            } else if (path.equals("/health")) {
                boolean up = healthy.getAsBoolean();
                send(exchange, up ? 200 : 503, "{\"success\":" + up + "}");
            } else if (path.equals("/demo")) {
                exchange.getResponseHeaders().set("Location", "/demo/");
                LocalHttp.send(exchange, 302, "text/plain", "");
            } else if (files.stream().anyMatch(f -> f.serves(path))) {
                files.stream().filter(f -> f.serves(path)).findFirst().get().serve(exchange, path);
            } else {
                APIGatewayProxyResponseEvent response = handler.handleRequest(new APIGatewayProxyRequestEvent()
                        .withHttpMethod(exchange.getRequestMethod())
                        .withPath(URLDecoder.decode(path.replace("+", "%2B"), StandardCharsets.UTF_8))
                        .withQueryStringParameters(query(exchange.getRequestURI().getRawQuery()))
                        .withBody(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)), null);
                send(exchange, response.getStatusCode(), response.getBody());
            }
        } catch (RuntimeException e) {
            send(exchange, 500, "{\"success\":false,\"message\":\"internal error\"}");
        }
    }

    /** Why a request is not from this machine's own callers, or null when it is. */
    private String foreignCaller(HttpExchange exchange) {
        String host = exchange.getRequestHeaders().getFirst("Host");
        String port = Integer.toString(port());
        if (host == null || !host.matches("(127\\.0\\.0\\.1|localhost)(:" + port + ")?")) {
            return "the local API answers only Host 127.0.0.1 or localhost";
        }
        String origin = exchange.getRequestHeaders().getFirst("Origin");
        if (origin != null && !origin.equals("http://127.0.0.1:" + port) && !origin.equals("http://localhost:" + port)) {
            return "the local API answers no other web page";
        }
        String site = exchange.getRequestHeaders().getFirst("Sec-Fetch-Site");
        if (site != null && !site.equals("same-origin") && !site.equals("none")) {
            return "the local API answers no other web page";
        }
        return null;
    }

    /** Query parameters as API Gateway passes them: decoded, the last of repeated names winning; null when none. */
    private static Map<String, String> query(String raw) {
        return raw == null || raw.isEmpty() ? null : LocalHttp.form(raw);
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        LocalHttp.send(exchange, status, "application/json", body);
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
