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

/** The grace window alone: what it keeps, for how long, in how many bytes, and what a session learnt of late is due. */
class RecentEventsTest {
    private static final long CREATED = 1_800_000_000_000L;

    private static DeliveryEvent event(String json, long arrival) {
        return new EventParser(262_144).parse(json.getBytes(StandardCharsets.UTF_8), "e", "s", "1", arrival).value;
    }

    private static SessionRecord session(String account, String user, String sessionId, long created) {
        SessionRecord s = new SessionRecord();
        s.accountId = account;
        s.userId = user;
        s.sessionId = sessionId;
        s.created = created;
        return s;
    }

    /** A grace window of {@code millis} and {@code bytes} for user events, beside a log of fan-out events as long (and of 1 MiB). */
    static RecentEvents recent(long millis, long bytes) {
        return new RecentEvents(millis, bytes, 100, new ScopeLog(millis, millis, 100, 1 << 20, 0));
    }

    private static List<String> ids(List<DeliveryEvent> events) {
        return events.stream().map(e -> e.messageId).collect(Collectors.toList());
    }

    @Test
    void aSessionIsDueWhatMatchesItAndArrivedAfterItsCreationLessTheClockAllowance() {
        RecentEvents recent = recent(60_000, 1 << 20);
        recent.add(event("{\"userId\":\"u\",\"messageId\":\"too-early\"}", CREATED - RecentEvents.CLOCK_ALLOWANCE_MILLIS - 1), 0, null);
        recent.add(event("{\"userId\":\"u\",\"messageId\":\"within-allowance\"}", CREATED - RecentEvents.CLOCK_ALLOWANCE_MILLIS), 0, null);
        recent.add(event("{\"userId\":\"u\",\"messageId\":\"user\"}", CREATED + 1), 0, null);
        recent.add(event("{\"userId\":\"v\",\"messageId\":\"other-user\"}", CREATED + 1), 0, null);
        recent.add(event("{\"userId\":\"u\",\"sessionId\":\"t\",\"messageId\":\"other-session\"}", CREATED + 1), 0, null);
        recent.add(event("{\"accountId\":\"A\",\"messageId\":\"account\"}", CREATED + 1), 0, null);
        recent.add(event("{\"accountId\":\"B\",\"messageId\":\"other-account\"}", CREATED + 1), 0, null);
        recent.add(event("{\"_everyone\":true,\"messageId\":\"everyone\"}", CREATED + 1), 0, null);
        assertThat(ids(recent.dueTo(session("A", "u", "s", CREATED), 0).events)).containsExactly("within-allowance", "user", "account", "everyone");
        assertThat(recent.dueTo(session("A", "u", "s", 0), 0).events).as("no creation time: due nothing").isEmpty();
    }

    @Test
    void anEventWhoseExpansionHasNotReachedTheUserIsNotDue() {
        RecentEvents recent = recent(60_000, 1 << 20);
        DeliveryEvent waiting = event("{\"userId\":\"u\",\"messageId\":\"waiting\"}", CREATED + 1);
        DeliveryEvent broadcast = event("{\"_everyone\":true,\"messageId\":\"broadcast\"}", CREATED + 1);
        Expansion notHandedOut = new Expansion(waiting, "u", new KeyGroupRange(0, 127));
        Expansion broadcasting = new Expansion(broadcast, null, new KeyGroupRange(0, 127));
        broadcasting.start(List.of("a", "b", "u", "z"));
        broadcasting.nextUser(); // a
        recent.add(waiting, 0, notHandedOut);
        recent.add(broadcast, 0, broadcasting);
        assertThat(recent.dueTo(session("A", "u", "s", CREATED), 0).events).as("both will reach u").isEmpty();
        assertThat(ids(recent.dueTo(session("A", "new", "s", CREATED), 0).events)).as("a user the broadcast did not list").containsExactly("broadcast");
        notHandedOut.nextUser();
        broadcasting.nextUser(); // b
        broadcasting.nextUser(); // u
        assertThat(ids(recent.dueTo(session("A", "u", "s", CREATED), 0).events)).containsExactly("waiting", "broadcast");
    }

    @Test
    void userEventsLeaveAfterTheWindowOrOldestFirstBeyondTheBytesCounted() {
        DeliveryEvent one = event("{\"userId\":\"u\",\"messageId\":\"one\"}", CREATED + 1);
        long room = 2L * one.payload.length; // room for two user events, not for three
        RecentEvents recent = recent(10_000, room);
        recent.add(one, 1_000, null);
        recent.add(event("{\"userId\":\"u\",\"messageId\":\"two\"}", CREATED + 1), 2_000, null);
        recent.add(event("{\"_everyone\":true,\"messageId\":\"all\"}", CREATED + 1), 3_000, null);
        recent.evict(11_000);
        assertThat(ids(recent.dueTo(session("A", "u", "s", CREATED), 11_000).events)).as("one was taken 10 s ago").containsExactly("two", "all");
        assertThat(recent.evicted()).isZero();
        recent.add(event("{\"userId\":\"u\",\"messageId\":\"six\"}", CREATED + 1), 11_000, null);
        recent.add(event("{\"userId\":\"u\",\"messageId\":\"ten\"}", CREATED + 1), 11_000, null);
        assertThat(ids(recent.dueTo(session("A", "u", "s", CREATED), 11_000).events)).as("the fan-out event is the log's, apart")
                .containsExactly("six", "ten", "all");
        assertThat(recent.evicted()).as("two left before its time, for room").isEqualTo(1);
    }

    @Test
    void aSessionThatFollowsMoreTopicsIsDueTheirEventsSentAfterTheChangeAndNothingElse() {
        long changed = CREATED + 60_000;
        RecentEvents recent = recent(600_000, 1 << 20);
        recent.add(event("{\"topic\":\"world\",\"messageId\":\"before-the-follow\"}", changed - RecentEvents.CLOCK_ALLOWANCE_MILLIS - 1), 0, null);
        recent.add(event("{\"topic\":\"world\",\"messageId\":\"world\"}", changed + 1), 0, null);
        recent.add(event("{\"topic\":\"world\",\"accountId\":\"B\",\"messageId\":\"world-other-account\"}", changed + 1), 0, null);
        recent.add(event("{\"topic\":\"world\",\"userId\":\"u\",\"messageId\":\"world-of-user\"}", changed + 1), 0, null);
        recent.add(event("{\"topic\":\"politics\",\"messageId\":\"already-followed\"}", changed + 1), 0, null);
        recent.add(event("{\"topic\":\"sport\",\"messageId\":\"not-followed\"}", changed + 1), 0, null);
        recent.add(event("{\"accountId\":\"A\",\"messageId\":\"account\"}", changed + 1), 0, null);
        SessionRecord before = session("A", "u", "s", CREATED);
        before.topics = new String[] {"politics"};
        SessionRecord after = session("A", "u", "s", CREATED);
        after.topics = new String[] {"politics", "world"};
        after.changedMillis = changed;
        assertThat(ids(recent.dueToNewlyFollowed(before, after, 0).events)).containsExactly("world-of-user", "world");

        SessionRecord newIncarnation = session("A", "u", "s", CREATED + 1);
        newIncarnation.topics = after.topics;
        newIncarnation.changedMillis = changed;
        assertThat(recent.dueToNewlyFollowed(before, newIncarnation, 0).events).as("a new incarnation is learnt of: dueTo").isEmpty();
        assertThat(recent.dueToNewlyFollowed(before, before.tombstone(), 0).events).isEmpty();
    }
}
