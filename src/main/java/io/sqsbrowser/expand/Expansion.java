package io.sqsbrowser.expand;

import io.sqsbrowser.event.DeliveryEvent;
import io.sqsbrowser.history.HistoryRows;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.state.KeyGroupRange;

/**
 * One event being expanded on one subtask. A user or session event has one user to hand out; a fan-out event
 * (account, everyone) has every matching user in its key groups, handed out one user at a time in user-id
 * order, so the expansion can pause whenever the SQS budget is spent (and a checkpoint can pass) and resume
 * after a restore from the last user handed out. Messages handed out stay "unconfirmed" until SQS answers.
 */
final class Expansion {
    /** History rows leave in groups of this many users. */
    static final int HISTORY_BATCH = 500;

    final DeliveryEvent event;
    /** The user of a user or session event; null for a fan-out event. */
    final String targetUser;
    final KeyGroupRange keyGroups;
    /**
     * Messages to hand out again before anything else: restored unconfirmed ones, {@code user\u0000session\u0000sequence}
     * (they keep their place in the session's sequence), and one aimed at a session learnt of late,
     * {@code user\u0000session}.
     */
    final ArrayDeque<String> resend = new ArrayDeque<>();
    /** Messages handed out and not answered yet: recipient key, and the message's sequence. */
    private final Map<String, String> unconfirmed = new HashMap<>();
    private String handedOutThrough;
    private boolean targetHandedOut;
    /** The users of a fan-out event still to hand out, in order; null until the expansion starts. */
    private String[] users;
    private int next;
    private List<String> historyUsers = new ArrayList<>();
    private String message;
    int recipients;

    Expansion(DeliveryEvent event, String targetUser, KeyGroupRange keyGroups) {
        this.event = event;
        this.targetUser = targetUser;
        this.keyGroups = keyGroups;
    }

    static Expansion restored(ExpansionProgress p, KeyGroupRange keyGroups, Collection<String> resend) {
        Expansion e = new Expansion(p.event, p.targetUser, keyGroups);
        e.handedOutThrough = p.handedOutThrough;
        e.targetHandedOut = p.targetUser != null && p.handedOutThrough != null;
        e.resend.addAll(resend);
        return e;
    }

    /**
     * An event for one session the job learnt of late ({@link RecentEvents}): handed out to that session only, as a
     * message to send again is, in the lane of user events. A fan-out event notes its user for the history at once, where
     * fan-out events have a row per user ({@code fanOutRowPerUser}; a user or session event wrote its user's row when it
     * was expanded).
     */
    static Expansion catchUp(DeliveryEvent event, String userId, String sessionId, KeyGroupRange keyGroups, boolean fanOutRowPerUser) {
        Expansion e = new Expansion(event, userId, keyGroups);
        e.targetHandedOut = true;
        e.handedOutThrough = userId;
        e.resend.add(recipientKey(userId, sessionId));
        if (event.userId == null && event.keepsHistory() && fanOutRowPerUser) {
            e.historyUsers.add(userId);
        }
        return e;
    }

    /**
     * Whether this expansion has passed the user: handed it out already, or (a fan-out event that has listed its users)
     * will not, as the user was not among them. A session of the user learnt of now gets nothing from it.
     */
    boolean passed(String userId) {
        if (!isFanOut()) {
            return targetHandedOut;
        }
        return users != null && Arrays.binarySearch(users, next, users.length, userId) < 0;
    }

    static String recipientKey(String userId, String sessionId) {
        return userId + '\u0000' + sessionId;
    }

    static String userOfRecipientKey(String key) {
        return key.substring(0, key.indexOf('\u0000'));
    }

    static String sessionOfRecipientKey(String key) {
        int from = key.indexOf('\u0000') + 1;
        int end = key.indexOf('\u0000', from);
        return end < 0 ? key.substring(from) : key.substring(from, end);
    }

    /** The sequence a message to send again had, or null (a checkpoint of a release before sequences, or a catch-up). */
    static String sequenceOf(String resend) {
        int end = resend.indexOf('\u0000', resend.indexOf('\u0000') + 1);
        return end < 0 ? null : resend.substring(end + 1);
    }

    boolean isFanOut() {
        return targetUser == null;
    }

    /** Whether the fan-out event's users have been listed (they are, at its first turn). */
    boolean started() {
        return users != null;
    }

    /** Lists the users to hand out: {@code candidates} after the last one handed out before a restore. */
    void start(Collection<String> candidates) {
        String[] sorted = candidates.toArray(new String[0]);
        Arrays.sort(sorted);
        next = handedOutThrough == null ? 0 : upperBound(sorted, handedOutThrough);
        users = sorted;
    }

    boolean hasMoreToHandOut() {
        if (!resend.isEmpty()) {
            return true;
        }
        return isFanOut() ? users == null || next < users.length : !targetHandedOut;
    }

    /** The next user to hand out; the expansion counts it as handed out from now on. */
    String nextUser() {
        if (!isFanOut()) {
            targetHandedOut = true;
            handedOutThrough = targetUser;
            return targetUser;
        }
        String user = users[next];
        users[next++] = null;
        handedOutThrough = user;
        return user;
    }

    void handedOut(Delivery d) {
        unconfirmed.put(d.recipientKey(), d.sequence());
        recipients++;
    }

    void confirmed(Delivery d) {
        unconfirmed.remove(d.recipientKey());
    }

    boolean finished() {
        return !hasMoreToHandOut() && unconfirmed.isEmpty();
    }

    /** Notes a user for the history; answers a full batch to emit, or null. */
    HistoryRows historyUser(String userId) {
        historyUsers.add(userId);
        return historyUsers.size() >= HISTORY_BATCH ? takeHistory() : null;
    }

    /** The history rows noted so far, or null when there are none. */
    HistoryRows takeHistory() {
        if (historyUsers.isEmpty()) {
            return null;
        }
        if (message == null) {
            message = new String(event.payload, StandardCharsets.UTF_8);
        }
        HistoryRows rows = new HistoryRows(event.messageId, event.arrivalMillis / 1000, event.type, message, historyUsers);
        historyUsers = new ArrayList<>();
        return rows;
    }

    ExpansionProgress progress() {
        ExpansionProgress p = new ExpansionProgress();
        p.event = event;
        p.targetUser = targetUser;
        p.firstKeyGroup = keyGroups.getStartKeyGroup();
        p.lastKeyGroup = keyGroups.getEndKeyGroup();
        p.handedOutThrough = handedOutThrough;
        List<String> open = new ArrayList<>(unconfirmed.size() + resend.size());
        unconfirmed.forEach((key, sequence) -> open.add(key + '\u0000' + sequence));
        open.addAll(resend);
        p.unconfirmed = open;
        return p;
    }

    /** The index of the first element greater than {@code key}. */
    private static int upperBound(String[] sorted, String key) {
        int i = Arrays.binarySearch(sorted, key);
        return i >= 0 ? i + 1 : -i - 1;
    }

    @Override
    public String toString() {
        return "Expansion{" + event.messageId + (isFanOut() ? ", fan-out " + keyGroups : ", user " + targetUser) + "}";
    }
}
