package io.sqsbrowser.sqs;

import io.sqsbrowser.aws.AwsClients;
import io.sqsbrowser.aws.AwsSettings;
import java.util.Locale;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;

/** The SQS client a sender uses, by the HTTP client configured ({@code Sqs.httpClient}). */
public final class SenderClients {
    /** The HTTP clients to choose from. */
    public enum Http {
        /** The SDK's Apache client on as many threads as requests may be in flight. */
        APACHE,
        /** The SDK's asynchronous Netty client. */
        NETTY;

        public static Http parse(String value) {
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Sqs.httpClient must be APACHE or NETTY, got " + value);
            }
        }
    }

    private SenderClients() {}

    public static SqsAsyncClient create(AwsSettings aws, int maxInFlightRequests, Http http) {
        return http == Http.APACHE
                ? new BlockingSqsClient(AwsClients.sqsForSending(aws, maxInFlightRequests), maxInFlightRequests)
                : AwsClients.sqsAsync(aws, maxInFlightRequests);
    }
}
