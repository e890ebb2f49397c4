package io.sqsbrowser.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * An HTTP/1.1 request with exactly the headers given, as a web page's browser or an attacker's program would send them:
 * a client library sets {@code Host}, {@code Content-Type} and {@code Origin} itself and would not let a test send the
 * wrong ones. Answers the whole response as text.
 */
public final class RawHttp {
    private RawHttp() {
    }

    public static String get(int port, String path, String... headers) throws IOException {
        return send(port, "GET " + path, new byte[0], headers);
    }

    /** {@code requestLine} without the version, e.g. {@code "POST /jars/upload"}; Content-Length is added for a body. */
    public static String send(int port, String requestLine, byte[] body, String... headers) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            String head = requestLine + " HTTP/1.1\r\n" + String.join("", withLineEnds(headers))
                    + (body.length > 0 ? "Content-Length: " + body.length + "\r\n" : "") + "Connection: close\r\n\r\n";
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            try {
                out.write(body);
                out.flush();
            } catch (IOException refusedBeforeTheBody) {
                // a server may answer and close after the head: its answer is still to be read
            }
            return read(socket.getInputStream());
        }
    }

    /** The status line of a response. */
    public static String status(String response) {
        int end = response.indexOf("\r\n");
        return end < 0 ? response : response.substring(0, end);
    }

    private static String[] withLineEnds(String[] headers) {
        String[] lines = new String[headers.length];
        for (int i = 0; i < headers.length; i++) {
            lines[i] = headers[i] + "\r\n";
        }
        return lines;
    }

    private static String read(InputStream in) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            for (int n; (n = in.read(buffer)) > 0; ) {
                all.write(buffer, 0, n);
            }
        } catch (java.net.SocketException reset) {
            // a server that refuses closes at once; what it said before is the answer
        }
        return all.toString(StandardCharsets.ISO_8859_1);
    }
}
