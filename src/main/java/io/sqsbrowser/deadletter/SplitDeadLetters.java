package io.sqsbrowser.deadletter;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/** Passes valid values on and sends dead letters to the {@link #DEAD_LETTERS} side output. */
public final class SplitDeadLetters<T> extends ProcessFunction<Parsed<T>, T> {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("dead-letters", TypeInformation.of(DeadLetter.class));

    @Override
    public void processElement(Parsed<T> parsed, Context ctx, Collector<T> out) {
        if (parsed.deadLetter != null) {
            ctx.output(DEAD_LETTERS, parsed.deadLetter);
        } else {
            out.collect(parsed.value);
        }
    }
}
