package io.sqsbrowser.deadletter;

import io.sqsbrowser.aws.ManagedFlinkMetrics;
import io.sqsbrowser.aws.AwsSettings;
import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.sink.RichSinkFunction;

/**
 * Writes dead letters to the configured SQS queue or Kinesis stream through a {@link DeadLetterWriter}: each is
 * accepted at once, written in batches on the writer's thread, retried with backoff while the destination is
 * unavailable, and kept in every checkpoint until written. No dead letter, and no missing destination, fails
 * the job.
 */
public final class DeadLetterSink extends RichSinkFunction<DeadLetter> implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;

    private final AwsSettings aws;
    private final DeadLetterDestination destination;
    private final long maxBufferedBytes;
    private transient ListState<DeadLetter> checkpointed;
    private transient List<DeadLetter> restored;
    private transient DeadLetterWriter writer;

    /** @param maxBufferedBytes how much may wait for an unavailable destination before the job waits too. */
    public DeadLetterSink(AwsSettings aws, DeadLetterDestination destination, long maxBufferedBytes) {
        this.aws = aws;
        this.destination = destination;
        this.maxBufferedBytes = maxBufferedBytes;
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        checkpointed = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("dead-letters-unwritten", DeadLetter.class));
        restored = new java.util.ArrayList<>();
        checkpointed.get().forEach(restored::add);
    }

    @Override
    public void open(Configuration parameters) throws Exception {
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        Counter written = metrics.counter("deadLetters");
        Counter retries = metrics.counter("deadLetterRetries");
        Counter dropped = metrics.counter("deadLettersDropped");
        writer = new DeadLetterWriter(DeadLetterDestinations.of(aws, destination), maxBufferedBytes, new DeadLetterWriter.Listener() {
            @Override
            public void written(int count) {
                written.inc(count);
            }

            @Override
            public void retried() {
                retries.inc();
            }

            @Override
            public void dropped() {
                dropped.inc();
            }
        });
        ManagedFlinkMetrics.gauge(metrics, ManagedFlinkMetrics.DEAD_LETTERS_WAITING, writer::waitingCount);
        ManagedFlinkMetrics.rate(metrics, ManagedFlinkMetrics.DEAD_LETTERS_PER_SECOND, written);
        for (DeadLetter d : restored) {
            writer.add(d);
        }
        restored = null;
    }

    @Override
    public void invoke(DeadLetter deadLetter, Context context) throws InterruptedException {
        writer.add(deadLetter);
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        checkpointed.update(writer.unwritten());
    }

    @Override
    public void close() {
        if (writer != null) {
            writer.close();
        }
    }
}
