package io.sqsbrowser.session;

import io.sqsbrowser.event.DeliveryEvent;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * Every session a subtask knows of, by user: each user's {@link UserSessions} in a {@link Store} (the expander's keyed
 * state), the {@link QueueUrlStems} their compact form refers to, and two in-memory {@link UserIndex}es beside them, by
 * account and by topic.
 * It applies session changes, answers who an event may reach, and forgets, a slice at a time, users with nothing left
 * that can matter. Times are the operator's processing time; it is used from the task thread only.
 */
public final class SessionDirectory {
    /** Users checked by one sweep slice, and how often a sweep pass over every user may start. */
    static final int SWEEP_SLICE = 5_000;
    static final long SWEEP_PASS_MILLIS = 3_600_000L;

    /** Where each user's sessions are kept, as bytes: the operator's keyed state, or a map in tests. */
    public interface Store {
        /** The user's sessions, or null when none are kept. */
        byte[] get(String userId);

        void put(String userId, byte[] sessions);

        void remove(String userId);

        /** Every user with sessions kept. */
        List<String> users();
    }

    /** What the directory reports, for metrics. */
    public interface Listener {
        /** A change older than what is known for its session was ignored. */
        default void staleChange() {}

        /** A user with nothing left that can matter was forgotten by the sweep. */
        default void userForgotten() {}
    }

    /** What applying a change did. */
    public enum Applied {
        /** Nothing: the change was older than what is known. */
        STALE,
        /** A known session changed, or was removed. */
        CHANGED,
        /** A session (or a new life of one: another creation time) is known from now on. */
        LEARNT_OF
    }

    private final Store store;
    private final QueueUrlStems stems = new QueueUrlStems();
    private final UserIndex accounts = new UserIndex();
    private final UserIndex topics = new UserIndex();
    private final long tombstoneRetentionMillis;
    private final Listener listener;
    private long liveSessions;
    private Iterator<String> sweeping;
    private long sweepStarted = Long.MIN_VALUE / 2;

    /**
     * A directory over what {@code store} holds, with the queue URL stems of the checkpoint; the indexes are read
     * back from the store (they are not state).
     */
    public SessionDirectory(Store store, Collection<String> restoredStems, long tombstoneRetentionMillis, Listener listener) {
        this.store = store;
        this.tombstoneRetentionMillis = tombstoneRetentionMillis;
        this.listener = listener;
        stems.addAll(restoredStems);
        for (String user : store.users()) {
            UserSessions us = sessionsOf(user);
            if (us != null) {
                accounts.update(user, Set.of(), us.accounts());
                topics.update(user, Set.of(), us.topics());
                liveSessions += us.notRemoved();
            }
        }
    }

    /** Applies a change (a live image or a removal) if it is newer than what is known of its session. */
    public Applied apply(SessionRecord change, long nowMillis) {
        UserSessions us = UserSessions.decode(change.userId, store.get(change.userId), stems);
        Set<String> accountsBefore = us.accounts();
        Set<String> topicsBefore = us.topics();
        int before = us.notRemoved();
        SessionRecord known = us.session(change.sessionId);
        if (us.apply(change, nowMillis, tombstoneRetentionMillis) == UserSessions.Change.STALE) {
            listener.staleChange();
            return Applied.STALE;
        }
        if (us.isEmpty()) {
            store.remove(change.userId);
        } else {
            store.put(change.userId, us.encode(stems));
        }
        accounts.update(change.userId, accountsBefore, us.accounts());
        topics.update(change.userId, topicsBefore, us.topics());
        liveSessions += us.notRemoved() - before;
        boolean learntOf = !change.removed && (known == null || known.created != change.created);
        return learntOf ? Applied.LEARNT_OF : Applied.CHANGED;
    }

    /** What is known of one session (live or a tombstone), or null. */
    public SessionRecord session(String userId, String sessionId) {
        UserSessions us = sessionsOf(userId);
        return us == null ? null : us.session(sessionId);
    }

    /** Keeps what changed in a user's sessions read with {@link #sessionsOf}: the numbering of their messages. */
    public void numbered(String userId, UserSessions sessions) {
        store.put(userId, sessions.encode(stems));
    }

    /**
     * Leaves {@code count} numbers of a session's sequence unused: messages it will never be sent (a rewind's events
     * beyond its bound), whose gap its client then sees.
     */
    public void skipSequence(String userId, String sessionId, long count) {
        UserSessions us = sessionsOf(userId);
        SessionRecord s = us == null ? null : us.session(sessionId);
        if (s != null && !s.removed) {
            s.skipSequence(count);
            numbered(userId, us);
        }
    }

    /** The user's sessions, or null when none are known. */
    public UserSessions sessionsOf(String userId) {
        byte[] bytes = store.get(userId);
        return bytes == null ? null : UserSessions.decode(userId, bytes, stems);
    }

    /**
     * The users a fan-out event may reach: a topic's followers (of any account: the sessions are matched one by one),
     * else the users with a session in the account, else (no topic, no account) every user with a session.
     */
    public Collection<String> users(DeliveryEvent event) {
        if (event.topic != null) {
            return topics.users(event.topic);
        }
        return event.accountId != null ? accounts.users(event.accountId) : accounts.allUsers();
    }

    /**
     * Forgets, a slice of {@link #SWEEP_SLICE} users at a time, users with nothing left that can matter (every session
     * removed or expired longer ago than the tombstone retention; {@link UserSessions#forgettable}): a pass over every
     * user at most once per {@link #SWEEP_PASS_MILLIS}.
     */
    public void sweep(long nowMillis) {
        if (sweeping == null || !sweeping.hasNext()) {
            if (nowMillis - sweepStarted < SWEEP_PASS_MILLIS) {
                return;
            }
            sweepStarted = nowMillis;
            sweeping = store.users().iterator();
        }
        for (int i = 0; i < SWEEP_SLICE && sweeping.hasNext(); i++) {
            String user = sweeping.next();
            UserSessions us = sessionsOf(user);
            if (us != null && us.forgettable(nowMillis, tombstoneRetentionMillis)) {
                store.remove(user);
                accounts.update(user, us.accounts(), Set.of());
                topics.update(user, us.topics(), Set.of());
                liveSessions -= us.notRemoved();
                listener.userForgotten();
            }
        }
    }

    /** Sessions known and not removed (some may have expired credentials, to be renewed). */
    public long liveSessions() {
        return liveSessions;
    }

    /** The queue URL stems, for the checkpoint: any subtask may read any user's sessions after a rescale. */
    public List<String> stems() {
        return stems.stems();
    }
}
