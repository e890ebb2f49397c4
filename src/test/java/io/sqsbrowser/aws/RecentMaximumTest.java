package io.sqsbrowser.aws;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The event-age gauges the alarms read: one late event raises them, and a quiet stream brings them back to 0 within two
 * minutes (a gauge of the last event's age would keep the alarm in ALARM until the next event).
 */
class RecentMaximumTest {
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final RecentMaximum age = new RecentMaximum(now::get);

    @Test
    void oneLateEventIsReportedForAMinuteOrTwoThenTheQuietStreamReadsZero() {
        age.record(90_000);
        assertThat(age.value()).isEqualTo(90_000);
        now.addAndGet(59_000);
        age.record(200);
        assertThat(age.value()).as("the largest of the last minute").isEqualTo(90_000);
        now.addAndGet(60_000);
        assertThat(age.value()).as("still within the bucket before").isEqualTo(90_000);
        now.addAndGet(60_000);
        assertThat(age.value()).as("two quiet minutes").isZero();
    }

    @Test
    void aLongSilenceForgetsBothBuckets() {
        age.record(5_000);
        now.addAndGet(10 * 60_000);
        assertThat(age.value()).isZero();
        age.record(300);
        assertThat(age.value()).isEqualTo(300);
    }
}
