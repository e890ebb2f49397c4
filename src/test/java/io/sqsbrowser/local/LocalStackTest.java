package io.sqsbrowser.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sqsbrowser.client.SessionCredentials;
import io.sqsbrowser.client.SessionQueueClient;
import io.sqsbrowser.ops.SmokeTest;
import io.sqsbrowser.testing.Await;
import io.sqsbrowser.testing.RawHttp;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** The local stack started inside the test, used only over HTTP and with the session's own credentials. */
class LocalStackTest {
    private static LocalStack stack;
    private static String api;

    @BeforeAll
    static void start() throws Exception {
        stack = LocalStack.start(Emulators.freePort(), Emulators.freePort());
        stack.awaitHealthy(Duration.ofMinutes(2));
        api = stack.apiUrl();
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    @Test
    void endpointsAndHealthAnswerAsSpecified() throws Exception {
        JsonNode endpoints = LocalHttp.get(api + "/local/endpoints");
        for (String field : new String[] {"region", "sqsEndpoint", "kinesisEndpoint", "dynamodbEndpoint", "eventStream",
            "sessionChangeStream", "sessionTable", "historyTable", "deadLetter", "flinkWebUi"}) {
            assertThat(endpoints.path(field).asText()).as(field).isNotEmpty();
        }
        assertThat(LocalHttp.get(api + "/health").get("success").asBoolean()).isTrue();
        HttpResponse<String> webUi = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(endpoints.get("flinkWebUi").asText() + "/jobs/overview")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(webUi.statusCode()).isEqualTo(200);
        assertThat(webUi.body()).contains("RUNNING");
    }

    /** One notify, sent the moment {@code /create} answered (the job learns of the session only later), arrives. */
    @Test
    void aSessionCreatedOverHttpReceivesANotifySentOverHttpAtOnce() throws Exception {
        JsonNode session = LocalHttp.api(api, "/create/http-account/300/http-session").get("session");
        String id = LocalHttp.api(api, "/notify/user/300/session/http-session?message=Hello+over+HTTP").get("messageId").asText();
        URI sqs = URI.create(LocalHttp.get(api + "/local/endpoints").get("sqsEndpoint").asText());
        try (SessionQueueClient queue = SessionCredentials.queueClient(session, sqs)) {
            List<String> received = new ArrayList<>();
            Await.until(Duration.ofSeconds(60), "the notify to arrive", () -> {
                received.addAll(queue.receive(2));
                return received.stream().anyMatch(m -> m.contains(id));
            });
            assertThat(received.stream().filter(m -> m.contains(id)).findFirst().get())
                    .contains("\"message\":\"Hello over HTTP\"").contains("\"userId\":300");
        }
    }

    @Test
    void aSessionWhoseTtlPassesIsRemovedThroughTheChangeStreamAndItsQueueDeleted() throws Exception {
        JsonNode session = LocalHttp.api(api, "/create/100/301/short-lived").get("session");
        String queueName = session.get("sqsQueueName").asText();
        // Time passes: the item's ttl is now in the past.
        stack.emulators.dynamoDb().updateItem(b -> b.tableName(stack.deployment.sessionTable)
                .key(Map.of("userId", AttributeValue.builder().s("301").build(),
                        "sessionId", AttributeValue.builder().s("short-lived").build()))
                .updateExpression("SET #ttl = :past").expressionAttributeNames(Map.of("#ttl", "ttl"))
                .expressionAttributeValues(Map.of(":past", AttributeValue.builder().n("1").build())));
        Await.until(Duration.ofSeconds(60), "the expired session's queue to be deleted", () ->
                stack.emulators.sqs().listQueues(b -> b.queueNamePrefix(queueName)).queueUrls().isEmpty());
        assertThat(new io.sqsbrowser.ops.SignedApi(api, LocalIam.REGION, software.amazon.awssdk.auth.credentials.StaticCredentialsProvider
                .create(software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(LocalStack.BACKEND_KEYS[0],
                        LocalStack.BACKEND_KEYS[1]))).get("/status/100/301/short-lived").status).isEqualTo(404);
    }

    /** The post-deployment smoke test, the same code a user runs against AWS, against the local stack. */
    @Test
    void theSmokeTestPassesAgainstTheLocalStack() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        int failures = SmokeTest.run(new PrintStream(printed, true, StandardCharsets.UTF_8), "--local", api, "--everyone");
        String report = printed.toString(StandardCharsets.UTF_8);
        assertThat(failures).as(report).isZero();
        for (String check : new String[] {"create-session", "receive-own-queue", "refused-other-queue", "refused-dead-letter-queue",
            "refused-send", "caller-identity", "first-moments", "user-message", "account-message", "topic-message", "rewind", "everyone-message", "history",
            "read-receipt", "async-read-receipt", "principal-tag", "destroy", "identity-deleted"}) {
            assertThat(report).as(report).containsPattern("(?m)^PASS  " + check + " ");
        }
        assertThat(report).as("the local Cognito, as the stack starts it, drops principal tags").contains("not carried");
    }

