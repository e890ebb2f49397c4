package io.sqsbrowser.expand;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.client.MessageDecryptor;
import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.event.DeliveryEvent;
import io.sqsbrowser.event.EventParser;
import io.sqsbrowser.session.SessionRecord;
import io.sqsbrowser.testing.SessionRecords;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithNonKeyedOperator;
import org.apache.flink.streaming.util.BroadcastOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

/** The expander alone, in Flink's broadcast operator test harness. */
class AudienceExpanderTest {
    private static final long HOUR = 3_600_000L;

    private static BroadcastOperatorTestHarness<EventShare, SessionRecord, Delivery> harness() throws Exception {
        return ProcessFunctionTestHarnesses.forBroadcastProcessFunction(new AudienceExpander(HOUR), AudienceExpander.SESSIONS);
    }

    static SessionRecord session(String account, String user, String session, CipherFormat cipher) {
        return SessionRecords.live(account, user, session, cipher, System.currentTimeMillis() / 1000);
    }

    /** A new expander restored from {@code snapshot}, as after a restart. */
    private static BroadcastOperatorTestHarness<EventShare, SessionRecord, Delivery> restored(OperatorSubtaskState snapshot)
            throws Exception {
        BroadcastOperatorTestHarness<EventShare, SessionRecord, Delivery> h = new BroadcastOperatorTestHarness<>(
                new CoBroadcastWithNonKeyedOperator<>(new AudienceExpander(HOUR), List.of(AudienceExpander.SESSIONS)), 1, 1, 0);
        h.setup();
        h.initializeState(snapshot);
        h.open();
        return h;
    }

    private static EventShare share(String json, int partition, int shareCount) {
        DeliveryEvent e = new EventParser(262_144).parse(json.getBytes(StandardCharsets.UTF_8), "e", "shard", "1", 0).value;
        return new EventShare(e, partition, shareCount);
    }

    @Test
    void eachRecipientGetsTheMessageEncryptedWithItsOwnKeyAndCipher() throws Exception {
        SessionRecord ctr = session("A", "u1", "s1", CipherFormat.CTR);
        SessionRecord gcm = session("A", "u1", "s2", CipherFormat.GCM);
        try (BroadcastOperatorTestHarness<EventShare, SessionRecord, Delivery> h = harness()) {
            h.processBroadcastElement(ctr, 1);
            h.processBroadcastElement(gcm, 2);
            h.processBroadcastElement(session("B", "u2", "s3", CipherFormat.GCM), 3);
            h.processElement(share("{\"userId\":\"u1\",\"message\":\"hi\",\"messageId\":\"m1\"}", 0, 1), 4);
            List<Delivery> out = h.extractOutputValues();
            assertThat(out).extracting(d -> d.sessionId).containsExactlyInAnyOrder("s1", "s2");
            for (Delivery d : out) {
                SessionRecord s = d.sessionId.equals("s1") ? ctr : gcm;
                assertThat(d.queueUrl).isEqualTo(s.queueUrl);
                assertThat(d.messageId).isEqualTo("m1");
                assertThat(d.body.startsWith("g1|")).isEqualTo(s.cipher == CipherFormat.GCM);
                String plaintext = new MessageDecryptor(Base64.getEncoder().encodeToString(s.aesKey)).decrypt(d.body);
                assertThat(plaintext).isEqualTo("{\"userId\":\"u1\",\"message\":\"hi\",\"messageId\":\"m1\"}");
            }
        }
    }

    @Test
    void aFanOutShareTakesOnlyItsPartOfTheSessions() throws Exception {
        try (BroadcastOperatorTestHarness<EventShare, SessionRecord, Delivery> h = harness()) {
            for (int i = 0; i < 100; i++) {
                h.processBroadcastElement(session("A", "u" + i, "s" + i, CipherFormat.GCM), i);
            }
            h.processElement(share("{\"message\":\"all\"}", 0, 2), 100);
            h.processElement(share("{\"message\":\"all\"}", 1, 2), 101);
            List<String> recipients = h.extractOutputValues().stream().map(d -> d.sessionId).collect(Collectors.toList());
            assertThat(recipients).hasSize(100).doesNotHaveDuplicates();
        }
    }

