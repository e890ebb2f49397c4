package io.sqsbrowser.expand;

import io.sqsbrowser.crypto.MessageEncryptor;
import io.sqsbrowser.deadletter.DeadLetter;
import io.sqsbrowser.history.HistoryRows;
import io.sqsbrowser.session.SessionRecord;
import io.sqsbrowser.sqs.SendOutcome;
import java.util.ArrayDeque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Hands out the events a subtask has taken, one step of one expansion at a time, while the {@link DeliveryBudget}
 * allows: each recipient's message is encrypted with its session's key and handed to the {@link Deliverer}, and the
 * event is finished once every message has been answered.
 * <ul>
 *   <li><b>Two lanes.</b> User and session events go before the next user of a broadcast (account, everyone), so a
 *       broadcast never starves them; broadcasts take turns.
 *   <li><b>A pace</b> ({@link FanOutPace}, optional) limits the messages of broadcasts per second, so that a broadcast
 *       leaves user events CPU as well; the pump wakes itself when the pace allows the next one.
 *   <li><b>Checkpoints</b> keep {@link #progress()}: each event once, how far it got, and its unanswered messages.
 * </ul>
 * Nothing is handed out before {@link #start()} (a cold start's scan must end first). Used from the task thread only;
 * times are the operator's processing time.
 */
final class DeliveryPump {
    /** Where encrypted messages go; each one's answer comes back through {@link #answered}. */
    interface Deliverer {
        void deliver(Delivery delivery);
    }

    /** The operator's processing time, and its timers. */
    interface ProcessingTime {
        long now();

        /** Runs {@code action} on the task thread at {@code time}; false when the task is stopping and will not. */
        boolean wakeAt(long time, Runnable action);
    }

    /** What leaves the pump beside messages: history rows and dead letters. */
    interface Output {
        void history(HistoryRows rows);

        void deadLetter(DeadLetter deadLetter);
    }

    /** What the pump reports, for metrics. */
    interface Listener {
        default void recipient() {}

        default void finishedWithoutRecipients() {}
    }

    static final String STAGE = "delivery";

    private final DeliveryBudget budget;
    private final Recipients recipients;
    private final MessageEncryptor encryptor;
    private final Deliverer deliverer;
    private final Output output;
    private final ProcessingTime time;
    private final Listener listener;
    /** Null when broadcasts go as fast as SQS takes them. */
    private FanOutPace pace;
    /** Every expansion not yet finished, in arrival order. */
    private final Set<Expansion> pending = new LinkedHashSet<>();
    private final ArrayDeque<Expansion> userEvents = new ArrayDeque<>();
    private final ArrayDeque<Expansion> fanOutEvents = new ArrayDeque<>();
    private boolean started;
    private boolean pumping;
    private boolean wakeScheduled;

    DeliveryPump(DeliveryBudget budget, FanOutPace pace, Recipients recipients, MessageEncryptor encryptor, Deliverer deliverer,
            Output output, ProcessingTime time, Listener listener) {
        this.budget = budget;
        this.encryptor = encryptor;
        this.pace = pace;
        this.recipients = recipients;
        this.deliverer = deliverer;
        this.output = output;
        this.time = time;
        this.listener = listener;
    }

    /** Where the CTR counters have reached: what a snapshot keeps, so that a job restored from it reuses no block. */
    long ctrReachedMillis() {
        return encryptor.ctrReachedMillis();
    }

    /** Whether another event may be taken from the input ({@link DeliveryBudget#roomForEvent}). */
    boolean hasRoomForEvent() {
        return budget.roomForEvent();
    }

    /** An event to expand: it waits its turn in its lane, and is held until it is finished. */
    void take(Expansion e) {
        pending.add(e);
        laneOf(e).addLast(e);
        budget.taken(e.event);
        pump();
    }

    /** From now on messages are handed out. */
    void start() {
        started = true;
        pump();
    }

    /** Broadcasts go unpaced from now on (a drained stop: no timer fires any more, and everything is to go out). */
    void unpace() {
        pace = null;
    }

    /**
     * Hands out messages while the budget allows: waiting user events first, then broadcasts in turn, as fast as
     * their pace allows.
     */
    void pump() {
        if (!started || pumping) {
            return;
        }
        pumping = true;
        try {
            long nowSeconds = time.now() / 1000;
            while (budget.roomToHandOut()) {
                Expansion e = userEvents.pollFirst();
                if (e == null) {
                    if (fanOutEvents.isEmpty() || !paceAllowsFanOut()) {
                        return;
                    }
                    e = fanOutEvents.pollFirst();
                }
                handOutNextStep(e, nowSeconds);
            }
        } finally {
            pumping = false;
        }
    }

    private void handOutNextStep(Expansion e, long nowSeconds) {
        int before = e.recipients;
        recipients.next(e, nowSeconds, (session, sequence) -> send(e, session, sequence));
        if (pace != null && e.isFanOut()) {
            pace.handedOut(e.recipients - before);
        }
        if (e.hasMoreToHandOut()) {
            laneOf(e).addLast(e);
        } else {
            emitHistory(e);
            finishIfDone(e);
        }
    }

    private void send(Expansion e, SessionRecord session, String sequence) {
        Delivery d = new Delivery(e, session, sequence, encryptor.encrypt(session.cipher, session.aesKey, e.event.payload));
        e.handedOut(d);
        budget.handedOut(d);
        listener.recipient();
        deliverer.deliver(d);
    }

    /** SQS's answer to one message. The caller runs {@link #pump} after a burst of answers. */
    void answered(Delivery d, SendOutcome outcome) {
        budget.answered(d);
        d.expansion.confirmed(d);
        if (outcome.kind == SendOutcome.Kind.FAILED) {
            output.deadLetter(deadLetter(d, outcome.reason));
        }
        finishIfDone(d.expansion);
    }

    /** Whether a broadcast message may go now; if not, the pump wakes itself once the pace allows one. */
    private boolean paceAllowsFanOut() {
        if (pace == null) {
            return true;
        }
        long now = time.now();
        if (pace.allows(now)) {
            return true;
        }
        if (!wakeScheduled) {
            wakeScheduled = time.wakeAt(pace.nextAllowed(now), () -> {
                wakeScheduled = false;
                pump();
            });
        }
        return false;
    }

    private void finishIfDone(Expansion e) {
        if (e.finished() && pending.remove(e)) {
            budget.finished(e.event);
            emitHistory(e);
            if (e.recipients == 0) {
                listener.finishedWithoutRecipients();
            }
        }
    }

    private void emitHistory(Expansion e) {
        HistoryRows rows = e.takeHistory();
        if (rows != null) {
            output.history(rows);
        }
    }

    private ArrayDeque<Expansion> laneOf(Expansion e) {
        return e.isFanOut() ? fanOutEvents : userEvents;
    }

    /** Emits the history rows noted so far (before a checkpoint barrier: the checkpoint then holds no unemitted row). */
    void emitNotedHistory() {
        pending.forEach(this::emitHistory);
    }

    /** What the checkpoint keeps of every unfinished expansion. */
    List<ExpansionProgress> progress() {
        return pending.stream().map(Expansion::progress).collect(Collectors.toList());
    }

    /** Whether every event taken is finished. */
    boolean idle() {
        return pending.isEmpty();
    }

    int unfinished() {
        return pending.size();
    }

    /** Events taken that wait for {@link #start()}. */
    int waitingToStart() {
        return started ? 0 : pending.size();
    }

    private static DeadLetter deadLetter(Delivery d, String reason) {
        DeadLetter dl = DeadLetter.of(STAGE, reason, d.expansion.event.payload);
        dl.messageId = d.expansion.event.messageId;
        dl.userId = d.userId;
        dl.sessionId = d.sessionId;
        dl.queueUrl = d.queueUrl();
        return dl;
    }
}
