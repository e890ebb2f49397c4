package io.sqsbrowser.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sqsbrowser.local.Emulators;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
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
        this.dir = dir;
        int restPort = Emulators.freePort();
        rest = "http://127.0.0.1:" + restPort;
        Path conf = Files.createDirectories(dir.resolve("conf"));
        Files.writeString(conf.resolve("flink-conf.yaml"), String.join("\n",
                "jobmanager.rpc.address: 127.0.0.1", "jobmanager.bind-host: 127.0.0.1",
                "jobmanager.rpc.port: " + Emulators.freePort(), "rest.address: 127.0.0.1", "rest.bind-address: 127.0.0.1",
                "rest.port: " + restPort, "blob.server.port: " + Emulators.freePort(),
                "taskmanager.host: 127.0.0.1", "taskmanager.bind-host: 127.0.0.1", "taskmanager.rpc.port: " + Emulators.freePort(),
                "taskmanager.numberOfTaskSlots: 4",
                // What Flink's start scripts work out and pass to the TaskManager, given here directly.
                "taskmanager.cpu.cores: 4", "taskmanager.memory.framework.heap.size: 128m",
                "taskmanager.memory.task.heap.size: " + taskHeap, "taskmanager.memory.managed.size: 64m",
                "taskmanager.memory.framework.off-heap.size: 128m", "taskmanager.memory.task.off-heap.size: " + taskOffHeap,
                "taskmanager.memory.network.min: 64m", "taskmanager.memory.network.max: 64m",
                "taskmanager.memory.jvm-metaspace.size: 256m", "taskmanager.memory.jvm-overhead.min: 192m",
                "taskmanager.memory.jvm-overhead.max: 192m",
                "jobmanager.memory.process.size: 1024m", "parallelism.default: 1",
                "state.checkpoints.dir: file://" + dir.resolve("checkpoints").toAbsolutePath(),
                "web.tmpdir: " + dir.resolve("web"), "io.tmp.dirs: " + dir.resolve("tmp"), ""));
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
        Path config = dir.resolve("job-" + UUID.randomUUID() + ".json");
        Files.writeString(config, TestJob.runtimePropertiesJson(propertyGroups));
        String jarId = upload();
        JsonNode run = post(rest + "/jars/" + jarId + "/run", JSON.createObjectNode()
                .put("entryClass", "io.sqsbrowser.job.DeliveryJob")
                .set("programArgsList", JSON.createArrayNode().add("--config").add(config.toString())));
        if (!run.has("jobid")) {
            throw new IllegalStateException("the job did not start: " + run);
        }
        return run.get("jobid").asText();
    }

    public JsonNode get(String path) throws IOException, InterruptedException {
        return JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(rest + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private Process flink(String entrypoint, Path conf, Path log, String... memory) throws IOException {
        String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> NOT_FLINK.stream().noneMatch(entry.replace('\\', '/')::contains))
                .collect(Collectors.joining(File.pathSeparator));
        List<String> command = new ArrayList<>(List.of(new File(System.getProperty("java.home"), "bin/java").getPath()));
        command.addAll(List.of(memory));
        command.addAll(List.of(System.getProperty("flink.java.opens", "").split(" ")));
        command.removeIf(String::isEmpty);
        command.addAll(List.of("-Daws.cborEnabled=false", "-Dorg.apache.flink.kinesis.shaded.com.amazonaws.sdk.disableCbor=true",
                "-Dlog4j2.configurationFile=" + new File("target/test-classes/log4j2-elasticmq.properties").getAbsolutePath(), "-cp", classpath, entrypoint,
                "--configDir", conf.toString()));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
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
