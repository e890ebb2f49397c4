package io.sqsbrowser.crypto;

import java.time.Instant;
import java.util.function.LongSupplier;

/**
 * Initial counters of the CTR envelope such that no two messages under one key ever share a counter block (a shared
 * block would reveal the XOR of two plaintexts), while every counter stays below 2^53 for the original system's
 * browser clients, which read it as a JavaScript number. Counters drawn at random do collide: for 10^5 messages of
 * the largest size under one key, about 1.4%.
 *
 * <p>Counter blocks are handed out as a sequence that follows the clock: the blocks of one millisecond since
 * {@link #EPOCH} are {@code [ms · 2^13, (ms + 1) · 2^13)}, and each message takes the next free run of its own length,
 * never before the current millisecond's first block. Why that is enough:
 * <ul>
 *   <li>within one instance (one subtask's encryptor) the runs are consecutive and never overlap;
 *   <li>a session's messages are encrypted by one subtask at a time (the owner of its key group); ownership moves
 *       only when tasks restart, which takes far longer than the few milliseconds a run may lead the clock: 2^13
 *       blocks a millisecond is 128 MiB of ciphertext a second per subtask, while a subtask hands SQS a few, so the
 *       sequence stays on the clock but for the length of the message in progress (the largest, 256 KiB, is 1.5 ms).
 *       A new owner starts past every block the previous one used, unless the clock was set back across the restart;
 *   <li>2^53 blocks at 2^13 a millisecond last 2^40 ms, 34 years from 2024: until 2058, when {@link #next} refuses.
 * </ul>
 * Not thread-safe: one instance per encryptor.
 */
public final class CtrCounters {
    public static final Instant EPOCH = Instant.parse("2024-01-01T00:00:00Z");
    static final long BLOCKS_PER_MILLI = 1L << 13;
    private static final int BLOCK_BYTES = 16;
    private final LongSupplier clockMillis;
    /** The first block not handed out yet. */
    private long next;

    /** @param clockMillis the wall clock, epoch milliseconds: counters must follow it across restarts */
    public CtrCounters(LongSupplier clockMillis) {
        this.clockMillis = clockMillis;
    }

    /** The initial counter for a message of {@code plaintextBytes}, which takes its blocks from here on. */
    public long next(int plaintextBytes) {
        long blocks = Math.max(1, (plaintextBytes + BLOCK_BYTES - 1L) / BLOCK_BYTES);
        long first = Math.max(next, Math.max(0, clockMillis.getAsLong() - EPOCH.toEpochMilli()) * BLOCKS_PER_MILLI);
        if (first + blocks > Envelopes.CTR_COUNTER_BOUND) {
            throw new IllegalStateException("CTR counters below 2^53 are used up (they last until 2058): use GCM sessions");
        }
        next = first + blocks;
        return first;
    }
}
