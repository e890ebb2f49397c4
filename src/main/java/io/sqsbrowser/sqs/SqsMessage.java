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

    /**
     * The message's place among its session's ({@code <epoch>:<n>}, and {@code ~<k>} when the {@code k} numbers before
     * it were left unused; the SQS message attribute {@value #SEQUENCE}), by which a client tells whether it has missed
     * one; null for none.
     */
    default String sequence() {
        return null;
    }

    /** The name of the message attribute that carries {@link #sequence()}. */
    String SEQUENCE = io.sqsbrowser.crypto.Envelopes.SEQUENCE_ATTRIBUTE;
}
