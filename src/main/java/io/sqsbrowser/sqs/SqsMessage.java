package io.sqsbrowser.sqs;

/** What the sender needs of a message: the queue it goes to, its body, and whether it may overtake others. */
public interface SqsMessage {
    String queueUrl();

    String body();

    /**
     * True for a message that leaves before every waiting message that is not: one user's alert is not to wait
     * behind a broadcast to everyone.
     */
    default boolean priority() {
        return false;
    }
}
