package io.sqsbrowser.session;

import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.crypto.Envelopes;
import io.sqsbrowser.event.Ids;
import java.util.Base64;
import java.util.Collection;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Builds {@link SessionRecord}s from session-table items, whichever way they arrive (change-record JSON or
 * a scan through the SDK): the caller supplies each attribute's scalar value as text.
 */
public final class SessionItems {
    private SessionItems() {}

    /**
     * A live session from a full item image; only what delivery needs is kept, since every subtask holds it.
     * {@code topics} is the item's {@code topics} string set (empty when absent).
     */
    public static SessionRecord live(Function<String, String> attribute, Collection<String> topics, long changedMillis) {
        SessionRecord r = keys(attribute);
        r.topics = topics(topics);
        r.accountId = Ids.safeString("accountId", required(attribute, "accountId"), Ids.MAX_ACCOUNT_OR_USER_ID);
        r.queueUrl = required(attribute, "sqsUrl");
        r.aesKey = aesKey(required(attribute, "aesKey"));
        r.expires = number(attribute, "expires", true);
        r.created = number(attribute, "created", false);
        r.version = number(attribute, "version", false);
        r.rewindSeconds = number(attribute, "rewind", false);
        if (r.rewindSeconds < 0) {
            throw new InvalidSessionItemException("session item rewind must be 0 or more seconds, is " + r.rewindSeconds);
        }
        try {
            r.cipher = CipherFormat.fromAttribute(attribute.apply("cipher"));
        } catch (IllegalArgumentException e) {
            throw new InvalidSessionItemException(e.getMessage());
        }
        r.changedMillis = changedMillis;
        return r;
    }

    /**
     * A removal. With the old image the tombstone is ordered by the item's creation time and version, and
     * keeps the queue and identity for clean-up; without it, a removal at time T outranks every incarnation
     * created before T.
     */
    public static SessionRecord removed(Function<String, String> keys, Function<String, String> oldImage,
            long changedMillis) {
        SessionRecord r;
        if (oldImage != null) {
            r = keys(oldImage);
            r.accountId = oldImage.apply("accountId");
            r.queueUrl = oldImage.apply("sqsUrl");
            r.identityId = oldImage.apply("identityId");
            r.created = number(oldImage, "created", false);
            r.version = number(oldImage, "version", false);
        } else {
            r = keys(keys);
            r.created = changedMillis;
            r.version = Long.MAX_VALUE;
        }
        r.removed = true;
        r.changedMillis = changedMillis;
        return r;
    }

    private static SessionRecord keys(Function<String, String> attribute) {
        SessionRecord r = new SessionRecord();
        try {
            r.userId = Ids.safeString("userId", required(attribute, "userId"), Ids.MAX_ACCOUNT_OR_USER_ID);
            r.sessionId = Ids.safeString("sessionId", required(attribute, "sessionId"), Ids.MAX_SESSION_ID);
        } catch (Ids.InvalidIdException e) {
            throw new InvalidSessionItemException(e.getMessage());
        }
        return r;
    }

    /**
     * Sorted, each once, each a valid name, at most {@link Ids#MAX_TOPICS_PER_SESSION}: the API writes no other, and an
     * item that breaks the rules is refused whole rather than let a session follow what it never asked for.
     */
    private static String[] topics(Collection<String> topics) {
        if (topics.isEmpty()) {
            return SessionRecord.NO_TOPICS;
        }
        TreeSet<String> sorted = new TreeSet<>();
        try {
            for (String topic : topics) {
                sorted.add(Ids.safeString("topic", topic, Ids.MAX_TOPIC));
            }
        } catch (Ids.InvalidIdException e) {
            throw new InvalidSessionItemException("session item topics: " + e.getMessage());
        }
        if (sorted.size() > Ids.MAX_TOPICS_PER_SESSION) {
            throw new InvalidSessionItemException("session item follows " + sorted.size() + " topics, at most "
                    + Ids.MAX_TOPICS_PER_SESSION);
        }
        return sorted.toArray(new String[0]);
    }

    private static String required(Function<String, String> attribute, String name) {
        String value = attribute.apply(name);
        if (value == null || value.isEmpty()) {
            throw new InvalidSessionItemException("session item has no " + name);
        }
        return value;
    }

    private static long number(Function<String, String> attribute, String name, boolean required) {
        String value = required ? required(attribute, name) : attribute.apply(name);
        if (value == null) {
            return 0;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new InvalidSessionItemException("session item " + name + " is not an integer: " + value);
        }
    }

    /** Decoded once here; the error never echoes the value. */
    private static byte[] aesKey(String base64) {
        byte[] key;
        try {
            key = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new InvalidSessionItemException("session item aesKey is not base64");
        }
        if (key.length != Envelopes.AES_KEY_BYTES) {
            throw new InvalidSessionItemException("session item aesKey must be 32 bytes, has " + key.length);
        }
        return key;
    }

    /** A session item the job cannot use; the message is safe to log (no key material). */
    public static final class InvalidSessionItemException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        public InvalidSessionItemException(String message) {
            super(message);
        }
    }
}
