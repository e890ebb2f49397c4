package io.sqsbrowser.session;

import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.event.DeliveryEvent;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * All sessions of one user, live ones and the tombstones of removed ones: the value of the expander's keyed
 * state (key: the user id). Held as one compact byte array per user, so the heap backend keeps a few small
 * objects per user and RocksDB stores it as is; decoded when an event or a change needs it. Compact: a queue URL
 * is its stem's id and 32 bytes ({@link QueueUrlStems}), a UUID session id 16 bytes, numbers variable-length.
 *
 * <p>Changes are applied by the item's own order ({@link SessionRecord#supersedes}): records may arrive out of
 * order, twice, and racing the bootstrap scan, and the state converges anyway. Tombstones older than the
 * retention are dropped whenever the user's sessions are written.
 */
public final class UserSessions {
    /**
     * The version of the encoding, its first byte. A release that changes the encoding writes a new version and still
     * reads every older one (the savepoint fixtures of earlier releases are restored by the tests). Format 2 adds each
     * live session's topics; a user none of whose sessions follows a topic is still written in format 1, so state
     * stays readable by release 1 (a rollback) until topics are used. Format 3 adds each live session's sequence (how
     * many messages it was sent, the epoch of that numbering, and the numbers it left unused before the next); it is
     * written once a session has been numbered.
     */
    private static final byte FORMAT_1 = 1;
    private static final byte FORMAT_WITH_TOPICS = 2;
    private static final byte FORMAT_WITH_SEQUENCES = 3;
    private static final int REMOVED = 1;
    private static final int GCM = 2;
    private static final int UUID_SESSION_ID = 4;
    private static final int COMPACT_QUEUE_URL = 8;

    private final List<SessionRecord> sessions;

    private UserSessions(List<SessionRecord> sessions) {
        this.sessions = sessions;
    }

    /** What applying a change did. */
    public enum Change { APPLIED, STALE }

    /** The user's sessions from state; {@code encoded} may be null (no state yet). */
    public static UserSessions decode(String userId, byte[] encoded, QueueUrlStems stems) {
        List<SessionRecord> sessions = new ArrayList<>(2);
        if (encoded != null) {
            ByteBuffer in = ByteBuffer.wrap(encoded);
            byte format = in.get();
            if (format < FORMAT_1 || format > FORMAT_WITH_SEQUENCES) {
                throw new IllegalStateException("session state of format " + format + ", which this release cannot read (it reads "
                        + FORMAT_1 + " to " + FORMAT_WITH_SEQUENCES + "): restore it with the release that wrote it, or a later one");
            }
            int count = varint(in);
            for (int i = 0; i < count; i++) {
                sessions.add(entry(userId, in, stems, format));
            }
        }
        return new UserSessions(sessions);
    }

    public boolean isEmpty() {
        return sessions.isEmpty();
    }

    /** Applies a change (a live image or a removal) if it is newer than what is held for that session. */
    public Change apply(SessionRecord change, long nowMillis, long tombstoneRetentionMillis) {
        int i = indexOf(change.sessionId);
        SessionRecord current = i < 0 ? null : sessions.get(i);
        if (!change.supersedes(current)) {
            return Change.STALE;
        }
        SessionRecord stored = change.removed ? change.tombstone() : change;
        if (!change.removed) {
            // A later image of the same incarnation goes on with its numbering; a new incarnation starts its own (its
            // epoch is drawn with its first number).
            boolean sameLife = current != null && !current.removed && current.created == change.created;
            stored.sequenced = sameLife ? current.sequenced : 0;
            stored.sequenceEpoch = sameLife ? current.sequenceEpoch : 0;
            stored.sequenceSkipped = sameLife ? current.sequenceSkipped : 0;
        }
        if (i < 0) {
            sessions.add(stored);
        } else {
            sessions.set(i, stored);
        }
        sessions.removeIf(s -> s.removed && s.changedMillis < nowMillis - tombstoneRetentionMillis);
        return Change.APPLIED;
    }

