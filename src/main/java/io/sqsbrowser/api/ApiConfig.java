package io.sqsbrowser.api;

import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.event.TopicScope;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.Properties;

/**
 * The session Lambda's configuration, from its environment variables:
 * {@code SESSION_TABLE}, {@code HISTORY_TABLE}, {@code EVENT_STREAM}, {@code QUEUE_PREFIX},
 * {@code IDENTITY_POOL_ID}, {@code DEVELOPER_PROVIDER_NAME} (the pool's developer provider), {@code SESSION_ROLE_ARN},
 * {@code DEAD_LETTER_QUEUE_URL} (never deleted by clean-up), {@code DEPLOYMENT_ID} (the tag value that marks this
 * deployment's session queues; clean-up deletes no queue without it) (required); {@code CREDENTIAL_SECONDS} [3600],
 * {@code SESSION_TTL_SECONDS} [7200, how long an idle session lives], {@code MESSAGE_RETENTION_SECONDS}
 * [345600], {@code CLEANUP_MIN_AGE_SECONDS} [3600], {@code DEFAULT_CIPHER} [gcm], {@code ASYNC_MODE}
 * [lambda | inline], {@code FUNCTION_ALIAS} [live: the alias asynchronous work is invoked through, the one API Gateway
 * calls and the on-failure destination is configured on], {@code EXPLICIT_EVERYONE} [true] and {@code TOPIC_SCOPE}
 * [global | account] (the job's audience rules, which the notify API applies too), {@code HISTORY_TTL_HOURS} [24: how far
 * back a session may ask to be rewound, as the job keeps history and fan-out events], {@code AWS_REGION}, and
 * {@code ENDPOINT_SQS}, {@code ENDPOINT_DYNAMODB},
 * {@code ENDPOINT_KINESIS}, {@code ENDPOINT_COGNITOIDENTITY}, {@code ENDPOINT_STS}, {@code ENDPOINT_LAMBDA}
 * (overrides, for emulators), {@code CREDENTIALS} [DEFAULT | STATIC] with {@code STATIC_ACCESS_KEY_ID} and
 * {@code STATIC_SECRET_ACCESS_KEY} (emulators only; on Lambda the default provider chain is right).
 */
public final class ApiConfig {
    public final AwsSettings aws;
    public final String sessionTable;
    public final String historyTable;
    public final String eventStream;
    public final String queuePrefix;
    public final String identityPoolId;
    public final String developerProviderName;
    public final String deadLetterQueueUrl;
    /** The value of every session queue's {@link io.sqsbrowser.aws.QueueNames#DEPLOYMENT_TAG} tag. */
    public final String deploymentId;
    public final String sessionRoleArn;
    public final int credentialSeconds;
    public final int sessionTtlSeconds;
    public final int messageRetentionSeconds;
    /** The longest rewind a session may ask for: the history's time to live, which the job's rewinds reach back to. */
    public final int maxRewindSeconds;
    public final int cleanupMinAgeSeconds;
    public final CipherFormat cipher;
    /** {@code lambda}: async work is re-invoked as an asynchronous Lambda event; {@code inline}: a local thread. */
    public final String asyncMode;
    public final String functionName;
    /** The alias asynchronous work is invoked through: never {@code $LATEST}, whose code may differ from the alias's. */
    public final String functionAlias;
    /** The job's audience rules, which the notify API applies as the job does (EventSource.explicitEveryone, topicScope). */
    public final boolean explicitEveryone;
    public final boolean topicsByAccount;
    /** Every environment variable this class reads, whether set or not. */
    private final Set<String> variablesRead = new TreeSet<>();

    private final Map<String, String> env;

