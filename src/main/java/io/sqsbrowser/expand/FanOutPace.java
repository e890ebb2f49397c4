package io.sqsbrowser.expand;

/**
 * How fast a subtask may hand out the messages of account and everyone events: a token bucket of messages a
 * second, holding at most a tenth of a second's worth. A broadcast sent as fast as the CPU allows takes every core
 * for as long as it lasts, and user events (read from the stream, expanded and sent on the same cores) wait behind
 * it; paced, it leaves them room. User and session events never take from the bucket.
 *
 * <p>A user's sessions are handed out together, so the bucket may go below zero by a user's sessions less one;
 * the debt is repaid before the next user. Times are the operator's processing time, in milliseconds.
 */
final class FanOutPace {
    /** The bucket is refilled in steps of at least this long: a broadcast is not woken for every single message. */
    private static final long MIN_STEP_MILLIS = 10;
    private final double perMilli;
    private final double capacity;
    private double tokens;
    private long refilledAt;

    /** {@code messagesPerSecond} above zero. */
    FanOutPace(long messagesPerSecond, long now) {
        if (messagesPerSecond <= 0) {
            throw new IllegalArgumentException("a pace needs a positive rate: " + messagesPerSecond);
        }
        perMilli = messagesPerSecond / 1000.0;
        capacity = Math.max(1, messagesPerSecond / 10.0);
        tokens = capacity;
        refilledAt = now;
    }

    /** Whether a message may be handed out now. */
    boolean allows(long now) {
        if (now > refilledAt) {
            tokens = Math.min(capacity, tokens + (now - refilledAt) * perMilli);
            refilledAt = now;
        }
        return tokens >= 1;
    }

    void handedOut(int messages) {
        tokens -= messages;
    }

    /** When to look again after {@link #allows} said no: once a step's worth of messages (at least one) is due. */
    long nextAllowed(long now) {
        double wanted = Math.min(capacity, Math.max(1, MIN_STEP_MILLIS * perMilli));
        return now + Math.max(1, (long) Math.ceil((wanted - tokens) / perMilli));
    }
}
