package io.sqsbrowser.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpMethod;
import software.amazon.awssdk.http.SdkHttpRequest;
import software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner;
import software.amazon.awssdk.http.auth.spi.signer.SignedRequest;

/**
 * The session API behind API Gateway with IAM authorization, called as an application's backend calls it: every
 * request SigV4-signed for {@code execute-api} with the caller's credentials (the AWS SDK's signer). The local stack
 * authorizes its API the same way.
 */
public final class SignedApi {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String baseUrl;
    private final String region;
    private final AwsCredentialsProvider credentials;
    private final AwsV4HttpSigner signer = AwsV4HttpSigner.create();

    /** An answer: the HTTP status and the JSON body. */
    public static final class Answer {
        public final int status;
        public final JsonNode body;

        Answer(int status, JsonNode body) {
            this.status = status;
            this.body = body;
        }

        public boolean ok() {
            return status == 200 && body.path("success").asBoolean();
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    public SignedApi(String baseUrl, String region, AwsCredentialsProvider credentials) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.region = region;
        this.credentials = credentials;
    }

    /** GET of a path with its query, already URL-encoded. */
    public Answer get(String pathAndQuery) {
        URI uri = URI.create(baseUrl + pathAndQuery);
        SignedRequest signed = signer.sign(r -> r.identity(credentials.resolveCredentials())
                .request(SdkHttpRequest.builder().uri(uri).method(SdkHttpMethod.GET).build())
                .putProperty(AwsV4HttpSigner.SERVICE_SIGNING_NAME, "execute-api")
                .putProperty(AwsV4HttpSigner.REGION_NAME, region));
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).GET();
        // Host is set by the HTTP client from the URI, as signed.
        signed.request().headers().forEach((name, values) -> {
            if (!name.equalsIgnoreCase("host")) {
                values.forEach(v -> request.header(name, v));
            }
        });
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            JsonNode body;
            try {
                body = JSON.readTree(response.body());
            } catch (IOException notJson) {
                body = JSON.createObjectNode().put("message", response.body());
            }
            return new Answer(response.statusCode(), body);
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + uri + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
