package io.sqsbrowser.expand;

import io.sqsbrowser.event.DeliveryEvent;
import java.util.List;

/**
 * How far one event's expansion got on one subtask, as the checkpoint keeps it: the event once, the key groups
 * whose users it covers, the last user handed to SQS (in user-id order) and the messages not yet confirmed.
 * Kept in union state, so after rescaling each subtask resumes the part of it that falls in its key groups.
 * A Flink POJO.
 */
public class ExpansionProgress {
    public DeliveryEvent event;
    /** The user a user or session event is for; null for a fan-out (account, everyone) event. */
    public String targetUser;
    public int firstKeyGroup;
    public int lastKeyGroup;
    /** Every user up to this one, in order, has been handed out; null when none has. */
    public String handedOutThrough;
    /** Messages handed out but not confirmed, as {@code user\u0000session}: sent again after a restore. */
    public List<String> unconfirmed;

    public ExpansionProgress() {}
}
