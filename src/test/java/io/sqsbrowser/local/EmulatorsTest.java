package io.sqsbrowser.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.testing.Await;
import io.sqsbrowser.testing.RawHttp;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The emulators outlive a client that hangs up mid-request, as a job cancelled while its Kinesis reader's request is
 * on the wire does: kinesalite and dynalite rethrow the request's "aborted" error, which killed them mid-suite (every
 * later test then failed on a refused connection) until {@code src/emulators/serve.js} dropped it. And they answer no
 * web page. Emulators of its own, so that a death here takes no other test with it.
 */
class EmulatorsTest {
    /**
     * dynalite holds every session's AES key and checks no signature: a page open in the developer's browser, by a
     * cross-origin request, a form, a preflight or its own name resolved to 127.0.0.1, gets a 403 and no CORS header;
     * this machine's own programs are served, without CORS headers. ElasticMQ listens where no browser connects.
     */
    @Test
    void noWebPageReachesTheEmulators() throws Exception {
        try (Emulators emulators = Emulators.start()) {
            emulators.dynamoDb().createTable(b -> b.tableName("secrets")
                    .keySchema(k -> k.attributeName("id").keyType("HASH"))
                    .attributeDefinitions(a -> a.attributeName("id").attributeType("S"))
                    .billingMode("PAY_PER_REQUEST"));
            emulators.dynamoDb().putItem(b -> b.tableName("secrets").item(java.util.Map.of("id",
                    software.amazon.awssdk.services.dynamodb.model.AttributeValue.builder().s("aes-key-of-a-session").build())));
            for (int[] emulator : new int[][] {{emulators.dynamoDbPort, 0}, {emulators.kinesisPort, 1}}) {
                int port = emulator[0];
                String target = emulator[1] == 0 ? "X-Amz-Target: DynamoDB_20120810.Scan" : "X-Amz-Target: Kinesis_20131202.ListStreams";
                String type = emulator[1] == 0 ? "Content-Type: application/x-amz-json-1.0" : "Content-Type: application/x-amz-json-1.1";
                byte[] scan = (emulator[1] == 0 ? "{\"TableName\":\"secrets\"}" : "{}").getBytes(StandardCharsets.UTF_8);
                String host = "Host: 127.0.0.1:" + port;
                String auth = "Authorization: AWS4-HMAC-SHA256 Credential=test/20261207/us-east-1/x/aws4_request, SignedHeaders=host, Signature=0\r\nX-Amz-Date: 20261207T000000Z";
                for (String[] page : new String[][] {{host, "Origin: http://attacker.example", type, target, auth},
                    {host, "Origin: null", "Content-Type: text/plain", target, auth},
                    {"Host: attacker.example:" + port, type, target, auth}, {"Host: attacker.example", type, target, auth},
                    {"Host: localhost:" + port, "Sec-Fetch-Site: cross-site", "Sec-Fetch-Mode: no-cors", type, target, auth},
                    {"Host: localhost:" + port, "Sec-Fetch-Site: same-site", type, target, auth}}) {
                    String answer = RawHttp.send(port, "POST /", scan, page);
                    assertThat(RawHttp.status(answer)).as(port + " " + String.join(", ", page)).startsWith("HTTP/1.1 403");
                    assertThat(answer).doesNotContain("aes-key-of-a-session").doesNotContainIgnoringCase("access-control-");
                }
                String preflight = RawHttp.send(port, "OPTIONS /", new byte[0], host, "Origin: http://attacker.example",
                        "Access-Control-Request-Method: POST", "Access-Control-Request-Headers: x-amz-target");
                assertThat(RawHttp.status(preflight)).startsWith("HTTP/1.1 403");
                assertThat(preflight).doesNotContainIgnoringCase("access-control-");
                String own = RawHttp.send(port, "POST /", scan, "Host: localhost:" + port, type, target, auth);
                assertThat(RawHttp.status(own)).as(own).startsWith("HTTP/1.1 200");
                assertThat(own).doesNotContainIgnoringCase("access-control-");
            }
            assertThat(Emulators.PORTS_NO_BROWSER_OPENS).as("Chromium refuses these ports (BrowserClientIT tries it)").contains(emulators.sqsPort);
        }
    }

    @Test
    void aClientThatHangsUpMidRequestLeavesKinesaliteAndDynaliteServing() throws Exception {
        try (Emulators emulators = Emulators.start()) {
            hangUpMidRequest(emulators, "kinesalite", "kinesalite.js", emulators.kinesisPort);
            hangUpMidRequest(emulators, "dynalite", "dynalite.js", emulators.dynamoDbPort);
            assertThat(emulators.kinesis().listStreams().streamNames()).isNotNull();
            assertThat(emulators.dynamoDb().listTables().tableNames()).isNotNull();
        }
    }

    /**
     * A POST that announces 1,000 bytes of body, sends 10 and closes the connection; then waits until the emulator has
     * either said it dropped the request or exited, and asks that it still runs.
     */
    private static void hangUpMidRequest(Emulators emulators, String name, String script, int port) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/x-amz-json-1.1\r\n"
                    + "Content-Length: 1000\r\n\r\n{\"Limit\":1").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
        ProcessHandle process = ProcessHandle.of(emulators.processIds().get(name)).orElseThrow();
        Path log = Emulators.log(script, process.pid());
        Await.until(Duration.ofSeconds(30), name + " dropping the request or exiting",
                () -> !process.isAlive() || contains(log, "dropped a request whose client hung up"));
        assertThat(process.isAlive()).as(name + " still runs").isTrue();
    }

    private static boolean contains(Path log, String text) {
        try {
            return Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
