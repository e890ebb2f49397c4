package io.sqsbrowser.session;

import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.event.DeliveryEvent;
import java.util.Arrays;

/**
 * One session as the job knows it: a live session, or the tombstone of a removed one. Held in Flink
 * broadcast state, so it is a compact POJO; the AES key is decoded once, when the record is built.
 * {@link #toString()} never shows the key.
 */
public class SessionRecord {
    public static final String[] NO_TOPICS = new String[0];

    public String userId;
    public String sessionId;
    public String accountId;
    public String queueUrl;
    /** The Cognito identity of a removed session, for clean-up; not kept for live sessions in state. */
    public String identityId;
    public byte[] aesKey;
    /** The topics the session follows, sorted, each once; empty when none (never null for a live session). */
    public String[] topics = NO_TOPICS;
    public CipherFormat cipher;
    /** Credential expiry, epoch seconds: past it the session receives nothing. */
    public long expires;
    /** Creation time of the session item, epoch milliseconds (0 for items of the original system). */
    public long created;
    /** Incremented by every write to the session item. */
    public long version;
    public boolean removed;
    /** When the change was made (or the scan read it), epoch milliseconds. */
    public long changedMillis;
    /**
     * The item's {@code rewind}: the seconds before its creation (or before this change, for topics it follows from now
     * on) whose fan-out events the session asked to be given. Read from the change that carries it; not kept in state.
     */
    public long rewindSeconds;
    /**
     * The messages the job numbered for this session (its last {@code n}), and the epoch of that numbering: a random
     * number drawn with this incarnation's first number, so that a job that lost its state (and counts again from 1)
     * numbers under another. Kept in state; never read from the item.
     */
    public long sequenced;
    public int sequenceEpoch;
    /** Numbers left unused just before the next one (a rewind's cut): the next message says so. */
    public long sequenceSkipped;

    /**
     * Numbers the next message to this session: its sequence, {@code <epoch, 8 hex digits>:<n>}, and {@code ~<k>} when
     * the {@code k} numbers before it were left unused (what the session will never be sent), so that even a client
     * that starts with this message knows what it missed.
     */
    public String nextSequence() {
        if (sequenceEpoch == 0) {
            sequenceEpoch = newSequenceEpoch();
        }
        String sequence = sequence(sequenceEpoch, ++sequenced) + (sequenceSkipped > 0 ? "~" + sequenceSkipped : "");
        sequenceSkipped = 0;
        return sequence;
    }

    /** Leaves the next {@code count} numbers unused. */
    public void skipSequence(long count) {
        if (sequenceEpoch == 0) {
            sequenceEpoch = newSequenceEpoch();
        }
        sequenced += count;
        sequenceSkipped += count;
    }

    /** {@code <epoch, 8 hex digits>:<n>}; built by hand, as String.format costs a microsecond on a path taken per message. */
    public static String sequence(int epoch, long n) {
        String hex = Integer.toHexString(epoch);
        return "00000000".substring(hex.length()) + hex + ":" + n;
    }

    /** A random, non-zero epoch (0 means none drawn yet). Not a secret: it only tells numberings apart. */
    static int newSequenceEpoch() {
        int epoch;
        do {
            epoch = java.util.concurrent.ThreadLocalRandom.current().nextInt();
        } while (epoch == 0);
        return epoch;
    }

    public SessionRecord() {}

    /** The state key: {@code userId/sessionId} ('/' is not an id character, so the key is unambiguous). */
    public String key() {
        return userId + "/" + sessionId;
    }

    public boolean follows(String topic) {
        return Arrays.binarySearch(topics, topic) >= 0;
    }

    /** True when every routing field present in the event matches this session (whether it is live or not). */
    public boolean matches(DeliveryEvent event) {
        return (event.accountId == null || event.accountId.equals(accountId))
                && (event.userId == null || event.userId.equals(userId))
                && (event.sessionId == null || event.sessionId.equals(sessionId))
                && (event.topic == null || follows(event.topic));
    }

    public boolean isLive(long nowSeconds) {
        return !removed && expires > nowSeconds;
    }

    /**
     * Whether this change should replace {@code current} in state. Change records may arrive out of order
     * and more than once, and the bootstrap scan races with them, so order is decided by the item itself:
     * (creation time, version); at a tie a removal wins, so a stale scan result cannot revive a session.
     */
    public boolean supersedes(SessionRecord current) {
        if (current == null) {
            return true;
        }
        int order = created != current.created ? Long.compare(created, current.created) : Long.compare(version, current.version);
        if (order != 0) {
            return order > 0;
        }
        return removed || !current.removed;
    }

    /** What state keeps of a removed session: keys and order only, so tombstones stay small. */
    public SessionRecord tombstone() {
        SessionRecord t = new SessionRecord();
        t.userId = userId;
        t.sessionId = sessionId;
        t.created = created;
        t.version = version;
        t.removed = true;
        t.topics = NO_TOPICS;
        t.changedMillis = changedMillis;
        return t;
    }

    @Override
    public String toString() {
        return "SessionRecord{" + key() + ", account=" + accountId + ", version=" + version + ", created=" + created
                + (removed ? ", removed" : ", expires=" + expires + ", cipher=" + cipher + ", topics=" + topics.length) + "}";
    }
}
