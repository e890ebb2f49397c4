package io.sqsbrowser.event;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import java.util.regex.Pattern;

/**
 * The identifier rules of SPEC §1. Account and user ids are integers or safe strings, compared by their
 * canonical string form ({@code 200} and {@code "200"} are the same user); session ids are safe strings.
 * Anything else is rejected, never truncated or coerced.
 */
public final class Ids {
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._:@-]+");
    public static final int MAX_ACCOUNT_OR_USER_ID = 128;
    public static final int MAX_SESSION_ID = 256;
    public static final int MAX_MESSAGE_ID = 256;
    /** A topic name: the id characters, 1 to 64 of them (SPEC §3). */
    public static final int MAX_TOPIC = 64;
    /** Topics one session may follow. */
    public static final int MAX_TOPICS_PER_SESSION = 50;

    private Ids() {}

    /**
     * Canonical form of an account or user id from JSON, or an {@link InvalidIdException}. A number must be a
     * non-negative integer that fits in 64 bits, as the original system's ids do.
     */
    public static String accountOrUserId(String field, JsonNode value) {
        if (value.isIntegralNumber()) {
            BigInteger id = value.bigIntegerValue();
            if (id.signum() < 0 || id.bitLength() > 63) {
                throw new InvalidIdException(field + " must be an integer from 0 to " + Long.MAX_VALUE + " or a string");
            }
            return id.toString();
        }
        if (value.isTextual()) {
            return safeString(field, value.textValue(), MAX_ACCOUNT_OR_USER_ID);
        }
        throw new InvalidIdException(field + " must be an integer or a string, got " + value.getNodeType());
    }

    /** Canonical form of a session id from JSON. */
    public static String sessionId(String field, JsonNode value) {
        return stringOnly(field, value, MAX_SESSION_ID);
    }

    /**
     * A topic from JSON: a string only. A number is refused rather than read as its digits: a topic is a name, and
     * {@code 2024} and {@code "2024"} being one topic would be a guess.
     */
    public static String topic(String field, JsonNode value) {
        return stringOnly(field, value, MAX_TOPIC);
    }

    private static String stringOnly(String field, JsonNode value, int maxLength) {
        if (value.isTextual()) {
            return safeString(field, value.textValue(), maxLength);
        }
        throw new InvalidIdException(field + " must be a string, got " + value.getNodeType());
    }

    /** A messageId: 1 to 256 visible ASCII characters (ids of the original system are base64). */
    public static String messageId(String value) {
        if (value.isEmpty() || value.length() > MAX_MESSAGE_ID || !value.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new InvalidIdException("messageId must be a string of 1 to " + MAX_MESSAGE_ID + " visible ASCII characters");
        }
        return value;
    }

    /** Checks an id that arrived as text (path parameter, DynamoDB attribute). */
    public static String safeString(String field, String value, int maxLength) {
        if (value.isEmpty() || value.length() > maxLength) {
            throw new InvalidIdException(field + " must have 1 to " + maxLength + " characters, got " + value.length());
        }
        if (!SAFE.matcher(value).matches()) {
            throw new InvalidIdException(field + " may only contain A-Z a-z 0-9 . _ : @ -");
        }
        return value;
    }

    /** Thrown for an id that breaks the rules; its message is safe to return to a caller. */
    public static final class InvalidIdException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        public InvalidIdException(String message) {
            super(message);
        }
    }
}
