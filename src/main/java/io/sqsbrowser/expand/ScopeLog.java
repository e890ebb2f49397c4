package io.sqsbrowser.expand;

import io.sqsbrowser.event.DeliveryEvent;
import io.sqsbrowser.event.FanOutScope;
import io.sqsbrowser.session.SessionRecord;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The fan-out events (everyone, account, topic) a subtask took in the last {@code windowMillis}, by their
 * {@link FanOutScope}: what a session that arrives late may ask to be given ({@code rewind}), and the fan-out part of
 * the grace window ({@link RecentEvents}). Every subtask takes every fan-out event, so each holds the same log.
 *
 * <p>Bounded three ways: an entry stays {@code windowMillis} of processing time after it was taken; a scope keeps its
 * newest {@code maxPerScope} entries (no rewind gives more) and, beyond, only those still in the grace window; all
 * entries together (payloads and a fixed overhead each) take at most {@code maxBytes}, the oldest going first. What a
 * rewind cannot give for those bounds is counted as cut ({@link CatchUp#cut}), never silently left out: so are events
 * from before the log began ({@code coversSince}: the job's start without state).
 */
final class ScopeLog {
    /** What an entry costs beside its payload: the event's fields, the entry, the deques' slots. */
    static final int ENTRY_OVERHEAD_BYTES = 256;

    /** One event of the log; {@code expansion} is its expansion on this subtask while that is known. */
    static final class Entry {
        final DeliveryEvent event;
        final String scope;
        final long takenAt;
        Expansion expansion;
        boolean dropped;

        Entry(DeliveryEvent event, String scope, long takenAt, Expansion expansion) {
            this.event = event;
            this.scope = scope;
            this.takenAt = takenAt;
            this.expansion = expansion;
        }

        long bytes() {
            return event.payload.length + ENTRY_OVERHEAD_BYTES;
        }
    }

    private static final Comparator<DeliveryEvent> ARRIVAL = Comparator.<DeliveryEvent>comparingLong(e -> e.arrivalMillis)
            .thenComparing(e -> e.messageId);

    private final long windowMillis;
    private final long graceMillis;
    private final int maxPerScope;
    private final long maxBytes;
    /** Every entry in the order taken; entries already dropped from their scope are skipped when met. */
    private final ArrayDeque<Entry> all = new ArrayDeque<>();
    private final Map<String, ArrayDeque<Entry>> byScope = new HashMap<>();
    /** The newest arrival each scope lost before its window ended (for its count or for room), in epoch milliseconds. */
    private final Map<String, Long> lostThrough = new HashMap<>();
    private long coversSince;
    private long bytes;
    private int held;
    private long evicted;
    private long pruned;

    /** @param coversSince from when (arrival, epoch ms) the log holds every fan-out event: the job's start without state */
    ScopeLog(long windowMillis, long graceMillis, int maxPerScope, long maxBytes, long coversSince) {
        this.windowMillis = Math.max(windowMillis, graceMillis);
        this.graceMillis = graceMillis;
        this.maxPerScope = maxPerScope;
        this.maxBytes = maxBytes;
        this.coversSince = coversSince;
    }

    void add(DeliveryEvent event, long now, Expansion expansion) {
        String scope = FanOutScope.of(event);
        Entry entry = new Entry(event, scope, now, expansion);
        all.addLast(entry);
        ArrayDeque<Entry> entries = byScope.computeIfAbsent(scope, s -> new ArrayDeque<>());
        entries.addLast(entry);
        held++;
        bytes += entry.bytes();
        // A scope keeps its newest maxPerScope, and whatever the grace window still needs.
        while (entries.size() > maxPerScope && entries.peekFirst().takenAt <= now - graceMillis) {
            drop(entries.pollFirst(), false);
        }
        evict(now);
    }

    /** Drops what is older than the window, and the oldest while the log holds more than its bytes. */
    void evict(long now) {
        while (!all.isEmpty() && (all.peekFirst().dropped || all.peekFirst().takenAt <= now - windowMillis || bytes > maxBytes)) {
            Entry oldest = all.pollFirst();
            if (oldest.dropped) {
                continue;
            }
            ArrayDeque<Entry> entries = byScope.get(oldest.scope);
            entries.pollFirst();
            if (entries.isEmpty()) {
                byScope.remove(oldest.scope);
            }
            if (oldest.takenAt > now - windowMillis) {
                drop(oldest, true);
            } else {
                oldest.dropped = true;
                held--;
                bytes -= oldest.bytes();
            }
        }
        if (now - pruned > windowMillis / 60) {
            pruned = now;
            lostThrough.values().removeIf(arrival -> arrival <= now - windowMillis);
        }
    }

    /** Drops an entry a rewind may still ask for: for its scope's count, or (counted in {@link #evicted}) for room. */
    private void drop(Entry entry, boolean forRoom) {
        entry.dropped = true;
        held--;
        bytes -= entry.bytes();
        lostThrough.merge(entry.scope, entry.event.arrivalMillis, Math::max);
        if (forRoom) {
            evicted++;
        }
    }

    /**
     * The events of a session's scopes that arrived from {@code fromMillis} (inclusive) to {@code toMillis} (exclusive),
     * that match it and {@code also}, and whose expansion here has passed its user (an expansion still to reach the user
     * will find the session): all of them when {@code max} is 0 (the grace window), else the newest {@code max}. Oldest
     * first. What the log no longer holds of that period is counted as cut.
     */
    CatchUp between(SessionRecord session, long fromMillis, long toMillis, int max, long now, Predicate<DeliveryEvent> also) {
        List<DeliveryEvent> matched = new ArrayList<>();
        boolean lost = fromMillis < coversSince || fromMillis <= now - windowMillis;
        for (String scope : FanOutScope.ofSession(session.accountId, session.topics)) {
            lost |= lostThrough.getOrDefault(scope, Long.MIN_VALUE) >= fromMillis;
            ArrayDeque<Entry> entries = byScope.get(scope);
            if (entries == null) {
                continue;
            }
            for (Entry e : entries) {
                long arrival = e.event.arrivalMillis;
                if (arrival >= fromMillis && arrival < toMillis && session.matches(e.event) && also.test(e.event)
                        && (e.expansion == null || e.expansion.finished() || e.expansion.passed(session.userId))) {
                    matched.add(e.event);
                }
            }
        }
        matched.sort(ARRIVAL);
        int over = max > 0 ? Math.max(0, matched.size() - max) : 0;
        List<DeliveryEvent> given = over > 0 ? new ArrayList<>(matched.subList(over, matched.size())) : matched;
        return new CatchUp(given, over > 0 ? over : lost ? 1 : 0);
    }

    /** Links restored entries to the expansions restored with them (same event), so those are not given twice. */
    void link(Map<String, Expansion> byEvent) {
        all.forEach(entry -> entry.expansion = byEvent.get(RecentEvents.eventKey(entry.event)));
    }

    /** Every entry still held, oldest first. */
    List<Entry> entries() {
        List<Entry> out = new ArrayList<>(held);
        all.forEach(e -> {
            if (!e.dropped) {
                out.add(e);
            }
        });
        return out;
    }

    /** What a checkpoint keeps of the log's gaps: from when it holds every event, and what each scope lost. */
    List<ScopeLogCoverage> coverage() {
        List<ScopeLogCoverage> out = new ArrayList<>(lostThrough.size() + 1);
        out.add(new ScopeLogCoverage(null, coversSince));
        lostThrough.forEach((scope, arrival) -> out.add(new ScopeLogCoverage(scope, arrival)));
        return out;
    }

    /** Restores what a checkpoint said of the log's gaps. */
    void restoreCoverage(Iterable<ScopeLogCoverage> coverage) {
        for (ScopeLogCoverage c : coverage) {
            if (c.scope == null) {
                coversSince = c.arrivalMillis;
            } else {
                lostThrough.merge(c.scope, c.arrivalMillis, Math::max);
            }
        }
    }

    long bytes() {
        return bytes;
    }

    int size() {
        return held;
    }

    /** Entries dropped for room before their window ended. */
    long evicted() {
        return evicted;
    }
}
