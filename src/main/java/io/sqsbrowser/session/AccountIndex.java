package io.sqsbrowser.session;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which users of this subtask have sessions in which account: an account event reads only its account's
 * users, not every session. Held in memory beside the keyed session state and rebuilt from it after a restore
 * (state is keyed by user; an index by account cannot be keyed state). Holds each user once per account, as a
 * reference in a {@link CompactStringSet} (the user id string is the state's key, shared, not copied).
 */
public final class AccountIndex {
    private final Map<String, CompactStringSet> usersByAccount = new HashMap<>();
    private int users;

    /** A user's accounts changed from {@code before} to {@code after}. */
    public void update(String userId, Set<String> before, Set<String> after) {
        for (String account : before) {
            if (!after.contains(account)) {
                remove(account, userId);
            }
        }
        for (String account : after) {
            if (!before.contains(account) && usersByAccount.computeIfAbsent(account, a -> new CompactStringSet()).add(userId)) {
                users++;
            }
        }
    }

    private void remove(String accountId, String userId) {
        CompactStringSet members = usersByAccount.get(accountId);
        if (members != null && members.remove(userId)) {
            users--;
            if (members.isEmpty()) {
                usersByAccount.remove(accountId);
            }
        }
    }

    public Set<String> users(String accountId) {
        CompactStringSet members = usersByAccount.get(accountId);
        return members == null ? Collections.emptySet() : Collections.unmodifiableSet(members);
    }

    /** Every user with a session in any account, each once, in user-id order. */
    public List<String> allUsers() {
        String[] all = new String[users];
        int filled = 0;
        for (CompactStringSet members : usersByAccount.values()) {
            filled = members.copyInto(all, filled);
        }
        Arrays.sort(all);
        // A user with sessions in several accounts is listed once per account: keep the first of each run.
        int distinct = 0;
        for (int i = 0; i < all.length; i++) {
            if (distinct == 0 || !all[i].equals(all[distinct - 1])) {
                all[distinct++] = all[i];
            }
        }
        return Arrays.asList(all).subList(0, distinct);
    }

    /** Index entries (user-account pairs). */
    public int size() {
        return users;
    }
}
