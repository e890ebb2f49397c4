package io.sqsbrowser.aws;

import java.util.function.LongSupplier;

/**
 * The largest value recorded in the last minute or so, and 0 once a whole minute passed without one: a gauge an alarm
 * can read with the Maximum statistic. (A gauge of the last value recorded would go on reporting one late event for as
 * long as no other came, and keep the alarm in ALARM on a quiet stream.) Two one-minute buckets, the current one and
 * the one before: what is read covers 60 to 120 seconds. Recorded on the task thread, read on the reporter's.
 */
public final class RecentMaximum {
    static final long BUCKET_MILLIS = 60_000;
    private final LongSupplier clock;
    private long bucketStart;
    private long current;
    private long previous;

    /** @param clock the time in milliseconds (the operator's processing time) */
    public RecentMaximum(LongSupplier clock) {
        this.clock = clock;
        this.bucketStart = clock.getAsLong();
    }

    public synchronized void record(long value) {
        roll();
        current = Math.max(current, value);
    }

    public synchronized long value() {
        roll();
        return Math.max(current, previous);
    }

    private void roll() {
        long now = clock.getAsLong();
        long buckets = (now - bucketStart) / BUCKET_MILLIS;
        if (buckets >= 1) {
            previous = buckets == 1 ? current : 0;
            current = 0;
            bucketStart += buckets * BUCKET_MILLIS;
        }
    }
}
