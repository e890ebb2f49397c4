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
    /**
     * The Kinesis connector's shaded AWS SDK v1 warns, through java.util.logging, that JAXB is not there and that it
     * uses its own Base64 instead, which is all it needs: the first thing a person running the stack would read. Held
     * here, as java.util.logging keeps loggers only while someone does.
     */
    private static final java.util.logging.Logger SDK_V1_BASE64 = quiet("org.apache.flink.kinesis.shaded.com.amazonaws.util.Base64");

    private static java.util.logging.Logger quiet(String name) {
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(name);
        logger.setLevel(java.util.logging.Level.SEVERE);
        return logger;
    }
    /** The environment the local stack deploys the template as: its resources are named {@code local-sqs-browser-...}. */
    public static final String ENVIRONMENT = "local";
    /**
     * The keys of the application's backend, which may call the API and nothing else (the template's ApiCallerPolicy):
     * fixed, so that a person can type them ({@code curl --aws-sigv4 aws:amz:us-east-1:execute-api --user local:local}).
     */
    public static final String[] BACKEND_KEYS = {"local", "local"};
    /** The browser client's package: its modules and its demo page are served from here. */
    private static final File CLIENT_JS = new File("src/client-js");
    public final Emulators emulators;
    public final LocalDeployment deployment;
    private final LocalIdentityServices identity;
    private final LocalAwsGateway gateway;
    private final LocalDynamoDbFeatures dynamoDbFeatures;
    private final JobClient job;
    private final LocalApiServer api;
    public final ObjectNode endpoints;
    /** Where Flink's web UI keeps request bodies it accepted: nothing from a foreign page may land here. */
    final java.nio.file.Path webUploads;

    private LocalStack(int apiPort, int webPort, int gatewayPort, int credentialSeconds,
            LocalIdentityServices.PrincipalTags principalTags) throws Exception {
        // kinesalite cannot parse CBOR: both Kinesis clients (SDK v2 here, the connector's shaded v1) use JSON.
        System.setProperty("aws.cborEnabled", "false");
        System.setProperty("org.apache.flink.kinesis.shaded.com.amazonaws.sdk.disableCbor", "true");
        emulators = Emulators.start(false);
        deployment = LocalDeployment.of(ENVIRONMENT, java.util.Map.of(), emulators.sqsEndpoint());
        deployment.create(emulators, emulators.iam(), 2);
        identity = new LocalIdentityServices(emulators.iam(), deployment, principalTags, Math.min(900, credentialSeconds));
        gateway = emulators.startGateway(gatewayPort, LocalCallers.loopbackOrigins(apiPort));
        dynamoDbFeatures = new LocalDynamoDbFeatures(emulators.dynamoDb(), emulators.kinesis(), deployment.sessionTable,
                deployment.historyTable, deployment.changeStream, Duration.ofMillis(500));
        StackConfig config = new StackConfig(emulators, deployment, identity.endpoint());

        Configuration flink = new Configuration();
        webUploads = java.nio.file.Files.createTempDirectory("sqs-browser-flink-web-uploads");
        LocalWebUiGuard.configure(flink, webPort, webUploads);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(flink);
        JobConfig jobConfig = JobConfig.fromPropertyGroups(config.jobProperties(2));
        DeliveryJob.configure(env, jobConfig);
        DeliveryTopology.build(env, jobConfig);
        job = env.executeAsync("sqs-browser-events delivery (local)");

        LocalIam.Keys operator = deployment.userKeys(emulators.iam(), "operator");
        endpoints = JSON.createObjectNode().put("region", LocalIam.REGION)
                .put("sqsEndpoint", emulators.sqsEndpoint())
                .put("kinesisEndpoint", "http://127.0.0.1:" + emulators.kinesisPort)
                .put("dynamodbEndpoint", "http://127.0.0.1:" + emulators.dynamoDbPort)
                .put("awsEndpoint", gateway.endpoint())
                .put("browserSqsEndpoint", gateway.endpoint())
                .put("eventStream", deployment.eventStream).put("sessionChangeStream", deployment.changeStream)
                .put("sessionTable", deployment.sessionTable).put("historyTable", deployment.historyTable)
                .put("deadLetter", deployment.deadLetterQueueUrl())
                .put("asyncFailureQueue", emulators.sqsEndpoint() + "/" + LocalIam.ACCOUNT + "/" + deployment.asyncFailureQueueName)
                .put("flinkWebUi", "http://127.0.0.1:" + webPort)
                .put("identityEndpoint", identity.endpoint()).put("identityPoolId", deployment.identityPoolId)
                .put("developerProviderName", deployment.developerProviderName)
                .put("sessionRoleArn", deployment.sessionRoleArn)
                .put("functionName", deployment.functionName)
                .put("operatorAccessKeyId", operator.accessKeyId).put("operatorSecretAccessKey", operator.secretAccessKey)
                .put("backendAccessKeyId", BACKEND_KEYS[0]).put("backendSecretAccessKey", BACKEND_KEYS[1]);
        java.util.Map<String, String> apiEnvironment = new java.util.HashMap<>(config.apiEnvironment());
        apiEnvironment.put("CREDENTIAL_SECONDS", Integer.toString(credentialSeconds));
        ApiHandler handler = new ApiHandler(ApiConfig.fromEnvironment(apiEnvironment));
        NodePackages.installOnce(CLIENT_JS);
        deployment.userKeys(emulators.iam(), "backend", BACKEND_KEYS[0], BACKEND_KEYS[1]);
        api = new LocalApiServer(apiPort, handler, endpoints, this::jobRunning, gateway, List.of(
                new StaticFiles("/demo/", CLIENT_JS.toPath().resolve("demo")), new StaticFiles("/client-js/", CLIENT_JS.toPath())),
                emulators.iam(), deployment);
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
        return gateway.endpoint();
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
        out.printf("  SQS, Kinesis, DynamoDB            %s  (signatures and IAM as on AWS, in front of ElasticMQ, kinesalite, dynalite)%n",
                gateway.endpoint());
        out.printf("  streams %s, %s; tables %s, %s%n", deployment.eventStream, deployment.changeStream,
                deployment.sessionTable, deployment.historyTable);
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
        identity.close();
        emulators.close();
        org.apache.flink.util.FileUtils.deleteDirectoryQuietly(webUploads.toFile());
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
