package io.sqsbrowser.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.regex.Pattern;

/**
 * Writes account and user ids as the original system did: integers as JSON numbers, others as strings. An integer is
 * what the job reads as one: from 0 to 2^63-1, no sign, no leading zero ({@link io.sqsbrowser.event.Ids}); any other
 * id ({@code -1}, {@code 007}) is a string, so that an id the API accepts is routed the same everywhere.
 */
final class JsonIds {
    private static final Pattern PLAIN_INTEGER = Pattern.compile("0|[1-9][0-9]{0,18}");

    private JsonIds() {}

    static void put(ObjectNode node, String field, String canonicalId) {
        if (PLAIN_INTEGER.matcher(canonicalId).matches() && new java.math.BigInteger(canonicalId).bitLength() <= 63) {
            node.put(field, Long.parseLong(canonicalId));
        } else {
            node.put(field, canonicalId);
        }
    }
}
