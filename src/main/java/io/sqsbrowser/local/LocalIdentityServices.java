package io.sqsbrowser.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * LOCAL ONLY: a stand-in (test double) for Amazon Cognito Identity, AWS STS and AWS Lambda's Invoke, for the
 * tests and the local stack: there is no emulator for them here. One HTTP server on a loopback port speaks their real wire protocols for the calls this project makes:
 * Cognito's JSON 1.1 ({@code X-Amz-Target: AWSCognitoIdentityService.GetId / GetOpenIdToken /
 * DeleteIdentities}), STS's query protocol ({@code Action=AssumeRoleWithWebIdentity}, answered in XML) and
 * Lambda's REST-JSON Invoke ({@code POST /2015-03-31/functions/{name}/invocations}, answered 202 for an
 * {@code Event} invocation). It records every call, so tests can check what was asked (for example the
 * session policy sent to STS). It checks no signature or token.
 */
public final class LocalIdentityServices implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    /** Every call: its action name and its parameters (JSON body fields, or form fields). */
    public final List<Call> calls = new CopyOnWriteArrayList<>();

    public static final class Call {
        public final String action;
        public final Map<String, String> parameters;

        Call(String action, Map<String, String> parameters) {
            this.action = action;
            this.parameters = parameters;
        }
    }

    public LocalIdentityServices() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<Call> calls(String action) {
        return calls.stream().filter(c -> c.action.equals(action)).collect(java.util.stream.Collectors.toList());
    }

    private void handle(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
        String path = exchange.getRequestURI().getPath();
        if (path.startsWith("/2015-03-31/functions/") && path.endsWith("/invocations")) {
            String function = path.substring("/2015-03-31/functions/".length(), path.length() - "/invocations".length());
            calls.add(new Call("Invoke", Map.of("FunctionName", function, "Payload", body,
                    "InvocationType", String.valueOf(exchange.getRequestHeaders().getFirst("X-Amz-Invocation-Type")))));
            send(exchange, 202, "application/json", "");
        } else if (target != null && target.startsWith("AWSCognitoIdentityService.")) {
            cognito(exchange, target.substring(target.indexOf('.') + 1), JSON.readTree(body));
        } else {
            sts(exchange, form(body));
        }
    }

    private void cognito(HttpExchange exchange, String action, JsonNode request) throws IOException {
        Map<String, String> params = new HashMap<>();
        request.fields().forEachRemaining(e -> params.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
        calls.add(new Call(action, params));
        String response;
        switch (action) {
            case "GetId":
                response = JSON.createObjectNode().put("IdentityId", "us-east-1:" + UUID.randomUUID()).toString();
                break;
            case "GetOpenIdToken":
                response = JSON.createObjectNode().put("IdentityId", request.path("IdentityId").asText())
                        .put("Token", "eyJraWQiOiJ0ZXN0In0.double-token." + UUID.randomUUID()).toString();
                break;
            case "DeleteIdentities":
                response = JSON.createObjectNode().set("UnprocessedIdentityIds", JSON.createArrayNode()).toString();
                break;
            default:
                send(exchange, 400, "application/x-amz-json-1.1",
                        "{\"__type\":\"InvalidParameterException\",\"message\":\"double does not implement " + action + "\"}");
                return;
        }
        send(exchange, 200, "application/x-amz-json-1.1", response);
    }

    private void sts(HttpExchange exchange, Map<String, String> params) throws IOException {
        String action = params.getOrDefault("Action", "");
        calls.add(new Call(action, params));
        if (!action.equals("AssumeRoleWithWebIdentity")) {
            send(exchange, 400, "text/xml", "<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code>"
                    + "<Message>double does not implement " + action + "</Message></Error></ErrorResponse>");
            return;
        }
        int seconds = Integer.parseInt(params.getOrDefault("DurationSeconds", "3600"));
        String expiration = Instant.now().plusSeconds(seconds).truncatedTo(ChronoUnit.SECONDS).toString();
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 16).toUpperCase();
        send(exchange, 200, "text/xml", "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                + "<AssumeRoleWithWebIdentityResult>"
                + "<SubjectFromWebIdentityToken>us-east-1:subject</SubjectFromWebIdentityToken>"
                + "<Audience>us-east-1:pool</Audience>"
                + "<AssumedRoleUser><Arn>" + params.get("RoleArn") + "/" + params.get("RoleSessionName") + "</Arn>"
                + "<AssumedRoleId>AROADOUBLE:" + params.get("RoleSessionName") + "</AssumedRoleId></AssumedRoleUser>"
                + "<Credentials><SessionToken>double-session-token-" + suffix + "</SessionToken>"
                + "<SecretAccessKey>double-secret-" + suffix + "</SecretAccessKey>"
                + "<Expiration>" + expiration + "</Expiration>"
                + "<AccessKeyId>ASIA" + suffix + "</AccessKeyId></Credentials>"
                + "<Provider>cognito-identity.amazonaws.com</Provider>"
                + "</AssumeRoleWithWebIdentityResult>"
                + "<ResponseMetadata><RequestId>" + UUID.randomUUID() + "</RequestId></ResponseMetadata>"
                + "</AssumeRoleWithWebIdentityResponse>");
    }

    private static Map<String, String> form(String body) {
        Map<String, String> params = new HashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                params.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return params;
    }

    /** Writes a whole answer; shared by the local HTTP servers. */
    static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