    /**
     * A web page open in the developer's browser cannot drive the local API: not by its own name resolving to
     * 127.0.0.1 (DNS rebinding), not by a cross-origin request, not by a navigation or an image from another site.
     */
    @Test
    void noOtherWebPageCanDriveTheLocalApi() throws Exception {
        String port = api.substring(api.lastIndexOf(':') + 1);
        String[][] attacks = {
            {"Host: attacker.example:" + port},
            {"Host: 127.0.0.1:" + port, "Origin: http://attacker.example"},
            {"Host: 127.0.0.1:" + port, "Origin: http://localhost:" + (Integer.parseInt(port) + 1)},
            {"Host: localhost:" + port, "Sec-Fetch-Site: cross-site"},
            {"Host: localhost:" + port, "Sec-Fetch-Site: same-site"},
        };
        for (String[] headers : attacks) {
            assertThat(rawGet(port, "/create/100/666/from-a-page", headers)).as(String.join(", ", headers)).startsWith("HTTP/1.1 403");
        }
        assertThat(rawGet(port, "/create/100/666/from-a-page", "Host: 127.0.0.1:" + port)).as("unsigned, as API Gateway with IAM "
                + "authorization refuses it: what a page's image or navigation sends").startsWith("HTTP/1.1 403");
        assertThat(LocalHttp.api(api, "/status?limit=1000").toString()).doesNotContain("from-a-page");
        assertThat(rawGet(port, "/health", "Host: localhost:" + port, "Sec-Fetch-Site: same-origin")).startsWith("HTTP/1.1 200");
        assertThat(rawGet(port, "/health", "Host: 127.0.0.1:" + port, "Origin: http://127.0.0.1:" + port)).startsWith("HTTP/1.1 200");
    }

    private static String rawGet(String port, String path, String... headers) throws Exception {
        return RawHttp.status(RawHttp.get(Integer.parseInt(port), path, headers));
    }

    /**
     * Flink's web UI shows the job to this machine's own callers and does nothing for anyone: no jar upload or run
     * (code on the developer's machine), no cancel, no CORS for other origins; a foreign page's upload is refused
     * before any of it reaches the disk.
     */
    @Test
    void noWebPageCanMakeFlinksWebUiRunCodeOrStopTheJob() throws Exception {
        String webUi = LocalHttp.get(api + "/local/endpoints").get("flinkWebUi").asText();
        int port = Integer.parseInt(webUi.substring(webUi.lastIndexOf(':') + 1));
        String host = "Host: 127.0.0.1:" + port;
        String own = RawHttp.get(port, "/jobs/overview", host);
        assertThat(RawHttp.status(own)).isEqualTo("HTTP/1.1 200 OK");
        assertThat(own).doesNotContainPattern("(?i)access-control-allow-origin: \\*");
        String jobId = own.replaceAll("(?s).*\"jid\":\"([0-9a-f]+)\".*", "$1");

        byte[] jar = ("--b\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\"evil.jar\"\r\n"
                + "Content-Type: application/x-java-archive\r\n\r\n" + "PK".repeat(200_000) + "\r\n--b--\r\n").getBytes(StandardCharsets.US_ASCII);
        String multipart = "Content-Type: multipart/form-data; boundary=b";
        for (String[] page : new String[][] {{host, "Origin: http://attacker.example", multipart},
            {"Host: attacker.example:" + port, multipart}, {host, "Sec-Fetch-Site: cross-site", multipart}}) {
            assertThat(RawHttp.status(RawHttp.send(port, "POST /jars/upload", jar, page))).as(String.join(", ", page))
                    .startsWith("HTTP/1.1 403");
        }
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.walk(stack.webUploads)) {
            assertThat(files.filter(java.nio.file.Files::isRegularFile)).as("a refused upload never reaches the disk").isEmpty();
        }
        assertThat(RawHttp.send(port, "POST /jars/upload", jar, host, multipart)).as("upload is off for anyone")
                .startsWith("HTTP/1.1 400").contains("POST request not allowed");
        assertThat(RawHttp.status(RawHttp.get(port, "/jars", host))).as("and so is run").startsWith("HTTP/1.1 404");
        for (String page : new String[] {"Origin: " + webUi, "Sec-Fetch-Site: same-origin", "Sec-Fetch-Site: none"}) {
            assertThat(RawHttp.status(RawHttp.send(port, "PATCH /jobs/" + jobId + "?mode=cancel", new byte[0], host, page)))
                    .as("no page cancels, the UI's own included: " + page).startsWith("HTTP/1.1 403");
        }
        assertThat(RawHttp.get(port, "/jobs/overview", host)).contains("RUNNING");
        assertThat(RawHttp.status(RawHttp.get(port, "/jobs/overview", host, "Origin: http://attacker.example"))).startsWith("HTTP/1.1 403");
    }

    @Test
    void theDemoPrintsTheFourMessages() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        Demo.run(api, new PrintStream(printed, true, StandardCharsets.UTF_8));
        assertThat(printed.toString(StandardCharsets.UTF_8))
                .contains("{\"message\":\"Hello User\",\"userId\":200,\"messageId\":")
                .contains("{\"message\":\"Hello Account\",\"accountId\":100,\"messageId\":")
                .contains("{\"message\":\"Hello Everyone\",\"_everyone\":true,\"messageId\":")
                .contains("{\"message\":\"Hello Politics\",\"topic\":\"politics\",\"messageId\":");
    }
}
