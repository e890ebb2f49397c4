package io.sqsbrowser.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
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
            for (int port : new int[] {emulators.kinesisPort, emulators.dynamoDbPort}) {
                hangUpMidRequest(port);
            }
            Thread.sleep(500); // the emulator handles the hang-up (and, without the protection, exits)
            assertThat(emulators.kinesis().listStreams().streamNames()).isNotNull();
            assertThat(emulators.dynamoDb().listTables().tableNames()).isNotNull();
        }
    }

    /** A POST that announces 1,000 bytes of body, sends 10 and closes the connection. */
    private static void hangUpMidRequest(int port) throws Exception {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST / HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/x-amz-json-1.1\r\n"
                    + "Content-Length: 1000\r\n\r\n{\"Limit\":1").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(100); // the server has read the headers and started on the body
        }
    }
}
