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
 * What a subtask took recently, so that a session the job learns of late still receives every event put on the stream
 * after it was created (the grace window), and, if it asked, the fan-out events put in a period before (its rewind).
 * The job learns of a session through the session table's change stream, which lags (locally ~0.5 s, on AWS longer);
 * an event expanded meanwhile did not reach the session, which was not known yet. When the session becomes known, the
 * events that match it, arrived after its creation (or in its rewind's period) and whose expansion has passed its user
 * are its due ({@link #dueTo}). User and session events are held here for the grace window; fan-out events in the
 * {@link ScopeLog}, for as long as a rewind may reach back.
 *
 * <p>Clocks: an event's arrival is Kinesis's {@code ApproximateArrivalTimestamp}, a session's creation the Lambda's
 * clock when it made the item ({@code created}, before {@code /create} answered); both are AWS clocks kept in step by
 * NTP, and an event put after the answer arrives after {@code created}. {@link #CLOCK_ALLOWANCE_MILLIS} covers what
 * the two clocks may disagree by: an event sent up to that much before the session existed is given to it as part of
 * the grace window, which at-least-once delivery allows; a rewind gives what arrived before that. So every event is in
 * one of the two and never both. A user event stays for {@code graceMillis} of processing time after it was taken (not
 * of arrival time, so a replay of old events keeps them as long), and these hold at most {@code graceBytes} of payloads
 * (shared with the events being expanded): beyond, the oldest go first, counted in {@link #evicted()}.
 */
final class RecentEvents {
    static final long CLOCK_ALLOWANCE_MILLIS = 1_000;

    /** One user or session event of the window; {@code expansion} is its expansion on this subtask, while that is known. */
    private static final class Entry {
        final DeliveryEvent event;
        final long takenAt;
        Expansion expansion;

        Entry(DeliveryEvent event, long takenAt, Expansion expansion) {
            this.event = event;
            this.takenAt = takenAt;
            this.expansion = expansion;
        }
    }

    private final long graceMillis;
    private final long graceBytes;
    private final int rewindMax;
    private final ScopeLog fanOut;
    /** Every user and session event, oldest first. */
    private final ArrayDeque<Entry> all = new ArrayDeque<>();
    /** The same, by their user, oldest first. */
    private final Map<String, ArrayDeque<Entry>> byUser = new HashMap<>();
    private long bytes;
    private long evicted;

    /** @param rewindMax the most events one rewind gives */
    RecentEvents(long graceMillis, long graceBytes, int rewindMax, ScopeLog fanOut) {
        this.graceMillis = graceMillis;
        this.graceBytes = graceBytes;
        this.rewindMax = rewindMax;
        this.fanOut = fanOut;
    }

    /** An event taken now, at processing time {@code now}; {@code expansion} is its expansion here, or null. */
    void add(DeliveryEvent event, long now, Expansion expansion) {
        if (event.userId == null) {
            fanOut.add(event, now, expansion);
            return;
        }
        if (graceMillis <= 0) {
            return;
        }
        Entry entry = new Entry(event, now, expansion);
        all.addLast(entry);
        byUser.computeIfAbsent(event.userId, u -> new ArrayDeque<>()).addLast(entry);
        bytes += event.payload.length;
        evict(now);
    }

    /** Drops what is older than the window, and the oldest while the window holds more than its bytes. */
    void evict(long now) {
        while (!all.isEmpty() && (all.peekFirst().takenAt <= now - graceMillis || bytes > graceBytes)) {
            Entry oldest = all.pollFirst();
            if (oldest.takenAt > now - graceMillis) {
                evicted++;
            }
            bytes -= oldest.event.payload.length;
            ArrayDeque<Entry> ofUser = byUser.get(oldest.event.userId);
            ofUser.pollFirst();
            if (ofUser.isEmpty()) {
                byUser.remove(oldest.event.userId);
            }
        }
        fanOut.evict(now);
    }

    /**
     * What a session learnt of just now is due: the events of its rewind (the fan-out events of its scopes that arrived
     * in the {@code rewindSeconds} before its creation, the newest {@code rewindMax}), then those of the grace window
     * that match it and arrived after its creation (less the clock allowance); of each, those whose expansion here has
     * passed its user (or is unknown: restored, or finished). An expansion still to reach the user reads its sessions
     * then, this one included: it is not due here. A session without a creation time (an item of the original system)
     * is due nothing: its time is unknown.
     */
    CatchUp dueTo(SessionRecord session, long now) {
        if (session.created <= 0) {
            return CatchUp.NONE;
        }
        return due(session, session.created, now, event -> true);
    }

    /**
     * What a known live session is due now that it follows more topics ({@code before}, then {@code after}, the same
     * incarnation): events of a topic it did not follow before, arrived after the change was made ({@code after}'s
     * change time, DynamoDB's clock, before {@code /topics} answered; less the allowance), or in the rewind it asked
     * for with the change, that match it and whose expansion here has passed its user. Events of the topics it already
     * followed reached it, or will.
     */
    CatchUp dueToNewlyFollowed(SessionRecord before, SessionRecord after, long now) {
        if (before.removed || after.removed || before.created != after.created) {
            return CatchUp.NONE;
        }
        return due(after, after.changedMillis, now, event -> event.topic != null && !before.follows(event.topic));
    }

    private CatchUp due(SessionRecord session, long sinceMillis, long now, Predicate<DeliveryEvent> also) {
        long graceFrom = sinceMillis - CLOCK_ALLOWANCE_MILLIS;
        CatchUp rewound = session.rewindSeconds > 0
                ? fanOut.between(session, sinceMillis - session.rewindSeconds * 1000L, graceFrom, rewindMax, now, also)
                : CatchUp.NONE;
        CatchUp grace = fanOut.between(session, graceFrom, Long.MAX_VALUE, 0, now, also);
        List<DeliveryEvent> userEvents = new ArrayList<>();
        for (Entry e : byUser.getOrDefault(session.userId, new ArrayDeque<>())) {
            if (e.event.arrivalMillis >= graceFrom && session.matches(e.event) && also.test(e.event)
                    && (e.expansion == null || e.expansion.finished() || e.expansion.passed(session.userId))) {
                userEvents.add(e.event);
            }
        }
        if (!userEvents.isEmpty()) {
            userEvents.addAll(grace.events);
            userEvents.sort(java.util.Comparator.comparingLong(e -> e.arrivalMillis));
            grace = new CatchUp(userEvents, grace.cut);
        }
        return rewound.then(grace);
    }

    /** The key an event is known by in the window, the log and the expansions: its id and arrival. */
    static String eventKey(DeliveryEvent event) {
        return event.messageId + '\u0000' + event.arrivalMillis;
    }

    /** Links restored entries to the expansions restored with them (same event), so those are not given twice. */
    void link(List<Expansion> expansions) {
        Map<String, Expansion> byEvent = new HashMap<>();
        expansions.forEach(e -> byEvent.put(eventKey(e.event), e));
        all.forEach(entry -> entry.expansion = byEvent.get(eventKey(entry.event)));
        fanOut.link(byEvent);
    }

    /**
     * What the checkpoint keeps: each event and when it was taken, oldest first. Every subtask holds the same fan-out
     * events: only one ({@code withFanOut}) writes them, so a checkpoint holds the log once.
     */
    List<RecentEvent> snapshot(boolean withFanOut) {
        List<RecentEvent> out = new ArrayList<>();
        all.forEach(e -> out.add(new RecentEvent(e.event, e.takenAt)));
        if (withFanOut) {
            fanOut.entries().forEach(e -> out.add(new RecentEvent(e.event, e.takenAt)));
        }
        return out;
    }

    /** What a checkpoint keeps of the fan-out log's gaps ({@link ScopeLog#coverage()}). */
    List<ScopeLogCoverage> coverage() {
        return fanOut.coverage();
    }

    long bytes() {
        return bytes + fanOut.bytes();
    }

    int size() {
        return all.size() + fanOut.size();
    }

    /** Entries dropped for want of room before their window ended: a session learnt of later may have missed them. */
    long evicted() {
        return evicted + fanOut.evicted();
    }
}
