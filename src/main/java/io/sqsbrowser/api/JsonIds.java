package io.sqsbrowser.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.regex.Pattern;

/** Writes account and user ids as the original system did: integers as JSON numbers, others as strings. */
final class JsonIds {
    private static final Pattern PLAIN_INTEGER = Pattern.compile("-?(0|[1-9][0-9]{0,17})");

    private JsonIds() {}

    static void put(ObjectNode node, String field, String canonicalId) {
        if (PLAIN_INTEGER.matcher(canonicalId).matches() && !canonicalId.equals("-0")) {
            node.put(field, Long.parseLong(canonicalId));
        } else {
            node.put(field, canonicalId);
        }
    }
}
