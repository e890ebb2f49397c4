package io.sqsbrowser.api;

import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.crypto.CipherFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The session Lambda's configuration, from its environment variables:
 * {@code SESSION_TABLE}, {@code HISTORY_TABLE}, {@code EVENT_STREAM}, {@code QUEUE_PREFIX},
 * {@code IDENTITY_POOL_ID}, {@code SESSION_ROLE_ARN} (required); {@code CREDENTIAL_SECONDS} [3600],
 * {@code SESSION_TTL_SECONDS} [7200, how long an idle session lives], {@code MESSAGE_RETENTION_SECONDS}
 * [345600], {@code CLEANUP_MIN_AGE_SECONDS} [3600], {@code DEFAULT_CIPHER} [gcm], {@code ASYNC_MODE}
 * [lambda | inline], {@code AWS_REGION}, and {@code ENDPOINT_SQS}, {@code ENDPOINT_DYNAMODB},
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
    public final String sessionRoleArn;
    public final int credentialSeconds;
    public final int sessionTtlSeconds;
    public final int messageRetentionSeconds;
    public final int cleanupMinAgeSeconds;
    public final CipherFormat cipher;
    /** {@code lambda}: async work is re-invoked as an asynchronous Lambda event; {@code inline}: a local thread. */
    public final String asyncMode;
    public final String functionName;

    private ApiConfig(Map<String, String> env) {
        Properties aws = new Properties();
        aws.setProperty(AwsSettings.REGION, env.getOrDefault("AWS_REGION", "us-east-1"));
        aws.setProperty(AwsSettings.CREDENTIALS, env.getOrDefault("CREDENTIALS", "DEFAULT"));
        if (env.containsKey("STATIC_ACCESS_KEY_ID")) {
            aws.setProperty(AwsSettings.ACCESS_KEY_ID, env.get("STATIC_ACCESS_KEY_ID"));
            aws.setProperty(AwsSettings.SECRET_ACCESS_KEY, env.getOrDefault("STATIC_SECRET_ACCESS_KEY", ""));
        }
        for (String service : new String[] {"sqs", "dynamodb", "kinesis", "cognitoidentity", "sts", "lambda"}) {
            String endpoint = env.get("ENDPOINT_" + service.toUpperCase(Locale.ROOT));
            if (endpoint != null && !endpoint.isEmpty()) {
                aws.setProperty(AwsSettings.ENDPOINT_PREFIX + service, endpoint);
            }
        }
        this.aws = AwsSettings.fromProperties(aws);
        sessionTable = required(env, "SESSION_TABLE");
        historyTable = required(env, "HISTORY_TABLE");
        eventStream = required(env, "EVENT_STREAM");
        queuePrefix = required(env, "QUEUE_PREFIX");
        if (!queuePrefix.matches("[A-Za-z0-9_-]{1,36}")) {
            throw new IllegalArgumentException("QUEUE_PREFIX must be 1-36 of A-Z a-z 0-9 _ - (queue names are at most 80)");
        }
        identityPoolId = required(env, "IDENTITY_POOL_ID");
        sessionRoleArn = required(env, "SESSION_ROLE_ARN");
        credentialSeconds = integer(env, "CREDENTIAL_SECONDS", 3600);
        sessionTtlSeconds = integer(env, "SESSION_TTL_SECONDS", 7200);
        messageRetentionSeconds = integer(env, "MESSAGE_RETENTION_SECONDS", 345_600);
        cleanupMinAgeSeconds = integer(env, "CLEANUP_MIN_AGE_SECONDS", 3600);
        cipher = CipherFormat.fromAttribute(env.getOrDefault("DEFAULT_CIPHER", "gcm"));
        asyncMode = env.getOrDefault("ASYNC_MODE", "lambda");
        functionName = env.get("AWS_LAMBDA_FUNCTION_NAME");
    }

    public static ApiConfig fromEnvironment(Map<String, String> env) {
        return new ApiConfig(env);
    }

    private static String required(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("environment variable " + name + " is required");
        }
        return value;
    }

    private static int integer(Map<String, String> env, String name, int defaultValue) {
        String value = env.get(name);
        try {
            return value == null || value.isEmpty() ? defaultValue : Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, got " + value);
        }
    }
}