    private ApiConfig(Map<String, String> env) {
        this.env = env;
        Properties aws = new Properties();
        aws.setProperty(AwsSettings.REGION, read("AWS_REGION", "us-east-1"));
        aws.setProperty(AwsSettings.CREDENTIALS, read("CREDENTIALS", "DEFAULT"));
        if (read("STATIC_ACCESS_KEY_ID", null) != null) {
            aws.setProperty(AwsSettings.ACCESS_KEY_ID, read("STATIC_ACCESS_KEY_ID", null));
            aws.setProperty(AwsSettings.SECRET_ACCESS_KEY, read("STATIC_SECRET_ACCESS_KEY", ""));
        }
        for (String service : new String[] {"sqs", "dynamodb", "kinesis", "cognitoidentity", "sts", "lambda"}) {
            String endpoint = read("ENDPOINT_" + service.toUpperCase(Locale.ROOT), null);
            if (endpoint != null && !endpoint.isEmpty()) {
                aws.setProperty(AwsSettings.ENDPOINT_PREFIX + service, endpoint);
            }
        }
        this.aws = AwsSettings.fromProperties(aws);
        sessionTable = required("SESSION_TABLE");
        historyTable = required("HISTORY_TABLE");
        eventStream = required("EVENT_STREAM");
        queuePrefix = required("QUEUE_PREFIX");
        if (!queuePrefix.matches("[A-Za-z0-9_-]{1,36}")) {
            throw new IllegalArgumentException("QUEUE_PREFIX must be 1-36 of A-Z a-z 0-9 _ - (queue names are at most 80)");
        }
        identityPoolId = required("IDENTITY_POOL_ID");
        developerProviderName = required("DEVELOPER_PROVIDER_NAME");
        deadLetterQueueUrl = required("DEAD_LETTER_QUEUE_URL");
        deploymentId = required("DEPLOYMENT_ID");
        if (!deploymentId.matches("[A-Za-z0-9_.:/=+@ -]{1,256}")) {
            throw new IllegalArgumentException("DEPLOYMENT_ID must be 1-256 characters allowed in an SQS tag value");
        }
        sessionRoleArn = required("SESSION_ROLE_ARN");
        credentialSeconds = integer("CREDENTIAL_SECONDS", 3600);
        if (credentialSeconds < 1 || credentialSeconds > 3600) {
            // STS issues web-identity credentials for 900 s at least, and the session role allows at most 3600 s.
            throw new IllegalArgumentException("CREDENTIAL_SECONDS must be at most 3600 (the session role's MaxSessionDuration); "
                    + "AWS STS issues them for 900 or more, got " + credentialSeconds);
        }
        sessionTtlSeconds = integer("SESSION_TTL_SECONDS", 7200);
        messageRetentionSeconds = integer("MESSAGE_RETENTION_SECONDS", 345_600);
        maxRewindSeconds = integer("HISTORY_TTL_HOURS", 24) * 3600;
        cleanupMinAgeSeconds = integer("CLEANUP_MIN_AGE_SECONDS", 3600);
        cipher = CipherFormat.fromAttribute(read("DEFAULT_CIPHER", "gcm"));
        asyncMode = read("ASYNC_MODE", "lambda");
        functionName = read("AWS_LAMBDA_FUNCTION_NAME", null);
        functionAlias = read("FUNCTION_ALIAS", "live");
        explicitEveryone = bool("EXPLICIT_EVERYONE", true);
        topicsByAccount = TopicScope.byAccount("TOPIC_SCOPE", read("TOPIC_SCOPE", TopicScope.GLOBAL));
    }

    private boolean bool(String name, boolean defaultValue) {
        String value = read(name, Boolean.toString(defaultValue));
        if (!value.equals("true") && !value.equals("false")) {
            throw new IllegalArgumentException(name + " must be true or false, got " + value);
        }
        return Boolean.parseBoolean(value);
    }

    public Set<String> variablesRead() {
        return Collections.unmodifiableSet(variablesRead);
    }

    public static ApiConfig fromEnvironment(Map<String, String> env) {
        return new ApiConfig(env);
    }

    /** Reads (and notes) one variable; empty counts as absent. */
    private String read(String name, String defaultValue) {
        variablesRead.add(name);
        String value = env.get(name);
        return value == null || value.isEmpty() ? defaultValue : value;
    }

    private String required(String name) {
        String value = read(name, null);
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("environment variable " + name + " is required");
        }
        return value;
    }

    private int integer(String name, int defaultValue) {
        String value = read(name, null);
        try {
            return value == null || value.isEmpty() ? defaultValue : Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, got " + value);
        }
    }
}
