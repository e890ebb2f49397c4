package io.sqsbrowser.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.event.DeliveryEvent;
import io.sqsbrowser.testing.SessionRecords;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SessionDirectoryTest {
    private static final long NOW = 1_800_000_000L;
    private final SessionDirectory directory = new SessionDirectory();

    static SessionRecord session(String account, String user, String session) {
        SessionRecord r = SessionRecords.live(account, user, session, CipherFormat.GCM, NOW);
        r.expires = NOW + 60;
        return r;
    }

    static DeliveryEvent event(String account, String user, String session) {
        DeliveryEvent e = new DeliveryEvent();
        e.accountId = account;
        e.userId = user;
        e.sessionId = session;
        return e;
    }

    private Set<String> recipients(DeliveryEvent e) {
        Set<String> out = new HashSet<>();
        directory.forEachRecipient(e, 0, 1, NOW, r -> out.add(r.sessionId));
        return out;
    }

    private void add(SessionRecord r) {
        directory.replace(null, r);
    }

    @Test
    void eachScopeReachesExactlyItsSessions() {
        add(session("A", "u1", "s1"));
        add(session("A", "u1", "s2"));
        add(session("A", "u2", "s3"));
        add(session("B", "u3", "s4"));
        assertThat(recipients(event(null, null, null))).containsExactlyInAnyOrder("s1", "s2", "s3", "s4");
        assertThat(recipients(event("A", null, null))).containsExactlyInAnyOrder("s1", "s2", "s3");
        assertThat(recipients(event(null, "u1", null))).containsExactlyInAnyOrder("s1", "s2");
        assertThat(recipients(event(null, null, "s3"))).containsExactly("s3");
        // Every routing field present must match.
        assertThat(recipients(event("B", "u1", null))).isEmpty();
        assertThat(recipients(event(null, "u2", "s1"))).isEmpty();
        assertThat(recipients(event("A", "u1", "s2"))).containsExactly("s2");
        assertThat(recipients(event(null, "nobody", null))).isEmpty();
    }

    @Test
    void expiredAndRemovedSessionsReceiveNothing() {
        SessionRecord expired = session("A", "u1", "s1");
        expired.expires = NOW;
        add(expired);
        SessionRecord live = session("A", "u1", "s2");
        add(live);
        directory.replace(live, live.tombstone());
        assertThat(recipients(event(null, null, null))).isEmpty();
        assertThat(directory.size()).isEqualTo(1);
    }

    @Test
    void replacingARecordMovesItBetweenAccounts() {
        SessionRecord before = session("A", "u1", "s1");
        add(before);
        SessionRecord after = session("B", "u1", "s1");
        directory.replace(before, after);
        assertThat(recipients(event("A", null, null))).isEmpty();
        assertThat(recipients(event("B", null, null))).containsExactly("s1");
        assertThat(directory.size()).isEqualTo(1);
    }

    @Test
    void aDuplicatedSessionIdAcrossUsersReachesBothOnlyWhenNoUserIsNamed() {
        add(session("A", "u1", "same"));
        add(session("A", "u2", "same"));
        List<String> users = new ArrayList<>();
        directory.forEachRecipient(event(null, null, "same"), 0, 1, NOW, r -> users.add(r.userId));
        assertThat(users).containsExactlyInAnyOrder("u1", "u2");
        users.clear();
        directory.forEachRecipient(event(null, "u2", "same"), 0, 1, NOW, r -> users.add(r.userId));
        assertThat(users).containsExactly("u2");
    }

    @Test
    void sharesOfABroadcastPartitionTheSessionsExactly() {
        for (int i = 0; i < 1000; i++) {
            add(session(i % 2 == 0 ? "A" : "B", "u" + i, "s" + i));
        }
        for (DeliveryEvent e : List.of(event(null, null, null), event("A", null, null))) {
            for (int shareCount : new int[] {1, 2, 3, 8}) {
                List<String> all = new ArrayList<>();
                int smallest = Integer.MAX_VALUE;
                for (int share = 0; share < shareCount; share++) {
                    List<String> part = new ArrayList<>();
                    directory.forEachRecipient(e, share, shareCount, NOW, r -> part.add(r.sessionId));
                    smallest = Math.min(smallest, part.size());
                    all.addAll(part);
                }
                int expected = e.accountId == null ? 1000 : 500;
                assertThat(all).hasSize(expected).doesNotHaveDuplicates();
                assertThat(smallest).as("shares are balanced").isGreaterThan(expected / shareCount / 2);
            }
        }
    }
}
