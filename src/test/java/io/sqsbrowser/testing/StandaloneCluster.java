package io.sqsbrowser.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sqsbrowser.local.Emulators;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A real Flink 1.19 cluster for the tests that need one: a JobManager and a TaskManager as separate JVMs started
 * from Flink's own entrypoint classes, with Flink's classpath only (no connector, no AWS SDK, none of this
 * project's classes), the TaskManager's memory set as Flink's scripts set it; jobs are the shaded jar, submitted
 * through the REST API as a user would.
 */
public final class StandaloneCluster implements AutoCloseable {
    public static final File JOB_JAR = new File("target/sqs-browser-events-flink-0.1.0-SNAPSHOT.jar");
    /** What Flink's distribution does not have: the connector, the SDKs, this project, test libraries. */
    private static final List<String> NOT_FLINK = List.of("/target/", "flink-connector-kinesis", "flink-connector-aws",
            "flink-test-utils", "-tests.jar", "/software/amazon/", "/com/amazonaws/", "/org/elasticmq/", "/org/apache/pekko/",
            "/com/fasterxml/jackson/", "/io/netty/", "/org/junit/", "/org/assertj/", "/org/opentest4j/", "/org/apiguardian/",
            "/org/yaml/", "/org/apache/httpcomponents/", "/joda-time/", "/com/google/guava/", "/commons-lang/commons-lang/",
            "/org/reactivestreams/", "/org/scala-lang/", "/net/bytebuddy/", "/org/mockito/", "/org/knowm/");
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<Process> processes = new ArrayList<>();
    private final Path dir;
    public final String rest;

    /**
     * @param taskHeap the TaskManager's task heap, as Flink writes it ({@code 384m})
     * @param taskOffHeap its task off-heap memory (direct buffers of the AWS SDK's HTTP client)
     */
    public StandaloneCluster(Path dir, String taskHeap, String taskOffHeap) throws IOException {
        this(dir, taskHeap, taskOffHeap, Map.of());
    }

    /** @param settings Flink settings over the ones chosen here (state backend, managed memory...) */
    public StandaloneCluster(Path dir, String taskHeap, String taskOffHeap, Map<String, String> settings) throws IOException {
        this.dir = dir;
        int restPort = Emulators.freePort();
        rest = "http://127.0.0.1:" + restPort;
        Path conf = Files.createDirectories(dir.resolve("conf"));
        Map<String, String> flinkConf = new LinkedHashMap<>();
        for (String[] setting : new String[][] {
            {"jobmanager.rpc.address", "127.0.0.1"}, {"jobmanager.bind-host", "127.0.0.1"},
            {"jobmanager.rpc.port", Integer.toString(Emulators.freePort())}, {"rest.address", "127.0.0.1"},
            {"rest.bind-address", "127.0.0.1"}, {"rest.port", Integer.toString(restPort)},
            {"blob.server.port", Integer.toString(Emulators.freePort())}, {"taskmanager.host", "127.0.0.1"},
            {"taskmanager.bind-host", "127.0.0.1"}, {"taskmanager.rpc.port", Integer.toString(Emulators.freePort())},
            {"taskmanager.numberOfTaskSlots", "4"},
            // What Flink's start scripts work out and pass to the TaskManager, given here directly.
            {"taskmanager.cpu.cores", "4"}, {"taskmanager.memory.framework.heap.size", "128m"},
            {"taskmanager.memory.task.heap.size", taskHeap}, {"taskmanager.memory.managed.size", "64m"},
            {"taskmanager.memory.framework.off-heap.size", "128m"}, {"taskmanager.memory.task.off-heap.size", taskOffHeap},
            {"taskmanager.memory.network.min", "64m"}, {"taskmanager.memory.network.max", "64m"},
            {"taskmanager.memory.jvm-metaspace.size", "256m"}, {"taskmanager.memory.jvm-overhead.min", "192m"},
            {"taskmanager.memory.jvm-overhead.max", "192m"}, {"jobmanager.memory.process.size", "1024m"},
            {"parallelism.default", "1"}, {"state.checkpoints.dir", "file://" + dir.resolve("checkpoints").toAbsolutePath()},
            {"web.tmpdir", dir.resolve("web").toString()}, {"io.tmp.dirs", dir.resolve("tmp").toString()},
            // Metrics through REST within half a second, not the default ten.
            {"metrics.fetcher.update-interval", "500"}}) {
            flinkConf.put(setting[0], setting[1]);
        }
        flinkConf.putAll(settings);
        Files.writeString(conf.resolve("flink-conf.yaml"), flinkConf.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue())
                .collect(Collectors.joining("\n", "", "\n")));
        Files.createDirectories(dir.resolve("web"));
        Files.createDirectories(dir.resolve("tmp"));
        // Their output stays in target/cluster-it for a look after a failure.
        Path logs = Files.createDirectories(Path.of("target/cluster-it"));
        processes.add(flink("org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", conf, logs.resolve("jobmanager.out"),
                "-Xmx640m"));
        processes.add(flink("org.apache.flink.runtime.taskexecutor.TaskManagerRunner", conf, logs.resolve("taskmanager.out"),
                "-Xmx" + heapMegabytes(taskHeap) + "m", "-XX:MaxDirectMemorySize=" + (192 + megabytes(taskOffHeap)) + "m"));
        Await.until(Duration.ofSeconds(90), "a TaskManager to register", () -> taskManagers() > 0);
    }

    /** The TaskManager's JVM heap: framework heap (128m) plus task heap, as Flink's scripts compute it. */
    private static int heapMegabytes(String taskHeap) {
        return 128 + megabytes(taskHeap);
    }

    private static int megabytes(String size) {
        return Integer.parseInt(size.substring(0, size.length() - 1));
    }

    /** Submits the shaded job jar with these property groups (as Managed Flink's local JSON file); answers the job id. */
    public String submit(Map<String, Properties> propertyGroups) throws IOException, InterruptedException {
        return submit(propertyGroups, null);
    }

    /** As {@link #submit(Map)}, restored from a retained checkpoint or savepoint unless {@code restoreFrom} is null. */
    public String submit(Map<String, Properties> propertyGroups, String restoreFrom) throws IOException, InterruptedException {
        Path config = dir.resolve("job-" + UUID.randomUUID() + ".json");
        Files.writeString(config, TestJob.runtimePropertiesJson(propertyGroups));
        String jarId = upload();
        ObjectNode request = JSON.createObjectNode().put("entryClass", "io.sqsbrowser.job.DeliveryJob");
        request.set("programArgsList", JSON.createArrayNode().add("--config").add(config.toString()));
        if (restoreFrom != null) {
            request.put("savepointPath", restoreFrom);
        }
        JsonNode run = post(rest + "/jars/" + jarId + "/run", request);
        if (!run.has("jobid")) {
            throw new IllegalStateException("the job did not start: " + run);
        }
        return run.get("jobid").asText();
    }

    public JsonNode get(String path) throws IOException, InterruptedException {
        return JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(rest + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    /** The sum over every vertex's subtasks of the metric of that name (e.g. messagesSent); 0 until it is known. */
    public long metricSum(String jobId, String name) {
        try {
            long total = 0;
            for (JsonNode vertex : get("/jobs/" + jobId).path("vertices")) {
                String base = "/jobs/" + jobId + "/vertices/" + vertex.get("id").asText() + "/subtasks/metrics";
                for (JsonNode m : get(base)) {
                    if (m.get("id").asText().endsWith("." + name)) {
                        total += metric(base + "?get=" + URLEncoder.encode(m.get("id").asText(), StandardCharsets.UTF_8) + "&agg=sum");
                    }
                }
            }
            return total;
        } catch (IOException | RuntimeException notYet) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /** One metric's value (or sum, when aggregated) at a REST metrics path; 0 if absent. */
    public long metric(String path) throws IOException, InterruptedException {
        JsonNode answer = get(path);
        JsonNode first = answer.isArray() && answer.size() > 0 ? answer.get(0) : null;
        if (first == null) {
            return 0;
        }
        return (long) (first.has("sum") ? first.get("sum").asDouble() : first.get("value").asDouble());
    }

    /** The TaskManager's heap in use as its metrics say (garbage included); 0 until it is known. */
    public long taskManagerHeapUsed() {
        try {
            String tm = get("/taskmanagers").get("taskmanagers").get(0).get("id").asText();
            return metric("/taskmanagers/" + tm + "/metrics?get=Status.JVM.Memory.Heap.Used");
        } catch (IOException | RuntimeException notYet) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /** The TaskManager's live heap: a full collection first (jcmd, from the JDK), then the heap in use. */
    public long taskManagerLiveHeap() throws IOException, InterruptedException {
        long pid = processes.get(1).pid();
        jcmd(pid, "GC.run");
        Matcher used = Pattern.compile("total \\d+K, used (\\d+)K").matcher(jcmd(pid, "GC.heap_info"));
        if (!used.find()) {
            throw new IllegalStateException("jcmd GC.heap_info gave no heap figure");
        }
        return Long.parseLong(used.group(1)) * 1024;
    }

    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
        Process jcmd = new ProcessBuilder(new File(System.getProperty("java.home"), "bin/jcmd").getPath(), Long.toString(pid), command)
                .redirectErrorStream(true).start();
        String out = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (jcmd.waitFor() != 0) {
            throw new IllegalStateException("jcmd " + command + ": " + out);
        }
        return out;
    }

    /** Triggers a checkpoint and waits for it; answers its statistics (state_size, end_to_end_duration, external_path). */
    public JsonNode checkpoint(String jobId) throws IOException, InterruptedException {
        String trigger = post(rest + "/jobs/" + jobId + "/checkpoints", JSON.createObjectNode().put("checkpointType", "CONFIGURED"))
                .get("request-id").asText();
        JsonNode[] status = new JsonNode[1];
        Await.until(Duration.ofMinutes(10), "the checkpoint to complete", () -> {
            try {
                status[0] = get("/jobs/" + jobId + "/checkpoints/" + trigger);
            } catch (IOException | InterruptedException e) {
                return false;
            }
            return "COMPLETED".equals(status[0].path("status").path("id").asText());
        });
        JsonNode operation = status[0].path("operation");
        if (!operation.has("checkpointId")) {
            throw new IllegalStateException("the checkpoint failed: " + operation);
        }
        return get("/jobs/" + jobId + "/checkpoints/details/" + operation.get("checkpointId").asLong());
    }

    /** Cancels the job and waits until it has stopped. */
    public void cancel(String jobId) throws IOException, InterruptedException {
        HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(rest + "/jobs/" + jobId + "?mode=cancel"))
                .method("PATCH", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        Await.until(Duration.ofMinutes(2), "the job to stop", () -> {
            try {
                return "CANCELED".equals(get("/jobs/" + jobId).path("state").asText());
            } catch (IOException | InterruptedException e) {
                return false;
            }
        });
    }

    private Process flink(String entrypoint, Path conf, Path log, String... memory) throws IOException {
        String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> NOT_FLINK.stream().noneMatch(entry.replace('\\', '/')::contains))
                .collect(Collectors.joining(File.pathSeparator));
        List<String> command = new ArrayList<>(List.of(new File(System.getProperty("java.home"), "bin/java").getPath()));
        command.addAll(List.of(memory));
        command.addAll(javaOpens());
        command.addAll(List.of("-Daws.cborEnabled=false", "-Dorg.apache.flink.kinesis.shaded.com.amazonaws.sdk.disableCbor=true",
                "-Dlog4j2.configurationFile=" + new File("target/test-classes/log4j2-elasticmq.properties").getAbsolutePath(), "-cp", classpath, entrypoint,
                "--configDir", conf.toString()));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /**
     * The {@code --add-opens} flags Flink's Kryo needs on Java 17 (for the Kinesis consumer's state): failsafe passes
     * them as {@code flink.java.opens}; a benchmark's JVM has them itself.
     */
    private static List<String> javaOpens() {
        String property = System.getProperty("flink.java.opens");
        if (property != null) {
            return Arrays.stream(property.split(" ")).filter(s -> !s.isEmpty()).collect(Collectors.toList());
        }
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(a -> a.startsWith("--add-opens"))
                .collect(Collectors.toList());
    }

    private int taskManagers() {
        try {
            return get("/taskmanagers").get("taskmanagers").size();
        } catch (Exception e) {
            return 0;
        }
    }

    private String upload() throws IOException, InterruptedException {
        String boundary = "----sqsbrowser" + UUID.randomUUID();
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\"job.jar\"\r\n"
                + "Content-Type: application/x-java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(rest + "/jars/upload"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArrays(List.of(head, Files.readAllBytes(JOB_JAR.toPath()), tail)))
                .build(), HttpResponse.BodyHandlers.ofString());
        JsonNode answer = JSON.readTree(response.body());
        if (!"success".equals(answer.path("status").asText())) {
            throw new IllegalStateException("upload answer " + answer);
        }
        String filename = answer.get("filename").asText();
        return filename.substring(filename.lastIndexOf('/') + 1);
    }

    private static JsonNode post(String url, JsonNode body) throws IOException, InterruptedException {
        return JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    @Override
    public void close() {
        processes.forEach(Process::destroyForcibly);
    }
}
