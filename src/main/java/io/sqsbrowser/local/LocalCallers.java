package io.sqsbrowser.local;

import java.util.Map;
import java.util.Set;

/**
 * LOCAL ONLY: who may call a server the local stack starts on this machine. Its own programs (the SDKs, curl, the
 * tests) send no {@code Origin}; a web page's request says where it comes from. A page of another origin must get no
 * answer and cause no effect: any page open in the developer's browser could otherwise drive the stack (create
 * sessions, read the dead-letter queue, submit code). So a request is refused when its {@code Host} is not this
 * machine's loopback name with the server's port (a page's own name resolved to 127.0.0.1: DNS rebinding), when its
 * {@code Origin} is not one of the origins given (the demo page's, a developer's own app), or when
 * {@code Sec-Fetch-Site} says another site sent it and no allowed origin is named.
 */
final class LocalCallers {
    private final int port;
    private final Set<String> origins;

    /** @param origins the web origins that may call (e.g. {@code http://127.0.0.1:8080}); none for a server no page uses */
    LocalCallers(int port, Set<String> origins) {
        this.port = port;
        this.origins = Set.copyOf(origins);
    }

    /** The origins of a local web server at {@code port}, by both of its loopback names. */
    static Set<String> loopbackOrigins(int port) {
        return Set.of("http://127.0.0.1:" + port, "http://localhost:" + port);
    }

    /** Answers a refused request 403 with the reason, as plain text ({@link #refusal}); true when it did. */
    boolean refused(com.sun.net.httpserver.HttpExchange exchange, Map<String, String> headers) throws java.io.IOException {
        String refused = refusal(headers);
        if (refused != null) {
            LocalHttp.send(exchange, 403, "text/plain", refused);
        }
        return refused != null;
    }

    /** Why the request (headers by lower-case name) is refused, or null when it may be served. */
    String refusal(Map<String, String> headers) {
        String host = headers.get("host");
        if (host == null || !host.matches("(127\\.0\\.0\\.1|localhost|\\[::1]):" + port)) {
            return "this local server answers only Host 127.0.0.1:" + port + " or localhost:" + port;
        }
        String origin = headers.get("origin");
        if (origin != null) {
            return origins.contains(origin) ? null : "this local server answers no web page of " + origin;
        }
        String site = headers.get("sec-fetch-site");
        if (site != null && !site.equals("same-origin") && !site.equals("none")) {
            return "this local server answers no web page of another site";
        }
        return null;
    }

    /** Whether CORS may name this origin: only an allowed one. */
    boolean allows(String origin) {
        return origin != null && origins.contains(origin);
    }
}
