package io.sqsbrowser.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sqsbrowser.client.SessionCredentials;
import io.sqsbrowser.client.SessionQueueClient;
import io.sqsbrowser.ops.SmokeTest;
import io.sqsbrowser.testing.Await;
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
        JsonNode session = LocalHttp.get(api + "/create/http-account/300/http-session").get("session");
        String id = LocalHttp.get(api + "/notify/user/300/session/http-session?message=Hello+over+HTTP").get("messageId").asText();
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
        JsonNode session = LocalHttp.get(api + "/create/100/301/short-lived").get("session");
        String queueName = session.get("sqsQueueName").asText();
        // Time passes: the item's ttl is now in the past.
        stack.emulators.dynamoDb().updateItem(b -> b.tableName(stack.names.sessionTable)
                .key(Map.of("userId", AttributeValue.builder().s("301").build(),
                        "sessionId", AttributeValue.builder().s("short-lived").build()))
                .updateExpression("SET #ttl = :past").expressionAttributeNames(Map.of("#ttl", "ttl"))
                .expressionAttributeValues(Map.of(":past", AttributeValue.builder().n("1").build())));
        Await.until(Duration.ofSeconds(60), "the expired session's queue to be deleted", () ->
                stack.emulators.sqs().listQueues(b -> b.queueNamePrefix(queueName)).queueUrls().isEmpty());
        HttpResponse<String> status = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(api + "/status/100/301/short-lived")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(status.statusCode()).isEqualTo(404);
    }

    /** The post-deployment smoke test, the same code a user runs against AWS, against the local stack. */
    @Test
    void theSmokeTestPassesAgainstTheLocalStack() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        int failures = SmokeTest.run(new PrintStream(printed, true, StandardCharsets.UTF_8), "--local", api, "--everyone");
        String report = printed.toString(StandardCharsets.UTF_8);
        assertThat(failures).as(report).isZero();
        for (String check : new String[] {"create-session", "receive-own-queue", "refused-other-queue", "refused-dead-letter-queue",
            "refused-send", "caller-identity", "first-moments", "user-message", "account-message", "everyone-message", "history",
            "read-receipt", "async-read-receipt", "principal-tag", "destroy"}) {
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
        assertThat(LocalHttp.get(api + "/status?limit=1000").toString()).doesNotContain("from-a-page");
        assertThat(rawGet(port, "/health", "Host: localhost:" + port, "Sec-Fetch-Site: same-origin")).startsWith("HTTP/1.1 200");
        assertThat(rawGet(port, "/health", "Host: 127.0.0.1:" + port, "Origin: http://127.0.0.1:" + port)).startsWith("HTTP/1.1 200");
    }

    /** An HTTP/1.1 GET with exactly these headers (a client library would set Host itself); answers the status line. */
    private static String rawGet(String port, String path, String... headers) throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", Integer.parseInt(port))) {
            String request = "GET " + path + " HTTP/1.1\r\n" + String.join("\r\n", headers) + "\r\nConnection: close\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        }
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
