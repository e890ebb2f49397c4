package io.sqsbrowser.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** A user index (by account, by topic) answers what a plain map of hash sets would, through any sequence of changes. */
class UserIndexTest {

    @Test
    void aUserInSeveralAccountsIsListedOnceByAllUsersAndUnderEachAccount() {
        UserIndex index = new UserIndex();
        index.update("u1", Set.of(), Set.of("a", "b"));
        index.update("u2", Set.of(), Set.of("b"));
        assertThat(index.users("a")).containsExactly("u1");
        assertThat(index.users("b")).containsExactlyInAnyOrder("u1", "u2");
        assertThat(index.users("unknown")).isEmpty();
        assertThat(index.allUsers()).containsExactly("u1", "u2");
        assertThat(index.size()).isEqualTo(3);

        index.update("u1", Set.of("a", "b"), Set.of("b"));
        assertThat(index.users("a")).isEmpty();
        index.update("u2", Set.of("b"), Set.of());
        assertThat(index.allUsers()).containsExactly("u1");
        assertThat(index.size()).isEqualTo(1);
    }

    /**
     * Random adds and removals against a model, with user ids that share hash codes ("Aa" and "BB" hash alike,
     * so do their concatenations): removal must keep every colliding member reachable.
     */
    @Test
    void randomChangesWithCollidingUserIdsMatchAModel() {
        List<String> users = new ArrayList<>();
        for (String a : List.of("Aa", "BB")) {
            for (String b : List.of("Aa", "BB")) {
                for (String c : List.of("Aa", "BB")) {
                    users.add(a + b + c);
                }
            }
        }
        for (int i = 0; i < 200; i++) {
            users.add("user-" + i);
        }
        List<String> accounts = List.of("x", "y", "z");
        Random random = new Random(42);
        UserIndex index = new UserIndex();
        Map<String, Set<String>> model = new HashMap<>();
        for (int step = 0; step < 20_000; step++) {
            String user = users.get(random.nextInt(users.size()));
            Set<String> before = accountsOf(model, user);
            Set<String> after = new TreeSet<>();
            accounts.forEach(a -> {
                if (random.nextInt(3) == 0) {
                    after.add(a);
                }
            });
            index.update(user, before, after);
            model.values().forEach(members -> members.remove(user));
            after.forEach(a -> model.computeIfAbsent(a, k -> new HashSet<>()).add(user));

            for (String a : accounts) {
                assertThat(new HashSet<>(index.users(a))).as("step %d, account %s", step, a)
                        .isEqualTo(model.getOrDefault(a, Set.of()));
            }
        }
        Set<String> everyone = new TreeSet<>();
        model.values().forEach(everyone::addAll);
        assertThat(index.allUsers()).containsExactlyElementsOf(everyone);
    }

    private static Set<String> accountsOf(Map<String, Set<String>> model, String user) {
        Set<String> of = new TreeSet<>();
        model.forEach((account, members) -> {
            if (members.contains(user)) {
                of.add(account);
            }
        });
        return of;
    }
}
