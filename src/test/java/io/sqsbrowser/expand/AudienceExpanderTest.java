package io.sqsbrowser.expand;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.deadletter.DeadLetter;
import io.sqsbrowser.event.DeliveryEvent;
import io.sqsbrowser.event.EventParser;
import io.sqsbrowser.history.HistoryRows;
import io.sqsbrowser.job.MailboxOperatorFactory;
import io.sqsbrowser.local.AwsResources;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.session.SessionItems;
import io.sqsbrowser.session.SessionRecord;
import io.sqsbrowser.session.SessionScan;
import io.sqsbrowser.session.SessionTableScan;
import io.sqsbrowser.sqs.MessageSender;
import io.sqsbrowser.sqs.SendOutcome;
import io.sqsbrowser.sqs.SenderClients;
import io.sqsbrowser.sqs.SenderSettings;
import io.sqsbrowser.testing.Await;
import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.HarnessMails;
import io.sqsbrowser.testing.SessionRecords;
import io.sqsbrowser.testing.TestSession;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.contrib.streaming.state.EmbeddedRocksDBStateBackend;
import org.apache.flink.runtime.state.StateBackend;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedMultiInputStreamOperatorTestHarness;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * The expander in Flink's operator harness, sending to ElasticMQ over a real socket: who receives what, history
 * rows, the byte budget, a checkpoint in the middle of a broadcast restored at another parallelism, and the
 * cold start that reads the session table before expanding anything.
 */
