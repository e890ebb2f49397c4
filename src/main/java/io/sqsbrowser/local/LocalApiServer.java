package io.sqsbrowser.local;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * LOCAL ONLY: serves the session, notify and messages APIs over plain HTTP as API Gateway does with IAM authorization:
 * each request must be SigV4-signed for {@code execute-api} by a principal IAM allows {@code execute-api:Invoke} on the
 * method's ARN (the application's backend: the template's ApiCallerPolicy), and is then handed, as an API Gateway proxy
 * event, to the same {@link ApiHandler} the Lambda runs. Besides: {@code GET /local/endpoints} (where everything is),
 * {@code GET /local/sqs-receives} (ReceiveMessage counts per queue at the AWS endpoint), {@code GET /health} (200 once
 * the job runs), and the demo page ({@code /demo/}) with the browser client's modules ({@code /client-js/}).
 *
 * <p>It answers only this machine's own callers and its own pages ({@link LocalCallers}): a request for another
 * {@code Host} (DNS rebinding), or from a page of another origin, is refused with a 403, so a page open in the
 * developer's browser can neither read what the stack answers nor, with no way to sign, cause any effect.
 */
public final class LocalApiServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    private final ApiHandler handler;
    private final ObjectNode endpoints;
    private final BooleanSupplier healthy;
    private final LocalAwsGateway gateway;
    private final List<StaticFiles> files;
    private final LocalIam iam;
    private final LocalDeployment deployment;
    private final LocalCallers callers;

    public LocalApiServer(int port, ApiHandler handler, ObjectNode endpoints, BooleanSupplier healthy, LocalAwsGateway gateway,
            List<StaticFiles> files, LocalIam iam, LocalDeployment deployment) throws IOException {
        this.handler = handler;
        this.endpoints = endpoints;
        this.healthy = healthy;
        this.gateway = gateway;
        this.files = files;
        this.iam = iam;
        this.deployment = deployment;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        callers = new LocalCallers(server.getAddress().getPort(), LocalCallers.loopbackOrigins(server.getAddress().getPort()));
        server.setExecutor(Executors.newFixedThreadPool(8, io.sqsbrowser.aws.DaemonThreads.factory("local-api")));
        server.createContext("/", this::handle);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getRawPath();
        Map<String, String> headers = LocalHttp.lowerCaseHeaders(exchange);
        try {
            String refused = callers.refusal(headers);
            if (refused != null) {
                send(exchange, 403, JSON.createObjectNode().put("success", false).put("message", refused).toString());
            } else if (path.equals("/local/endpoints")) {
                send(exchange, 200, endpoints.toString());
            } else if (path.equals("/local/sqs-receives")) {
                send(exchange, 200, gateway.receivesJson().toString());
            } else if (path.equals("/health")) {
                boolean up = healthy.getAsBoolean();
                send(exchange, up ? 200 : 503, "{\"success\":" + up + "}");
            } else if (path.equals("/demo")) {
                exchange.getResponseHeaders().set("Location", "/demo/");
                LocalHttp.send(exchange, 302, "text/plain", "");
            } else if (files.stream().anyMatch(f -> f.serves(path))) {
                files.stream().filter(f -> f.serves(path)).findFirst().get().serve(exchange, path);
            } else {
                api(exchange, headers, path);
            }
        } catch (RuntimeException e) {
            send(exchange, 500, "{\"success\":false,\"message\":\"internal error\"}");
        }
    }

    /** As API Gateway with AWS_IAM authorization, then the Lambda's handler. */
    private void api(HttpExchange exchange, Map<String, String> headers, String path) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        String method = exchange.getRequestMethod();
        try {
            SigV4Verifier.Signed signed = SigV4Verifier.verify(method, path, exchange.getRequestURI().getRawQuery(), headers, body,
                    LocalIam.REGION, "execute-api", iam::secretOf);
            iam.authorize(signed.accessKeyId, signed.sessionToken, "execute-api:Invoke", deployment.apiArn(method, path), key -> null);
        } catch (LocalIam.Refusal refused) {
            // API Gateway's own answers to an unsigned or unauthorized call: 403 with a message.
            exchange.getResponseHeaders().set("x-amzn-ErrorType", refused.code);
            send(exchange, 403, JSON.createObjectNode().put("message", refused.getMessage()).toString());
            return;
        }
        APIGatewayProxyResponseEvent response = handler.handleRequest(new APIGatewayProxyRequestEvent()
                .withHttpMethod(method)
                .withPath(URLDecoder.decode(path.replace("+", "%2B"), StandardCharsets.UTF_8))
                .withQueryStringParameters(query(exchange.getRequestURI().getRawQuery()))
                .withBody(new String(body, StandardCharsets.UTF_8)), null);
        send(exchange, response.getStatusCode(), response.getBody());
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
