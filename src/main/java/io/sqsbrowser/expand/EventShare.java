package io.sqsbrowser.expand;

import io.sqsbrowser.event.DeliveryEvent;

/**
 * An event on its way to one expander subtask. A fan-out event (account, everyone) travels as one share
 * per subtask, each expanding its own part of the sessions, so the payload crosses the network once per
 * subtask, never once per recipient. A targeted event (user, session) travels once, as the only share.
 */
public class EventShare {
    public DeliveryEvent event;
    /** The subtask this share goes to; for a fan-out event also the part of the sessions it takes. */
    public int partition;
    /** How many parts the sessions are split into; 1 for a targeted event (take all of its sessions). */
    public int shareCount;

    public EventShare() {}

    public EventShare(DeliveryEvent event, int partition, int shareCount) {
        this.event = event;
        this.partition = partition;
        this.shareCount = shareCount;
    }
}
