package io.sqsbrowser.expand;

import io.sqsbrowser.event.DeliveryEvent;

/** An event of the grace window as the checkpoint keeps it ({@link RecentEvents}). A Flink POJO. */
public class RecentEvent {
    public DeliveryEvent event;
    /** Processing time when it was taken, epoch milliseconds. */
    public long takenAtMillis;

    public RecentEvent() {}

    RecentEvent(DeliveryEvent event, long takenAtMillis) {
        this.event = event;
        this.takenAtMillis = takenAtMillis;
    }
}
