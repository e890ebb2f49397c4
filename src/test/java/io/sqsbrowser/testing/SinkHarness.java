package io.sqsbrowser.testing;

import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.connector.sink2.CommittableMessage;
import org.apache.flink.streaming.runtime.operators.sink.SinkWriterOperatorFactory;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

/**
 * A Sink V2 sink in Flink's operator harness, run by Flink's own writer operator (the one {@code sinkTo} makes): its
 * writer state goes through the same checkpoint path as in a job, and its mails run on the test's thread.
 */
public final class SinkHarness {
    private SinkHarness() {}

    public static <IN> OneInputStreamOperatorTestHarness<IN, CommittableMessage<Void>> open(Sink<IN> sink,
            OperatorSubtaskState restoreFrom) throws Exception {
        return HarnessMails.open(new OneInputStreamOperatorTestHarness<>(new SinkWriterOperatorFactory<IN, Void>(sink), 1, 1, 0),
                restoreFrom);
    }
}
