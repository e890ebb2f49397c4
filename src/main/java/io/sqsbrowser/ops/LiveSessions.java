package io.sqsbrowser.ops;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Function;

/**
 * How many live sessions a deployment has besides some of its own, read from the session API's {@code /status}
 * pages: exactly, up to a bound. Every page is read to the end, however many of the table's items have expired: a
 * page's limit counts items before the filter on {@code expires}, so a page may be empty and still not be the last.
 */
final class LiveSessions {
    private LiveSessions() {
    }

    /**
     * @param page the {@code /status} answer for a page token (null: the first page)
     * @param own the session ids not to count
     * @param atMost the count at which to stop reading
     */
    static int others(Function<String, JsonNode> page, Set<String> own, int atMost) {
        Set<String> others = new HashSet<>();
        String next = null;
        do {
            JsonNode answer = page.apply(next);
            answer.get("sessions").forEach(s -> {
                if (!own.contains(s.path("sessionId").asText())) {
                    others.add(s.path("userId").asText() + "/" + s.path("sessionId").asText());
                }
            });
            next = answer.hasNonNull("next") ? answer.get("next").asText() : null;
        } while (next != null && others.size() < atMost);
        return Math.min(others.size(), atMost);
    }
}
