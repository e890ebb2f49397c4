package io.sqsbrowser.expand;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.client.MessageDecryptor;
import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.deadletter.DeadLetter;
import io.sqsbrowser.event.DeliveryEvent;
import io.sqsbrowser.event.EventParser;
import io.sqsbrowser.history.HistoryRows;
import io.sqsbrowser.session.SessionDirectory;
import io.sqsbrowser.session.SessionRecord;
import io.sqsbrowser.sqs.SendOutcome;
import io.sqsbrowser.testing.MapSessionStore;
import io.sqsbrowser.testing.SessionRecords;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The pump alone, without Flink or SQS: a manual clock, deliveries recorded and answered by the test. Who goes first,
 * every budget, the pace and its wake-up, what is emitted, and what a checkpoint keeps.
 */
class DeliveryPumpTest {
    private static final long NOW = 1_764_000_000_000L;
    private static final long HOUR = 3_600_000L;
    private final ManualTime time = new ManualTime(NOW);
    private final List<Delivery> delivered = new ArrayList<>();
    private final List<HistoryRows> history = new ArrayList<>();
    private final List<DeadLetter> deadLetters = new ArrayList<>();
    private final Map<String, SessionRecord> sessions = new HashMap<>();
    private final SessionDirectory directory = new SessionDirectory(new MapSessionStore(), List.of(), HOUR, new SessionDirectory.Listener() {});
    private final KeyGroups keyGroups = new KeyGroups(128, 1, 0);

    /** A manual processing time: timers fire when the test moves the clock. */
    private static final class ManualTime implements DeliveryPump.ProcessingTime {
        private long now;
        private final TreeMap<Long, List<Runnable>> timers = new TreeMap<>();

        ManualTime(long now) {
            this.now = now;
        }

        @Override
        public long now() {
            return now;
        }

        @Override
        public boolean wakeAt(long time, Runnable action) {
            timers.computeIfAbsent(time, t -> new ArrayList<>()).add(action);
            return true;
        }

        void advanceTo(long time) {
            now = time;
            while (!timers.isEmpty() && timers.firstKey() <= time) {
                timers.pollFirstEntry().getValue().forEach(Runnable::run);
            }
        }

        int timersSet() {
            return timers.values().stream().mapToInt(List::size).sum();
        }
    }

    private DeliveryPump pump(DeliveryBudget budget, FanOutPace pace) {
        DeliveryPump.Output output = new DeliveryPump.Output() {
            @Override
            public void history(HistoryRows rows) {
                history.add(rows);
            }

            @Override
            public void deadLetter(DeadLetter deadLetter) {
                deadLetters.add(deadLetter);
            }
        };
        return new DeliveryPump(budget, pace, new Recipients(directory, keyGroups, history::add, new Recipients.Listener() {}, true),
                new io.sqsbrowser.crypto.MessageEncryptor(), delivered::add, output, time, new DeliveryPump.Listener() {});
    }

    private static DeliveryBudget unbounded() {
        return new DeliveryBudget(Long.MAX_VALUE, Long.MAX_VALUE, Integer.MAX_VALUE);
    }

    private void session(String account, String user, String sessionId) {
        SessionRecord s = SessionRecords.live(account, user, sessionId, CipherFormat.GCM, NOW / 1000);
        sessions.put(sessionId, s);
        directory.apply(s, NOW);
    }

    private static DeliveryEvent event(String json) {
        return new EventParser(262_144).parse(json.getBytes(StandardCharsets.UTF_8), "e", "shard", "1", NOW).value;
    }

    private Expansion expansion(String json) {
        DeliveryEvent e = event(json);
        return new Expansion(e, e.userId, keyGroups.range());
    }

    /** Answers the oldest {@code n} deliveries not yet answered, then runs the pump, as the mail of a burst of answers does. */
    private List<Delivery> answer(DeliveryPump pump, int n, SendOutcome outcome) {
        List<Delivery> answered = new ArrayList<>(delivered.subList(0, n));
        delivered.subList(0, n).clear();
        answered.forEach(d -> pump.answered(d, outcome));
        pump.pump();
        return answered;
    }

    private static List<String> recipients(List<Delivery> deliveries) {
        return deliveries.stream().map(d -> d.sessionId + ":" + d.expansion.event.messageId).collect(Collectors.toList());
    }

