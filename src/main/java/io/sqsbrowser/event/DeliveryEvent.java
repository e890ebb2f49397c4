package io.sqsbrowser.event;

/**
 * A valid event from the event stream: its routing fields in canonical form and the plaintext message
 * (the whole JSON object, {@code messageId} included) serialized once, for every recipient to share.
 * A Flink POJO: public fields and a no-argument constructor keep its serializer fast.
 */
public class DeliveryEvent {
    /** The {@code _type} of a read receipt: sent to the user's sessions, never a history row of its own. */
    public static final String READ_RECEIPT = "message-read-receipt";

    public String messageId;
    /** Routing fields; null when absent. */
    public String accountId;
    public String userId;
    public String sessionId;
    /** The topic whose followers the event reaches (with the other routing fields, those that match them too). */
    public String topic;
    /** {@code _sqs_only}: deliver to queues but keep no history. */
    public boolean sqsOnly;
    /** {@code _type}, or null. */
    public String type;
    /** UTF-8 JSON of the message as clients receive it. */
    public byte[] payload;
    /** When Kinesis received the record, epoch milliseconds. */
    public long arrivalMillis;

    public DeliveryEvent() {}

    public Scope scope() {
        if (sessionId != null) {
            return Scope.SESSION;
        }
        if (userId != null) {
            return Scope.USER;
        }
        if (topic != null) {
            return Scope.TOPIC;
        }
        return accountId != null ? Scope.ACCOUNT : Scope.EVERYONE;
    }

    /** Whether recipients get a history row: not for {@code _sqs_only} events, nor for read receipts. */
    public boolean keepsHistory() {
        return !sqsOnly && !READ_RECEIPT.equals(type);
    }

    /** The audience an event reaches, picked by its most specific routing field. */
    public enum Scope {
        SESSION,
        USER,
        /** A topic's followers (in one account, with {@code accountId}). */
        TOPIC,
        ACCOUNT,
        EVERYONE;

        /** Topic, account and everyone events are expanded by all parallel subtasks, each taking its share. */
        public boolean fansOut() {
            return this == TOPIC || this == ACCOUNT || this == EVERYONE;
        }
    }

    @Override
    public String toString() {
        return "DeliveryEvent{" + messageId + ", scope=" + scope() + ", account=" + accountId + ", user=" + userId
                + ", session=" + sessionId + (topic != null ? ", topic=" + topic : "") + ", bytes=" + (payload == null ? 0 : payload.length) + "}";
    }
}
