package io.sqsbrowser.local;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * LOCAL ONLY: serves the files of one folder under a URL prefix (the demo page and the browser client's
 * modules), never a file outside it.
 */
final class StaticFiles {
    private static final Map<String, String> TYPES = Map.of("html", "text/html; charset=utf-8", "js", "text/javascript",
            "mjs", "text/javascript", "css", "text/css", "json", "application/json", "svg", "image/svg+xml",
            "ts", "text/plain; charset=utf-8", "md", "text/plain; charset=utf-8");
    private final String prefix;
    private final Path root;

    StaticFiles(String prefix, Path root) {
        this.prefix = prefix;
        this.root = root.toAbsolutePath().normalize();
    }

    boolean serves(String path) {
        return path.startsWith(prefix);
    }

    void serve(HttpExchange exchange, String path) throws IOException {
        String relative = path.substring(prefix.length());
        Path file = root.resolve(relative.isEmpty() || relative.endsWith("/") ? relative + "index.html" : relative).normalize();
        String method = exchange.getRequestMethod();
        if (!file.startsWith(root) || !Files.isRegularFile(file) || !(method.equals("GET") || method.equals("HEAD"))) {
            LocalHttp.send(exchange, 404, "text/plain", "not found");
            return;
        }
        String name = file.getFileName().toString();
        String type = TYPES.getOrDefault(name.substring(name.lastIndexOf('.') + 1), "application/octet-stream");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        if (method.equals("HEAD")) {
            exchange.getResponseHeaders().set("Content-Type", type);
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
            return;
        }
        LocalHttp.send(exchange, 200, type, Files.readAllBytes(file));
    }
}