    @Test
    void nothingIsHandedOutBeforeTheStartAndEachRecipientGetsItsOwnEncryption() throws Exception {
        session("A", "u1", "s1");
        session("A", "u1", "s2");
        DeliveryPump pump = pump(unbounded(), null);
        pump.take(expansion("{\"userId\":\"u1\",\"messageId\":\"m\"}"));
        assertThat(delivered).isEmpty();
        assertThat(pump.waitingToStart()).isEqualTo(1);
        pump.start();
        assertThat(recipients(delivered)).containsExactlyInAnyOrder("s1:m", "s2:m");
        for (Delivery d : delivered) {
            SessionRecord s = sessions.get(d.sessionId);
            assertThat(new MessageDecryptor(java.util.Base64.getEncoder().encodeToString(s.aesKey), s.cipher).decrypt(d.body()))
                    .isEqualTo("{\"userId\":\"u1\",\"messageId\":\"m\"}");
        }
        answer(pump, 2, SendOutcome.SENT);
        assertThat(pump.idle()).isTrue();
    }

    @Test
    void aUserEventGoesBeforeTheNextUserOfABroadcast() {
        for (int i = 1; i <= 3; i++) {
            session("A", "u" + i, "s" + i);
        }
        DeliveryPump pump = pump(new DeliveryBudget(Long.MAX_VALUE, Long.MAX_VALUE, 1), null);
        pump.start();
        pump.take(expansion("{\"_everyone\":true,\"messageId\":\"news\"}"));
        pump.take(expansion("{\"userId\":\"u3\",\"messageId\":\"alert\"}"));
        assertThat(recipients(delivered)).containsExactly("s1:news");
        List<String> order = new ArrayList<>(recipients(answer(pump, 1, SendOutcome.SENT)));
        while (!delivered.isEmpty()) {
            order.addAll(recipients(answer(pump, 1, SendOutcome.SENT)));
        }
        assertThat(order).containsExactly("s1:news", "s3:alert", "s2:news", "s3:news");
        assertThat(pump.idle()).isTrue();
    }

    /** Held event bytes, in-flight bytes and in-flight messages each stop what they bound, and free it when answered. */
    @Test
    void everyBudgetStopsWhatItBoundsAndIsGivenBackByTheAnswers() {
        for (int i = 1; i <= 10; i++) {
            session("A", "u" + i, "s" + i);
        }
        DeliveryEvent broadcast = event("{\"_everyone\":true,\"messageId\":\"b\",\"text\":\"" + "x".repeat(100) + "\"}");
        DeliveryBudget budget = new DeliveryBudget(broadcast.payload.length + 1, 1, 100);
        DeliveryPump pump = pump(budget, null);
        pump.start();
        assertThat(pump.hasRoomForEvent()).isTrue();
        pump.take(new Expansion(broadcast, null, keyGroups.range()));
        assertThat(pump.hasRoomForEvent()).as("held bytes below the bound").isTrue();
        pump.take(expansion("{\"userId\":\"u1\",\"messageId\":\"u\"}"));
        assertThat(pump.hasRoomForEvent()).as("held bytes at the bound").isFalse();
        assertThat(delivered).as("one in-flight byte allowed: the first message uses it up").hasSize(1);
        assertThat(budget.inFlightBytes()).isEqualTo(delivered.get(0).body().length());
        while (!delivered.isEmpty()) {
            answer(pump, 1, SendOutcome.SENT);
        }
        assertThat(pump.idle()).isTrue();
        assertThat(pump.hasRoomForEvent()).isTrue();
        assertThat(budget.heldEventBytes()).isZero();
        assertThat(budget.inFlightBytes()).isZero();
        assertThat(budget.inFlightMessages()).isZero();

        DeliveryBudget messages = new DeliveryBudget(Long.MAX_VALUE, Long.MAX_VALUE, 3);
        delivered.clear();
        DeliveryPump byCount = pump(messages, null);
        byCount.start();
        byCount.take(expansion("{\"_everyone\":true,\"messageId\":\"c\"}"));
        assertThat(delivered).as("three messages in flight at most").hasSize(3);
        answer(byCount, 2, SendOutcome.SENT);
        assertThat(messages.inFlightMessages()).isEqualTo(3);
    }

    @Test
    void aPacedBroadcastWaitsForItsPaceAndWakesItselfWhileUserEventsGoAtOnce() {
        for (int i = 1; i <= 5; i++) {
            session("A", "u" + i, "s" + i);
        }
        // 10 a second: a bucket of one message, one more every 100 ms.
        DeliveryPump pump = pump(unbounded(), new FanOutPace(10, NOW));
        pump.start();
        pump.take(expansion("{\"_everyone\":true,\"messageId\":\"paced\"}"));
        assertThat(recipients(delivered)).containsExactly("s1:paced");
        assertThat(time.timersSet()).as("a wake-up for the next message").isEqualTo(1);
        pump.take(expansion("{\"userId\":\"u5\",\"messageId\":\"alert\"}"));
        assertThat(recipients(delivered)).containsExactly("s1:paced", "s5:alert");
        time.advanceTo(NOW + 50);
        assertThat(delivered).hasSize(2);
        time.advanceTo(NOW + 100);
        assertThat(recipients(delivered)).endsWith("s2:paced");
        for (long t = NOW + 200; t <= NOW + 400; t += 100) {
            time.advanceTo(t);
        }
        assertThat(delivered).hasSize(6);
        assertThat(time.timersSet()).as("no wake-up once the broadcast is handed out").isZero();
    }

