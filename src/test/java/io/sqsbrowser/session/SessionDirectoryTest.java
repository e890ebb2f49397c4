package io.sqsbrowser.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.aws.QueueNames;
import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.event.DeliveryEvent;
import io.sqsbrowser.testing.MapSessionStore;
import io.sqsbrowser.testing.SessionRecords;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The session directory over a map: what applying changes answers, the account and topic indexes beside it, and the sweep. */
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

    private static DeliveryEvent account(String accountId) {
        DeliveryEvent e = new DeliveryEvent();
        e.accountId = accountId;
        return e;
    }

    private static DeliveryEvent topic(String topic) {
        DeliveryEvent e = new DeliveryEvent();
        e.topic = topic;
        return e;
    }

    private static SessionRecord following(SessionRecord s, long version, String... topics) {
        s.version = version;
        s.topics = topics;
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
        assertThat(d.users(account("A"))).containsExactly("u1");
        assertThat(d.users(account("B"))).containsExactlyInAnyOrder("u1", "u2");
        assertThat(d.users(account(null))).containsExactly("u1", "u2");
        SessionRecord gone = u2.tombstone();
        gone.version = 2;
        d.apply(gone, NOW);
        assertThat(d.users(account("B"))).containsExactly("u1");

        SessionDirectory restored = new SessionDirectory(store, d.stems(), HOUR, counts);
        assertThat(restored.users(account(null))).containsExactly("u1");
        assertThat(restored.users(account("B"))).containsExactly("u1");
        assertThat(restored.liveSessions()).isEqualTo(2);
        assertThat(restored.sessionsOf("u1").session("s2").queueUrl).isEqualTo(d.sessionsOf("u1").session("s2").queueUrl);
    }

    /**
     * A topic's followers are found as an account's users are: following and unfollowing take effect with the change
     * that says so (no restart), a user is listed once however many of their sessions follow, and the index is read
     * back from the store after a restore.
     */
    @Test
    void theTopicIndexFollowsFollowingAndUnfollowingAndIsReadBackFromTheStore() {
        SessionDirectory d = new SessionDirectory(store, List.of(), HOUR, counts);
        SessionRecord s1 = live("A", "u1", "s1");
        d.apply(following(s1, 1, "politics", "world"), NOW);
        d.apply(following(live("A", "u1", "s2"), 1, "politics"), NOW);
        d.apply(live("B", "u2", "s3"), NOW);
        assertThat(d.users(topic("politics"))).containsExactly("u1");
        assertThat(d.users(topic("world"))).containsExactly("u1");
        assertThat(d.users(topic("sport"))).isEmpty();

        d.apply(following(live("B", "u2", "s3"), 2, "sport"), NOW);
        assertThat(d.users(topic("sport"))).as("followed later").containsExactly("u2");
        d.apply(following(live("A", "u1", "s1"), 2, "politics"), NOW);
        assertThat(d.users(topic("world"))).as("unfollowed").isEmpty();
        assertThat(d.users(topic("politics"))).containsExactly("u1");
        assertThat(d.sessionsOf("u1").session("s1").topics).containsExactly("politics");

        SessionRecord ended = live("B", "u2", "s3").tombstone();
        ended.version = 3;
        d.apply(ended, NOW);
        assertThat(d.users(topic("sport"))).as("a removed session follows nothing").isEmpty();
        d.apply(following(live("B", "u2", "s4"), 1, "sport", "world"), NOW);

        SessionDirectory restored = new SessionDirectory(store, d.stems(), HOUR, counts);
        assertThat(restored.users(topic("politics"))).containsExactly("u1");
        assertThat(restored.users(topic("sport"))).containsExactly("u2");
        assertThat(restored.users(topic("world"))).containsExactly("u2");
        assertThat(restored.sessionsOf("u2").session("s4").topics).containsExactly("sport", "world");
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
        assertThat(d.users(account(null))).containsExactly("live");
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
