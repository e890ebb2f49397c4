package io.sqsbrowser.session;

import io.sqsbrowser.event.DeliveryEvent;
import io.sqsbrowser.expand.ShareByScope;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Indexes of the live sessions held in broadcast state, so an event finds its audience without scanning:
 * by user, by account, and by session id. Rebuilt from state on restore; the records are the state's own
 * objects, not copies.
 */
public final class SessionDirectory {
    private final Map<String, Map<String, SessionRecord>> byUser = new HashMap<>();
    private final Map<String, Set<SessionRecord>> byAccount = new HashMap<>();
    /** Session ids are unique by contract; an array keeps the rare duplicate across users correct. */
    private final Map<String, SessionRecord[]> bySessionId = new HashMap<>();
    private int size;

    /** Replaces {@code previous} (the record state held, or null) with {@code next}. Tombstones are not indexed. */
    public void replace(SessionRecord previous, SessionRecord next) {
        if (previous != null && !previous.removed) {
            remove(previous);
        }
        if (next != null && !next.removed) {
            add(next);
        }
    }

    /** Number of sessions indexed (not removed; some may have expired credentials). */
    public int size() {
        return size;
    }

    /**
     * Calls {@code recipient} for every live session the event reaches that falls in part {@code share} of
     * {@code shareCount} (a targeted event comes as the single part of one).
     */
    public void forEachRecipient(DeliveryEvent event, int share, int shareCount, long nowSeconds,
            Consumer<SessionRecord> recipient) {
        switch (event.scope()) {
            case SESSION:
                for (SessionRecord r : bySessionId.getOrDefault(event.sessionId, NONE)) {
                    offer(r, event, share, shareCount, nowSeconds, recipient);
                }
                break;
            case USER:
                for (SessionRecord r : byUser.getOrDefault(event.userId, Collections.emptyMap()).values()) {
                    offer(r, event, share, shareCount, nowSeconds, recipient);
                }
                break;
            case ACCOUNT:
                for (SessionRecord r : byAccount.getOrDefault(event.accountId, Collections.emptySet())) {
                    offer(r, event, share, shareCount, nowSeconds, recipient);
                }
                break;
            default:
                for (Map<String, SessionRecord> sessions : byUser.values()) {
                    for (SessionRecord r : sessions.values()) {
                        offer(r, event, share, shareCount, nowSeconds, recipient);
                    }
                }
        }
    }

    /**
     * Calls {@code user} once for every user with a live session the event reaches, among the users that
     * belong to part {@code share} of {@code shareCount} (by user id): each user's history row is written
     * by exactly one subtask, however its sessions are spread.
     */
    public void forEachRecipientUser(DeliveryEvent event, int share, int shareCount, long nowSeconds,
            Consumer<String> user) {
        Iterable<String> candidates = event.scope() == DeliveryEvent.Scope.ACCOUNT
                ? usersOf(byAccount.getOrDefault(event.accountId, Collections.emptySet()))
                : byUser.keySet();
        for (String userId : candidates) {
            if (ShareByScope.shareOf(userId, shareCount) == share
                    && byUser.get(userId).values().stream().anyMatch(r -> r.isLive(nowSeconds)
                            && event.matches(r.accountId, r.userId, r.sessionId))) {
                user.accept(userId);
            }
        }
    }

    private static Set<String> usersOf(Set<SessionRecord> sessions) {
        Set<String> users = new java.util.HashSet<>();
        sessions.forEach(r -> users.add(r.userId));
        return users;
    }

    private static void offer(SessionRecord r, DeliveryEvent event, int share, int shareCount, long nowSeconds,
            Consumer<SessionRecord> recipient) {
        if (r.isLive(nowSeconds)
                && event.matches(r.accountId, r.userId, r.sessionId)
                && (shareCount == 1 || ShareByScope.shareOf(r.sessionId, shareCount) == share)) {
            recipient.accept(r);
        }
    }

    private void add(SessionRecord r) {
        byUser.computeIfAbsent(r.userId, k -> new HashMap<>(4)).put(r.sessionId, r);
        byAccount.computeIfAbsent(r.accountId, k -> Collections.newSetFromMap(new IdentityHashMap<>())).add(r);
        SessionRecord[] same = bySessionId.get(r.sessionId);
        if (same == null) {
            bySessionId.put(r.sessionId, new SessionRecord[] {r});
        } else {
            SessionRecord[] more = Arrays.copyOf(same, same.length + 1);
            more[same.length] = r;
            bySessionId.put(r.sessionId, more);
        }
        size++;
    }

    private void remove(SessionRecord r) {
        Map<String, SessionRecord> sessions = byUser.get(r.userId);
        if (sessions == null || sessions.remove(r.sessionId) == null) {
            return;
        }
        if (sessions.isEmpty()) {
            byUser.remove(r.userId);
        }
        Set<SessionRecord> account = byAccount.get(r.accountId);
        account.remove(r);
        if (account.isEmpty()) {
            byAccount.remove(r.accountId);
        }
        SessionRecord[] same = bySessionId.get(r.sessionId);
        SessionRecord[] rest = Arrays.stream(same).filter(s -> s != r).toArray(SessionRecord[]::new);
        if (rest.length == 0) {
            bySessionId.remove(r.sessionId);
        } else {
            bySessionId.put(r.sessionId, rest);
        }
        size--;
    }

    private static final SessionRecord[] NONE = new SessionRecord[0];
}
