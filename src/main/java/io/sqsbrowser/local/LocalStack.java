package io.sqsbrowser.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sqsbrowser.api.ApiConfig;
import io.sqsbrowser.api.ApiHandler;
import io.sqsbrowser.job.DeliveryJob;
import io.sqsbrowser.job.DeliveryTopology;
import io.sqsbrowser.job.JobConfig;
import java.io.File;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * LOCAL ONLY: the whole system on one machine. Starts ElasticMQ, kinesalite and dynalite on 127.0.0.1, makes
 * the streams, tables and dead-letter queue, runs the delivery job on a local Flink MiniCluster with its web
 * UI, adds DynamoDB's TTL and Kinesis streaming destination ({@link LocalDynamoDbFeatures}) and a stand-in
 * for Cognito and STS ({@link LocalIdentityServices}), and serves the APIs over HTTP ({@link LocalApiServer}).
 *
 * <p>{@code LocalStack [run|demo] [--port 8080] [--web-port 8081] [--sqs-port 8082] [--credential-seconds 3600]
 * [--principal-tags dropped|carried]}; Ctrl-C stops everything it started.
 */
public final class LocalStack implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    public final StackNames names = new StackNames("");
    /** The browser client's package: its modules and its demo page are served from here. */
    private static final File CLIENT_JS = new File("src/client-js");
    public final Emulators emulators;
    private final LocalIdentityServices identity;
    private final LocalSqsGateway sqsGateway;
    private final LocalDynamoDbFeatures dynamoDbFeatures;
    private final JobClient job;
    private final LocalApiServer api;
    public final ObjectNode endpoints;

    private LocalStack(int apiPort, int webPort, int sqsGatewayPort, int credentialSeconds,
            LocalIdentityServices.PrincipalTags principalTags) throws Exception {
        // kinesalite cannot parse CBOR: both Kinesis clients (SDK v2 here, the connector's shaded v1) use JSON.
        System.setProperty("aws.cborEnabled", "false");
        System.setProperty("org.apache.flink.kinesis.shaded.com.amazonaws.sdk.disableCbor", "true");
        emulators = Emulators.start(false);
        AwsResources.createStream(emulators.kinesis(), names.eventStream, 2);
        AwsResources.createStream(emulators.kinesis(), names.changeStream, 1);
        AwsResources.createSessionTable(emulators.dynamoDb(), names.sessionTable);
        AwsResources.createHistoryTable(emulators.dynamoDb(), names.historyTable);
        String deadLetters = emulators.sqs().createQueue(b -> b.queueName(names.deadLetterQueueName)).queueUrl();
        identity = new LocalIdentityServices(names.queuePrefix, principalTags, Math.min(900, credentialSeconds));
        sqsGateway = new LocalSqsGateway(sqsGatewayPort, "http://127.0.0.1:" + emulators.sqsPort, identity.iam());
        dynamoDbFeatures = new LocalDynamoDbFeatures(emulators.dynamoDb(), emulators.kinesis(), names.sessionTable,
                names.historyTable, names.changeStream, Duration.ofMillis(500));

        Configuration flink = new Configuration();
        flink.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
        flink.set(RestOptions.ADDRESS, "127.0.0.1");
        flink.set(RestOptions.PORT, webPort);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(flink);
        JobConfig config = JobConfig.fromPropertyGroups(
                StackConfig.jobProperties(emulators, names, deadLetters, identity.endpoint(), 2));
        DeliveryJob.configure(env, config);
        DeliveryTopology.build(env, config);
        job = env.executeAsync("sqs-browser-events delivery (local)");

        String region = Emulators.REGION;
        endpoints = JSON.createObjectNode().put("region", region)
                .put("sqsEndpoint", "http://127.0.0.1:" + emulators.sqsPort)
                .put("browserSqsEndpoint", sqsGateway.endpoint())
                .put("kinesisEndpoint", "http://127.0.0.1:" + emulators.kinesisPort)
                .put("dynamodbEndpoint", "http://127.0.0.1:" + emulators.dynamoDbPort)
                .put("eventStream", names.eventStream).put("sessionChangeStream", names.changeStream)
                .put("sessionTable", names.sessionTable).put("historyTable", names.historyTable)
                .put("deadLetter", deadLetters).put("flinkWebUi", "http://127.0.0.1:" + webPort)
                .put("identityEndpoint", identity.endpoint()).put("identityPoolId", LocalIdentityServices.IDENTITY_POOL_ID)
                .put("developerProviderName", LocalIdentityServices.DEVELOPER_PROVIDER)
                .put("sessionRoleArn", LocalIdentityServices.SESSION_ROLE_ARN);
        java.util.Map<String, String> apiEnvironment = new java.util.HashMap<>(
                StackConfig.apiEnvironment(emulators, names, identity.endpoint(), deadLetters));
        apiEnvironment.put("CREDENTIAL_SECONDS", Integer.toString(credentialSeconds));
        ApiHandler handler = new ApiHandler(ApiConfig.fromEnvironment(apiEnvironment));
        NodePackages.installOnce(CLIENT_JS);
        api = new LocalApiServer(apiPort, handler, endpoints, this::jobRunning, sqsGateway, List.of(
                new StaticFiles("/demo/", CLIENT_JS.toPath().resolve("demo")), new StaticFiles("/client-js/", CLIENT_JS.toPath())));
        endpoints.put("api", apiUrl());
    }

    public static LocalStack start(int apiPort, int webPort) throws Exception {
        return start(apiPort, webPort, 0, 3600, LocalIdentityServices.PrincipalTags.DROPPED);
    }

    /**
     * @param sqsGatewayPort the browsers' SQS endpoint (0: any free port)
     * @param credentialSeconds how long session credentials last (AWS allows 900 to 3600 here; less only locally)
     * @param principalTags whether the local Cognito carries principal tags into the credentials (AWS does not say)
     */
    public static LocalStack start(int apiPort, int webPort, int sqsGatewayPort, int credentialSeconds,
            LocalIdentityServices.PrincipalTags principalTags) throws Exception {
        return new LocalStack(apiPort, webPort, sqsGatewayPort, credentialSeconds, principalTags);
    }

    /** The SQS endpoint for session credentials: CORS, signature and IAM checked, as on AWS. */
    public String browserSqsEndpoint() {
        return sqsGateway.endpoint();
    }

    public String apiUrl() {
        return "http://127.0.0.1:" + api.port();
    }

    private boolean jobRunning() {
        try {
            return job.getJobStatus().get(5, TimeUnit.SECONDS) == JobStatus.RUNNING;
        } catch (Exception e) {
            return false;
        }
    }

    /** Waits until {@code /health} would answer 200. */
    public void awaitHealthy(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!jobRunning()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the delivery job did not start within " + timeout);
            }
            Thread.sleep(200);
        }
    }

    void printWhatRunsWhere(PrintStream out) {
        out.println("sqs-browser-events, local stack:");
        out.printf("  session, notify and messages API  %s  (GET /local/endpoints, GET /health)%n", apiUrl());
        out.printf("  browser demo                      %s/demo/%n", apiUrl());
        out.printf("  Flink web UI                      %s%n", endpoints.get("flinkWebUi").asText());
        out.printf("  SQS (ElasticMQ)                   %s%n", endpoints.get("sqsEndpoint").asText());
        out.printf("  SQS for session credentials       %s  (CORS, signatures, IAM)%n", sqsGateway.endpoint());
        out.printf("  Kinesis (kinesalite)              %s  streams %s, %s%n", endpoints.get("kinesisEndpoint").asText(),
                names.eventStream, names.changeStream);
        out.printf("  DynamoDB (dynalite)               %s  tables %s, %s%n", endpoints.get("dynamodbEndpoint").asText(),
                names.sessionTable, names.historyTable);
        out.println("  Ctrl-C stops everything.");
    }

    @Override
    public void close() {
        api.close();
        try {
            job.cancel().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            // the MiniCluster goes down with this process anyway
        }
        dynamoDbFeatures.close();
        sqsGateway.close();
        identity.close();
        emulators.close();
    }

    /**
     * Started by Maven, this process ends with it: Ctrl-C reaches the whole process group, but a Maven killed
     * alone would otherwise leave the stack running. Shutdown hooks then stop what was started.
     */
    public static void exitWithParent() {
        ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> System.exit(0)));
    }

    public static void main(String[] args) throws Exception {
        String mode = "run";
        int port = 8080;
        int webPort = 8081;
        int sqsPort = 8082;
        int credentialSeconds = 3600;
        LocalIdentityServices.PrincipalTags principalTags = LocalIdentityServices.PrincipalTags.DROPPED;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--port")) {
                port = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--web-port")) {
                webPort = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--sqs-port")) {
                sqsPort = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--credential-seconds")) {
                credentialSeconds = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--principal-tags")) {
                principalTags = LocalIdentityServices.PrincipalTags.valueOf(args[++i].toUpperCase(java.util.Locale.ROOT));
            } else if (args[i].equals("run") || args[i].equals("demo")) {
                mode = args[i];
            } else {
                System.err.println("usage: LocalStack [run|demo] [--port 8080] [--web-port 8081] [--sqs-port 8082] "
                        + "[--credential-seconds 3600] [--principal-tags dropped|carried]");
                System.exit(2);
            }
        }
        exitWithParent();
        long started = System.nanoTime();
        LocalStack stack = start(port, webPort, sqsPort, credentialSeconds, principalTags);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("Stopping the local stack...");
            stack.close();
            stopped.countDown();
        }));
        stack.awaitHealthy(Duration.ofMinutes(2));
        stack.printWhatRunsWhere(System.out);
        System.out.printf("  up in %.1f s%n", (System.nanoTime() - started) / 1e9);
        if (mode.equals("demo")) {
            Demo.run(stack.apiUrl(), System.out);
        }
        Demo.printTryLines(stack.apiUrl(), System.out);
        stopped.await();
    }
}
