package io.sqsbrowser.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sqsbrowser.aws.QueueNames;
import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.testing.SessionRecords;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The compact form of a user's sessions: what it saves, and that it gives back exactly what went in. */
class UserSessionsTest {
    private static final long HOUR = 3_600_000L;

    private static SessionRecord session(String sessionId, String queueUrl) {
        SessionRecord s = SessionRecords.live("100", "200", sessionId, CipherFormat.GCM, System.currentTimeMillis() / 1000);
        s.queueUrl = queueUrl;
        s.changedMillis = 0; // not kept for a live session
        return s;
    }

    @Test
    void aUuidSessionAndASessionQueueUrlTakeTheirCompactFormAndComeBackExactly() {
        String url = "https://sqs.us-east-1.amazonaws.com/123456789012/" + QueueNames.newName("prod-sqs-browser");
        SessionRecord s = session(UUID.randomUUID().toString(), url);
        QueueUrlStems stems = new QueueUrlStems();
        UserSessions sessions = UserSessions.decode("200", null, stems);
        sessions.apply(s, System.currentTimeMillis(), HOUR);
        byte[] compact = sessions.encode(stems);
        // Format, count, flags, 16-byte id, created, version, account, stem id, 32 random bytes, key, expires.
        assertThat(compact.length).isLessThan(110);
        // Another subtask, after a restore: it knows the stems from the checkpoint.
        QueueUrlStems restored = new QueueUrlStems();
        restored.addAll(stems.stems());
        assertThat(UserSessions.decode("200", compact, restored).session(s.sessionId)).usingRecursiveComparison().isEqualTo(s);
        assertThatThrownBy(() -> UserSessions.decode("200", compact, new QueueUrlStems()))
                .hasMessageContaining("unknown queue URL stem");
    }

    @Test
    void anyOtherIdOrUrlIsKeptWhole() {
        QueueUrlStems stems = new QueueUrlStems();
        UserSessions sessions = UserSessions.decode("200", null, stems);
        // Upper-case UUID; a name whose last 43 characters are not a 32-byte base64url value; an original-system queue.
        SessionRecord upper = session(UUID.randomUUID().toString().toUpperCase(), "http://q/local-" + "A".repeat(42) + "B");
        SessionRecord other = session("cbbd5ab3-46e9-11e7", "https://sqs.us-east-1.amazonaws.com/1/sqs-browser-5de8e0e5");
        sessions.apply(upper, System.currentTimeMillis(), HOUR);
        sessions.apply(other, System.currentTimeMillis(), HOUR);
        UserSessions back = UserSessions.decode("200", sessions.encode(stems), stems);
        assertThat(back.session(upper.sessionId)).usingRecursiveComparison().isEqualTo(upper);
        assertThat(back.session(other.sessionId)).usingRecursiveComparison().isEqualTo(other);
        assertThat(stems.stems()).isEmpty();
    }
}
