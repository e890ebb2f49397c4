package io.sqsbrowser.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.local.ChangeRecords;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Change records arrive out of order and more than once, and the bootstrap scan races with them: the
 * state must end as the table's truth whatever the order. Applies them to {@link UserSessions} as the
 * expander does, through its encoded form after every change, as keyed state holds it.
 */
class SessionStateConvergenceTest {
    private static final long RETENTION = 48 * 3_600_000L;
    private static final QueueUrlStems STEMS = new QueueUrlStems();
    private final ChangeRecordParser parser = new ChangeRecordParser();

    private SessionRecord change(byte[] record) {
        return parser.parse(record, "c", "s", "1").value;
    }

    private static Map<String, SessionRecord> apply(List<SessionRecord> changes) {
        byte[] state = null;
        for (SessionRecord c : changes) {
            UserSessions sessions = UserSessions.decode(c.userId, state, STEMS);
            sessions.apply(c, System.currentTimeMillis(), RETENTION);
            state = sessions.encode(STEMS);
        }
        Map<String, SessionRecord> out = new HashMap<>();
        SessionRecord s = UserSessions.decode("200", state, STEMS).session("s1");
        out.put(s.key(), s);
        return out;
    }

    private static Map<String, AttributeValue> v(long version) {
        return ChangeRecordParserTest.item("200", "s1", version);
    }

    @Test
    void everyOrderAndDuplicationOfALifecycleConvergesToTheLastVersion() {
        List<SessionRecord> lifecycle = List.of(
                change(ChangeRecords.insert(v(1))),
                change(ChangeRecords.modify(v(1), v(2))),
                change(ChangeRecords.modify(v(2), v(3))));
        Random random = new Random(42);
        for (int round = 0; round < 200; round++) {
            List<SessionRecord> shuffled = new ArrayList<>(lifecycle);
            shuffled.addAll(lifecycle.subList(0, random.nextInt(3)));
            Collections.shuffle(shuffled, random);
            assertThat(apply(shuffled).get("200/s1").version).isEqualTo(3);
        }
    }

    @Test
    void aRemovalWinsOverAnyEarlierOrEqualVersionWhateverTheOrder() {
        List<SessionRecord> lifecycle = List.of(
                change(ChangeRecords.insert(v(1))),
                change(ChangeRecords.modify(v(1), v(2))),
                change(ChangeRecords.remove(v(2), true)),
                change(ChangeRecords.remove(v(2), true)));
        Random random = new Random(7);
        for (int round = 0; round < 200; round++) {
            List<SessionRecord> shuffled = new ArrayList<>(lifecycle);
            Collections.shuffle(shuffled, random);
            SessionRecord result = apply(shuffled).get("200/s1");
            assertThat(result.removed).isTrue();
            assertThat(result.aesKey).as("tombstones hold no key").isNull();
        }
    }

    @Test
    void aScanThatReadTheItemBeforeItsRemovalCannotReviveIt() {
        SessionRecord scanned = change(ChangeRecords.insert(v(2)));
        SessionRecord removed = change(ChangeRecords.remove(v(2), false));
        assertThat(apply(List.of(removed, scanned)).get("200/s1").removed).isTrue();
        assertThat(apply(List.of(scanned, removed)).get("200/s1").removed).isTrue();
    }

    @Test
    void aScanOlderThanTheStreamIsIgnoredAndANewerOneWins() {
        SessionRecord scannedOld = change(ChangeRecords.insert(v(1)));
        SessionRecord streamed = change(ChangeRecords.modify(v(1), v(2)));
        SessionRecord scannedNew = change(ChangeRecords.insert(v(3)));
        assertThat(apply(List.of(streamed, scannedOld)).get("200/s1").version).isEqualTo(2);
        assertThat(apply(List.of(streamed, scannedNew)).get("200/s1").version).isEqualTo(3);
    }

    @Test
    void aSessionCreatedAgainAfterItsRemovalIsLiveAgain() {
        Map<String, AttributeValue> first = v(4);
        Map<String, AttributeValue> second = v(1);
        second.put("created", AttributeValue.builder().n("1800000000000").build());
        List<SessionRecord> changes = List.of(
                change(ChangeRecords.insert(first)),
                change(ChangeRecords.remove(first, false)),
                change(ChangeRecords.insert(second)));
        assertThat(apply(changes).get("200/s1").removed).isFalse();
        // The late duplicate of the old removal does not end the new incarnation.
        List<SessionRecord> withLateDuplicate = new ArrayList<>(changes);
        withLateDuplicate.add(change(ChangeRecords.remove(first, false)));
        assertThat(apply(withLateDuplicate).get("200/s1").removed).isFalse();
    }

    @Test
    void theEncodedFormKeepsEveryFieldDeliveryNeeds() {
        SessionRecord live = change(ChangeRecords.insert(v(3)));
        UserSessions sessions = UserSessions.decode("200", null, STEMS);
        sessions.apply(live, System.currentTimeMillis(), RETENTION);
        SessionRecord back = UserSessions.decode("200", sessions.encode(STEMS), STEMS).session("s1");
        // A live session's change time is not kept: only a tombstone's age matters.
        assertThat(back).usingRecursiveComparison().ignoringFields("changedMillis").isEqualTo(live);
        assertThat(UserSessions.decode("200", sessions.encode(STEMS), STEMS).accounts()).containsExactly(live.accountId);
    }

    @Test
    void tombstonesOlderThanTheRetentionAreDroppedWhenTheUserIsWritten() {
        SessionRecord removed = change(ChangeRecords.remove(v(2), true));
        removed.changedMillis = System.currentTimeMillis() - RETENTION - 1;
        UserSessions sessions = UserSessions.decode("200", null, STEMS);
        sessions.apply(removed, removed.changedMillis, RETENTION);
        assertThat(sessions.session("s1")).isNotNull();
        Map<String, AttributeValue> other = ChangeRecordParserTest.item("200", "s2", 1);
        sessions.apply(change(ChangeRecords.insert(other)), System.currentTimeMillis(), RETENTION);
        assertThat(sessions.session("s1")).as("old tombstone").isNull();
        assertThat(sessions.notRemoved()).isEqualTo(1);
    }
}