    @Test
    void aMessageSqsRefusesIsADeadLetterOfThePlaintextAndTheEventStillFinishes() {
        session("A", "u1", "s1");
        DeliveryPump pump = pump(unbounded(), null);
        pump.start();
        pump.take(expansion("{\"userId\":\"u1\",\"messageId\":\"m\",\"text\":\"secret\"}"));
        answer(pump, 1, SendOutcome.failed("InvalidParameterValue: too big"));
        assertThat(deadLetters).singleElement().satisfies(d -> {
            assertThat(d.stage).isEqualTo(DeliveryPump.STAGE);
            assertThat(d.reason).isEqualTo("InvalidParameterValue: too big");
            assertThat(d.payload).isEqualTo("{\"userId\":\"u1\",\"messageId\":\"m\",\"text\":\"secret\"}");
            assertThat(d.sessionId).isEqualTo("s1");
        });
        assertThat(pump.idle()).isTrue();
    }

    @Test
    void historyHasARowPerRecipientUserAndNoneForEphemeralEventsOrReceipts() {
        session("A", "u1", "s1");
        session("A", "u1", "s2");
        session("B", "u2", "s3");
        DeliveryPump pump = pump(unbounded(), null);
        pump.start();
        pump.take(expansion("{\"_everyone\":true,\"messageId\":\"all\"}"));
        pump.take(expansion("{\"userId\":\"nobody\",\"messageId\":\"direct\"}"));
        pump.take(expansion("{\"userId\":\"u1\",\"_sqs_only\":true,\"messageId\":\"ephemeral\"}"));
        pump.take(expansion("{\"userId\":\"u1\",\"_type\":\"message-read-receipt\",\"messageId\":\"r\"}"));
        answer(pump, delivered.size(), SendOutcome.SENT);
        assertThat(history.stream().flatMap(rows -> rows.userIds.stream().map(u -> u + "/" + rows.messageId)))
                .containsExactlyInAnyOrder("u1/all", "u2/all", "nobody/direct");
    }

    /** What a checkpoint keeps of a broadcast half handed out: the event, the last user handed out, the unanswered. */
    @Test
    void theProgressOfAnUnfinishedBroadcastNamesItsLastUserAndItsUnansweredMessages() {
        for (int i = 1; i <= 4; i++) {
            session("A", "u" + i, "s" + i);
        }
        DeliveryPump pump = pump(new DeliveryBudget(Long.MAX_VALUE, Long.MAX_VALUE, 2), null);
        pump.start();
        pump.take(expansion("{\"_everyone\":true,\"messageId\":\"b\"}"));
        answer(pump, 1, SendOutcome.SENT);
        assertThat(pump.progress()).singleElement().satisfies(p -> {
            assertThat(p.event.messageId).isEqualTo("b");
            assertThat(p.targetUser).isNull();
            assertThat(p.handedOutThrough).isEqualTo("u3");
            assertThat(p.unconfirmed).as("with each message's place in its session's sequence")
                    .containsExactlyInAnyOrder("u2\u0000s2\u0000" + sequenceTo("s2"), "u3\u0000s3\u0000" + sequenceTo("s3"));
        });
        Map<String, String> before = new HashMap<>();
        delivered.forEach(d -> before.put(d.sessionId, d.sequence()));
        Expansion resumed = keyGroups.resume(pump.progress().get(0));
        DeliveryPump afterRestore = pump(unbounded(), null);
        delivered.clear();
        afterRestore.start();
        afterRestore.take(resumed);
        assertThat(recipients(delivered)).as("the unanswered again, then the users after the last handed out")
                .containsExactly("s2:b", "s3:b", "s4:b");
        assertThat(delivered.subList(0, 2)).as("sent again in the places they had").allMatch(d -> d.sequence().equals(before.get(d.sessionId)));
        assertThat(delivered.get(2).sequence()).as("s4's first message").endsWith(":1");
    }

    private String sequenceTo(String sessionId) {
        return delivered.stream().filter(d -> d.sessionId.equals(sessionId)).findFirst().orElseThrow().sequence();
    }
}