@ExtendWith(EmulatorsExtension.class)
class AudienceExpanderTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_PARALLELISM = 128;
    private static final long HOUR = 3_600_000L;
    /** The deployment tag of the harness's queues: its operator sends to them directly, as no deployment's job. */
    private static final String HARNESS = "audience-expander-test";
    private static Emulators emulators;

    @BeforeAll
    static void emulators(Emulators started) {
        emulators = started;
    }

    /** The expander's settings, its SQS sender and (for a named table) its cold-start scan. */
    private static final class Setup {
        final DeliverySettings delivery;
        final MessageSender.Factory senders;
        final SessionScan.Factory scans;

        Setup(DeliverySettings delivery, MessageSender.Factory senders, SessionScan.Factory scans) {
            this.delivery = delivery;
            this.senders = senders;
            this.scans = scans;
        }
    }

    private static Setup settings(long maxInFlightBytes, String scanTable, int maxMessageBytes) {
        return settings(maxInFlightBytes, scanTable, maxMessageBytes, 0, 64L << 20);
    }

    private static Setup settings(long maxInFlightBytes, String scanTable, int maxMessageBytes, long fanOutMessagesPerSecond) {
        return settings(maxInFlightBytes, scanTable, maxMessageBytes, fanOutMessagesPerSecond, 64L << 20);
    }

    private static Setup settings(long maxInFlightBytes, String scanTable, int maxMessageBytes, long fanOutMessagesPerSecond,
            long maxHeldEventBytes) {
        DeliverySettings delivery = DeliverySettings.builder().maxInFlightBytes(maxInFlightBytes).maxInFlightRequests(16)
                .maxMessageBytes(maxMessageBytes).maxHeldEventBytes(maxHeldEventBytes).fanOutMessagesPerSecond(fanOutMessagesPerSecond)
                .tombstoneRetentionMillis(HOUR).graceWindow(60_000, 1 << 20).build();
        SenderSettings sqs = SenderSettings.builder().maxInFlightRequests(16).retryForMillis(10_000).backoff(1, 20)
                .maxMessageBytes(maxMessageBytes).build();
        return new Setup(delivery, SenderClients.batching(emulators.aws(), sqs),
                scanTable == null ? null : SessionTableScan.of(emulators.aws(), scanTable, 2));
    }

    /** Where keyed state lives: the heap (Flink's default) or RocksDB, incremental (as Managed Flink runs). */
    enum Backend {
        HEAP, ROCKSDB;

        StateBackend create() {
            return this == HEAP ? new HashMapStateBackend() : new EmbeddedRocksDBStateBackend(true);
        }
    }

    private static KeyedMultiInputStreamOperatorTestHarness<String, DeadLetter> harness(Setup settings,
            int parallelism, int subtask, OperatorSubtaskState restoreFrom) throws Exception {
        return harness(settings, parallelism, subtask, restoreFrom, Backend.HEAP);
    }

    private static KeyedMultiInputStreamOperatorTestHarness<String, DeadLetter> harness(Setup settings,
            int parallelism, int subtask, OperatorSubtaskState restoreFrom, Backend backend) throws Exception {
        AudienceExpander[] created = new AudienceExpander[1];
        KeyedMultiInputStreamOperatorTestHarness<String, DeadLetter> h = new KeyedMultiInputStreamOperatorTestHarness<>(
                new MailboxOperatorFactory<Object, DeadLetter>(AudienceExpander.class, (parameters, mailbox) -> created[0] =
                        new AudienceExpander(parameters, mailbox, settings.delivery, settings.senders, settings.scans)),
                MAX_PARALLELISM, parallelism, subtask);
        h.setStateBackend(backend.create());
        h.getStreamConfig().setStateKeySerializer(StringSerializer.INSTANCE);
        // The harness numbers inputs from 0; Flink's input ids start at 1.
        h.setKeySelector(AudienceExpander.SESSION_CHANGES - 1, (SessionRecord s) -> s.userId);
        h.setKeySelector(AudienceExpander.USER_EVENTS - 1, (DeliveryEvent e) -> e.userId);
        HarnessMails.open(h, restoreFrom);
        OPERATORS.put(h, created[0]);
        return h;
    }

    /** Each harness's operator (the harness hands out only operators of another base class). */
    private static final Map<Object, AudienceExpander> OPERATORS = java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

    private static KeyedMultiInputStreamOperatorTestHarness<String, DeadLetter> harness() throws Exception {
        return harness(settings(64 << 20, null, 262_144), 1, 0, null);
    }

    /** A session with its own queue in ElasticMQ, as the job reads it from the session table. */
    private static SessionRecord session(String account, String user, String sessionId, CipherFormat cipher) {
        return record(TestSession.create(emulators.sqs(), HARNESS, account, user, sessionId, cipher));
    }

    private static SessionRecord record(TestSession s) {
        Map<String, String> item = new HashMap<>();
        s.item().forEach((k, v) -> item.put(k, v.s() != null ? v.s() : v.n()));
        SessionRecord r = SessionItems.live(item::get, List.of(), System.currentTimeMillis());
        KEYS.put(r.queueUrl, s.aesKey);
        return r;
    }

    private static final Map<String, String> KEYS = new java.util.concurrent.ConcurrentHashMap<>();

    private static DeliveryEvent event(String json) {
        return event(json, 1_000);
    }

    /** An event that arrived on the stream at {@code arrivalMillis}. */
    private static DeliveryEvent event(String json, long arrivalMillis) {
        return new EventParser(262_144).parse(json.getBytes(StandardCharsets.UTF_8), "e", "shard", "1", arrivalMillis).value;
    }

    private static void send(KeyedMultiInputStreamOperatorTestHarness<String, DeadLetter> h, String json, long arrivalMillis)
            throws Exception {
        DeliveryEvent e = event(json, arrivalMillis);
        h.processElement((e.userId != null ? AudienceExpander.USER_EVENTS : AudienceExpander.FAN_OUT_EVENTS) - 1, new StreamRecord<>(e));
    }

    private static Set<String> idsIn(SessionRecord s) throws Exception {
        return drain(s).stream().map(m -> m.get("messageId").asText()).collect(Collectors.toCollection(TreeSet::new));
    }

    /** Users u0, u1, ... of account A with one GCM session each (s0, s1, ...). */
    private static List<SessionRecord> oneSessionPerUser(int users) {
        List<SessionRecord> sessions = new ArrayList<>();
        for (int i = 0; i < users; i++) {
            sessions.add(session("A", "u" + i, "s" + i, CipherFormat.GCM));
        }
        return sessions;
    }

    private static void changeAll(KeyedMultiInputStreamOperatorTestHarness<String, DeadLetter> h, List<SessionRecord> sessions)
            throws Exception {
        for (SessionRecord s : sessions) {
            change(h, s);
        }
    }

    private static void change(KeyedMultiInputStreamOperatorTestHarness<String, DeadLetter> h, SessionRecord s) throws Exception {
        h.processElement(AudienceExpander.SESSION_CHANGES - 1, new StreamRecord<>(s));
    }

    private static void send(KeyedMultiInputStreamOperatorTestHarness<String, DeadLetter> h, String json) throws Exception {
        DeliveryEvent e = event(json);
        h.processElement((e.userId != null ? AudienceExpander.USER_EVENTS : AudienceExpander.FAN_OUT_EVENTS) - 1, new StreamRecord<>(e));
    }

    private static void runMailsUntil(AbstractStreamOperatorTestHarness<?> h, String what, BooleanSupplier done) throws Exception {
        HarnessMails.runUntil(h, what, done);
    }

    private static void runMailsFor(AbstractStreamOperatorTestHarness<?> h, Duration duration) throws Exception {
        HarnessMails.runFor(h, duration);
    }

    /** Every message in the session's queue, decrypted with its key, by messageId; the queue is emptied. */
    private static List<JsonNode> drain(SessionRecord s) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        List<Message> batch;
        do {
            batch = emulators.sqs().receiveMessage(b -> b.queueUrl(s.queueUrl).maxNumberOfMessages(10)).messages();
            for (Message m : batch) {
                out.add(JSON.readTree(new io.sqsbrowser.client.MessageDecryptor(KEYS.get(s.queueUrl), s.cipher).decrypt(m.body())));
                emulators.sqs().deleteMessage(b -> b.queueUrl(s.queueUrl).receiptHandle(m.receiptHandle()));
            }
        } while (!batch.isEmpty());
        return out;
    }

    /**
     * Every message in the session's queue as {@code "<n> <messageId>"}, by its place in the session's sequence (the
     * {@code seq} attribute, {@code <epoch>:<n>}, one epoch); the queue is emptied.
     */
    /** Every sequence attribute {@link #bySequence} read. */
    private static final List<String> sequencesSeen = java.util.Collections.synchronizedList(new ArrayList<>());

    private static List<String> bySequence(SessionRecord s) throws Exception {
        Map<Long, String> byNumber = new TreeMap<>();
        Set<String> epochs = new TreeSet<>();
        List<Message> batch;
        do {
            batch = emulators.sqs().receiveMessage(b -> b.queueUrl(s.queueUrl).maxNumberOfMessages(10).messageAttributeNames("seq"))
                    .messages();
            for (Message m : batch) {
                sequencesSeen.add(m.messageAttributes().get("seq").stringValue());
                String[] seq = m.messageAttributes().get("seq").stringValue().split("[:~]", 3);
                epochs.add(seq[0]);
                String id = JSON.readTree(new io.sqsbrowser.client.MessageDecryptor(KEYS.get(s.queueUrl), s.cipher).decrypt(m.body()))
                        .get("messageId").asText();
                byNumber.put(Long.parseLong(seq[1]), seq[1] + " " + id);
                emulators.sqs().deleteMessage(b -> b.queueUrl(s.queueUrl).receiptHandle(m.receiptHandle()));
            }
        } while (!batch.isEmpty());
        assertThat(epochs).hasSizeLessThanOrEqualTo(1);
        return new ArrayList<>(byNumber.values());
    }

    private static int messagesIn(SessionRecord s) {
        Map<String, String> a = emulators.sqs().getQueueAttributes(b -> b.queueUrl(s.queueUrl)
                .attributeNamesWithStrings("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")).attributesAsStrings();
        return Integer.parseInt(a.get("ApproximateNumberOfMessages")) + Integer.parseInt(a.get("ApproximateNumberOfMessagesNotVisible"));
    }

    /** The users' history rows, {@code user/messageId}. */
    private static List<String> historyRows(AbstractStreamOperatorTestHarness<?> h) {
        return rows(h, false);
    }

    /** The rows kept once per fan-out scope, {@code scope/messageId}. */
    private static List<String> scopeRows(AbstractStreamOperatorTestHarness<?> h) {
        return rows(h, true);
    }

    private static List<String> rows(AbstractStreamOperatorTestHarness<?> h, boolean ofScopes) {
        List<String> rows = new ArrayList<>();
        for (StreamRecord<HistoryRows> r : h.getSideOutput(AudienceExpander.HISTORY)) {
            r.getValue().userIds.stream().filter(u -> u.startsWith("#") == ofScopes).forEach(u -> rows.add(u + "/" + r.getValue().messageId));
        }
        return rows;
    }

    @Test
    void eachRecipientGetsTheMessageEncryptedWithItsOwnKeyAndCipher() throws Exception {
        SessionRecord ctr = session("A", "u1", "s1", CipherFormat.CTR);
        SessionRecord gcm = session("A", "u1", "s2", CipherFormat.GCM);
        SessionRecord other = session("B", "u2", "s3", CipherFormat.GCM);
        try (var h = harness()) {
            change(h, ctr);
            change(h, gcm);
            change(h, other);
            send(h, "{\"userId\":\"u1\",\"message\":\"hi\",\"messageId\":\"m1\"}");
            runMailsUntil(h, "two messages", () -> messagesIn(ctr) + messagesIn(gcm) == 2);
            for (SessionRecord s : List.of(ctr, gcm)) {
                List<JsonNode> got = drain(s);
                assertThat(got).hasSize(1);
                assertThat(got.get(0).toString()).isEqualTo("{\"userId\":\"u1\",\"message\":\"hi\",\"messageId\":\"m1\"}");
            }
            assertThat(messagesIn(other)).isZero();
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void fanOutEventsReachEveryMatchingUserOnceAndHistoryHasOneRowPerRecipientUser(Backend backend) throws Exception {
        List<SessionRecord> sessions = new ArrayList<>();
        try (var h = harness(settings(64 << 20, null, 262_144), 1, 0, null, backend)) {
            for (int i = 0; i < 40; i++) {
                // 20 users with two sessions each; users 0-9 in account A, 10-19 in B.
                SessionRecord s = session(i % 20 < 10 ? "A" : "B", "u" + (i % 20), "s" + i, CipherFormat.GCM);
                sessions.add(s);
                change(h, s);
            }
            send(h, "{\"_everyone\":true,\"messageId\":\"all\"}");
            send(h, "{\"accountId\":\"B\",\"messageId\":\"b\"}");
            send(h, "{\"accountId\":\"A\",\"sessionId\":\"s5\",\"messageId\":\"one-session\"}");
            send(h, "{\"userId\":\"nobody\",\"messageId\":\"direct\"}");
            send(h, "{\"userId\":\"u1\",\"_sqs_only\":1,\"messageId\":\"ephemeral\"}");
            send(h, "{\"userId\":\"u1\",\"_type\":\"message-read-receipt\",\"_sqs_only\":true,\"messageId\":\"r\"}");
            runMailsUntil(h, "every message", () -> sessions.stream().mapToInt(AudienceExpanderTest::messagesIn).sum() == 40 + 20 + 1 + 4);
            for (SessionRecord s : sessions) {
                Set<String> ids = drain(s).stream().map(m -> m.get("messageId").asText()).collect(Collectors.toCollection(TreeSet::new));
                Set<String> expected = new TreeSet<>(Set.of("all"));
                if (s.accountId.equals("B")) {
                    expected.add("b");
                }
                if (s.sessionId.equals("s5")) {
                    expected.add("one-session");
                }
                if (s.userId.equals("u1")) {
                    expected.addAll(Set.of("ephemeral", "r"));
                }
                assertThat(ids).as("messages of %s", s.sessionId).isEqualTo(expected);
            }
            List<String> rows = historyRows(h);
            assertThat(rows).doesNotHaveDuplicates().hasSize(20 + 10 + 1 + 1)
                    .contains("u0/all", "u19/all", "u12/b", "u5/one-session", "nobody/direct")
                    .noneMatch(r -> r.endsWith("/ephemeral") || r.endsWith("/r"));
            assertThat(scopeRows(h)).as("each fan-out event once more, under its scope").containsExactlyInAnyOrder("#everyone/all", "#account:B/b");
        }
    }

    /**
     * The grace window: a session the job learns of late (the change stream lags) gets every event sent after its
     * creation that the job expanded before it knew of it: user, session, account and everyone events, each once,
     * with its user's history row; not what arrived before its creation, nor what was meant for others; a record of it
     * seen again, or a renewal, gives nothing again. After a restore the window is still there.
     */
    @Test
    void aSessionLearntOfLateGetsWhatWasSentAfterItWasCreatedOnce() throws Exception {
        SessionRecord late = following(session("A", "u1", "s1", CipherFormat.GCM), 1, "politics");
        SessionRecord other = session("A", "u2", "s2", CipherFormat.GCM);
        long after = late.created + 10;
        OperatorSubtaskState snapshot;
        try (var h = harness()) {
            change(h, other);
            send(h, "{\"userId\":\"u1\",\"messageId\":\"before-creation\"}", late.created - 5_000);
            send(h, "{\"userId\":\"u1\",\"messageId\":\"late-user\"}", after);
            send(h, "{\"userId\":\"u1\",\"sessionId\":\"s1\",\"messageId\":\"late-session\"}", after);
            send(h, "{\"userId\":\"u1\",\"sessionId\":\"s9\",\"messageId\":\"another-session\"}", after);
            send(h, "{\"accountId\":\"A\",\"messageId\":\"late-account\"}", after);
            send(h, "{\"accountId\":\"B\",\"messageId\":\"other-account\"}", after);
            send(h, "{\"_everyone\":true,\"messageId\":\"late-everyone\"}", after);
            send(h, "{\"topic\":\"politics\",\"messageId\":\"late-topic\"}", after);
            send(h, "{\"topic\":\"sport\",\"messageId\":\"other-topic\"}", after);
            send(h, "{\"userId\":\"u2\",\"messageId\":\"for-u2\"}", after);
            runMailsUntil(h, "u2's messages", () -> messagesIn(other) == 3);
            assertThat(messagesIn(late)).isZero();

            change(h, late);
            runMailsUntil(h, "what the late session missed", () -> messagesIn(late) == 5);
            change(h, late); // the change record again (at least once)
            SessionRecord renewed = following(session("A", "u1", "s1", CipherFormat.GCM), 2, "politics");
            renewed.created = late.created;
            change(h, renewed);
            runMailsFor(h, Duration.ofMillis(300));
            assertThat(idsIn(late)).containsExactlyInAnyOrder("late-user", "late-session", "late-account", "late-everyone", "late-topic");
            assertThat(historyRows(h)).contains("u1/late-account", "u1/late-everyone", "u1/late-user", "u1/late-session", "u1/late-topic")
                    .doesNotHaveDuplicates();
            snapshot = h.snapshot(1, 1);
        }
        SessionRecord later = session("A", "u1", "s3", CipherFormat.CTR);
        later.created = late.created; // created at the same moment, learnt of only after the restore
        try (var h = harness(settings(64 << 20, null, 262_144), 1, 0, snapshot)) {
            change(h, later);
            runMailsUntil(h, "the restored window's events", () -> messagesIn(later) == 3);
            runMailsFor(h, Duration.ofMillis(200));
            assertThat(idsIn(later)).as("late-session was for s1 only").containsExactlyInAnyOrder("late-user", "late-account", "late-everyone");
        }
    }

    /**
     * A broadcast still going out when a session becomes known: a new user it did not list gets it from the window; a
     * user it still has to reach gets it from the broadcast: each once.
     */
    @Test
    void aBroadcastInProgressReachesASessionLearntOfLateExactlyOnce() throws Exception {
        List<SessionRecord> sessions = oneSessionPerUser(20);
        SessionRecord newUser = session("A", "u99", "s99", CipherFormat.GCM);
        SessionRecord lastUsersSecond = session("A", "u9", "s9b", CipherFormat.GCM);
        try (var h = harness(settings(64 << 20, null, 262_144, 10), 1, 0, null)) {
            h.setProcessingTime(1_000);
            changeAll(h, sessions);
            send(h, "{\"_everyone\":true,\"messageId\":\"paced\"}", Math.max(newUser.created, lastUsersSecond.created) + 10);
            runMailsFor(h, Duration.ofMillis(200));
            assertThat(sessions.stream().mapToInt(AudienceExpanderTest::messagesIn).sum()).as("the broadcast is under way").isLessThan(20);
            change(h, newUser);
            change(h, lastUsersSecond);
            for (long t = 1_100; t <= 4_000; t += 100) {
                h.setProcessingTime(t);
                runMailsFor(h, Duration.ofMillis(10));
            }
            runMailsUntil(h, "the whole broadcast", () -> sessions.stream().allMatch(s -> messagesIn(s) == 1)
                    && messagesIn(newUser) == 1 && messagesIn(lastUsersSecond) == 1);
            runMailsFor(h, Duration.ofMillis(300));
            assertThat(messagesIn(newUser)).isEqualTo(1);
            assertThat(messagesIn(lastUsersSecond)).as("u9 had not been reached: the broadcast brings it").isEqualTo(1);
        }
    }

    /** Users with an entry in the operator's keyed state. */
    private static long usersInKeyedState(KeyedMultiInputStreamOperatorTestHarness<String, DeadLetter> h) {
        AudienceExpander operator = OPERATORS.get(h);
        try (java.util.stream.Stream<Object> users = operator.getKeyedStateBackend()
                .getKeys("sessions", org.apache.flink.runtime.state.VoidNamespace.INSTANCE)) {
            return users.count();
        }
    }

    /** A sender double: answers every message as sent, from a thread of its own as the SDK does, and counts them. */
    private static final class AnsweringSender implements MessageSender {
        static final java.util.concurrent.atomic.AtomicInteger SENT = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public void send(io.sqsbrowser.sqs.SqsMessage message, java.util.function.Consumer<SendOutcome> done) {
            SENT.incrementAndGet();
            java.util.concurrent.CompletableFuture.runAsync(() -> done.accept(SendOutcome.SENT));
        }

        @Override
        public void close() {}
    }

    /**
     * Once every session has ended and the retention has passed, the operator holds nothing: no user in keyed state,
     * no expansion and no grace-window event in the checkpoint. (A double answers for SQS: only the bookkeeping is tested.)
     */
    @Test
    void afterEverySessionEndsAndTheRetentionPassesNothingIsLeftBehind() throws Exception {
        long now = System.currentTimeMillis();
        Setup real = settings(64 << 20, null, 262_144);
        Setup answering = new Setup(real.delivery, metrics -> new AnsweringSender(), null);
        try (var h = harness(answering, 1, 0, null)) {
            h.setProcessingTime(now);
            List<SessionRecord> sessions = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                SessionRecord s = SessionRecords.live("A", "u" + i, "s" + i, CipherFormat.GCM, now / 1000);
                s.created = now - 1_000;
                sessions.add(s);
                change(h, s);
            }
            int sentBefore = AnsweringSender.SENT.get();
            send(h, "{\"_everyone\":true,\"messageId\":\"everyone\"}", now);
            send(h, "{\"userId\":\"u1\",\"messageId\":\"one\"}", now);
            runMailsUntil(h, "both events finished", () -> historyRows(h).size() == 6 && scopeRows(h).size() == 1);
            assertThat(AnsweringSender.SENT.get()).isEqualTo(sentBefore + 6);
            for (SessionRecord s : sessions) {
                SessionRecord removed = s.tombstone();
                removed.version = 2;
                removed.changedMillis = now;
                change(h, removed);
            }
            assertThat(usersInKeyedState(h)).as("tombstones, within the retention").isEqualTo(5);
            // Past the retention, and past the day a rewind may reach back (the history's time to live).
            h.setProcessingTime(now + 25 * HOUR);
            runMailsFor(h, Duration.ofMillis(50));
            assertThat(usersInKeyedState(h)).as("users left in keyed state").isZero();
            OperatorSubtaskState snapshot = h.snapshot(1, 1);
            try (var restored = harness(answering, 1, 0, snapshot)) {
                assertThat(usersInKeyedState(restored)).isZero();
                // Had the grace window kept the two events, a session created before them and learnt of now would get them.
                SessionRecord late = SessionRecords.live("A", "u9", "s9", CipherFormat.GCM, now / 1000);
                late.created = now - 1_000;
                change(restored, late);
                runMailsFor(restored, Duration.ofMillis(100));
                assertThat(AnsweringSender.SENT.get()).as("nothing from an emptied grace window and scope log").isEqualTo(sentBefore + 6);
                assertThat(usersInKeyedState(restored)).isEqualTo(1);
            }
        }
    }

    /**
     * A reader who arrives minutes after a broadcast, a topic event and an account event, and asks for ten minutes of
     * rewind, gets all three, once, oldest first, then the live ones; after a checkpoint restored at another parallelism
     * (the scope log is state), with their user's history rows. Nothing of another account or topic, nothing older.
     */
    @Test
    void aSessionCreatedMinutesLaterWithARewindGetsTheFanOutEventsItAskedForOnceInOrderThroughARestore() throws Exception {
        SessionRecord late = following(session("A", "late-reader", "s1", CipherFormat.GCM), 1, "politics");
        late.rewindSeconds = 600;
        long created = late.created;
        long minute = 60_000;
        OperatorSubtaskState snapshot;
        try (var h = harness()) {
            send(h, "{\"_everyone\":true,\"messageId\":\"too-old\"}", created - 11 * minute);
            send(h, "{\"_everyone\":true,\"messageId\":\"breaking\"}", created - 5 * minute);
            send(h, "{\"topic\":\"politics\",\"messageId\":\"politics\"}", created - 4 * minute);
            send(h, "{\"accountId\":\"A\",\"messageId\":\"account-A\"}", created - 3 * minute);
            send(h, "{\"accountId\":\"B\",\"messageId\":\"account-B\"}", created - 2 * minute);
            send(h, "{\"topic\":\"sport\",\"messageId\":\"sport\"}", created - minute);
            runMailsFor(h, Duration.ofMillis(200));
            snapshot = h.snapshot(1, 1);
        }
        List<KeyedMultiInputStreamOperatorTestHarness<String, DeadLetter>> restored = new ArrayList<>();
        for (int subtask = 0; subtask < 2; subtask++) {
            restored.add(harness(settings(64 << 20, null, 262_144), 2, subtask,
                    AbstractStreamOperatorTestHarness.repartitionOperatorState(snapshot, MAX_PARALLELISM, 1, 2, subtask)));
        }
        try {
            int owner = org.apache.flink.runtime.state.KeyGroupRangeAssignment.assignKeyToParallelOperator("late-reader", MAX_PARALLELISM, 2);
            change(restored.get(owner), late);
            for (var h : restored) {
                send(h, "{\"_everyone\":true,\"messageId\":\"live\"}", created + 10_000);
            }
            runMailsUntil(restored.get(owner), "the rewind and the live event", () -> messagesIn(late) == 4);
            runMailsFor(restored.get(owner), Duration.ofMillis(300));
            assertThat(bySequence(late)).as("numbered from 1 in its session, in order, without a gap")
                    .containsExactly("1 breaking", "2 politics", "3 account-A", "4 live");
            assertThat(historyRows(restored.get(owner))).contains("late-reader/breaking", "late-reader/politics", "late-reader/account-A");
        } finally {
            for (var h : restored) {
                h.close();
            }
        }
    }

    /**
     * A rewind gives at most {@code Rewind.maxEvents}, the newest: the older ones leave their numbers of the session's
     * sequence unused, so that its client sees the gap (and fills it from history) rather than nothing.
     */
    @Test
    void aRewindBeyondItsBoundLeavesAGapInTheSessionsSequence() throws Exception {
        SessionRecord late = session("A", "bounded-reader", "s1", CipherFormat.GCM);
        late.rewindSeconds = 3600;
        DeliverySettings twoAtMost = DeliverySettings.builder().maxInFlightRequests(16).maxMessageBytes(262_144)
                .tombstoneRetentionMillis(HOUR).graceWindow(60_000, 1 << 20).rewind(2, 24 * HOUR, 1 << 20).build();
        Setup setup = settings(64 << 20, null, 262_144);
        try (var h = harness(new Setup(twoAtMost, setup.senders, null), 1, 0, null)) {
            for (int i = 1; i <= 5; i++) {
                send(h, "{\"accountId\":\"A\",\"messageId\":\"news-" + i + "\"}", late.created - (10 - i) * 60_000L);
            }
            change(h, late);
            runMailsUntil(h, "the rewind", () -> messagesIn(late) == 2);
            send(h, "{\"accountId\":\"A\",\"messageId\":\"live\"}", late.created + 1_000);
            runMailsUntil(h, "the live event", () -> messagesIn(late) == 3);
            assertThat(bySequence(late)).as("news-1 to news-3 cut: numbers 1 to 3 unused")
                    .containsExactly("4 news-4", "5 news-5", "6 live");
            assertThat(sequencesSeen).as("and the first after them says so").anyMatch(seq -> seq.endsWith(":4~3"));
        }
    }

    /**
     * With {@code History.fanOutRows} per-scope, a broadcast leaves one history row, under its scope, however many
     * users it reached; user and session events keep their user's row, and the messages are the same.
     */
    @Test
    void withRowsPerScopeABroadcastLeavesOneHistoryRow() throws Exception {
        DeliverySettings perScope = DeliverySettings.builder().maxInFlightRequests(16).maxMessageBytes(262_144)
                .tombstoneRetentionMillis(HOUR).graceWindow(60_000, 1 << 20).fanOutRows(DeliverySettings.FanOutRows.PER_SCOPE).build();
        Setup setup = settings(64 << 20, null, 262_144);
        List<SessionRecord> sessions = oneSessionPerUser(30);
        try (var h = harness(new Setup(perScope, setup.senders, null), 1, 0, null)) {
            changeAll(h, sessions);
            send(h, "{\"_everyone\":true,\"messageId\":\"all\"}");
            send(h, "{\"accountId\":\"A\",\"topic\":\"t\",\"messageId\":\"nobody-follows\"}");
            send(h, "{\"userId\":\"u3\",\"messageId\":\"direct\"}");
            runMailsUntil(h, "every message", () -> sessions.stream().mapToInt(AudienceExpanderTest::messagesIn).sum() == 31);
            runMailsFor(h, Duration.ofMillis(200));
            assertThat(scopeRows(h)).containsExactlyInAnyOrder("#everyone/all", "#account:A#topic:t/nobody-follows");
            assertThat(historyRows(h)).as("no row per recipient of a broadcast").containsExactly("u3/direct");
        }
    }

    /** Version 2 of a session of account A, and version 1 of it (same item, so older), each with its own queue. */
    private static SessionRecord[] versionTwoAndOne(String user, String sessionId) {
        SessionRecord v2 = session("A", user, sessionId, CipherFormat.GCM);
        v2.version = 2;
        SessionRecord v1 = session("A", user, sessionId, CipherFormat.GCM);
        v1.created = v2.created;
        return new SessionRecord[] {v2, v1};
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void staleAndRemovedSessionsAreHonoured(Backend backend) throws Exception {
        SessionRecord[] versions = versionTwoAndOne("u1", "s1");
        SessionRecord v2 = versions[0];
        SessionRecord v1 = versions[1];
        try (var h = harness(settings(64 << 20, null, 262_144), 1, 0, null, backend)) {
            change(h, v2);
            change(h, v1);
            send(h, "{\"userId\":\"u1\",\"messageId\":\"one\"}");
            runMailsUntil(h, "the message", () -> messagesIn(v2) == 1);
            assertThat(messagesIn(v1)).as("the stale version's queue").isZero();
            SessionRecord removed = v2.tombstone();
            change(h, removed);
            change(h, v2);
            send(h, "{\"userId\":\"u1\",\"messageId\":\"two\"}");
            runMailsFor(h, Duration.ofMillis(300));
            assertThat(messagesIn(v2)).isEqualTo(1);
        }
    }

    /**
     * A user whose sessions all expired longer ago than the retention is forgotten by the sweep; a live user is not.
     * Seen from outside: an older version of a forgotten session is news again, while for the live user it stays stale.
     */
    @ParameterizedTest
    @EnumSource(Backend.class)
    void theSweepForgetsUsersWhoseSessionsLapsedLongerAgoThanTheRetentionAndNoOneElse(Backend backend) throws Exception {
        long nowSeconds = System.currentTimeMillis() / 1000;
        SessionRecord[] lapsedVersions = versionTwoAndOne("lapsed", "s1");
        SessionRecord lapsed = lapsedVersions[0];
        lapsed.expires = nowSeconds - 2 * HOUR / 1000;
        SessionRecord lapsedOlderVersion = lapsedVersions[1];
        SessionRecord[] liveVersions = versionTwoAndOne("live", "s2");
        SessionRecord live = liveVersions[0];
        SessionRecord liveOlderVersion = liveVersions[1];
        try (var h = harness(settings(64 << 20, null, 262_144), 1, 0, null, backend)) {
            change(h, lapsed);
            change(h, live);
            h.setProcessingTime(nowSeconds * 1000); // the sweep runs on processing time, which tells lapsed sessions
            runMailsFor(h, Duration.ofMillis(200));
            change(h, lapsedOlderVersion);
            change(h, liveOlderVersion);
            send(h, "{\"userId\":\"lapsed\",\"messageId\":\"to-lapsed\"}");
            send(h, "{\"userId\":\"live\",\"messageId\":\"to-live\"}");
            runMailsUntil(h, "both messages", () -> messagesIn(lapsedOlderVersion) == 1 && messagesIn(live) == 1);
            assertThat(messagesIn(liveOlderVersion)).as("the live user's stale version").isZero();
        }
    }

    /**
     * Paced at 20 messages a second (at most 2 at once), a broadcast to 30 users goes out as processing time passes,
     * never ahead of the pace, while a user event sent in the middle of it goes at once; a drained stop sends the
     * rest at once (no timer fires then). Without a pace the whole broadcast goes at the first instant.
     */
    @ParameterizedTest
    @ValueSource(longs = {20, 0})
    void aPacedBroadcastGoesNoFasterThanItsPaceAndUserEventsAreNotHeld(long perSecond) throws Exception {
        List<SessionRecord> sessions = oneSessionPerUser(30);
        IntSupplier messages = () -> sessions.stream().mapToInt(AudienceExpanderTest::messagesIn).sum();
        SessionRecord last = sessions.get(29);
        try (var h = harness(settings(64 << 20, null, 262_144, perSecond), 1, 0, null)) {
            h.setProcessingTime(1_000);
            changeAll(h, sessions);
            send(h, "{\"_everyone\":true,\"messageId\":\"everyone\"}");
            runMailsFor(h, Duration.ofMillis(300));
            if (perSecond == 0) {
                runMailsUntil(h, "the whole broadcast at once", () -> messages.getAsInt() == 30);
                return;
            }
            assertThat(messages.getAsInt()).as("sent at the first instant: the bucket's tenth of a second").isEqualTo(2);
            send(h, "{\"userId\":\"" + last.userId + "\",\"messageId\":\"alert\"}");
            runMailsUntil(h, "the user event, not held by the pace", () -> messages.getAsInt() == 3);
            for (long millis = 50; millis <= 700; millis += 50) {
                h.setProcessingTime(1_000 + millis);
                long expected = 1 + 2 + perSecond * millis / 1000;
                runMailsUntil(h, expected + " messages by " + millis + " ms", () -> messages.getAsInt() >= expected);
                runMailsFor(h, Duration.ofMillis(20));
                assertThat(messages.getAsInt()).as("messages by %d ms", millis).isEqualTo((int) expected);
            }
        }
        assertThat(messages.getAsInt()).as("every message once the drained stop has finished").isEqualTo(31);
        assertThat(drain(last).stream().map(m -> m.get("messageId").asText())).containsExactlyInAnyOrder("alert", "everyone");
    }

    /** The session as a later write of its item says: following {@code topics} from version {@code version} on. */
    private static SessionRecord following(SessionRecord s, long version, String... topics) {
        SessionRecord r = new SessionRecord();
        r.userId = s.userId;
        r.sessionId = s.sessionId;
        r.accountId = s.accountId;
        r.queueUrl = s.queueUrl;
        r.aesKey = s.aesKey;
        r.cipher = s.cipher;
        r.expires = s.expires;
        r.created = s.created;
        r.changedMillis = s.changedMillis;
        r.version = version;
        r.topics = topics;
        return r;
    }

    /**
     * SPEC §3's routing table for topics, through the operator: a topic event reaches the sessions that follow it, in
     * any account; with an accountId only those of that account, with a userId only that user's; each recipient user
     * has a history row. Following and unfollowing take effect with the change that says so, and after a restore the
     * topic index is rebuilt from the keyed state.
     */
    @Test
    void topicEventsReachTheFollowersThatMatchAndFollowingTakesEffectWithoutARestart() throws Exception {
        SessionRecord a1 = following(session("A", "u1", "s1", CipherFormat.GCM), 1, "politics", "world");
        SessionRecord a1other = session("A", "u1", "s2", CipherFormat.CTR);
        SessionRecord b2 = following(session("B", "u2", "s3", CipherFormat.GCM), 1, "politics");
        SessionRecord a3 = following(session("A", "u3", "s4", CipherFormat.GCM), 1, "world");
        OperatorSubtaskState snapshot;
        try (var h = harness()) {
            changeAll(h, List.of(a1, a1other, b2, a3));
            send(h, "{\"topic\":\"politics\",\"messageId\":\"politics\"}");
            send(h, "{\"topic\":\"politics\",\"accountId\":\"A\",\"messageId\":\"politics-in-A\"}");
            send(h, "{\"topic\":\"politics\",\"userId\":\"u2\",\"messageId\":\"politics-for-u2\"}");
            send(h, "{\"topic\":\"world\",\"userId\":\"u2\",\"messageId\":\"world-for-u2\"}");
            send(h, "{\"topic\":\"sport\",\"messageId\":\"sport\"}");
            runMailsUntil(h, "the topic events", () -> messagesIn(a1) == 2 && messagesIn(b2) == 2);
            runMailsFor(h, Duration.ofMillis(300));
            assertThat(idsIn(a1)).containsExactlyInAnyOrder("politics", "politics-in-A");
            assertThat(idsIn(b2)).containsExactlyInAnyOrder("politics", "politics-for-u2");
            assertThat(messagesIn(a1other)).as("the same user's session that follows nothing").isZero();
            assertThat(messagesIn(a3)).isZero();
            assertThat(historyRows(h)).containsExactlyInAnyOrder("u1/politics", "u2/politics", "u1/politics-in-A",
                    "u2/politics-for-u2", "u2/world-for-u2");

            change(h, following(a1, 2, "world"));
            change(h, following(a1other, 2, "politics"));
            send(h, "{\"topic\":\"politics\",\"messageId\":\"after-the-change\"}");
            runMailsUntil(h, "the event after the change", () -> messagesIn(a1other) == 1 && messagesIn(b2) == 1);
            runMailsFor(h, Duration.ofMillis(300));
            assertThat(messagesIn(a1)).as("unfollowed").isZero();
            assertThat(idsIn(a1other)).containsExactly("after-the-change");
            drain(b2);
            snapshot = h.snapshot(1, 1);
        }
        try (var h = harness(settings(64 << 20, null, 262_144), 1, 0, snapshot)) {
            send(h, "{\"topic\":\"world\",\"messageId\":\"after-the-restore\"}");
            runMailsUntil(h, "the event after the restore", () -> messagesIn(a1) == 1 && messagesIn(a3) == 1);
            runMailsFor(h, Duration.ofMillis(300));
            assertThat(idsIn(a1)).containsExactly("after-the-restore");
            assertThat(messagesIn(a1other) + messagesIn(b2)).isZero();
        }
    }

    /**
     * Following a topic takes effect when {@code /topics} answers, not when the change stream brings the news: a topic
     * event sent after the change was made, expanded before the job knew of it, reaches the session once it knows, with
     * its user's history row; not one sent before the change, and no event of a topic it already followed again.
     */
    @Test
    void aTopicFollowedLateGetsItsEventsSentAfterTheFollowOnce() throws Exception {
        SessionRecord s = following(session("A", "u1", "s1", CipherFormat.GCM), 1, "politics");
        SessionRecord follows = following(s, 2, "politics", "world");
        follows.changedMillis = s.created + 60_000;
        try (var h = harness()) {
            change(h, s);
            send(h, "{\"topic\":\"world\",\"messageId\":\"before-the-follow\"}", follows.changedMillis - 5_000);
            send(h, "{\"topic\":\"world\",\"messageId\":\"world\"}", follows.changedMillis + 10);
            send(h, "{\"topic\":\"politics\",\"messageId\":\"politics\"}", follows.changedMillis + 10);
            runMailsUntil(h, "the politics event", () -> messagesIn(s) == 1);

            change(h, follows);
            runMailsUntil(h, "the world event it missed", () -> messagesIn(s) == 2);
            change(h, follows); // the change record again (at least once)
            change(h, following(s, 3, "politics", "world")); // a later write that changes no topic
            runMailsFor(h, Duration.ofMillis(300));
            assertThat(idsIn(s)).containsExactlyInAnyOrder("politics", "world");
            assertThat(historyRows(h)).containsExactlyInAnyOrder("u1/politics", "u1/world");
        }
    }

    /**
     * Broadcasts taken and not finished are bounded in bytes (2,048 here): after two broadcasts of 1,100 bytes, a
     * third is taken only once the first has been answered for every session, so a producer cannot pile broadcasts up
     * in memory (and in every checkpoint) faster than they go out.
     */
    @Test
    void broadcastsTakenAndNotFinishedAreBoundedInBytes() throws Exception {
        List<SessionRecord> sessions = oneSessionPerUser(10);
        String text = "x".repeat(1_100);
        try (var h = harness(settings(2_048, null, 2_048, 0, 2_048), 1, 0, null)) {
            changeAll(h, sessions);
            send(h, "{\"_everyone\":true,\"messageId\":\"first\",\"message\":\"" + text + "\"}");
            send(h, "{\"_everyone\":true,\"messageId\":\"second\",\"message\":\"" + text + "\"}");
            send(h, "{\"_everyone\":true,\"messageId\":\"third\",\"message\":\"" + text + "\"}");
            assertThat(sessions).as("sessions with the first broadcast when the third was taken")
                    .allMatch(s -> messagesIn(s) >= 1);
            runMailsUntil(h, "every broadcast", () -> sessions.stream().allMatch(s -> messagesIn(s) == 3));
            for (SessionRecord s : sessions) {
                assertThat(drain(s).stream().map(m -> m.get("messageId").asText())).containsExactlyInAnyOrder("first", "second", "third");
            }
        }
    }

    /**
     * The same bound holds for user events (held while SQS is slow or down): with 2,048 bytes allowed, a third
     * 1,100-byte event is taken only once one of the first two has been answered (they are in flight together, and
     * either may be answered first).
     */
    @Test
    void userEventsTakenAndNotFinishedAreBoundedInBytes() throws Exception {
        List<SessionRecord> sessions = oneSessionPerUser(3);
        String text = "x".repeat(1_100);
        try (var h = harness(settings(2_048, null, 2_048, 0, 2_048), 1, 0, null)) {
            changeAll(h, sessions);
            for (SessionRecord s : sessions) {
                send(h, "{\"userId\":\"" + s.userId + "\",\"messageId\":\"m\",\"message\":\"" + text + "\"}");
            }
            assertThat(messagesIn(sessions.get(0)) + messagesIn(sessions.get(1))).as("the first two events' messages when the third was taken")
                    .isGreaterThanOrEqualTo(1);
            runMailsUntil(h, "every event", () -> sessions.stream().allMatch(s -> messagesIn(s) == 1));
        }
    }

    @Test
    void aMessageSqsRefusesBecomesADeadLetterWithThePlaintextNotTheEnvelope() throws Exception {
        SessionRecord s = session("A", "u1", "s1", CipherFormat.GCM);
        try (var h = harness(settings(64 << 20, null, 100), 1, 0, null)) {
            change(h, s);
            String json = "{\"userId\":\"u1\",\"message\":\"" + "x".repeat(100) + "\",\"messageId\":\"m-1\"}";
            send(h, json);
            runMailsUntil(h, "a dead letter", () -> !h.extractOutputValues().isEmpty());
            DeadLetter d = h.extractOutputValues().get(0);
            assertThat(d.stage).isEqualTo("delivery");
            assertThat(d.payload).isEqualTo(json);
            assertThat(d.toJson()).contains("\"queueUrl\":\"" + s.queueUrl + "\"", "\"sessionId\":\"s1\"", "\"userId\":\"u1\"")
                    .doesNotContain("g1|");
        }
    }

    @Test
    void messagesHandedToSqsStayWithinTheByteBudget() throws Exception {
        List<SessionRecord> sessions = new ArrayList<>();
        String payload = "x".repeat(1000);
        // A GCM body for this event is about 1.4 KB: a budget of 5 KB holds four at once, and one user's overshoot.
        try (var h = harness(settings(5_000, null, 2_048), 1, 0, null)) {
            for (int i = 0; i < 30; i++) {
                SessionRecord s = session("A", "u" + i, "s" + i, CipherFormat.GCM);
                sessions.add(s);
                change(h, s);
            }
            send(h, "{\"_everyone\":true,\"message\":\"" + payload + "\",\"messageId\":\"big\"}");
            // No mail runs yet, so no SQS answer is taken: what was handed out is all there can be.
            Await.until(Duration.ofSeconds(30), "an SQS answer for the task thread", () -> h.getTaskMailbox().hasMail());
            assertThat(sessions.stream().mapToInt(AudienceExpanderTest::messagesIn).sum()).isBetween(1, 4);
            runMailsUntil(h, "every message", () -> sessions.stream().mapToInt(AudienceExpanderTest::messagesIn).sum() == 30);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aCheckpointMidBroadcastRestoredAtAnotherParallelismReachesEveryoneAndSendsNoUserTwiceBeyondTheUnconfirmed(Backend backend)
            throws Exception {
        List<SessionRecord> sessions = new ArrayList<>();
        OperatorSubtaskState snapshot;
        int deliveredBefore;
        try (var h = harness(settings(3_000, null, 2_048), 1, 0, null, backend)) {
            for (int i = 0; i < 60; i++) {
                SessionRecord s = session("A", "user-" + i, "s" + i, CipherFormat.CTR);
                sessions.add(s);
                change(h, s);
            }
            send(h, "{\"_everyone\":true,\"message\":\"" + "y".repeat(1000) + "\",\"messageId\":\"breaking\"}");
            runMailsUntil(h, "a third of the broadcast", () -> sessions.stream().mapToInt(AudienceExpanderTest::messagesIn).sum() >= 20);
            snapshot = h.snapshot(1, 1);
            assertThat(snapshot.getManagedKeyedState()).as("keyed state, as the backend stores it").isNotEmpty()
                    .allMatch(handle -> handle.getClass().getSimpleName().startsWith("Incremental") == (backend == Backend.ROCKSDB));
            deliveredBefore = sessions.stream().mapToInt(AudienceExpanderTest::messagesIn).sum();
            // Closing finishes the broadcast, as the job would go on after its checkpoint until it failed.
        }
        assertThat(deliveredBefore).isLessThan(60);
        assertThat(sessions.stream().mapToInt(AudienceExpanderTest::messagesIn).sum()).isEqualTo(60);
        // Rescaled to 3: each new subtask resumes the users of its key groups.
        List<KeyedMultiInputStreamOperatorTestHarness<String, DeadLetter>> restored = new ArrayList<>();
        for (int subtask = 0; subtask < 3; subtask++) {
            restored.add(harness(settings(3_000, null, 2_048), 3, subtask,
                    AbstractStreamOperatorTestHarness.repartitionOperatorState(snapshot, MAX_PARALLELISM, 1, 3, subtask), backend));
        }
        try {
            // The restored subtasks resume after the last user handed out, and send again what was unconfirmed
            // (at most the budget's worth): the users done before the checkpoint get nothing more.
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            int expectedAgain = 60 - deliveredBefore;
            while (sessions.stream().mapToInt(AudienceExpanderTest::messagesIn).sum() < 60 + expectedAgain
                    && System.nanoTime() < deadline) {
                for (var h : restored) {
                    runMailsFor(h, Duration.ofMillis(20));
                }
            }
            for (var h : restored) {
                runMailsFor(h, Duration.ofMillis(200));
            }
            int sentAgain = sessions.stream().mapToInt(AudienceExpanderTest::messagesIn).sum() - 60;
            assertThat(sentAgain).isBetween(expectedAgain, expectedAgain + 3);
            long usersSentAgain = sessions.stream().filter(s -> messagesIn(s) > 1).count();
            assertThat(usersSentAgain).isEqualTo(sentAgain);
            List<String> rows = new ArrayList<>();
            restored.forEach(h -> rows.addAll(historyRows(h)));
            assertThat(rows).doesNotHaveDuplicates();
        } finally {
            for (var h : restored) {
                h.close();
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void aColdStartExpandsNothingUntilTheTableIsReadAndABacklogOfEventsWaitsForIt(Backend backend) throws Exception {
        String table = "sessions-" + java.util.UUID.randomUUID();
        AwsResources.createSessionTable(emulators.dynamoDb(), table);
        TestSession stored = TestSession.create(emulators.sqs(), HARNESS, "A", "u1", "s1", CipherFormat.GCM);
        emulators.dynamoDb().putItem(b -> b.tableName(table).item(stored.item()));
        Map<String, AttributeValue> broken = new HashMap<>(stored.item());
        broken.put("sessionId", AttributeValue.builder().s("broken").build());
        broken.remove("aesKey");
        emulators.dynamoDb().putItem(b -> b.tableName(table).item(broken));
        SessionRecord s = record(stored);
        OperatorSubtaskState afterScan;
        try (var h = harness(settings(64 << 20, table, 2_048, 0, 2_048), 1, 0, null, backend)) {
            send(h, "{\"userId\":\"u1\",\"messageId\":\"early-user\"}");
            // The scan's first page waits for the task thread, which has not run it.
            Await.until(Duration.ofSeconds(30), "a page of the scan for the task thread", () -> h.getTaskMailbox().hasMail());
            assertThat(messagesIn(s)).as("nothing leaves before the table is read").isZero();
            send(h, "{\"_everyone\":true,\"messageId\":\"early-everyone\",\"padding\":\"" + "p".repeat(1200) + "\"}");
            send(h, "{\"accountId\":\"A\",\"messageId\":\"early-account\",\"padding\":\"" + "p".repeat(1200) + "\"}");
            // Past 2 KiB of waiting events the task takes no more input: this call returns once the scan has ended
            // (its pages applied on the task thread meanwhile) and an event has finished.
            send(h, "{\"userId\":\"u1\",\"messageId\":\"backlog\"}");
            assertThat(messagesIn(s)).as("the table was read and the early events went out before the backlog was taken").isPositive();
            runMailsUntil(h, "every early event", () -> messagesIn(s) == 4);
            assertThat(h.extractOutputValues()).extracting(d -> d.stage + ": " + d.reason)
                    .containsExactly("session-scan: invalid session item: session item has no aesKey");
            runMailsFor(h, Duration.ofMillis(300)); // SQS's answers: nothing left unconfirmed to send again
            afterScan = h.snapshot(1, 1);
        }
        drain(s);
        // Restored from a checkpoint taken after the scan: no scan (the table is even gone), no waiting.
        emulators.dynamoDb().deleteTable(b -> b.tableName(table));
        try (var h = harness(settings(64 << 20, table, 2_048, 0, 2_048), 1, 0, afterScan, backend)) {
            send(h, "{\"userId\":\"u1\",\"messageId\":\"after-restore\"}");
            runMailsUntil(h, "the message", () -> messagesIn(s) == 1);
        }
    }
}
