package io.sqsbrowser.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo's file server, over a real socket: what it serves, and that nothing outside its folder leaks. */
class StaticFilesTest {
    @TempDir
    Path dir;
    private HttpServer server;

    @BeforeEach
    void start() throws Exception {
        Path served = Files.createDirectories(dir.resolve("served"));
        Files.writeString(served.resolve("index.html"), "<h1>demo</h1>");
        Files.writeString(served.resolve("app.js"), "export const x = 1;");
        Files.writeString(dir.resolve("secret.txt"), "do not serve");
        StaticFiles files = new StaticFiles("/demo/", served);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> files.serve(exchange, exchange.getRequestURI().getRawPath()));
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void servesTheFolderWithItsTypesForGetAndHead() throws Exception {
        assertThat(raw("GET /demo/ HTTP/1.1")).startsWith("HTTP/1.1 200").contains("text/html").endsWith("<h1>demo</h1>");
        assertThat(raw("GET /demo/app.js HTTP/1.1")).startsWith("HTTP/1.1 200").containsIgnoringCase("content-type: text/javascript");
        String head = raw("HEAD /demo/app.js HTTP/1.1");
        assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("content-type: text/javascript").doesNotContain("export");
    }

    @Test
    void nothingOutsideTheFolderAndNoOtherMethod() throws Exception {
        for (String path : new String[] {"/demo/../secret.txt", "/demo/..%2fsecret.txt", "/demo/%2e%2e/secret.txt", "/demo/missing.js",
            "/demo//etc/passwd", "/demo/./../secret.txt"}) {
            assertThat(raw("GET " + path + " HTTP/1.1")).as(path).startsWith("HTTP/1.1 404").doesNotContain("do not serve");
        }
        assertThat(raw("POST /demo/app.js HTTP/1.1")).startsWith("HTTP/1.1 404");
    }

    /** A request written byte for byte (no client normalizes the path first); answers the whole response. */
    private String raw(String requestLine) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.getAddress().getPort())) {
            socket.getOutputStream().write((requestLine + "\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
