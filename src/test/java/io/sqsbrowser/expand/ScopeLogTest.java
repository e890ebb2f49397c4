package io.sqsbrowser.expand;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.event.DeliveryEvent;
import io.sqsbrowser.event.EventParser;
import io.sqsbrowser.session.SessionRecord;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.runtime.state.KeyGroupRange;
import org.junit.jupiter.api.Test;

/**
 * A rewind, alone: a session created at {@code CREATED} that asks for the fan-out events of the ten minutes before it
 * gets those of its scopes, oldest first, each once, the newest {@code rewindMax} of them, and none that the grace
 * window gives it (or that an expansion still to reach its user will); what the log cannot give is counted, never
 * silently left out.
 */
class ScopeLogTest {
    private static final long CREATED = 1_800_000_000_000L;
    private static final long MINUTE = 60_000;
    private static final long HOUR = 60 * MINUTE;
    /** Processing time: the job learns of the session a second after its creation. */
    private static final long NOW = CREATED + 1_000;

    private static DeliveryEvent event(String json, long arrival) {
        return new EventParser(262_144).parse(json.getBytes(StandardCharsets.UTF_8), "e", "s", "1", arrival).value;
    }

    private static SessionRecord session(long rewindSeconds, String... topics) {
        SessionRecord s = new SessionRecord();
        s.accountId = "A";
        s.userId = "u";
        s.sessionId = "s";
        s.created = CREATED;
        s.topics = topics;
        s.rewindSeconds = rewindSeconds;
        return s;
    }

    private static RecentEvents recent(int rewindMax, long coversSince) {
        return new RecentEvents(120_000, 1 << 20, rewindMax, new ScopeLog(24 * HOUR, 120_000, rewindMax, 1 << 20, coversSince));
    }

    private static List<String> ids(CatchUp c) {
        return c.events.stream().map(e -> e.messageId).collect(Collectors.toList());
    }

    @Test
    void aRewindGivesItsScopesEventsOfThePeriodOldestFirstThenTheGraceWindowsEachOnce() {
        RecentEvents recent = recent(100, 0);
        long t = CREATED - 9 * MINUTE;
        recent.add(event("{\"_everyone\":true,\"messageId\":\"too-old\"}", CREATED - 11 * MINUTE), NOW, null);
        recent.add(event("{\"_everyone\":true,\"messageId\":\"breaking\"}", t), NOW, null);
        recent.add(event("{\"topic\":\"politics\",\"messageId\":\"politics\"}", t + 1), NOW, null);
        recent.add(event("{\"accountId\":\"A\",\"messageId\":\"account\"}", t + 2), NOW, null);
        recent.add(event("{\"topic\":\"politics\",\"accountId\":\"A\",\"messageId\":\"politics-of-A\"}", t + 3), NOW, null);
        recent.add(event("{\"topic\":\"politics\",\"accountId\":\"B\",\"messageId\":\"politics-of-B\"}", t + 4), NOW, null);
        recent.add(event("{\"topic\":\"sport\",\"messageId\":\"not-followed\"}", t + 5), NOW, null);
        recent.add(event("{\"accountId\":\"B\",\"messageId\":\"other-account\"}", t + 6), NOW, null);
        recent.add(event("{\"userId\":\"u\",\"messageId\":\"for-the-user-before\"}", t + 7), NOW, null);
        // The seam: what arrived within the clock allowance of the creation is the grace window's, not the rewind's.
        recent.add(event("{\"_everyone\":true,\"messageId\":\"at-the-seam\"}", CREATED - RecentEvents.CLOCK_ALLOWANCE_MILLIS), NOW, null);
        recent.add(event("{\"_everyone\":true,\"messageId\":\"just-before-the-seam\"}", CREATED - RecentEvents.CLOCK_ALLOWANCE_MILLIS - 1), NOW, null);
        recent.add(event("{\"userId\":\"u\",\"messageId\":\"for-the-user-after\"}", CREATED + 1), NOW, null);

        CatchUp due = recent.dueTo(session(600, "politics"), NOW);
        assertThat(ids(due)).containsExactly("breaking", "politics", "account", "politics-of-A", "just-before-the-seam",
                "at-the-seam", "for-the-user-after");
        assertThat(due.cut).isZero();
        assertThat(ids(recent.dueTo(session(0, "politics"), NOW))).as("without a rewind: the grace window alone")
                .containsExactly("at-the-seam", "for-the-user-after");
    }

    @Test
    void aRewindGivesTheNewestRewindMaxAndCountsTheRest() {
        RecentEvents recent = recent(3, 0);
        for (int i = 0; i < 5; i++) {
            recent.add(event("{\"accountId\":\"A\",\"messageId\":\"a" + i + "\"}", CREATED - 5 * MINUTE + i), NOW, null);
            recent.add(event("{\"_everyone\":true,\"messageId\":\"e" + i + "\"}", CREATED - 4 * MINUTE + i), NOW, null);
        }
        CatchUp due = recent.dueTo(session(3600), NOW);
        assertThat(ids(due)).containsExactly("e2", "e3", "e4");
        assertThat(due.cut).as("a0..a4 and e0, e1: seven events left out").isEqualTo(7);
    }

