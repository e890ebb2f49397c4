package io.sqsbrowser.bench;

import java.util.Collection;

/** Percentiles of a set of latencies, nearest-rank. */
final class Percentiles {
    private final long[] sorted;

    private Percentiles(long[] sorted) {
        this.sorted = sorted;
    }

    static Percentiles of(Collection<Long> values) {
        return new Percentiles(values.stream().mapToLong(Long::longValue).sorted().toArray());
    }

    long at(double percent) {
        if (sorted.length == 0) {
            return -1;
        }
        int rank = (int) Math.ceil(percent / 100 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length, rank) - 1)];
    }

    String line(String name) {
        return String.format("%-52s n=%,7d  p50 %5d  p95 %5d  p99 %5d  max %5d", name, sorted.length, at(50), at(95), at(99),
                at(100));
    }
}
