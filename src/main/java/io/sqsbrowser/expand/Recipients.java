package io.sqsbrowser.expand;

import io.sqsbrowser.event.DeliveryEvent;
import io.sqsbrowser.history.HistoryRows;
import io.sqsbrowser.session.SessionDirectory;
import io.sqsbrowser.session.SessionRecord;
import io.sqsbrowser.session.UserSessions;
import java.util.Collection;
import java.util.function.Consumer;

/**
 * Who the next step of an expansion reaches: a message to send again (unconfirmed at a restore, or due to a session
 * learnt of late), or else the live sessions of its next user that match every routing field of the event. The user
 * of a step is noted for the history: a user or session event's user always (it has a row even with no live session),
 * a fan-out event's user when a session of theirs was reached (unless the history keeps fan-out events once per scope).
 */
final class Recipients {
    /** What the step reports, for metrics. */
    interface Listener {
        default void receiptsDelivered(int messages) {}
    }

    private final SessionDirectory directory;
    private final KeyGroups keyGroups;
    private final Consumer<HistoryRows> history;
    private final Listener listener;
    private final boolean fanOutRowPerUser;

    /** @param fanOutRowPerUser whether a fan-out event gets a history row for each user it reached */
    Recipients(SessionDirectory directory, KeyGroups keyGroups, Consumer<HistoryRows> history, Listener listener,
            boolean fanOutRowPerUser) {
        this.directory = directory;
        this.keyGroups = keyGroups;
        this.history = history;
        this.listener = listener;
        this.fanOutRowPerUser = fanOutRowPerUser;
    }

    /** Where a step's messages go: each session reached, with the message's place in its sequence. */
    interface Sender {
        void send(SessionRecord session, String sequence);
    }

    /**
     * Hands the expansion's next step to {@code send}, one session at a time, each message numbered in its session's
     * sequence; {@code nowSeconds} tells live sessions.
     */
    void next(Expansion e, long nowSeconds, Sender send) {
        String again = e.resend.pollFirst();
        if (again != null) {
            sendAgain(e, again, nowSeconds, send);
            return;
        }
        if (e.isFanOut() && !e.started()) {
            e.start(candidates(e));
            if (!e.hasMoreToHandOut()) {
                return;
            }
        }
        String user = e.nextUser();
        UserSessions us = directory.sessionsOf(user);
        int[] reached = {0};
        if (us != null) {
            us.forEachRecipient(e.event, nowSeconds, s -> {
                send.send(s, s.nextSequence());
                reached[0]++;
            });
            if (reached[0] > 0) {
                directory.numbered(user, us);
            }
        }
        if (DeliveryEvent.READ_RECEIPT.equals(e.event.type)) {
            listener.receiptsDelivered(reached[0]);
        } else if (e.event.keepsHistory() && (e.isFanOut() ? reached[0] > 0 && fanOutRowPerUser : true)) {
            HistoryRows full = e.historyUser(user);
            if (full != null) {
                history.accept(full);
            }
        }
    }

    /**
     * A message for one session, if that session is still live and still matches the event: one sent before a restore
     * keeps the place it had in the sequence, one aimed at a session learnt of late takes the next.
     */
    private void sendAgain(Expansion e, String resend, long nowSeconds, Sender send) {
        String user = Expansion.userOfRecipientKey(resend);
        UserSessions us = directory.sessionsOf(user);
        SessionRecord s = us == null ? null : us.session(Expansion.sessionOfRecipientKey(resend));
        if (s != null && s.isLive(nowSeconds) && s.matches(e.event)) {
            String sequence = Expansion.sequenceOf(resend);
            if (sequence == null) {
                sequence = s.nextSequence();
                directory.numbered(user, us);
            }
            send.send(s, sequence);
        }
    }

    /** The users a fan-out event may reach in its key groups (fewer than ours after a rescale): its topic's, account's, or all. */
    private Collection<String> candidates(Expansion e) {
        Collection<String> users = directory.users(e.event);
        return e.keyGroups.equals(keyGroups.range()) ? users : keyGroups.within(e.keyGroups, users);
    }
}
