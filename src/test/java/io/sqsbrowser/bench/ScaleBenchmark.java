package io.sqsbrowser.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.local.AwsResources;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.Await;
import io.sqsbrowser.testing.Parallel;
import io.sqsbrowser.testing.StandaloneCluster;
import io.sqsbrowser.testing.TestJob;
import io.sqsbrowser.testing.TestSession;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * How the job's session state scales, on a real Flink cluster (a JobManager and a TaskManager in JVMs of their own,
 * the shaded job jar submitted through REST) at parallelism 2. For each number of sessions (state only: items in the
 * session table, no queues) and each state backend: the time from submission until every subtask has read its
 * sessions from the bootstrap scan; the TaskManager's live heap after a full collection, less its heap before the
 * job; a checkpoint's size and duration; and the time for the job, cancelled, to come back from that checkpoint
 * with every session known again. Then one "everyone" event to that many real queues, end to end. Writes a chart
 * to {@code docs/scale.png}.
 *
 * <p>Run after packaging (the cluster runs the job jar): {@code mvn -q -Pbench -Dbench=ScaleBenchmark -DskipTests
 * package exec:exec}; {@code -Dbench.args="sizes backends broadcastQueues"}, by default
 * {@code "10000,100000,1000000 hashmap,rocksdb 100000"}.
 */
public final class ScaleBenchmark {
    private static final Path DIR = Path.of("target/bench/scale");
    private static final Path CHART = Path.of("docs/scale.png");
    private static final int PARALLELISM = 2;
    private static final String TASK_HEAP = "2048m";
    private final Emulators emulators;

    /** What one size on one backend measured. */
    static final class Point {
        final int sessions;
        final String backend;
        double loadSeconds;
        long heapBytes;
        long checkpointBytes;
        long checkpointMillis;
        double restoreSeconds;

        Point(int sessions, String backend) {
            this.sessions = sessions;
            this.backend = backend;
        }

        String line() {
            return String.format("%,10d  %-8s  %8.1f s  %,9d MB  %,9d B/session  %,8.1f MB  %,6d ms  %8.1f s", sessions, backend,
                    loadSeconds, heapBytes >> 20, heapBytes / sessions, checkpointBytes / 1e6, checkpointMillis, restoreSeconds);
        }
    }

