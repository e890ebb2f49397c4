package io.sqsbrowser.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.testing.Await;
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
 * later test then failed on a refused connection) until {@code src/emulators/serve.js} dropped it. Emulators of its
 * own, so that a death here takes no other test with it.
 */
class EmulatorsTest {
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
