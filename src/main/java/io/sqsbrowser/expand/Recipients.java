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
 * a fan-out event's user when a session of theirs was reached.
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

    Recipients(SessionDirectory directory, KeyGroups keyGroups, Consumer<HistoryRows> history, Listener listener) {
        this.directory = directory;
        this.keyGroups = keyGroups;
        this.history = history;
        this.listener = listener;
    }

    /** Hands the expansion's next step to {@code send}, one session at a time; {@code nowSeconds} tells live sessions. */
    void next(Expansion e, long nowSeconds, Consumer<SessionRecord> send) {
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
                send.accept(s);
                reached[0]++;
            });
        }
        if (DeliveryEvent.READ_RECEIPT.equals(e.event.type)) {
            listener.receiptsDelivered(reached[0]);
        } else if (e.event.keepsHistory() && (reached[0] > 0 || !e.isFanOut())) {
            HistoryRows full = e.historyUser(user);
            if (full != null) {
                history.accept(full);
            }
        }
    }

    /** A message for one session, if that session is still live and still matches the event. */
    private void sendAgain(Expansion e, String recipientKey, long nowSeconds, Consumer<SessionRecord> send) {
        UserSessions us = directory.sessionsOf(Expansion.userOfRecipientKey(recipientKey));
        SessionRecord s = us == null ? null : us.session(Expansion.sessionOfRecipientKey(recipientKey));
        if (s != null && s.isLive(nowSeconds) && s.matches(e.event)) {
            send.accept(s);
        }
    }

    /** The users a fan-out event may reach in its key groups (fewer than ours after a rescale): its topic's, account's, or all. */
    private Collection<String> candidates(Expansion e) {
        Collection<String> users = directory.users(e.event);
        return e.keyGroups.equals(keyGroups.range()) ? users : keyGroups.within(e.keyGroups, users);
    }
}
