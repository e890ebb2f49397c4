package io.sqsbrowser.crypto;

import java.time.Instant;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * Initial counters of the CTR envelope such that no two messages under one key ever share a counter block (a shared
 * block would reveal the XOR of two plaintexts), while every counter stays below 2^53 for the original system's
 * browser clients, which read it as a JavaScript number. Counters drawn at random do collide: for 10^5 messages of
 * the largest size under one key, about 1.4%.
 *
 * <p>The 2^53 counters are four lanes of 2^51, one per task attempt ({@code attempt mod 4}): two attempts of one subtask
 * that run at once (a TaskManager cut off from the JobManager keeps sending for its heartbeat timeout beside its
 * replacement, with the same clock) never share a block. Within a lane, blocks are handed out as a sequence that
 * follows the clock: the blocks of one millisecond since {@link #EPOCH} are {@code [ms · 2^11, (ms + 1) · 2^11)}, and
 * each message takes the next free run of its length, never before the current millisecond's first block. Why that
 * is enough:
 * <ul>
 *   <li>within one instance (one subtask's encryptor) the runs are consecutive and never overlap;
 *   <li>a session's messages are encrypted by one subtask at a time (the owner of its key group), and a restart gives
 *       the new owner another attempt, so another lane;
 *   <li>a job started again from a snapshot (attempts count from 0 again) starts past every block the snapshot's job had
 *       reached ({@link #reachedMillis}, in the snapshot), so neither a clock set back nor a sequence that ran ahead of
 *       it reuses a block;
 *   <li>the sequence never runs more than {@link #MAX_LEAD_MILLIS} ahead of the clock (moved on by how far a restore
 *       found it behind the snapshot's sequence): 2^11 blocks a millisecond is 32 MiB of ciphertext a second per
 *       subtask, and a subtask that encrypts faster waits for the clock rather than drift;
 *   <li>2^51 blocks at 2^11 a millisecond last 2^40 ms, 34 years from 2024: until 2058, when {@link #next} refuses.
 * </ul>
 * Not thread-safe: one instance per encryptor.
 */
public final class CtrCounters {
    public static final Instant EPOCH = Instant.parse("2024-01-01T00:00:00Z");
    static final int LANES = 4;
    static final long LANE_BLOCKS = Envelopes.CTR_COUNTER_BOUND / LANES;
    static final long BLOCKS_PER_MILLI = 1L << 11;
    /** How far the sequence may lead the clock before the next message waits for it. */
    static final long MAX_LEAD_MILLIS = 1_000;
    private static final int BLOCK_BYTES = 16;
    private final LongSupplier clockMillis;
    private final LongConsumer sleepMillis;
    private final long laneStart;
    /**
     * How far a restore put the sequence ahead of the clock (0 unless the clock was set back since the snapshot): the
     * sequence follows the clock moved on by this much.
     */
    private final long ahead;
    /** The first block of the lane not handed out yet. */
    private long next;

    /** The counters of attempt 0 of a job started without state, on the wall clock. */
    public CtrCounters() {
        this(0, 0);
    }

    /**
     * On the wall clock, waiting on the calling thread when the sequence leads it too far.
     *
     * @param attempt the task's attempt number: its lane
     * @param restoredMillis {@link #reachedMillis} of the job the state was restored from (0 without state)
     */
    public CtrCounters(int attempt, long restoredMillis) {
        this(System::currentTimeMillis, CtrCounters::sleep, attempt, restoredMillis);
    }

    /**
     * @param clockMillis the wall clock, epoch milliseconds: counters follow it across restarts
     * @param sleepMillis waits that long (the task thread, when the sequence leads the clock too far)
     */
    CtrCounters(LongSupplier clockMillis, LongConsumer sleepMillis, int attempt, long restoredMillis) {
        this.clockMillis = clockMillis;
        this.sleepMillis = sleepMillis;
        this.laneStart = Math.floorMod(attempt, LANES) * LANE_BLOCKS;
        this.next = blockOf(restoredMillis);
        this.ahead = Math.max(0, next - blockOf(clockMillis.getAsLong()));
    }

    /** The initial counter for a message of {@code plaintextBytes}, which takes its blocks from here on. */
    public long next(int plaintextBytes) {
        long blocks = Math.max(1, (plaintextBytes + BLOCK_BYTES - 1L) / BLOCK_BYTES);
        long clock = blockOf(clockMillis.getAsLong()) + ahead;
        long lead = Math.max(next, clock) + blocks - clock;
        if (lead > MAX_LEAD_MILLIS * BLOCKS_PER_MILLI) {
            sleepMillis.accept((lead - MAX_LEAD_MILLIS * BLOCKS_PER_MILLI + BLOCKS_PER_MILLI - 1) / BLOCKS_PER_MILLI);
            clock = blockOf(clockMillis.getAsLong()) + ahead;
        }
        long first = Math.max(next, clock);
        if (first + blocks > LANE_BLOCKS) {
            throw new IllegalStateException("CTR counters below 2^53 are used up (they last until 2058): use GCM sessions");
        }
        next = first + blocks;
        return laneStart + first;
    }

    /** The millisecond from which this sequence has handed out no block: what a snapshot keeps ({@code restoredMillis}). */
    public long reachedMillis() {
        return EPOCH.toEpochMilli() + (next + BLOCKS_PER_MILLI - 1) / BLOCKS_PER_MILLI;
    }

    private static long blockOf(long epochMillis) {
        return Math.max(0, epochMillis - EPOCH.toEpochMilli()) * BLOCKS_PER_MILLI;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
