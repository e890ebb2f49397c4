package io.sqsbrowser.expand;

import io.sqsbrowser.session.SessionRecord;
import io.sqsbrowser.sqs.SqsMessage;

/**
 * One encrypted message on its way to one session's queue. It lives only while the send is under way: the
 * event's plaintext is not copied into it (the {@link Expansion} holds the event once for all recipients).
 */
final class Delivery implements SqsMessage {
    final Expansion expansion;
    final String userId;
    final String sessionId;
    private final String queueUrl;
    private final String body;
    private final String sequence;

    Delivery(Expansion expansion, SessionRecord session, String sequence, String body) {
        this.expansion = expansion;
        this.userId = session.userId;
        this.sessionId = session.sessionId;
        this.queueUrl = session.queueUrl;
        this.sequence = sequence;
        this.body = body;
    }

    @Override
    public String queueUrl() {
        return queueUrl;
    }

    @Override
    public String body() {
        return body;
    }

    @Override
    public String sequence() {
        return sequence;
    }

    /** A message of a user or session event goes before waiting messages of broadcasts (account, everyone). */
    @Override
    public boolean priority() {
        return !expansion.isFanOut();
    }

    /** The key under which the expansion tracks it: one message per session per event. */
    String recipientKey() {
        return Expansion.recipientKey(userId, sessionId);
    }

    @Override
    public String toString() {
        return "Delivery{" + expansion.event.messageId + " -> " + userId + "/" + sessionId + "}";
    }
}