    @Test
    void historyRowsAreOnePerRecipientUserAcrossSharesAndNoneForEphemeralMessages() throws Exception {
        try (BroadcastOperatorTestHarness<EventShare, SessionRecord, Delivery> h = harness()) {
            for (int i = 0; i < 40; i++) {
                // 20 users with two sessions each, spread over both shares by session id.
                h.processBroadcastElement(session("A", "u" + (i % 20), "s" + i, CipherFormat.GCM), i);
            }
            h.processElement(share("{\"messageId\":\"all\"}", 0, 2), 100);
            h.processElement(share("{\"messageId\":\"all\"}", 1, 2), 101);
            h.processElement(share("{\"userId\":\"nobody\",\"messageId\":\"direct\"}", 0, 1), 102);
            h.processElement(share("{\"userId\":\"u1\",\"_sqs_only\":true,\"messageId\":\"ephemeral\"}", 0, 1), 103);
            h.processElement(share("{\"userId\":\"u1\",\"_type\":\"message-read-receipt\",\"messageId\":\"r\"}", 0, 1), 104);
            List<String> rows = h.getSideOutput(AudienceExpander.HISTORY).stream()
                    .map(r -> r.getValue().userId + "/" + r.getValue().messageId).collect(Collectors.toList());
            assertThat(rows).hasSize(21).doesNotHaveDuplicates().contains("u0/all", "u19/all", "nobody/direct");
        }
    }

    @Test
    void staleAndRemovedSessionsAreHonoured() throws Exception {
        SessionRecord v2 = session("A", "u1", "s1", CipherFormat.GCM);
        v2.version = 2;
        SessionRecord v1 = session("A", "u1", "s1", CipherFormat.GCM);
        v1.queueUrl = "http://sqs/stale";
        try (BroadcastOperatorTestHarness<EventShare, SessionRecord, Delivery> h = harness()) {
            h.processBroadcastElement(v2, 1);
            h.processBroadcastElement(v1, 2);
            h.processElement(share("{\"userId\":\"u1\"}", 0, 1), 3);
            assertThat(h.extractOutputValues()).extracting(d -> d.queueUrl).containsExactly("http://sqs/q-s1");

            SessionRecord removed = v2.tombstone();
            h.processBroadcastElement(removed, 4);
            h.processBroadcastElement(v2, 5);
            h.processElement(share("{\"userId\":\"u1\"}", 0, 1), 6);
            assertThat(h.extractOutputValues()).hasSize(1);
        }
    }

    @Test
    void sessionsSurviveARestoreFromASnapshot() throws Exception {
        OperatorSubtaskState snapshot;
        try (BroadcastOperatorTestHarness<EventShare, SessionRecord, Delivery> h = harness()) {
            h.processBroadcastElement(session("A", "u1", "s1", CipherFormat.CTR), 1);
            h.processBroadcastElement(session("A", "u2", "s2", CipherFormat.GCM), 2);
            h.processBroadcastElement(session("A", "u2", "s2", CipherFormat.GCM).tombstone(), 3);
            snapshot = h.snapshot(1, 4);
        }
        try (BroadcastOperatorTestHarness<EventShare, SessionRecord, Delivery> restored = restored(snapshot)) {
            restored.processElement(share("{\"accountId\":\"A\"}", 0, 1), 5);
            assertThat(restored.extractOutputValues()).extracting(d -> d.sessionId).containsExactly("s1");
        }
    }

    @Test
    void tombstonesOlderThanTheRetentionAreForgotten() throws Exception {
        SessionRecord old = session("A", "u1", "s1", CipherFormat.GCM).tombstone();
        old.changedMillis = System.currentTimeMillis() - 2 * HOUR;
        SessionRecord recent = session("A", "u2", "s2", CipherFormat.GCM).tombstone();
        try (BroadcastOperatorTestHarness<EventShare, SessionRecord, Delivery> h = harness()) {
            h.processBroadcastElement(recent, 1);
            h.processBroadcastElement(old, 2);
            // A purge runs at most once per tenth of the retention; a restored operator purges on its first change.
            OperatorSubtaskState snapshot = h.snapshot(1, 3);
            try (BroadcastOperatorTestHarness<EventShare, SessionRecord, Delivery> next = restored(snapshot)) {
                next.processBroadcastElement(session("A", "u3", "s3", CipherFormat.GCM), 4);
                List<String> keys = new java.util.ArrayList<>();
                next.getBroadcastState(AudienceExpander.SESSIONS).entries().forEach(e -> keys.add(e.getKey()));
                assertThat(keys).containsExactlyInAnyOrder("u2/s2", "u3/s3");
            }
        }
    }
}
