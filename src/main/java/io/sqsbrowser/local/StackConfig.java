package io.sqsbrowser.local;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The job's runtime properties and the Lambda's environment for one local deployment: the template's names, every
 * AWS endpoint the local one that signs and authorizes ({@link LocalAwsGateway}, {@link LocalIdentityServices}), and
 * keys that act as the template's job role and Lambda role.
 */
public final class StackConfig {
    /**
     * The system property that picks the Kinesis reader of the local stack's and the tests' jobs ({@code CONSUMER}, the
     * default, or {@code SOURCE}): the whole suite runs with either ({@code -Dsqsbrowser.kinesisReader=SOURCE}).
     */
    public static final String KINESIS_READER = "sqsbrowser.kinesisReader";

    private final LocalDeployment deployment;
    private final String gateway;
    private final String identityEndpoint;
    private final LocalIam.Keys job;
    private final LocalIam.Keys lambda;

    public StackConfig(Emulators emulators, LocalDeployment deployment, String identityEndpoint) {
        this.deployment = deployment;
        this.gateway = emulators.gateway().endpoint();
        this.identityEndpoint = identityEndpoint;
        this.job = deployment.jobKeys(emulators.iam());
        this.lambda = deployment.lambdaKeys(emulators.iam());
    }

    /** Property groups of the same shape as on Managed Flink, tuned for one machine (fast polls and retries). */
    public Map<String, Properties> jobProperties(int parallelism) {
        Map<String, Properties> groups = new HashMap<>();
        groups.put("Aws", props("region", LocalIam.REGION, "credentials", "STATIC", "accessKeyId", job.accessKeyId,
                "secretAccessKey", job.secretAccessKey, "endpoint.sqs", gateway, "endpoint.kinesis", gateway,
                "endpoint.dynamodb", gateway, "endpoint.cognitoidentity", identityEndpoint));
        String reader = System.getProperty(KINESIS_READER, "CONSUMER");
        groups.put("EventSource", props("stream", deployment.eventStream, "initialPosition", "TRIM_HORIZON",
                "shardDiscoveryIntervalMillis", "1000", "consumer.flink.shard.getrecords.intervalmillis", "100",
                "reader", reader, "streamArn", streamArn(deployment.eventStream)));
        groups.put("SessionSource", props("changeStream", deployment.changeStream, "table", deployment.sessionTable,
                "shardDiscoveryIntervalMillis", "1000", "consumer.flink.shard.getrecords.intervalmillis", "100",
                "reader", reader, "streamArn", streamArn(deployment.changeStream)));
        groups.put("Sqs", props("maxInFlightRequests", "64", "backoffBaseMillis", "20", "backoffMaxMillis", "500"));
        groups.put("DeadLetter", props("type", "SQS", "target", deployment.deadLetterQueueUrl()));
        groups.put("Cleanup", props("queuePrefix", deployment.queuePrefix));
        groups.put("History", props("table", deployment.historyTable, "backoffBaseMillis", "20", "backoffMaxMillis", "500"));
        groups.put("Job", props("parallelism", Integer.toString(parallelism), "checkpointIntervalMillis", "300"));
        return groups;
    }

    /** A stream's ARN as kinesalite makes them (its account is all zeros). */
    private static String streamArn(String stream) {
        return "arn:aws:kinesis:" + LocalIam.REGION + ":" + LocalIam.ACCOUNT + ":stream/" + stream;
    }

    /**
     * The session Lambda's environment: the template's variables for this deployment, as Lambda gives them, with the
     * local endpoints and the execution role's keys; asynchronous work runs on a local thread ({@code inline}).
     */
    public Map<String, String> apiEnvironment() {
        Map<String, String> env = new HashMap<>(deployment.lambdaVariables());
        env.put("AWS_REGION", LocalIam.REGION);
        env.put("AWS_LAMBDA_FUNCTION_NAME", deployment.functionName);
        env.put("CREDENTIALS", "STATIC");
        env.put("STATIC_ACCESS_KEY_ID", lambda.accessKeyId);
        env.put("STATIC_SECRET_ACCESS_KEY", lambda.secretAccessKey);
        env.put("ENDPOINT_SQS", gateway);
        env.put("ENDPOINT_DYNAMODB", gateway);
        env.put("ENDPOINT_KINESIS", gateway);
        env.put("ENDPOINT_COGNITOIDENTITY", identityEndpoint);
        env.put("ENDPOINT_STS", identityEndpoint);
        env.put("ENDPOINT_LAMBDA", identityEndpoint);
        env.put("ASYNC_MODE", "inline");
        return env;
    }

    private static Properties props(String... keyValues) {
        Properties p = new Properties();
        for (int i = 0; i < keyValues.length; i += 2) {
            p.setProperty(keyValues[i], keyValues[i + 1]);
        }
        return p;
    }
}
