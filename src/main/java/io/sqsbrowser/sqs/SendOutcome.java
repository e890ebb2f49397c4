package io.sqsbrowser.sqs;

/** How the sending of one message ended. */
public final class SendOutcome {
    public enum Kind {
        SENT,
        /** The queue no longer exists: the session has ended, and its message is dropped. */
        QUEUE_GONE,
        /** Still failing after its retries, or refused for good: goes to the dead-letter output. */
        FAILED
    }

    public static final SendOutcome SENT = new SendOutcome(Kind.SENT, null);
    public static final SendOutcome QUEUE_GONE = new SendOutcome(Kind.QUEUE_GONE, null);

    public final Kind kind;
    /** Why it failed; null unless {@link Kind#FAILED}. */
    public final String reason;

    private SendOutcome(Kind kind, String reason) {
        this.kind = kind;
        this.reason = reason;
    }

    public static SendOutcome failed(String reason) {
        return new SendOutcome(Kind.FAILED, reason);
    }

    @Override
    public String toString() {
        return reason == null ? kind.name() : kind + ": " + reason;
    }
}
