package io.sqsbrowser.local;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/** The job's runtime properties and the Lambda's environment for a stack on the emulators. */
public final class StackConfig {
    private StackConfig() {}

    /** Property groups of the same shape as on Managed Flink, tuned for one machine (fast polls and retries). */
    public static Map<String, Properties> jobProperties(Emulators emulators, StackNames names, String deadLetterQueueUrl,
            String identityEndpoint, int parallelism) {
        Map<String, Properties> groups = new HashMap<>();
        groups.put("Aws", props("region", Emulators.REGION, "credentials", "STATIC", "accessKeyId", "local",
                "secretAccessKey", "local", "endpoint.sqs", endpoint(emulators.sqsPort),
                "endpoint.kinesis", endpoint(emulators.kinesisPort), "endpoint.dynamodb", endpoint(emulators.dynamoDbPort),
                "endpoint.cognitoidentity", identityEndpoint));
        groups.put("EventSource", props("stream", names.eventStream, "initialPosition", "TRIM_HORIZON",
                "shardDiscoveryIntervalMillis", "1000", "consumer.flink.shard.getrecords.intervalmillis", "100"));
        groups.put("SessionSource", props("changeStream", names.changeStream, "table", names.sessionTable,
                "shardDiscoveryIntervalMillis", "1000", "consumer.flink.shard.getrecords.intervalmillis", "100"));
        groups.put("Sqs", props("maxInFlightRequests", "64", "backoffBaseMillis", "20", "backoffMaxMillis", "500"));
        groups.put("DeadLetter", props("type", "SQS", "target", deadLetterQueueUrl));
        groups.put("Cleanup", props("queuePrefix", names.queuePrefix));
        groups.put("History", props("table", names.historyTable, "backoffBaseMillis", "20", "backoffMaxMillis", "500"));
        groups.put("Job", props("parallelism", Integer.toString(parallelism), "checkpointIntervalMillis", "300"));
        String reader = System.getProperty(KINESIS_READER, "CONSUMER");
        groups.get("EventSource").setProperty("reader", reader);
        groups.get("EventSource").setProperty("streamArn", localStreamArn(names.eventStream));
        groups.get("SessionSource").setProperty("reader", reader);
        groups.get("SessionSource").setProperty("streamArn", localStreamArn(names.changeStream));
        return groups;
    }

    /**
     * The system property that picks the Kinesis reader of the local stack's and the tests' jobs ({@code CONSUMER}, the
     * default, or {@code SOURCE}): the whole suite runs with either ({@code -Dsqsbrowser.kinesisReader=SOURCE}).
     */
    public static final String KINESIS_READER = "sqsbrowser.kinesisReader";

    /** A stream's ARN as kinesalite makes them (its account is all zeros). */
    static String localStreamArn(String stream) {
        return "arn:aws:kinesis:" + Emulators.REGION + ":000000000000:stream/" + stream;
    }

    /** The session Lambda's environment variables, pointing at the emulators and the local identity services. */
    public static Map<String, String> apiEnvironment(Emulators emulators, StackNames names, String identityEndpoint,
            String deadLetterQueueUrl) {
        Map<String, String> env = new HashMap<>();
        env.put("AWS_REGION", Emulators.REGION);
        env.put("CREDENTIALS", "STATIC");
        env.put("STATIC_ACCESS_KEY_ID", "local");
        env.put("STATIC_SECRET_ACCESS_KEY", "local");
        env.put("ENDPOINT_SQS", endpoint(emulators.sqsPort));
        env.put("ENDPOINT_DYNAMODB", endpoint(emulators.dynamoDbPort));
        env.put("ENDPOINT_KINESIS", endpoint(emulators.kinesisPort));
        env.put("ENDPOINT_COGNITOIDENTITY", identityEndpoint);
        env.put("ENDPOINT_STS", identityEndpoint);
        env.put("SESSION_TABLE", names.sessionTable);
        env.put("HISTORY_TABLE", names.historyTable);
        env.put("EVENT_STREAM", names.eventStream);
        env.put("QUEUE_PREFIX", names.queuePrefix);
        env.put("IDENTITY_POOL_ID", LocalIdentityServices.IDENTITY_POOL_ID);
        env.put("DEVELOPER_PROVIDER_NAME", LocalIdentityServices.DEVELOPER_PROVIDER);
        env.put("SESSION_ROLE_ARN", LocalIdentityServices.SESSION_ROLE_ARN);
        env.put("DEAD_LETTER_QUEUE_URL", deadLetterQueueUrl);
        env.put("DEPLOYMENT_ID", names.deploymentId);
        env.put("ASYNC_MODE", "inline");
        return env;
    }

    private static String endpoint(int port) {
        return "http://127.0.0.1:" + port;
    }

    private static Properties props(String... keyValues) {
        Properties p = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            p.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return p;
    }
}
