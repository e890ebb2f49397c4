package io.sqsbrowser.aws;

import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.client.config.SdkAdvancedAsyncClientOption;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cognitoidentity.CognitoIdentityClient;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/** Builds AWS SDK v2 clients from {@link AwsSettings}, the same way for AWS and for the emulators. */
public final class AwsClients {
    private AwsClients() {}

    /**
     * How long an idle connection to SQS is kept: a quiet spell must not close them all, or the next broadcast
     * reopens every one at once (on AWS, as many TLS handshakes). The SDK's default is 5 seconds.
     */
    static final Duration SQS_IDLE_CONNECTIONS = Duration.ofMinutes(5);

    /** The delivery and history writers' clients do not retry by themselves, and give up on an attempt after 30 s. */
    private static final ClientOverrideConfiguration SENDER_OVERRIDES = ClientOverrideConfiguration.builder()
            .retryStrategy(AwsRetryStrategy.doNotRetry())
            .apiCallAttemptTimeout(Duration.ofSeconds(30))
            .build();

    /**
     * The asynchronous (Netty) SQS client of the delivery sender. It does not retry by itself: the sender retries
     * with its own backoff, so every retry is counted and bounded in one place. Connections stay open across quiet
     * spells; answers complete on the event loop (the sender's callbacks only hand them on); the MD5 of each body,
     * which TLS already protects, is not checked again.
     */
    public static SqsAsyncClient sqsAsync(AwsSettings settings, int maxConcurrency) {
        return configure(SqsAsyncClient.builder(), settings, "sqs")
                .httpClientBuilder(NettyNioAsyncHttpClient.builder()
                        .maxConcurrency(maxConcurrency)
                        .connectionMaxIdleTime(SQS_IDLE_CONNECTIONS)
                        .tcpKeepAlive(true)
                        .connectionAcquisitionTimeout(Duration.ofSeconds(60)))
                .asyncConfiguration(b -> b.advancedOption(SdkAdvancedAsyncClientOption.FUTURE_COMPLETION_EXECUTOR, Runnable::run))
                .checksumValidationEnabled(false)
                .overrideConfiguration(SENDER_OVERRIDES)
                .build();
    }

    /** The synchronous (Apache) SQS client of the delivery sender, for {@code maxConnections} threads at once; see {@link #sqsAsync}. */
    public static SqsClient sqsForSending(AwsSettings settings, int maxConnections) {
        return configure(SqsClient.builder(), settings, "sqs")
                .httpClientBuilder(ApacheHttpClient.builder()
                        .maxConnections(maxConnections)
                        .connectionMaxIdleTime(SQS_IDLE_CONNECTIONS)
                        .tcpKeepAlive(true)
                        .connectionAcquisitionTimeout(Duration.ofSeconds(60)))
                .checksumValidationEnabled(false)
                .overrideConfiguration(SENDER_OVERRIDES)
                .build();
    }

    /**
     * The synchronous (Apache) DynamoDB client of the history writer, for {@code maxConnections} threads at once
     * ({@link CallThreads}); like the SQS sender's, it leaves retries to its caller.
     */
    public static DynamoDbClient dynamoDbForHistory(AwsSettings settings, int maxConnections) {
        return configure(DynamoDbClient.builder(), settings, "dynamodb")
                .httpClientBuilder(ApacheHttpClient.builder().maxConnections(maxConnections))
                .overrideConfiguration(SENDER_OVERRIDES)
                .build();
    }

    public static SqsClient sqs(AwsSettings settings) {
        return standard(SqsClient.builder(), settings, "sqs").build();
    }

    public static DynamoDbClient dynamoDb(AwsSettings settings) {
        return standard(DynamoDbClient.builder(), settings, "dynamodb").build();
    }

    public static KinesisClient kinesis(AwsSettings settings) {
        return standard(KinesisClient.builder(), settings, "kinesis").build();
    }

    public static CognitoIdentityClient cognito(AwsSettings settings) {
        return standard(CognitoIdentityClient.builder(), settings, "cognitoidentity").build();
    }

    public static StsClient sts(AwsSettings settings) {
        return standard(StsClient.builder(), settings, "sts").build();
    }

    public static LambdaClient lambda(AwsSettings settings) {
        return standard(LambdaClient.builder(), settings, "lambda").build();
    }

    /** Synchronous clients retry throttling and 5xx with the SDK's standard backoff. */
    private static <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B standard(
            B builder, AwsSettings settings, String service) {
        configure(builder, settings, service)
                .overrideConfiguration(ClientOverrideConfiguration.builder().retryStrategy(RetryMode.STANDARD).build());
        return builder.httpClientBuilder(ApacheHttpClient.builder());
    }

    private static <B extends AwsClientBuilder<B, ?>> B configure(B builder, AwsSettings settings, String service) {
        builder.region(Region.of(settings.region())).credentialsProvider(credentials(settings));
        URI endpoint = settings.endpoint(service);
        if (endpoint != null) {
            builder.endpointOverride(endpoint);
        }
        return builder;
    }

    public static AwsCredentialsProvider credentials(AwsSettings settings) {
        if (settings.credentials() == AwsSettings.Credentials.STATIC) {
            return StaticCredentialsProvider.create(
                    AwsBasicCredentials.create(settings.accessKeyId(), settings.secretAccessKey()));
        }
        return DefaultCredentialsProvider.builder().build();
    }
}
