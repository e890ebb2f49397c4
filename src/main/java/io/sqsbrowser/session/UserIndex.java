package io.sqsbrowser.session;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which users of this subtask have sessions under which name: an account, or a topic their sessions follow. An account
 * or topic event reads only its account's or topic's users, not every session. Held in memory beside the keyed session
 * state and rebuilt from it after a restore (state is keyed by user; an index by account or topic cannot be keyed
 * state). Holds each user once per name, as a reference in a {@link CompactStringSet} (the user id string is the
 * state's key, shared, not copied).
 */
public final class UserIndex {
    private final Map<String, CompactStringSet> usersByName = new HashMap<>();
    private int users;

    /** A user's accounts (or topics) changed from {@code before} to {@code after}. */
    public void update(String userId, Set<String> before, Set<String> after) {
        for (String name : before) {
            if (!after.contains(name)) {
                remove(name, userId);
            }
        }
        for (String name : after) {
            if (!before.contains(name) && usersByName.computeIfAbsent(name, n -> new CompactStringSet()).add(userId)) {
                users++;
            }
        }
    }

    private void remove(String name, String userId) {
        CompactStringSet members = usersByName.get(name);
        if (members != null && members.remove(userId)) {
            users--;
            if (members.isEmpty()) {
                usersByName.remove(name);
            }
        }
    }

    public Set<String> users(String name) {
        CompactStringSet members = usersByName.get(name);
        return members == null ? Collections.emptySet() : Collections.unmodifiableSet(members);
    }

    /** Every user under any name, each once, in user-id order (of the account index: every user with a session). */
    public List<String> allUsers() {
        String[] all = new String[users];
        int filled = 0;
        for (CompactStringSet members : usersByName.values()) {
            filled = members.copyInto(all, filled);
        }
        Arrays.sort(all);
        // A user under several names is listed once per name: keep the first of each run.
        int distinct = 0;
        for (int i = 0; i < all.length; i++) {
            if (distinct == 0 || !all[i].equals(all[distinct - 1])) {
                all[distinct++] = all[i];
            }
        }
        return Arrays.asList(all).subList(0, distinct);
    }

    /** Index entries (user-name pairs). */
    public int size() {
        return users;
    }
}
