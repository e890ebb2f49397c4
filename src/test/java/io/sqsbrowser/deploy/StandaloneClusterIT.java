package io.sqsbrowser.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.local.AwsResources;
import io.sqsbrowser.local.ChangeRecords;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.Await;
import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.Mailboxes;
import io.sqsbrowser.testing.TestJob;
import io.sqsbrowser.testing.TestSession;
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
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded job jar on a real Flink 1.19 cluster: a JobManager and a TaskManager as separate JVMs started
 * from Flink's own entrypoint classes, with Flink's classpath only (no connector, no AWS SDK, none of this
 * project's classes), the jar submitted through the REST API, and an event from kinesalite delivered to an
 * ElasticMQ queue. Proves the jar has what it needs and nothing that clashes with Flink.
 */
@ExtendWith(EmulatorsExtension.class)
class StandaloneClusterIT {
    private static final File JOB_JAR = new File("target/sqs-browser-events-flink-0.1.0-SNAPSHOT.jar");
    /** What Flink's distribution does not have: the connector, the SDKs, this project, test libraries. */
    private static final List<String> NOT_FLINK = List.of("/target/", "flink-connector-kinesis", "flink-connector-aws",
            "flink-test-utils", "-tests.jar", "/software/amazon/", "/com/amazonaws/", "/org/elasticmq/", "/org/apache/pekko/",
            "/com/fasterxml/jackson/", "/io/netty/", "/org/junit/", "/org/assertj/", "/org/opentest4j/", "/org/apiguardian/",
            "/org/yaml/", "/org/apache/httpcomponents/", "/joda-time/", "/com/google/guava/", "/commons-lang/commons-lang/",
            "/org/reactivestreams/", "/org/scala-lang/", "/net/bytebuddy/", "/org/mockito/");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theShadedJarDeliversAnEventOnSeparateJobManagerAndTaskManagerProcesses(Emulators emulators, @TempDir Path dir)
            throws Exception {
        assertThat(JOB_JAR).exists();
        int restPort = Emulators.freePort();
        Path conf = Files.createDirectories(dir.resolve("conf"));
        Files.writeString(conf.resolve("flink-conf.yaml"), String.join("\n",
                "jobmanager.rpc.address: 127.0.0.1", "jobmanager.bind-host: 127.0.0.1",
                "jobmanager.rpc.port: " + Emulators.freePort(), "rest.address: 127.0.0.1", "rest.bind-address: 127.0.0.1",
                "rest.port: " + restPort, "blob.server.port: " + Emulators.freePort(),
                "taskmanager.host: 127.0.0.1", "taskmanager.bind-host: 127.0.0.1", "taskmanager.rpc.port: " + Emulators.freePort(),
                "taskmanager.numberOfTaskSlots: 4",
                // What Flink's start scripts work out and pass to the TaskManager, given here directly.
                "taskmanager.cpu.cores: 4", "taskmanager.memory.framework.heap.size: 128m",
                "taskmanager.memory.task.heap.size: 384m", "taskmanager.memory.managed.size: 64m",
                "taskmanager.memory.framework.off-heap.size: 128m", "taskmanager.memory.task.off-heap.size: 0m",
                "taskmanager.memory.network.min: 64m", "taskmanager.memory.network.max: 64m",
                "taskmanager.memory.jvm-metaspace.size: 256m", "taskmanager.memory.jvm-overhead.min: 192m",
                "taskmanager.memory.jvm-overhead.max: 192m",
                "jobmanager.memory.process.size: 1024m", "parallelism.default: 1",
                "web.tmpdir: " + dir.resolve("web"), "io.tmp.dirs: " + dir.resolve("tmp"), ""));
        Files.createDirectories(dir.resolve("web"));
        Files.createDirectories(dir.resolve("tmp"));

        TestJob job = new TestJob(emulators, 1);
        Path config = dir.resolve("job.json");
        Files.writeString(config, propertyGroupsJson(job.propertyGroups(1)));
        TestSession session = TestSession.create(emulators.sqs(), "100", "200", "cluster-" + UUID.randomUUID(), CipherFormat.GCM);
        AwsResources.put(emulators.kinesis(), job.changeStream, session.userId, ChangeRecords.insert(session.item()));

        List<Process> processes = new ArrayList<>();
        try {
            // Their output stays in target/cluster-it for a look after a failure.
            Path logs = Files.createDirectories(Path.of("target/cluster-it"));
            processes.add(flink("org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint", conf, logs.resolve("jobmanager.out")));
            processes.add(flink("org.apache.flink.runtime.taskexecutor.TaskManagerRunner", conf, logs.resolve("taskmanager.out")));
            String rest = "http://127.0.0.1:" + restPort;
            Await.until(Duration.ofSeconds(90), "a TaskManager to register", () -> taskManagers(rest) > 0);

            String jarId = upload(rest);
            JsonNode run = post(rest + "/jars/" + jarId + "/run", JSON.createObjectNode()
                    .put("entryClass", "io.sqsbrowser.job.DeliveryJob")
                    .set("programArgsList", JSON.createArrayNode().add("--config").add(config.toString())));
            assertThat(run.has("jobid")).as("run answer %s", run).isTrue();

            Mailboxes mail = new Mailboxes(emulators.sqs(), List.of(session));
            job.awaitSessionsKnown(mail, List.of(session));
            String event = "{\"message\":\"From a real cluster\",\"userId\":200,\"messageId\":\"cluster-1\"}";
            AwsResources.put(emulators.kinesis(), job.eventStream, "200", event.getBytes(StandardCharsets.UTF_8));
            mail.awaitAtLeast(Map.of(session, Set.of("cluster-1")), Duration.ofSeconds(60));
            assertThat(mail.message(session, "cluster-1").get("message").asText()).isEqualTo("From a real cluster");
        } finally {
            processes.forEach(Process::destroyForcibly);
        }
    }

    private static Process flink(String entrypoint, Path conf, Path log) throws IOException {
        String classpath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> NOT_FLINK.stream().noneMatch(entry.replace('\\', '/')::contains))
                .collect(Collectors.joining(File.pathSeparator));
        List<String> command = new ArrayList<>(List.of(new File(System.getProperty("java.home"), "bin/java").getPath(),
                "-Xmx640m", "-XX:MaxDirectMemorySize=256m"));
        command.addAll(List.of(System.getProperty("flink.java.opens", "").split(" ")));
        command.removeIf(String::isEmpty);
        command.addAll(List.of("-Daws.cborEnabled=false", "-Dorg.apache.flink.kinesis.shaded.com.amazonaws.sdk.disableCbor=true",
                "-Dlog4j2.configurationFile=" + new File("target/test-classes/log4j2-elasticmq.properties").getAbsolutePath(), "-cp", classpath, entrypoint,
                "--configDir", conf.toString()));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static int taskManagers(String rest) {
        try {
            return get(rest + "/taskmanagers").get("taskmanagers").size();
        } catch (Exception e) {
            return 0;
        }
    }

    private static String upload(String rest) throws IOException, InterruptedException {
        String boundary = "----sqsbrowser" + UUID.randomUUID();
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\"job.jar\"\r\n"
                + "Content-Type: application/x-java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(rest + "/jars/upload"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArrays(List.of(head, Files.readAllBytes(JOB_JAR.toPath()), tail)))
                .build(), HttpResponse.BodyHandlers.ofString());
        JsonNode answer = JSON.readTree(response.body());
        assertThat(answer.path("status").asText()).as("upload answer %s", answer).isEqualTo("success");
        String filename = answer.get("filename").asText();
        return filename.substring(filename.lastIndexOf('/') + 1);
    }

    private static JsonNode get(String url) throws IOException, InterruptedException {
        return JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    private static JsonNode post(String url, JsonNode body) throws IOException, InterruptedException {
        return JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    /** The local JSON file shape of Managed Flink's runtime properties. */
    private static String propertyGroupsJson(Map<String, Properties> groups) {
        ArrayNode out = JSON.createArrayNode();
        groups.forEach((id, properties) -> {
            ObjectNode group = out.addObject().put("PropertyGroupId", id);
            ObjectNode map = group.putObject("PropertyMap");
            properties.stringPropertyNames().forEach(k -> map.put(k, properties.getProperty(k)));
        });
        return out.toString();
    }
}