    /** The sessions an event reaches: live ones that match every routing field the event has. */
    public void forEachRecipient(DeliveryEvent event, long nowSeconds, Consumer<SessionRecord> recipient) {
        for (SessionRecord s : sessions) {
            if (s.isLive(nowSeconds) && s.matches(event)) {
                recipient.accept(s);
            }
        }
    }

    /** One session by id, live or not; null when unknown. */
    public SessionRecord session(String sessionId) {
        int i = indexOf(sessionId);
        return i < 0 ? null : sessions.get(i);
    }

    /** The accounts of the user's sessions that are not removed (expired ones included: they may be renewed). */
    public Set<String> accounts() {
        Set<String> accounts = new TreeSet<>();
        for (SessionRecord s : sessions) {
            if (!s.removed) {
                accounts.add(s.accountId);
            }
        }
        return accounts.isEmpty() ? Collections.emptySet() : accounts;
    }

    /** The topics the user's sessions that are not removed follow (expired ones included, as for accounts). */
    public Set<String> topics() {
        Set<String> topics = null;
        for (SessionRecord s : sessions) {
            if (!s.removed && s.topics.length > 0) {
                topics = topics == null ? new TreeSet<>() : topics;
                Collections.addAll(topics, s.topics);
            }
        }
        return topics == null ? Collections.emptySet() : topics;
    }

    /**
     * True when nothing held can matter again: every session removed, or its credentials expired, longer ago than
     * the retention. (Every write of a session's item renews its credentials, so such a session was not written for
     * the retention either.)
     */
    public boolean forgettable(long nowMillis, long retentionMillis) {
        long horizon = nowMillis - retentionMillis;
        for (SessionRecord s : sessions) {
            if ((s.removed ? s.changedMillis : s.expires * 1000) >= horizon) {
                return false;
            }
        }
        return true;
    }

    /** Sessions not removed (some may have expired credentials). */
    public int notRemoved() {
        int n = 0;
        for (SessionRecord s : sessions) {
            n += s.removed ? 0 : 1;
        }
        return n;
    }

