package io.sqsbrowser.expand;

import io.sqsbrowser.event.DeliveryEvent;
import org.apache.flink.api.common.functions.Partitioner;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.MathUtils;

/**
 * Splits each event into the shares the expander works on: one per subtask for account and everyone
 * events, one in all for user and session events, sent to the subtask its user (or session) hashes to.
 */
public final class ShareByScope extends RichFlatMapFunction<DeliveryEvent, EventShare> {
    private static final long serialVersionUID = 1L;
    private final int expanderParallelism;

    public ShareByScope(int expanderParallelism) {
        this.expanderParallelism = expanderParallelism;
    }

    @Override
    public void flatMap(DeliveryEvent event, Collector<EventShare> out) {
        if (event.scope().fansOut()) {
            for (int share = 0; share < expanderParallelism; share++) {
                out.collect(new EventShare(event, share, expanderParallelism));
            }
        } else {
            String target = event.userId != null ? event.userId : event.sessionId;
            out.collect(new EventShare(event, shareOf(target, expanderParallelism), 1));
        }
    }

    /** Which of {@code shareCount} parts an id belongs to; spreads sequential ids evenly. */
    public static int shareOf(String id, int shareCount) {
        return Math.floorMod(MathUtils.murmurHash(id.hashCode()), shareCount);
    }

    /** Sends each share to the subtask it names. */
    public static final class ToPartition implements Partitioner<Integer> {
        private static final long serialVersionUID = 1L;

        @Override
        public int partition(Integer partition, int numPartitions) {
            return partition % numPartitions;
        }
    }
}
