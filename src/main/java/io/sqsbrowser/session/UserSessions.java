package io.sqsbrowser.session;

import io.sqsbrowser.crypto.CipherFormat;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * All sessions of one user, live ones and the tombstones of removed ones: the value of the expander's keyed
 * state (key: the user id). Held as one compact byte array per user, so the heap backend keeps a few small
 * objects per user and RocksDB stores it as is; decoded when an event or a change needs it.
 *
 * <p>Changes are applied by the item's own order ({@link SessionRecord#supersedes}): records may arrive out of
 * order, twice, and racing the bootstrap scan, and the state converges anyway. Tombstones older than the
 * retention are dropped whenever the user's sessions are written.
 */
public final class UserSessions {
    private static final byte FORMAT = 1;
    private static final int REMOVED = 1;
    private static final int GCM = 2;

    private final String userId;
    private final List<SessionRecord> sessions;

    private UserSessions(String userId, List<SessionRecord> sessions) {
        this.userId = userId;
        this.sessions = sessions;
    }

    /** What applying a change did. */
    public enum Change { APPLIED, STALE }

    /** The user's sessions from state; {@code encoded} may be null (no state yet). */
    public static UserSessions decode(String userId, byte[] encoded) {
        List<SessionRecord> sessions = new ArrayList<>(2);
        if (encoded != null) {
            ByteBuffer in = ByteBuffer.wrap(encoded);
            if (in.get() != FORMAT) {
                throw new IllegalStateException("unknown session state format");
            }
            int count = varint(in);
            for (int i = 0; i < count; i++) {
                sessions.add(entry(userId, in));
            }
        }
        return new UserSessions(userId, sessions);
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
        if (i < 0) {
            sessions.add(stored);
        } else {
            sessions.set(i, stored);
        }
        sessions.removeIf(s -> s.removed && s.changedMillis < nowMillis - tombstoneRetentionMillis);
        return Change.APPLIED;
    }

    /** The sessions an event reaches: live ones whose ids match every routing field the event has. */
    public void forEachRecipient(String accountId, String sessionId, long nowSeconds, Consumer<SessionRecord> recipient) {
        for (SessionRecord s : sessions) {
            if (s.isLive(nowSeconds) && (accountId == null || accountId.equals(s.accountId))
                    && (sessionId == null || sessionId.equals(s.sessionId))) {
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

    /** Sessions not removed (some may have expired credentials). */
    public int notRemoved() {
        int n = 0;
        for (SessionRecord s : sessions) {
            n += s.removed ? 0 : 1;
        }
        return n;
    }

    public byte[] encode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + 160 * sessions.size());
        out.write(FORMAT);
        writeVarint(out, sessions.size());
        for (SessionRecord s : sessions) {
            writeString(out, s.sessionId);
            out.write((s.removed ? REMOVED : 0) | (s.cipher == CipherFormat.GCM ? GCM : 0));
            writeVarlong(out, s.created);
            writeVarlong(out, s.version);
            writeVarlong(out, s.changedMillis);
            if (!s.removed) {
                writeString(out, s.accountId);
                writeString(out, s.queueUrl);
                out.write(s.aesKey, 0, s.aesKey.length);
                writeVarlong(out, s.expires);
            }
        }
        return out.toByteArray();
    }

    private int indexOf(String sessionId) {
        for (int i = 0; i < sessions.size(); i++) {
            if (sessions.get(i).sessionId.equals(sessionId)) {
                return i;
            }
        }
        return -1;
    }

    private static SessionRecord entry(String userId, ByteBuffer in) {
        SessionRecord s = new SessionRecord();
        s.userId = userId;
        s.sessionId = readString(in);
        int flags = in.get();
        s.removed = (flags & REMOVED) != 0;
        s.cipher = (flags & GCM) != 0 ? CipherFormat.GCM : CipherFormat.CTR;
        s.created = varlong(in);
        s.version = varlong(in);
        s.changedMillis = varlong(in);
        if (!s.removed) {
            s.accountId = readString(in);
            s.queueUrl = readString(in);
            s.aesKey = new byte[32];
            in.get(s.aesKey);
            s.expires = varlong(in);
        }
        return s;
    }

    private static void writeString(ByteArrayOutputStream out, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        writeVarint(out, bytes.length);
        out.write(bytes, 0, bytes.length);
    }

    private static String readString(ByteBuffer in) {
        int length = varint(in);
        String s = new String(in.array(), in.arrayOffset() + in.position(), length, StandardCharsets.UTF_8);
        in.position(in.position() + length);
        return s;
    }

    private static void writeVarint(ByteArrayOutputStream out, int value) {
        writeVarlong(out, value);
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

    public Iterator<SessionRecord> iterator() {
        return Collections.unmodifiableList(sessions).iterator();
    }

    public String userId() {
        return userId;
    }
}
