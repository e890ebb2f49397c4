package io.sqsbrowser.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** No two messages under one key share a CTR counter block, and every counter stays below 2^53. */
class CtrCountersTest {
    /** The largest plaintext the job sends: its body must fit SQS's 256 KiB once encrypted. */
    private static final int LARGEST = 196_577;
    private final AtomicLong clock = new AtomicLong(Instant.parse("2026-12-04T10:00:00Z").toEpochMilli());

    private static long blocks(int bytes) {
        return Math.max(1, (bytes + 15) / 16);
    }

    @Test
    void aBurstOfTheLargestMessagesInOneMillisecondTakesDisjointRunsAndTheSequenceReturnsToTheClock() {
        CtrCounters counters = new CtrCounters(clock::get);
        long end = 0;
        for (int i = 0; i < 100_000; i++) {
            long first = counters.next(LARGEST);
            assertThat(first).as("message %d starts after the one before ends", i).isGreaterThanOrEqualTo(end);
            end = first + blocks(LARGEST);
        }
        assertThat(end).isLessThan(Envelopes.CTR_COUNTER_BOUND);
        // 10^5 of them led the clock by 150,000 ms; once the clock passes that, the sequence is on the clock again.
        clock.addAndGet((end / CtrCounters.BLOCKS_PER_MILLI) - clock.get() + CtrCounters.EPOCH.toEpochMilli() + 1);
        long onClock = (clock.get() - CtrCounters.EPOCH.toEpochMilli()) * CtrCounters.BLOCKS_PER_MILLI;
        assertThat(counters.next(10)).isEqualTo(onClock);
    }

    @Test
    void smallMessagesOfOneMillisecondAreConsecutiveAndTheNextMillisecondStartsAfresh() {
        CtrCounters counters = new CtrCounters(clock::get);
        long a = counters.next(1);
        long b = counters.next(17);
        long c = counters.next(0);
        assertThat(b).isEqualTo(a + 1);
        assertThat(c).isEqualTo(b + 2);
        clock.incrementAndGet();
        assertThat(counters.next(1)).isEqualTo(a + CtrCounters.BLOCKS_PER_MILLI);
    }

    /** A session moving to another subtask (a restart, a rescale) takes seconds: the new encryptor starts past the old one. */
    @Test
    void anEncryptorStartedLaterNeverReusesABlockOfTheOneBefore() {
        CtrCounters before = new CtrCounters(clock::get);
        long end = 0;
        for (int i = 0; i < 1_000; i++) {
            end = before.next(LARGEST) + blocks(LARGEST);
            if (i % 100 == 0) {
                clock.incrementAndGet();
            }
        }
        clock.addAndGet(2_000); // the restart
        assertThat(new CtrCounters(clock::get).next(1)).isGreaterThanOrEqualTo(end);
    }

    @Test
    void countersLastUntil2058AndAreRefusedBeyond() {
        clock.set(Instant.parse("2058-10-01T00:00:00Z").toEpochMilli());
        assertThat(new CtrCounters(clock::get).next(LARGEST) + blocks(LARGEST)).isLessThan(Envelopes.CTR_COUNTER_BOUND);
        clock.set(Instant.parse("2059-01-01T00:00:00Z").toEpochMilli());
        assertThatThrownBy(() -> new CtrCounters(clock::get).next(1)).hasMessageContaining("2058");
    }
}
