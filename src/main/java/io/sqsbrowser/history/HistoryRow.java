package io.sqsbrowser.history;

/** One message in one user's history: written once per recipient user, never once per session. A Flink POJO. */
public class HistoryRow {
    public String userId;
    public String messageId;
    /** Epoch seconds: when Kinesis received the event, so a replay writes the same value. */
    public long created;
    /** {@code _type}, or null. */
    public String type;
    /** The message JSON, as clients receive it. */
    public String message;

    public HistoryRow() {}

    public HistoryRow(String userId, String messageId, long created, String type, String message) {
        this.userId = userId;
        this.messageId = messageId;
        this.created = created;
        this.type = type;
        this.message = message;
    }

    @Override
    public String toString() {
        return "HistoryRow{" + userId + "/" + messageId + "}";
    }
}
