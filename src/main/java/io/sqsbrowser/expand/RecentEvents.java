package io.sqsbrowser.expand;

import io.sqsbrowser.event.DeliveryEvent;
import io.sqsbrowser.session.SessionRecord;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The grace window: the events a subtask took recently, so that a session the job learns of late still receives every
 * event put on the stream after it was created. The job learns of a session through the session table's change
 * stream, which lags (locally ~0.5 s, on AWS longer); an event expanded meanwhile did not reach the session, which was
 * not known yet. When the session becomes known, the events of the window that match it, arrived after its creation
 * and whose expansion has passed its user are its due ({@link #dueTo}).
 *
 * <p>Clocks: an event's arrival is Kinesis's {@code ApproximateArrivalTimestamp}, a session's creation the Lambda's
 * clock when it made the item ({@code created}, before {@code /create} answered); both are AWS clocks kept in step by
 * NTP, and an event put after the answer arrives after {@code created}. {@link #CLOCK_ALLOWANCE_MILLIS} covers what
 * the two clocks may disagree by: an event sent up to that much before the session existed is also given to it, which
 * at-least-once delivery allows. An entry stays for {@code windowMillis} of processing time after it was taken (not of
 * arrival time, so a replay of old events keeps them as long), and the window holds at most {@code maxBytes} of
 * payloads (shared with the events being expanded): beyond, the oldest go first, counted in {@link #evicted()}.
 */
final class RecentEvents {
    static final long CLOCK_ALLOWANCE_MILLIS = 1_000;

    /** One event of the window; {@code expansion} is its expansion on this subtask, while that is known. */
    static final class Entry {
        final DeliveryEvent event;
        final long takenAt;
        Expansion expansion;

        Entry(DeliveryEvent event, long takenAt, Expansion expansion) {
            this.event = event;
            this.takenAt = takenAt;
            this.expansion = expansion;
        }
    }

    private final long windowMillis;
    private final long maxBytes;
    /** Every entry, oldest first. */
    private final ArrayDeque<Entry> all = new ArrayDeque<>();
    /** Entries of user and session events, by their user, oldest first; fan-out events apart. */
    private final Map<String, ArrayDeque<Entry>> byUser = new HashMap<>();
    private final ArrayDeque<Entry> fanOut = new ArrayDeque<>();
    private long bytes;
    private long evicted;

    RecentEvents(long windowMillis, long maxBytes) {
        this.windowMillis = windowMillis;
        this.maxBytes = maxBytes;
    }

    /** An event taken now, at processing time {@code now}; {@code expansion} is its expansion here, or null. */
    void add(DeliveryEvent event, long now, Expansion expansion) {
        if (windowMillis <= 0) {
            return;
        }
        Entry entry = new Entry(event, now, expansion);
        all.addLast(entry);
        (event.userId == null ? fanOut : byUser.computeIfAbsent(event.userId, u -> new ArrayDeque<>())).addLast(entry);
        bytes += event.payload.length;
        evict(now);
    }

    /** Drops what is older than the window, and the oldest while the window holds more than its bytes. */
    void evict(long now) {
        while (!all.isEmpty() && (all.peekFirst().takenAt <= now - windowMillis || bytes > maxBytes)) {
            Entry oldest = all.pollFirst();
            if (oldest.takenAt > now - windowMillis) {
                evicted++;
            }
            bytes -= oldest.event.payload.length;
            if (oldest.event.userId == null) {
                fanOut.pollFirst();
            } else {
                ArrayDeque<Entry> ofUser = byUser.get(oldest.event.userId);
                ofUser.pollFirst();
                if (ofUser.isEmpty()) {
                    byUser.remove(oldest.event.userId);
                }
            }
        }
    }

    /**
     * The events a session learnt of just now is due: those of the window that match it, arrived after it was created
     * (less the clock allowance), and whose expansion here has already passed its user (or is unknown: restored, or
     * finished). An expansion still to reach the user reads its sessions then, this one included: it is not due here.
     * A session without a creation time (an item of the original system) is due nothing: its time is unknown.
     */
    List<DeliveryEvent> dueTo(SessionRecord session) {
        return session.created <= 0 ? List.of() : due(session, session.created, event -> true);
    }

    /**
     * The events a known live session is due now that it follows more topics ({@code before}, then {@code after}, the
     * same incarnation): events of a topic it did not follow before, arrived after the change was made ({@code after}'s
     * change time, DynamoDB's clock, before {@code /topics} answered; less the allowance), that match it and whose
     * expansion here has passed its user. Events of the topics it already followed reached it, or will.
     */
    List<DeliveryEvent> dueToNewlyFollowed(SessionRecord before, SessionRecord after) {
        if (before.removed || after.removed || before.created != after.created) {
            return List.of();
        }
        return due(after, after.changedMillis, event -> event.topic != null && !before.follows(event.topic));
    }

    private List<DeliveryEvent> due(SessionRecord session, long sinceMillis, Predicate<DeliveryEvent> also) {
        List<DeliveryEvent> due = new ArrayList<>();
        ArrayDeque<Entry> ofUser = byUser.get(session.userId);
        for (ArrayDeque<Entry> entries : ofUser == null ? List.of(fanOut) : List.of(ofUser, fanOut)) {
            for (Entry e : entries) {
                if (e.event.arrivalMillis >= sinceMillis - CLOCK_ALLOWANCE_MILLIS
                        && session.matches(e.event)
                        && also.test(e.event)
                        && (e.expansion == null || e.expansion.finished() || e.expansion.passed(session.userId))) {
                    due.add(e.event);
                }
            }
        }
        return due;
    }

    /** Links restored entries to the expansions restored with them (same event), so those are not given twice. */
    void link(List<Expansion> expansions) {
        Map<String, Expansion> byMessage = new HashMap<>();
        expansions.forEach(e -> byMessage.put(e.event.messageId + '\u0000' + e.event.arrivalMillis, e));
        all.forEach(entry -> entry.expansion = byMessage.get(entry.event.messageId + '\u0000' + entry.event.arrivalMillis));
    }

    /** What the checkpoint keeps: each event and when it was taken, oldest first. */
    List<RecentEvent> snapshot() {
        List<RecentEvent> out = new ArrayList<>(all.size());
        all.forEach(e -> out.add(new RecentEvent(e.event, e.takenAt)));
        return out;
    }

    long bytes() {
        return bytes;
    }

    int size() {
        return all.size();
    }

    /** Entries dropped for want of room before their window ended: a session learnt of later may have missed them. */
    long evicted() {
        return evicted;
    }
}