    public byte[] encode(QueueUrlStems stems) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(32 + 128 * sessions.size());
        boolean withSequences = sessions.stream().anyMatch(s -> s.sequenced > 0);
        boolean withTopics = withSequences || sessions.stream().anyMatch(s -> s.topics.length > 0);
        out.write(withSequences ? FORMAT_WITH_SEQUENCES : withTopics ? FORMAT_WITH_TOPICS : FORMAT_1);
        writeVarlong(out, sessions.size());
        for (SessionRecord s : sessions) {
            boolean uuid = isLowerCaseUuid(s.sessionId);
            QueueUrlStems.Compact queue = s.removed ? null : stems.compact(s.queueUrl);
            out.write((s.removed ? REMOVED : 0) | (s.cipher == CipherFormat.GCM ? GCM : 0) | (uuid ? UUID_SESSION_ID : 0)
                    | (queue != null ? COMPACT_QUEUE_URL : 0));
            if (uuid) {
                UUID id = UUID.fromString(s.sessionId);
                writeLong(out, id.getMostSignificantBits());
                writeLong(out, id.getLeastSignificantBits());
            } else {
                writeString(out, s.sessionId);
            }
            writeVarlong(out, s.created);
            writeVarlong(out, s.version);
            if (s.removed) {
                // Only a tombstone's age matters: it is forgotten after the retention.
                writeVarlong(out, s.changedMillis);
                continue;
            }
            writeString(out, s.accountId);
            if (queue != null) {
                writeInt(out, queue.stemId);
                out.write(queue.random, 0, queue.random.length);
            } else {
                writeString(out, s.queueUrl);
            }
            out.write(s.aesKey, 0, s.aesKey.length);
            writeVarlong(out, s.expires);
            if (withTopics) {
                writeVarlong(out, s.topics.length);
                for (String topic : s.topics) {
                    writeString(out, topic);
                }
            }
            if (withSequences) {
                writeVarlong(out, s.sequenced);
                writeInt(out, s.sequenceEpoch);
                writeVarlong(out, s.sequenceSkipped);
            }
        }
        return out.toByteArray();
    }

    /**
     * Whether a session id is a UUID as {@link UUID#toString} writes it (lower case), which is stored as 16 bytes and read
     * back the same. By hand, not by a regular expression: a user's sessions are encoded once per message they are sent
     * (their numbering), where the expression took a third of the encoding's time (JFR, the broadcast benchmark).
     */
    static boolean isLowerCaseUuid(String id) {
        if (id.length() != 36) {
            return false;
        }
        for (int i = 0; i < 36; i++) {
            char c = id.charAt(i);
            boolean ok = i == 8 || i == 13 || i == 18 || i == 23 ? c == '-' : c >= '0' && c <= '9' || c >= 'a' && c <= 'f';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private int indexOf(String sessionId) {
        for (int i = 0; i < sessions.size(); i++) {
            if (sessions.get(i).sessionId.equals(sessionId)) {
                return i;
            }
        }
        return -1;
    }

    private static SessionRecord entry(String userId, ByteBuffer in, QueueUrlStems stems, byte format) {
        SessionRecord s = new SessionRecord();
        s.userId = userId;
        int flags = in.get();
        s.removed = (flags & REMOVED) != 0;
        s.cipher = (flags & GCM) != 0 ? CipherFormat.GCM : CipherFormat.CTR;
        s.sessionId = (flags & UUID_SESSION_ID) != 0 ? new UUID(in.getLong(), in.getLong()).toString() : readString(in);
        s.created = varlong(in);
        s.version = varlong(in);
        if (s.removed) {
            s.changedMillis = varlong(in);
            return s;
        }
        s.accountId = readString(in);
        if ((flags & COMPACT_QUEUE_URL) != 0) {
            int stemId = in.getInt();
            byte[] random = new byte[QueueUrlStems.RANDOM_BYTES];
            in.get(random);
            s.queueUrl = stems.url(stemId, random);
        } else {
            s.queueUrl = readString(in);
        }
        s.aesKey = new byte[32];
        in.get(s.aesKey);
        s.expires = varlong(in);
        if (format >= FORMAT_WITH_TOPICS) {
            int count = varint(in);
            s.topics = count == 0 ? SessionRecord.NO_TOPICS : new String[count];
            for (int i = 0; i < count; i++) {
                s.topics[i] = readString(in);
            }
        }
        if (format >= FORMAT_WITH_SEQUENCES) {
            s.sequenced = varlong(in);
            s.sequenceEpoch = in.getInt();
            s.sequenceSkipped = varlong(in);
        }
        return s;
    }

    private static void writeInt(ByteArrayOutputStream out, int value) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            out.write(value >>> shift);
        }
    }

    private static void writeLong(ByteArrayOutputStream out, long value) {
        for (int shift = 56; shift >= 0; shift -= 8) {
            out.write((int) (value >>> shift));
        }
    }

    private static void writeString(ByteArrayOutputStream out, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        writeVarlong(out, bytes.length);
        out.write(bytes, 0, bytes.length);
    }

    private static String readString(ByteBuffer in) {
        int length = varint(in);
        String s = new String(in.array(), in.arrayOffset() + in.position(), length, StandardCharsets.UTF_8);
        in.position(in.position() + length);
        return s;
    }

    /** Unsigned LEB128; every number stored here is non-negative. */
    private static void writeVarlong(ByteArrayOutputStream out, long value) {
        long v = value;
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static int varint(ByteBuffer in) {
        return (int) varlong(in);
    }

    private static long varlong(ByteBuffer in) {
        long value = 0;
        for (int shift = 0; ; shift += 7) {
            byte b = in.get();
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
    }
}
