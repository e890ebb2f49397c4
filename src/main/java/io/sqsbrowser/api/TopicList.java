package io.sqsbrowser.api;

import io.sqsbrowser.event.Ids;
import java.util.Set;
import java.util.TreeSet;

/**
 * The topics of a query parameter ({@code topics=politics,world}, {@code add=...}, {@code remove=...}): comma-separated
 * names of {@code A-Z a-z 0-9 . _ : @ -}, 1 to 64 characters each (SPEC §3). Anything else, an empty name included
 * ({@code a,,b}), is a 400 naming the parameter: a list that was meant to say something else is not half-applied.
 */
final class TopicList {
    private TopicList() {}

    /** One topic name (a path parameter). */
    static String one(String parameter, String value) {
        try {
            return Ids.safeString(parameter, value, Ids.MAX_TOPIC);
        } catch (Ids.InvalidIdException e) {
            throw ApiException.badRequest("invalid " + e.getMessage());
        }
    }

    /** The names, sorted and each once; empty for an absent or empty parameter. */
    static Set<String> parse(String parameter, String value) {
        Set<String> topics = new TreeSet<>();
        if (value == null || value.isEmpty()) {
            return topics;
        }
        for (String name : value.split(",", -1)) {
            topics.add(one("each topic of " + parameter, name));
        }
        return topics;
    }

    /** Refuses more topics than a session may follow. */
    static void checkCount(Set<String> topics) {
        if (topics.size() > Ids.MAX_TOPICS_PER_SESSION) {
            throw ApiException.badRequest("a session follows at most " + Ids.MAX_TOPICS_PER_SESSION + " topics, this would make "
                    + topics.size());
        }
    }
}
