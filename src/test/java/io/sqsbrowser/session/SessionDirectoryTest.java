package io.sqsbrowser.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.aws.QueueNames;
import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.testing.MapSessionStore;
import io.sqsbrowser.testing.SessionRecords;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The session directory over a map: what applying changes answers, the account index beside it, and the sweep. */
class SessionDirectoryTest {
    private static final long NOW = 1_764_000_000_000L;
    private static final long HOUR = 3_600_000L;
    private final MapSessionStore store = new MapSessionStore();
    private int stale;
    private int forgotten;
    private final SessionDirectory.Listener counts = new SessionDirectory.Listener() {
        @Override
        public void staleChange() {
            stale++;
        }

        @Override
        public void userForgotten() {
            forgotten++;
        }
    };

    private static SessionRecord live(String account, String user, String session) {
        SessionRecord s = SessionRecords.live(account, user, session, CipherFormat.GCM, NOW / 1000);
        s.queueUrl = "https://sqs.us-east-1.amazonaws.com/123456789012/" + QueueNames.newName("prod-sqs-browser");
        s.created = NOW - 1_000;
        return s;
    }

    @Test
    void aChangeSaysWhetherTheSessionIsNewOrAlreadyKnownOrStale() {
        SessionDirectory d = new SessionDirectory(store, List.of(), HOUR, counts);
        SessionRecord s = live("A", "u1", "s1");
        assertThat(d.apply(s, NOW)).isEqualTo(SessionDirectory.Applied.LEARNT_OF);
        assertThat(d.apply(s, NOW)).as("the same record again").isEqualTo(SessionDirectory.Applied.CHANGED);
        SessionRecord renewed = live("A", "u1", "s1");
        renewed.created = s.created;
        renewed.version = 2;
        assertThat(d.apply(renewed, NOW)).as("a renewal").isEqualTo(SessionDirectory.Applied.CHANGED);
        assertThat(d.apply(s, NOW)).as("the version before the renewal").isEqualTo(SessionDirectory.Applied.STALE);
        SessionRecord again = live("A", "u1", "s1");
        again.created = s.created + 5;
        assertThat(d.apply(again, NOW)).as("created again: a new life").isEqualTo(SessionDirectory.Applied.LEARNT_OF);
        SessionRecord removed = again.tombstone();
        removed.version = 2;
        assertThat(d.apply(removed, NOW)).isEqualTo(SessionDirectory.Applied.CHANGED);
        assertThat(stale).isEqualTo(1);
        assertThat(d.liveSessions()).isZero();
        assertThat(d.sessionsOf("u1").session("s1").removed).isTrue();
    }

    @Test
    void theAccountIndexFollowsTheChangesAndIsReadBackFromTheStore() {
        SessionDirectory d = new SessionDirectory(store, List.of(), HOUR, counts);
        d.apply(live("A", "u1", "s1"), NOW);
        d.apply(live("B", "u1", "s2"), NOW);
        SessionRecord u2 = live("B", "u2", "s3");
        d.apply(u2, NOW);
        assertThat(d.users("A")).containsExactly("u1");
        assertThat(d.users("B")).containsExactlyInAnyOrder("u1", "u2");
        assertThat(d.users(null)).containsExactly("u1", "u2");
        SessionRecord gone = u2.tombstone();
        gone.version = 2;
        d.apply(gone, NOW);
        assertThat(d.users("B")).containsExactly("u1");

        SessionDirectory restored = new SessionDirectory(store, d.stems(), HOUR, counts);
        assertThat(restored.users(null)).containsExactly("u1");
        assertThat(restored.users("B")).containsExactly("u1");
        assertThat(restored.liveSessions()).isEqualTo(2);
        assertThat(restored.sessionsOf("u1").session("s2").queueUrl).isEqualTo(d.sessionsOf("u1").session("s2").queueUrl);
    }

    /**
     * The sweep forgets, a slice at a time, users whose sessions all lapsed longer ago than the retention, and no one
     * else; a pass starts at most once an hour of processing time; afterwards nothing of them is left in the store.
     */
    @Test
    void theSweepForgetsLapsedUsersASliceAtATimeAndLeavesNothingOfThem() {
        SessionDirectory d = new SessionDirectory(store, List.of(), HOUR, counts);
        int lapsedUsers = SessionDirectory.SWEEP_SLICE + 10;
        for (int i = 0; i < lapsedUsers; i++) {
            SessionRecord s = live("A", "lapsed-" + i, "s" + i);
            s.expires = (NOW - 2 * HOUR) / 1000;
            d.apply(s, NOW);
        }
        d.apply(live("A", "live", "s-live"), NOW);
        d.sweep(NOW);
        assertThat(forgotten).as("one slice").isEqualTo(SessionDirectory.SWEEP_SLICE);
        d.sweep(NOW + 1_000);
        assertThat(forgotten).as("the rest of the pass").isEqualTo(lapsedUsers);
        assertThat(store.users()).containsExactly("live");
        assertThat(d.users(null)).containsExactly("live");
        assertThat(d.liveSessions()).isEqualTo(1);

        SessionRecord lapsesLater = live("A", "later", "s-later");
        lapsesLater.expires = (NOW - 2 * HOUR) / 1000;
        d.apply(lapsesLater, NOW);
        d.sweep(NOW + 2_000);
        assertThat(store.users()).as("no new pass within the hour").contains("later");
        d.sweep(NOW + SessionDirectory.SWEEP_PASS_MILLIS);
        assertThat(store.users()).containsExactly("live");
    }

    @Test
    void tombstonesOutliveTheirRetentionOnlyUntilTheUserIsWrittenAgain() {
        SessionDirectory d = new SessionDirectory(store, List.of(), HOUR, counts);
        SessionRecord s = live("A", "u1", "s1");
        d.apply(s, NOW);
        SessionRecord removed = s.tombstone();
        removed.version = 2;
        removed.changedMillis = NOW;
        d.apply(removed, NOW);
        d.apply(live("A", "u1", "s2"), NOW + HOUR / 2);
        assertThat(d.sessionsOf("u1").session("s1")).as("within the retention").isNotNull();
        d.apply(live("A", "u1", "s3"), NOW + 2 * HOUR);
        assertThat(d.sessionsOf("u1").session("s1")).as("past the retention, at the next write").isNull();
        assertThat(d.apply(s, NOW + 2 * HOUR)).as("the old image, once its tombstone is gone, is news again")
                .isEqualTo(SessionDirectory.Applied.LEARNT_OF);
    }
}
