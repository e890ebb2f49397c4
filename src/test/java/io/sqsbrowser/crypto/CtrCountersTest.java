package io.sqsbrowser.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * No two messages under one key share a CTR counter block, and every counter stays below 2^53: within one sequence, between
 * two attempts of a subtask running at once, and between a job and one restored from its snapshot, whatever the clock
 * did meanwhile; and the sequence never leads the clock by more than a second.
 */
class CtrCountersTest {
    /** The largest plaintext the job sends: its body must fit SQS's 256 KiB once encrypted. */
    private static final int LARGEST = 196_577;
    private final AtomicLong clock = new AtomicLong(Instant.parse("2026-12-04T10:00:00Z").toEpochMilli());
    private final AtomicLong slept = new AtomicLong();

    /** Counters on the test's clock; waiting moves the clock on. */
    private CtrCounters counters(int attempt, long restoredMillis) {
        return new CtrCounters(clock::get, millis -> {
            slept.addAndGet(millis);
            clock.addAndGet(millis);
        }, attempt, restoredMillis);
    }

    private static long blocks(int bytes) {
        return Math.max(1, (bytes + 15) / 16);
    }

    private long clockBlock() {
        return (clock.get() - CtrCounters.EPOCH.toEpochMilli()) * CtrCounters.BLOCKS_PER_MILLI;
    }

    @Test
    void aBurstOfTheLargestMessagesTakesDisjointRunsAndNeverLeadsTheClockByMoreThanASecond() {
        CtrCounters counters = counters(0, 0);
        long end = 0;
        for (int i = 0; i < 10_000; i++) {
            long first = counters.next(LARGEST);
            assertThat(first).as("message %d starts after the one before ends", i).isGreaterThanOrEqualTo(end);
            end = first + blocks(LARGEST);
            assertThat(end - clockBlock()).as("the lead after message %d", i)
                    .isLessThanOrEqualTo(CtrCounters.MAX_LEAD_MILLIS * CtrCounters.BLOCKS_PER_MILLI);
        }
        // 10^4 of them are 1.9 GiB: at 32 MiB a second, about a minute of waiting for the clock.
        assertThat(slept.get()).isBetween(55_000L, 62_000L);
        assertThat(end).isLessThan(CtrCounters.LANE_BLOCKS);
    }

    @Test
    void smallMessagesOfOneMillisecondAreConsecutiveAndTheNextMillisecondStartsAfresh() {
        CtrCounters counters = counters(0, 0);
        long a = counters.next(1);
        long b = counters.next(17);
        long c = counters.next(0);
        assertThat(b).isEqualTo(a + 1);
        assertThat(c).isEqualTo(b + 2);
        clock.incrementAndGet();
        assertThat(counters.next(1)).isEqualTo(a + CtrCounters.BLOCKS_PER_MILLI);
        assertThat(slept.get()).isZero();
    }

    /**
     * A TaskManager cut off from the JobManager sends beside its replacement for a heartbeat timeout: the same clock, the
     * same sessions. Each attempt has its lane, so their blocks never meet.
     */
    @Test
    void twoAttemptsOfOneSubtaskRunningAtOnceNeverShareABlock() {
        CtrCounters zombie = counters(3, 0);
        CtrCounters replacement = counters(4, 0);
        long zombieFirst = zombie.next(LARGEST);
        long replacementFirst = replacement.next(LARGEST);
        for (int i = 0; i < 1_000; i++) {
            long z = zombie.next(LARGEST);
            long r = replacement.next(LARGEST);
            assertThat(z + blocks(LARGEST) <= r || r + blocks(LARGEST) <= z).as("message %d", i).isTrue();
            clock.incrementAndGet();
        }
        assertThat(Math.abs(zombieFirst - replacementFirst)).isGreaterThanOrEqualTo(CtrCounters.LANE_BLOCKS - blocks(LARGEST));
        assertThat(new CtrCounters(clock::get, millis -> { }, 7, 0).next(1) / CtrCounters.LANE_BLOCKS)
                .as("attempts four apart share a lane (never at once)").isEqualTo(zombieFirst / CtrCounters.LANE_BLOCKS);
    }

    /**
     * A job started again from a snapshot counts its attempts from 0 again: it starts past every block the snapshot's job
     * had reached, even when that sequence led the clock, and even when the clock was set back an hour meanwhile.
     */
    @Test
    void aJobRestoredFromASnapshotReusesNoBlockEvenWithTheClockSetBack() {
        CtrCounters before = counters(0, 0);
        long end = 0;
        for (int i = 0; i < 300; i++) {
            end = before.next(LARGEST) + blocks(LARGEST);
        }
        long reached = before.reachedMillis();
        clock.addAndGet(-3_600_000);
        CtrCounters after = counters(0, reached);
        long first = after.next(1);
        assertThat(first).isGreaterThanOrEqualTo(end);
        long sleptBefore = slept.get();
        for (int i = 0; i < 100; i++) {
            after.next(1000);
        }
        assertThat(slept.get()).as("the set-back clock is no reason to wait").isEqualTo(sleptBefore);
    }

    @Test
    void countersLastUntil2058AndAreRefusedBeyond() {
        clock.set(Instant.parse("2058-10-01T00:00:00Z").toEpochMilli());
        for (int attempt = 0; attempt < CtrCounters.LANES; attempt++) {
            assertThat(counters(attempt, 0).next(LARGEST) + blocks(LARGEST)).isLessThan(Envelopes.CTR_COUNTER_BOUND);
        }
        clock.set(Instant.parse("2059-01-01T00:00:00Z").toEpochMilli());
        assertThatThrownBy(() -> counters(0, 0).next(1)).hasMessageContaining("2058");
    }
}
