package io.sqsbrowser.deadletter;

import io.sqsbrowser.aws.ManagedFlinkMetrics;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Passes valid values on and sends dead letters to the {@link #DEAD_LETTERS} side output; counts both when asked to.
 * Counting here, once per subtask, rather than in the readers' deserialization schemas: a reader opens a copy of its
 * schema per shard (FlinkKinesisConsumer, each under a group of its shard), and one series per subtask is what the
 * CloudWatch rates of {@link ManagedFlinkMetrics} should be, however a reader splits its work.
 */
public final class SplitDeadLetters<T> extends ProcessFunction<Parsed<T>, T> {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("dead-letters", TypeInformation.of(DeadLetter.class));
    private final String[] counted;
    private transient Counter records;
    private transient Counter invalid;

    private SplitDeadLetters(String... counted) {
        this.counted = counted;
    }

    public static <T> SplitDeadLetters<T> uncounted() {
        return new SplitDeadLetters<>();
    }

    /** Counts the records ({@code eventsIn}, with the rate {@code eventsInPerSecond}) and the dead letters among them. */
    public static <T> SplitDeadLetters<T> counting(String records, String recordsPerSecond, String invalid, String invalidPerSecond) {
        return new SplitDeadLetters<>(records, recordsPerSecond, invalid, invalidPerSecond);
    }

    @Override
    public void open(OpenContext context) {
        if (counted.length > 0) {
            records = getRuntimeContext().getMetricGroup().counter(counted[0]);
            invalid = getRuntimeContext().getMetricGroup().counter(counted[2]);
            ManagedFlinkMetrics.rate(getRuntimeContext().getMetricGroup(), counted[1], records);
            ManagedFlinkMetrics.rate(getRuntimeContext().getMetricGroup(), counted[3], invalid);
        }
    }

    @Override
    public void processElement(Parsed<T> parsed, Context ctx, Collector<T> out) {
        if (records != null) {
            records.inc();
        }
        if (parsed.deadLetter != null) {
            if (invalid != null) {
                invalid.inc();
            }
            ctx.output(DEAD_LETTERS, parsed.deadLetter);
        } else {
            out.collect(parsed.value);
        }
    }
}
