package io.sqsbrowser.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sqsbrowser.aws.QueueNames;
import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.testing.SessionRecords;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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

    /** Ids a UUID would read but not write back the same are kept whole: none comes back changed. */
    @ParameterizedTest
    @ValueSource(strings = {"0123abcd-0123-4567-89ab-0123456789aG", "0123abcd-0123-4567-89ab-0123456789ag",
            "0123abcd0-123-4567-89ab-0123456789ab", "0123abcd-0123-4567-89ab-0123456789a", "0123abcd-0123-4567-89ab-0123456789abc",
            "123abcd-0123-4567-89ab-0123456789ab0", "0123abcd-0123-4567-89ab+0123456789ab", "0123abcd-0123-4567-89ab-0123456789ab"})
    void anIdThatLooksLikeAUuidComesBackExactly(String id) {
        QueueUrlStems stems = new QueueUrlStems();
        UserSessions sessions = UserSessions.decode("200", null, stems);
        sessions.apply(session(id, "http://q/local-x"), System.currentTimeMillis(), HOUR);
        assertThat(UserSessions.decode("200", sessions.encode(stems), stems).session(id)).isNotNull();
    }

    /**
     * Topics cost a session their names and a count; a user whose sessions follow none is written in release 1's
     * format (so a rollback reads it), and what release 1 wrote is read as following nothing.
     */
    @Test
    void topicsComeBackExactlyAndAUserWithoutTopicsStaysInTheFirstFormat() {
        String url = "https://sqs.us-east-1.amazonaws.com/123456789012/" + QueueNames.newName("prod-sqs-browser");
        QueueUrlStems stems = new QueueUrlStems();
        SessionRecord plain = session(UUID.randomUUID().toString(), url);
        UserSessions sessions = UserSessions.decode("200", null, stems);
        sessions.apply(plain, System.currentTimeMillis(), HOUR);
        byte[] release1 = sessions.encode(stems);
        assertThat(release1[0]).as("format of a user without topics").isEqualTo((byte) 1);
        assertThat(UserSessions.decode("200", release1, stems).session(plain.sessionId).topics).isEmpty();

        SessionRecord follower = session(UUID.randomUUID().toString(), url);
        follower.topics = new String[] {"election-night", "politics", "world"};
        sessions.apply(follower, System.currentTimeMillis(), HOUR);
        byte[] withTopics = sessions.encode(stems);
        assertThat(withTopics[0]).isEqualTo((byte) 2);
        int sessionBytes = release1.length - 2;
        assertThat(withTopics.length).as("format and count, two sessions, their topic counts, 27 bytes of names and their lengths")
                .isEqualTo(2 + 2 * sessionBytes + 2 + 27 + 3);
        UserSessions back = UserSessions.decode("200", withTopics, stems);
        assertThat(back.session(follower.sessionId)).usingRecursiveComparison().isEqualTo(follower);
        assertThat(back.session(plain.sessionId).topics).isEmpty();
        assertThat(back.topics()).containsExactly("election-night", "politics", "world");
        assertThatThrownBy(() -> UserSessions.decode("200", new byte[] {4, 0}, stems)).hasMessageContaining("format 4");
    }

    /**
     * A session's sequence (how many messages it was sent, and the epoch of that numbering) is kept once it has one (the
     * third format), goes on through later images of the same incarnation, and starts again for a new one.
     */
    @Test
    void aSessionsSequenceIsKeptAndGoesOnThroughItsChangesButNotIntoANewIncarnation() {
        String url = "https://sqs.us-east-1.amazonaws.com/123456789012/" + QueueNames.newName("prod-sqs-browser");
        QueueUrlStems stems = new QueueUrlStems();
        SessionRecord s = session(UUID.randomUUID().toString(), url);
        UserSessions sessions = UserSessions.decode("200", null, stems);
        sessions.apply(s, System.currentTimeMillis(), HOUR);
        String first = sessions.session(s.sessionId).nextSequence();
        sessions.session(s.sessionId).nextSequence();
        assertThat(first).matches("[0-9a-f]{8}:1");
        byte[] numbered = sessions.encode(stems);
        assertThat(numbered[0]).isEqualTo((byte) 3);
        UserSessions back = UserSessions.decode("200", numbered, stems);
        assertThat(back.session(s.sessionId)).usingRecursiveComparison().isEqualTo(sessions.session(s.sessionId));

        SessionRecord renewed = session(s.sessionId, url);
        renewed.created = s.created;
        renewed.version = s.version + 1;
        back.apply(renewed, System.currentTimeMillis(), HOUR);
        assertThat(back.session(s.sessionId).nextSequence()).isEqualTo(first.replace(":1", ":3"));

        back.session(s.sessionId).skipSequence(2);
        assertThat(back.session(s.sessionId).nextSequence()).as("after two left unused").isEqualTo(first.replace(":1", ":6~2"));
        assertThat(UserSessions.decode("200", back.encode(stems), stems).session(s.sessionId).nextSequence()).isEqualTo(first.replace(":1", ":7"));

        SessionRecord reborn = session(s.sessionId, url);
        reborn.created = s.created + 1;
        back.apply(reborn, System.currentTimeMillis(), HOUR);
        String again = back.session(s.sessionId).nextSequence();
        assertThat(again).endsWith(":1").isNotEqualTo(first);
    }

    /** The epoch is always 8 hex digits (the clients parse it so), whatever the random number drawn. */
    @Test
    void aSequenceIsItsEpochInEightHexDigitsAndItsNumber() {
        assertThat(SessionRecord.sequence(0x2a, 7)).isEqualTo("0000002a:7");
        assertThat(SessionRecord.sequence(-1, 12_345_678_901L)).isEqualTo("ffffffff:12345678901");
        assertThat(SessionRecord.sequence(0x80000000, 1)).isEqualTo("80000000:1");
    }
}