    private ScaleBenchmark(Emulators emulators) {
        this.emulators = emulators;
    }

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = Arrays.stream((args.length > 0 ? args[0] : "10000,100000,1000000").split(","))
                .map(Integer::parseInt).collect(Collectors.toList());
        List<String> backends = List.of((args.length > 1 ? args[1] : "hashmap,rocksdb").split(","));
        int broadcastQueues = args.length > 2 ? Integer.parseInt(args[2]) : 100_000;
        if (!StandaloneCluster.JOB_JAR.isFile()) {
            throw new IllegalStateException("no " + StandaloneCluster.JOB_JAR + ": run with 'package' first (see the class comment)");
        }
        Files.createDirectories(DIR);
        System.out.printf("Scale benchmark, %s: sessions %s, state backends %s, parallelism %d, TaskManager task heap %s; %d cores%n",
                java.time.LocalDate.now(), sizes, backends, PARALLELISM, TASK_HEAP, Runtime.getRuntime().availableProcessors());
        List<Point> points = new ArrayList<>();
        try (Emulators emulators = Emulators.start(true, "4g")) {
            ScaleBenchmark bench = new ScaleBenchmark(emulators);
            for (int size : sizes) {
                points.addAll(bench.stateOnly(size, backends));
            }
            if (broadcastQueues > 0) {
                bench.broadcast(broadcastQueues);
            }
        }
        summarize(points);
        chart(points, backends);
        System.exit(0);
    }

    private List<Point> stateOnly(int size, List<String> backends) throws Exception {
        TestJob job = new TestJob(emulators, 2);
        String sqs = "http://127.0.0.1:" + emulators.sqsPort;
        long started = System.nanoTime();
        store(job, size, n -> TestSession.withoutQueue(sqs, "acct" + (n % 1000), "user" + n, UUID.randomUUID().toString(),
                n % 2 == 0 ? CipherFormat.GCM : CipherFormat.CTR));
        System.out.printf("%n%,d sessions written to the session table in %.0f s%n", size, (System.nanoTime() - started) / 1e9);
        List<Point> measured = new ArrayList<>();
        for (String backend : backends) {
            Point p = new Point(size, backend);
            try (StandaloneCluster cluster = new StandaloneCluster(DIR.resolve(size + "-" + backend), TASK_HEAP, "256m",
                    clusterSettings(backend))) {
                long idleHeap = cluster.taskManagerLiveHeap();
                Map<String, Properties> groups = groups(job);
                started = System.nanoTime();
                String jobId = cluster.submit(groups);
                awaitSessions(cluster, jobId, size, "read its sessions from the table");
                p.loadSeconds = (System.nanoTime() - started) / 1e9;
                p.heapBytes = cluster.taskManagerLiveHeap() - idleHeap;
                JsonNode checkpoint = cluster.checkpoint(jobId);
                p.checkpointBytes = checkpoint.get("state_size").asLong();
                p.checkpointMillis = checkpoint.get("end_to_end_duration").asLong();
                cluster.cancel(jobId);
                started = System.nanoTime();
                String restored = cluster.submit(groups, checkpoint.get("external_path").asText());
                awaitSessions(cluster, restored, size, "come back from its checkpoint");
                p.restoreSeconds = (System.nanoTime() - started) / 1e9;
                cluster.cancel(restored);
            }
            System.out.println("  " + p.line());
            measured.add(p);
        }
        try {
            emulators.dynamoDb().deleteTable(b -> b.tableName(job.sessionTable));
        } catch (ResourceNotFoundException deletedByTheFirstAttempt) {
            // dynalite takes longer than the SDK waits to delete a million items; the retry finds the table gone.
        }
        return measured;
    }

    /** One "everyone" event to that many real queues, through the whole job (history included). */
    private void broadcast(int queues) throws Exception {
        TestJob job = new TestJob(emulators, 2);
        long started = System.nanoTime();
        List<TestSession> sessions = Parallel.map(queues, n -> job.session("acct" + (n % 1000), "user" + n,
                UUID.randomUUID().toString(), n % 2 == 0 ? CipherFormat.GCM : CipherFormat.CTR));
        store(job, queues, sessions::get);
        System.out.printf("%nBroadcast: %,d queues made and their sessions stored in %.0f s%n", queues, (System.nanoTime() - started) / 1e9);
        try (StandaloneCluster cluster = new StandaloneCluster(DIR.resolve("broadcast"), TASK_HEAP, "256m", clusterSettings("hashmap"))) {
            String jobId = cluster.submit(groups(job));
            awaitSessions(cluster, jobId, queues, "read its sessions from the table");
            String messageId = "everyone-" + UUID.randomUUID();
            started = System.nanoTime();
            AwsResources.put(emulators.kinesis(), job.eventStream, "everyone",
                    ("{\"_everyone\":true,\"_type\":\"breaking\",\"message\":\"Breaking news\",\"messageId\":\"" + messageId + "\"}")
                            .getBytes(StandardCharsets.UTF_8));
            Await.until(Duration.ofMinutes(30), "the broadcast to be sent", () -> cluster.metricSum(jobId, "messagesSent") >= queues);
            double seconds = (System.nanoTime() - started) / 1e9;
            long restarts = cluster.metric("/jobs/" + jobId + "/metrics?get=numRestarts");
            List<Boolean> got = Parallel.map(queues, i -> !emulators.sqs().receiveMessage(b -> b.queueUrl(sessions.get(i).queueUrl)
                    .visibilityTimeout(600)).messages().isEmpty());
            long delivered = got.stream().filter(Boolean::booleanValue).count();
            System.out.printf("  one \"everyone\" event to %,d real queues: %.1f s from Kinesis to the last SendMessage answer, %,.0f msg/s;"
                    + " %,d queues hold it; %d restarts%n", queues, seconds, queues / seconds, delivered, restarts);
        }
    }

    private static Map<String, String> clusterSettings(String backend) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION",
                "state.backend.type", backend));
        if (backend.equals("rocksdb")) {
            // As Managed Flink runs it: incremental checkpoints, RocksDB's memory from the managed share.
            settings.put("state.backend.incremental", "true");
            settings.put("taskmanager.memory.managed.size", "512m");
        }
        return settings;
    }

    /** The job's properties; checkpoints only when the benchmark asks for one. */
    private static Map<String, Properties> groups(TestJob job) {
        Map<String, Properties> groups = job.benchmarkPropertyGroups(PARALLELISM);
        JobProcess.pollAsOnAws(groups);
        groups.get("Job").setProperty("checkpointIntervalMillis", Long.toString(Duration.ofHours(1).toMillis()));
        return groups;
    }

    private static void awaitSessions(StandaloneCluster cluster, String jobId, long sessions, String what) {
        Await.until(Duration.ofMinutes(60), "the job to " + what, () -> cluster.metricSum(jobId, "sessionsIndexed") >= sessions);
    }

    /** Writes sessions 0..count-1 into the session table, 25 items a request, eight requests at a time. */
    private void store(TestJob job, int count, IntFunction<TestSession> session) throws InterruptedException {
        Parallel.map((count + 24) / 25, batch -> {
            List<WriteRequest> writes = new ArrayList<>();
            for (int i = batch * 25; i < Math.min(count, batch * 25 + 25); i++) {
                writes.add(WriteRequest.builder().putRequest(PutRequest.builder().item(session.apply(i).item()).build()).build());
            }
            Map<String, List<WriteRequest>> pending = Map.of(job.sessionTable, writes);
            while (!pending.isEmpty()) {
                Map<String, List<WriteRequest>> request = pending;
                pending = emulators.dynamoDb().batchWriteItem(b -> b.requestItems(request)).unprocessedItems();
            }
            return null;
        });
    }

    private static void summarize(List<Point> points) {
        System.out.printf("%n  sessions  backend   load (scan)  live heap  heap/session  checkpoint  taking   restore%n");
        points.forEach(p -> System.out.println("  " + p.line()));
        for (String backend : points.stream().map(p -> p.backend).distinct().collect(Collectors.toList())) {
            List<Point> line = points.stream().filter(p -> p.backend.equals(backend)).collect(Collectors.toList());
            if (line.size() > 1) {
                Point small = line.get(0);
                Point large = line.get(line.size() - 1);
                System.out.printf("  %s, from %,d to %,d sessions: %,d bytes of heap and %,d bytes of checkpoint per added session%n",
                        backend, small.sessions, large.sessions, (large.heapBytes - small.heapBytes) / (large.sessions - small.sessions),
                        (large.checkpointBytes - small.checkpointBytes) / (large.sessions - small.sessions));
            }
        }
    }

    private static void chart(List<Point> points, List<String> backends) throws Exception {
        List<XYChart> charts = new ArrayList<>();
        String[][] panels = {{"Load from the session table", "seconds"}, {"Restore from a checkpoint", "seconds"},
            {"TaskManager live heap", "MB"}, {"Checkpoint size", "MB"}};
        for (int panel = 0; panel < panels.length; panel++) {
            XYChart chart = new XYChartBuilder().width(520).height(360).title(panels[panel][0]).xAxisTitle("sessions")
                    .yAxisTitle(panels[panel][1]).build();
            chart.getStyler().setXAxisLogarithmic(true).setLegendPosition(Styler.LegendPosition.InsideNW).setMarkerSize(7);
            for (String backend : backends) {
                List<Point> line = points.stream().filter(p -> p.backend.equals(backend)).collect(Collectors.toList());
                double[] x = line.stream().mapToDouble(p -> p.sessions).toArray();
                int which = panel;
                double[] y = line.stream().mapToDouble(p -> which == 0 ? p.loadSeconds : which == 1 ? p.restoreSeconds
                        : which == 2 ? p.heapBytes / 1e6 : p.checkpointBytes / 1e6).toArray();
                chart.addSeries(backend, x, y);
            }
            charts.add(chart);
        }
        Files.createDirectories(CHART.getParent());
        BitmapEncoder.saveBitmap(new ArrayList<>(charts), 2, 2, CHART.toString().replaceAll("\\.png$", ""), BitmapEncoder.BitmapFormat.PNG);
        System.out.println("Chart: " + CHART);
    }
}
