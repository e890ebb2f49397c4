package io.sqsbrowser.session;

import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which users of this subtask have sessions in which account: an account event reads only its account's
 * users, not every session. Held in memory beside the keyed session state and rebuilt from it after a restore
 * (state is keyed by user; an index by account cannot be keyed state). Holds each user once per account.
 */
public final class AccountIndex {
    private final Map<String, Set<String>> usersByAccount = new HashMap<>();
    private int users;

    /** A user's accounts changed from {@code before} to {@code after}. */
    public void update(String userId, Set<String> before, Set<String> after) {
        for (String account : before) {
            if (!after.contains(account)) {
                remove(account, userId);
            }
        }
        for (String account : after) {
            if (!before.contains(account) && usersByAccount.computeIfAbsent(account, a -> new HashSet<>(4)).add(userId)) {
                users++;
            }
        }
    }

    /** Forgets a user of an account (its state expired). */
    public void remove(String accountId, String userId) {
        Set<String> members = usersByAccount.get(accountId);
        if (members != null && members.remove(userId)) {
            users--;
            if (members.isEmpty()) {
                usersByAccount.remove(accountId);
            }
        }
    }

    public Set<String> users(String accountId) {
        return Collections.unmodifiableSet(usersByAccount.getOrDefault(accountId, Collections.emptySet()));
    }

    /** Every user with a session in any account, each once. */
    public Collection<String> allUsers() {
        Set<String> all = new HashSet<>(users * 2);
        usersByAccount.values().forEach(all::addAll);
        return all;
    }

    /** Index entries (user-account pairs). */
    public int size() {
        return users;
    }
}
