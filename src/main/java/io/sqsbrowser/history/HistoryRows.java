package io.sqsbrowser.history;

import java.util.List;

/**
 * One message's history rows for a group of users: the message travels once for all of them, so a broadcast
 * to many users neither copies it per row on the wire nor stores it per row in checkpoints. A Flink POJO.
 */
public class HistoryRows {
    public String messageId;
    /** Epoch seconds: when Kinesis received the event, so a replay writes the same value. */
    public long created;
    /** {@code _type}, or null. */
    public String type;
    /** The message JSON, as clients receive it. */
    public String message;
    public List<String> userIds;

    public HistoryRows() {}

    public HistoryRows(String messageId, long created, String type, String message, List<String> userIds) {
        this.messageId = messageId;
        this.created = created;
        this.type = type;
        this.message = message;
        this.userIds = userIds;
    }

    @Override
    public String toString() {
        return "HistoryRows{" + messageId + " for " + (userIds == null ? 0 : userIds.size()) + " users}";
    }
}
