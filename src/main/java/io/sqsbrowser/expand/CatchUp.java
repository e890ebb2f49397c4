package io.sqsbrowser.expand;

import io.sqsbrowser.event.DeliveryEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * What a session that the job learnt of late (or that follows more topics now) is given, oldest first: the events it
 * asked to be rewound and those of the grace window it missed; and how many it had to go without ({@code cut}: events
 * beyond its rewind's {@code rewindMax}, or at least one where the job no longer holds that part of the past).
 */
final class CatchUp {
    static final CatchUp NONE = new CatchUp(List.of(), 0);

    final List<DeliveryEvent> events;
    final int cut;

    CatchUp(List<DeliveryEvent> events, int cut) {
        this.events = events;
        this.cut = cut;
    }

    /** This, then {@code later} (events that arrived after all of this one's). */
    CatchUp then(CatchUp later) {
        if (later.events.isEmpty() && later.cut == 0) {
            return this;
        }
        List<DeliveryEvent> all = new ArrayList<>(events);
        all.addAll(later.events);
        return new CatchUp(all, cut + later.cut);
    }
}
