package io.sqsbrowser.local;

import io.sqsbrowser.aws.AwsClients;
import io.sqsbrowser.aws.AwsSettings;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.elasticmq.NodeAddress;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The real AWS-protocol servers the tests talk to, on free loopback ports: ElasticMQ (SQS) in this JVM,
 * kinesalite (Kinesis) and dynalite (DynamoDB) as Node processes from {@code src/emulators} (installed with
 * npm on first use). The tests start them once per JVM (through their JUnit extension), the local stack
 * and the benchmark start their own.
 */
public final class Emulators implements AutoCloseable {
    public static final String REGION = "us-east-1";
    private static final File NODE_DIR = new File("src/emulators");

    /** ElasticMQ in this JVM, or null when it runs in its own process ({@link #elasticMqProcess}). */
    private final SQSRestServer elasticMq;
    private final Process elasticMqProcess;
    private final Process kinesalite;
    private final Process dynalite;
    public final int sqsPort;
    public final int kinesisPort;
    public final int dynamoDbPort;
    private final AwsSettings aws;
    /** Set once {@link #close} begins: an emulator that exits before that died, and says so. */
    private volatile boolean closing;
    /**
     * Set once this JVM begins to stop. Ctrl-C reaches the whole process group at once, the emulators and this JVM: an
     * emulator that exits then was stopped with the rest, and says nothing.
     */
    private static final java.util.concurrent.atomic.AtomicBoolean JVM_STOPPING = new java.util.concurrent.atomic.AtomicBoolean();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> JVM_STOPPING.set(true), "emulators-stopping"));
    }
    private SqsClient sqs;
    private KinesisClient kinesis;
    private DynamoDbClient dynamoDb;
    /** The local account's IAM, and the endpoint that enforces it in front of these emulators. */
    private final LocalIam iam = new LocalIam(IamCallLog.shared());
    private LocalAwsGateway gateway;

    private Emulators(boolean sqsInOwnProcess, String sqsHeap) throws IOException, InterruptedException {
        NodePackages.installOnce(NODE_DIR);
        synchronized (PORTS_NO_BROWSER_OPENS) {
            sqsPort = portNoBrowserOpens();
            if (sqsInOwnProcess) {
                elasticMq = null;
                elasticMqProcess = awaitListening(new ProcessBuilder(
                        new File(System.getProperty("java.home"), "bin/java").getPath(), "-Xmx" + sqsHeap,
                        "-Dlog4j2.configurationFile=log4j2-elasticmq.properties", "-cp",
                        System.getProperty("java.class.path"), Emulators.class.getName(), Integer.toString(sqsPort))
                        .redirectErrorStream(true).start(), "ElasticMQ", () -> closing);
            } else {
                elasticMq = startElasticMq(sqsPort);
                elasticMqProcess = null;
            }
        }
        kinesisPort = freePort();
        kinesalite = startNode("kinesalite.js", kinesisPort);
        dynamoDbPort = freePort();
        dynalite = startNode("dynalite.js", dynamoDbPort);
        aws = new AwsSettings(REGION, AwsSettings.Credentials.STATIC, "test", "test", Map.of(
                "sqs", "http://127.0.0.1:" + sqsPort,
                "kinesis", "http://127.0.0.1:" + kinesisPort,
                "dynamodb", "http://127.0.0.1:" + dynamoDbPort));
    }

    /** ElasticMQ in its own process, so that a benchmark sees only its own CPU time. */
    public static void main(String[] args) {
        LocalStack.exitWithParent();
        startElasticMq(Integer.parseInt(args[0]));
        System.out.println("listening " + args[0]);
    }

    private static SQSRestServer startElasticMq(int port) {
        SQSRestServer server = SQSRestServerBuilder.withInterface("127.0.0.1").withPort(port)
                .withServerAddress(new NodeAddress("http", "127.0.0.1", port, ""))
                .withAWSRegion(REGION).start();
        server.waitUntilStarted();
        return server;
    }

    public static Emulators start() {
        return start(false);
    }

    public static Emulators start(boolean sqsInOwnProcess) {
        return start(sqsInOwnProcess, "2g");
    }

    /** @param sqsHeap the heap of ElasticMQ's own process ({@code 2g}), which holds every message in memory */
    public static Emulators start(boolean sqsInOwnProcess, String sqsHeap) {
        try {
            return new Emulators(sqsInOwnProcess, sqsHeap);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The process ElasticMQ runs in: this one, unless it was started in its own. */
    public long sqsProcessId() {
        return elasticMqProcess != null ? elasticMqProcess.pid() : ProcessHandle.current().pid();
    }

    /** The emulators' processes by name (ElasticMQ's is this one unless it runs in its own): whose CPU a benchmark reads. */
    public Map<String, Long> processIds() {
        return Map.of("ElasticMQ", sqsProcessId(), "kinesalite", kinesalite.pid(), "dynalite", dynalite.pid());
    }

    /** Settings that point every AWS client at these emulators. */
    public AwsSettings aws() {
        return aws;
    }

    /** The IAM of the local account: every deployment's roles, and the keys of its principals. */
    public LocalIam iam() {
        return iam;
    }

    /**
     * The endpoint of SQS, Kinesis and DynamoDB that signs and authorizes as AWS does, for the principals of the local
     * deployments (these emulators' own ports check nothing: tests use them as the account's administrator).
     */
    public synchronized LocalAwsGateway gateway() {
        return gateway != null ? gateway : startGateway(0, java.util.Set.of());
    }

    /** Starts the gateway on {@code port} (0: any), answering web pages of {@code origins} (a browser's session client). */
    public synchronized LocalAwsGateway startGateway(int port, java.util.Set<String> origins) {
        if (gateway != null) {
            throw new IllegalStateException("the gateway runs already, on " + gateway.endpoint());
        }
        try {
            gateway = new LocalAwsGateway(port, this, iam, origins);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return gateway;
    }

    /** ElasticMQ's own endpoint, which queue URLs name: {@code http://127.0.0.1:<port>}. */
    public String sqsEndpoint() {
        return "http://127.0.0.1:" + sqsPort;
    }

    public synchronized SqsClient sqs() {
        if (sqs == null) {
            sqs = AwsClients.sqs(aws);
        }
        return sqs;
    }

    public synchronized KinesisClient kinesis() {
        if (kinesis == null) {
            kinesis = AwsClients.kinesis(aws);
        }
        return kinesis;
    }

    public synchronized DynamoDbClient dynamoDb() {
        if (dynamoDb == null) {
            dynamoDb = AwsClients.dynamoDb(aws);
        }
        return dynamoDb;
    }


    private Process startNode(String script, int port) throws IOException {
        return awaitListening(new ProcessBuilder("node", script, Integer.toString(port)).directory(NODE_DIR)
                .redirectErrorStream(true).start(), script, () -> closing);
    }

    private static Process awaitListening(Process p, String script, BooleanSupplier closing) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        for (int skipped = 0; line != null && !line.startsWith("listening") && skipped < 1000; skipped++) {
            line = out.readLine();
        }
        if (line == null || !line.startsWith("listening")) {
            p.destroyForcibly();
            throw new IllegalStateException(script + " did not start: " + line);
        }
        // Keep draining its output so the process never blocks on a full pipe, into a file: an emulator that dies
        // mid-suite (every later test then fails on a refused connection) leaves its last words there.
        Path log = log(script, p.pid());
        Thread drain = new Thread(() -> {
            keep(out, log);
            reportDeath(p, script, log, closing);
        }, script + "-output");
        drain.setDaemon(true);
        drain.start();
        return p;
    }

    private static void keep(BufferedReader out, Path log) {
        try {
            Files.createDirectories(log.getParent());
            try (BufferedWriter file = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    file.write(line);
                    file.newLine();
                    file.flush();
                }
            }
        } catch (IOException e) {
            // The log cannot be written: keep draining, so that the process never blocks on a full pipe.
            try {
                while (out.readLine() != null) {
                    // dropped
                }
            } catch (IOException ended) {
                // its output was closed: the process ended
            }
        }
    }

    /** Where the output of an emulator's process goes. */
    public static Path log(String script, long pid) {
        return Path.of("target", "emulators", script + "-" + pid + ".log");
    }

    /**
     * Tells the test output (stderr, which surefire prints) that an emulator exited before {@link #close}, with its exit
     * code and last lines: otherwise all a run shows is every later test failing on a refused connection.
     */
    private static void reportDeath(Process p, String script, Path log, BooleanSupplier closing) {
        try {
            int code = p.waitFor();
            // The same Ctrl-C reaches this JVM a moment later, or has already: give it that moment to begin stopping.
            for (int i = 0; i < 40 && !closing.getAsBoolean() && !JVM_STOPPING.get(); i++) {
                Thread.sleep(50);
            }
            if (closing.getAsBoolean() || JVM_STOPPING.get()) {
                return;
            }
            List<String> lines = Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
            System.err.println(script + " (pid " + p.pid() + ") exited with code " + code
                    + " while the tests ran; every later call to it is refused. Its last lines (all in " + log + "):");
            lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(l -> System.err.println("  | " + l));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            System.err.println(script + " exited while the tests ran; its output could not be read: " + e);
        }
    }

    /**
     * ElasticMQ checks neither {@code Host} nor {@code Origin} and answers CORS for any page, and nothing can be put in
     * front of it without slowing every test and benchmark. So it listens on a port every browser refuses to connect
     * to, by any host name (the Fetch standard's "bad ports", those from 1024 up): no web page on this machine reaches
     * it at all. The stack's own programs and the browsers' SQS endpoint ({@link LocalAwsGateway}) call it directly.
     */
    static final int[] PORTS_NO_BROWSER_OPENS = {1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665,
        6666, 6667, 6668, 6669, 6679, 6697, 10080};

    private static int portNoBrowserOpens() throws IOException {
        for (int port : PORTS_NO_BROWSER_OPENS) {
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                return s.getLocalPort();
            } catch (IOException taken) {
                // another emulator's, or this machine's own service
            }
        }
        throw new IOException("ElasticMQ needs a port no browser opens, and all of these are taken on 127.0.0.1: "
                + java.util.Arrays.toString(PORTS_NO_BROWSER_OPENS));
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        closing = true;
        if (gateway != null) {
            gateway.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {sqs, kinesis, dynamoDb}) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // closing a client at shutdown
                }
            }
        }
        if (elasticMq != null) {
            elasticMq.stopAndWait();
        }
        for (Process p : new Process[] {kinesalite, dynalite, elasticMqProcess}) {
            if (p == null) {
                continue;
            }
            p.destroy();
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
