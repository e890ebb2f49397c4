package io.sqsbrowser.history;

import io.sqsbrowser.config.Checks;
import java.io.Serializable;
import java.time.Duration;

/** How the history writer talks to its table, built by a {@link Builder} that checks the settings against each other. */
public final class HistorySettings implements Serializable {
    private static final long serialVersionUID = 1L;
    /** {@code History.table}. */
    public final String table;
    /** {@code History.ttlHours}, in seconds. */
    public final long ttlSeconds;
    /** {@code History.maxInFlightRequests}. */
    public final int maxInFlightRequests;
    /** {@code History.maxBufferedBytes}: rows waiting for the table; beyond, rows become dead letters. */
    public final long maxBufferedBytes;
    /** {@code History.backoffBaseMillis} and {@code History.backoffMaxMillis}. */
    public final long backoffBaseMillis;
    public final long backoffMaxMillis;
    /** At a drained stop, how long rows may take before the rest become dead letters. */
    public final Duration finishWait;

    private HistorySettings(Builder b) {
        table = b.table;
        ttlSeconds = b.ttlSeconds;
        maxInFlightRequests = b.maxInFlightRequests;
        maxBufferedBytes = b.maxBufferedBytes;
        backoffBaseMillis = b.backoffBaseMillis;
        backoffMaxMillis = b.backoffMaxMillis;
        finishWait = b.finishWait;
    }

    /** The defaults of the configuration for {@code table}; every other setter is optional. */
    public static Builder builder(String table) {
        return new Builder(table);
    }

    /** Collects the settings; {@link #build()} checks them, alone and against each other. */
    public static final class Builder {
        private final String table;
        private long ttlSeconds = 24 * 3600;
        private int maxInFlightRequests = 32;
        private long maxBufferedBytes = 256L << 20;
        private long backoffBaseMillis = 100;
        private long backoffMaxMillis = 30_000;
        private Duration finishWait = Duration.ofMinutes(1);

        private Builder(String table) {
            this.table = table;
        }

        public Builder ttlHours(long hours) {
            ttlSeconds = hours * 3600;
            return this;
        }

        public Builder maxInFlightRequests(int requests) {
            maxInFlightRequests = requests;
            return this;
        }

        public Builder maxBufferedBytes(long bytes) {
            maxBufferedBytes = bytes;
            return this;
        }

        public Builder backoff(long baseMillis, long maxMillis) {
            backoffBaseMillis = baseMillis;
            backoffMaxMillis = maxMillis;
            return this;
        }

        public Builder finishWait(Duration wait) {
            finishWait = wait;
            return this;
        }

        public HistorySettings build() {
            Checks.atLeast("History.ttlHours", ttlSeconds / 3600, 1);
            Checks.atLeast("History.maxInFlightRequests", maxInFlightRequests, 1);
            Checks.atLeast("History.maxBufferedBytes", maxBufferedBytes, 1);
            Checks.atLeast("History.backoffBaseMillis", backoffBaseMillis, 0);
            Checks.atLeastSetting("History.backoffMaxMillis", backoffMaxMillis, "History.backoffBaseMillis", backoffBaseMillis,
                    "the longest wait cannot be shorter than the first");
            return new HistorySettings(this);
        }
    }
}
