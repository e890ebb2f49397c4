package io.sqsbrowser.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/** HTTP for the local stack: its servers' answers and request parsing, and a client GET of JSON. */
final class LocalHttp {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private LocalHttp() {}

    static JsonNode get(String url) throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(response.body());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + url + " answered " + response.statusCode() + ": " + body);
        }
        return body;
    }

    /**
     * GET of the local stack's API at {@code api}, signed as the application's backend signs (the local backend keys:
     * the API is IAM-authorized, as API Gateway is); the answer's JSON, or an IOException naming its status.
     */
    static JsonNode api(String api, String pathAndQuery) throws IOException {
        io.sqsbrowser.ops.SignedApi.Answer answer = new io.sqsbrowser.ops.SignedApi(api, LocalIam.REGION,
                software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(software.amazon.awssdk.auth.credentials
                        .AwsBasicCredentials.create(LocalStack.BACKEND_KEYS[0], LocalStack.BACKEND_KEYS[1]))).get(pathAndQuery);
        if (answer.status != 200) {
            throw new IOException("GET " + pathAndQuery + " answered " + answer);
        }
        return answer.body;
    }

    /** Writes a whole answer. */
    static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        send(exchange, status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    /** The request's headers by lower-case name (the first value of each). */
    static Map<String, String> lowerCaseHeaders(HttpExchange exchange) {
        Map<String, String> headers = new HashMap<>();
        exchange.getRequestHeaders().forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), values.get(0)));
        return headers;
    }

    /** An {@code application/x-www-form-urlencoded} body (or query string) as a map; the last repeat wins. */
    static Map<String, String> form(String body) {
        Map<String, String> params = new HashMap<>();
        if (body == null || body.isEmpty()) {
            return params;
        }
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            params.put(name, eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return params;
    }
}