    @Test
    void aScopeKeepsItsNewestRewindMaxAndWhatItDroppedIsACutForAnyRewindThatReachesIt() {
        RecentEvents recent = recent(2, 0);
        long takenLongAgo = NOW - HOUR; // outside the grace window: a scope keeps only its newest two
        recent.add(event("{\"accountId\":\"A\",\"messageId\":\"a0\"}", CREATED - 50 * MINUTE), takenLongAgo, null);
        recent.add(event("{\"accountId\":\"A\",\"messageId\":\"a1\"}", CREATED - 40 * MINUTE), takenLongAgo, null);
        recent.add(event("{\"accountId\":\"A\",\"messageId\":\"a2\"}", CREATED - 30 * MINUTE), takenLongAgo, null);
        CatchUp hour = recent.dueTo(session(3600), NOW);
        assertThat(ids(hour)).containsExactly("a1", "a2");
        assertThat(hour.cut).as("a0 is gone: at least one missing").isEqualTo(1);
        CatchUp halfHour = recent.dueTo(session(35 * 60), NOW);
        assertThat(ids(halfHour)).containsExactly("a2");
        assertThat(halfHour.cut).as("nothing of its period is gone").isZero();
    }

    @Test
    void whatArrivedBeforeTheLogBeganIsACut() {
        RecentEvents recent = recent(100, CREATED - 2 * MINUTE); // the job started without state two minutes ago
        recent.add(event("{\"_everyone\":true,\"messageId\":\"since-the-start\"}", CREATED - MINUTE), NOW, null);
        assertThat(recent.dueTo(session(60), NOW).cut).isZero();
        CatchUp before = recent.dueTo(session(600), NOW);
        assertThat(ids(before)).containsExactly("since-the-start");
        assertThat(before.cut).isEqualTo(1);
    }

    @Test
    void anEventStillToReachTheUserIsLeftToItsExpansion() {
        RecentEvents recent = recent(100, 0);
        DeliveryEvent broadcast = event("{\"_everyone\":true,\"messageId\":\"broadcasting\"}", CREATED - 5 * MINUTE);
        Expansion e = new Expansion(broadcast, null, new KeyGroupRange(0, 127));
        e.start(List.of("a", "u", "z"));
        e.nextUser(); // a
        recent.add(broadcast, NOW, e);
        assertThat(ids(recent.dueTo(session(600), NOW))).as("it will reach u live").isEmpty();
        e.nextUser(); // u
        assertThat(ids(recent.dueTo(session(600), NOW))).containsExactly("broadcasting");
    }

    @Test
    void aSessionThatFollowsATopicWithARewindIsGivenThatTopicsEventsOfThePeriodBeforeTheChange() {
        RecentEvents recent = recent(100, 0);
        long changed = CREATED + HOUR;
        recent.add(event("{\"topic\":\"world\",\"messageId\":\"world-before\"}", changed - 10 * MINUTE), changed, null);
        recent.add(event("{\"topic\":\"politics\",\"messageId\":\"politics-before\"}", changed - 10 * MINUTE), changed, null);
        recent.add(event("{\"_everyone\":true,\"messageId\":\"everyone-before\"}", changed - 10 * MINUTE), changed, null);
        SessionRecord before = session(0, "politics");
        SessionRecord after = session(1200, "politics", "world");
        after.changedMillis = changed;
        assertThat(ids(recent.dueToNewlyFollowed(before, after, changed + 1_000))).containsExactly("world-before");
    }

    @Test
    void theLogIsBoundedInBytesOldestFirstAndWhatItLostIsACut() {
        DeliveryEvent first = event("{\"_everyone\":true,\"messageId\":\"first\"}", CREATED - 3 * MINUTE);
        long room = 2L * (first.payload.length + ScopeLog.ENTRY_OVERHEAD_BYTES);
        ScopeLog log = new ScopeLog(24 * HOUR, 120_000, 100, room, 0);
        RecentEvents recent = new RecentEvents(120_000, 1 << 20, 100, log);
        recent.add(first, NOW, null);
        recent.add(event("{\"_everyone\":true,\"messageId\":\"secon\"}", CREATED - 2 * MINUTE), NOW, null);
        recent.add(event("{\"_everyone\":true,\"messageId\":\"third\"}", CREATED - MINUTE), NOW, null);
        assertThat(log.bytes()).isLessThanOrEqualTo(room);
        assertThat(log.evicted()).isEqualTo(1);
        CatchUp due = recent.dueTo(session(600), NOW);
        assertThat(ids(due)).containsExactly("secon", "third");
        assertThat(due.cut).isEqualTo(1);
        assertThat(recent.dueTo(session(150), NOW).cut).as("a rewind that does not reach the lost one").isZero();
    }

    @Test
    void whatTheLogLostSurvivesARestore() {
        ScopeLog log = new ScopeLog(24 * HOUR, 120_000, 1, 1 << 20, 0);
        log.add(event("{\"accountId\":\"A\",\"messageId\":\"a0\"}", CREATED - 50 * MINUTE), NOW - HOUR, null);
        log.add(event("{\"accountId\":\"A\",\"messageId\":\"a1\"}", CREATED - 40 * MINUTE), NOW - HOUR, null);
        ScopeLog restored = new ScopeLog(24 * HOUR, 120_000, 1, 1 << 20, NOW);
        restored.restoreCoverage(log.coverage());
        log.entries().forEach(e -> restored.add(e.event, e.takenAt, null));
        CatchUp due = restored.between(session(3600), CREATED - HOUR, CREATED, 1, NOW, e -> true);
        assertThat(due.events).extracting(e -> e.messageId).containsExactly("a1");
        assertThat(due.cut).isEqualTo(1);
    }
}
