package io.sqsbrowser.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.sqsbrowser.crypto.CipherFormat;
import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;

/** Turns a session as {@code /create} returns it into a client of its own queue, with its own credentials. */
public final class SessionCredentials {
    private SessionCredentials() {}

    /**
     * @param session the {@code session} object of a {@code /create} or {@code /renew} answer
     * @param sqsEndpoint an endpoint override (the local stack's SQS endpoint for sessions), or null for AWS
     */
    public static SessionQueueClient queueClient(JsonNode session, URI sqsEndpoint) {
        return new SessionQueueClient(sqsClient(session, sqsEndpoint), session.get("sqsUrl").asText(), session.get("aesKey").asText(),
                CipherFormat.fromAttribute(session.hasNonNull("cipher") ? session.get("cipher").asText() : null));
    }

    /** An SQS client signing with the session's own credentials, for the session's region. */
    public static SqsClient sqsClient(JsonNode session, URI sqsEndpoint) {
        String queueUrl = session.get("sqsUrl").asText();
        return SqsClient.builder()
                .region(Region.of(session.hasNonNull("region") ? session.get("region").asText() : regionOf(queueUrl)))
                .credentialsProvider(StaticCredentialsProvider.create(AwsSessionCredentials.create(
                        session.get("accessKey").asText(), session.get("secretKey").asText(), session.get("sessionToken").asText())))
                .httpClientBuilder(ApacheHttpClient.builder())
                .applyMutation(b -> {
                    if (sqsEndpoint != null) {
                        b.endpointOverride(sqsEndpoint);
                    }
                })
                .build();
    }

    /** {@code https://sqs.<region>.amazonaws.com/...}; anything else (a local endpoint) is us-east-1. */
    static String regionOf(String queueUrl) {
        String host = URI.create(queueUrl).getHost();
        if (host != null && host.startsWith("sqs.") && host.endsWith(".amazonaws.com")) {
            return host.substring(4, host.length() - ".amazonaws.com".length());
        }
        return "us-east-1";
    }
}
