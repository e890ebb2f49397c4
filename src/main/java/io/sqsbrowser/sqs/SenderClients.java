package io.sqsbrowser.sqs;

import io.sqsbrowser.aws.AwsClients;
import io.sqsbrowser.aws.AwsSettings;
import java.util.Locale;
import java.util.function.Consumer;
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

    /** Senders that batch and retry ({@link BatchingSender}), each over a client of its own, closed with it. */
    public static MessageSender.Factory batching(AwsSettings aws, SenderSettings settings) {
        return metrics -> {
            SqsAsyncClient sqs = create(aws, settings.maxInFlightRequests, settings.http);
            BatchingSender sender = new BatchingSender(sqs, settings, new SenderMetrics(metrics));
            return new MessageSender() {
                @Override
                public void send(SqsMessage message, Consumer<SendOutcome> done) {
                    sender.send(message, done);
                }

                @Override
                public void close() {
                    sender.close();
                    sqs.close();
                }
            };
        };
    }

    public static SqsAsyncClient create(AwsSettings aws, int maxInFlightRequests, Http http) {
        return http == Http.APACHE
                ? new BlockingSqsClient(AwsClients.sqsForSending(aws, maxInFlightRequests), maxInFlightRequests)
                : AwsClients.sqsAsync(aws, maxInFlightRequests);
    }
}
