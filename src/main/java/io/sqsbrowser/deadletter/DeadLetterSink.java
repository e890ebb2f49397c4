package io.sqsbrowser.deadletter;

import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.sink.WriterStateSink;
import java.util.Collection;
import java.util.List;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * Writes dead letters to the configured SQS queue or Kinesis stream through a {@link DeadLetterWriter}: each is
 * accepted at once, written in batches on the writer's thread, retried with backoff while the destination is
 * unavailable, and kept in every checkpoint until written. No dead letter, and no missing destination, fails the job.
 *
 * <p>Not the connector's {@code KinesisStreamsSink} for a Kinesis destination: it fails the job when the stream is
 * missing or the credentials are refused, and retries a record forever with no way to drop it (connector 4.3.0,
 * {@code KinesisStreamsSinkWriter}); a dead letter must never stop the job it reports on.
 */
public final class DeadLetterSink extends WriterStateSink<DeadLetter, DeadLetter> {
    private static final long serialVersionUID = 1L;
    private final AwsSettings aws;
    private final DeadLetterDestination destination;
    private final long maxBufferedBytes;

    /** @param maxBufferedBytes how much may wait for an unavailable destination before the job waits too. */
    public DeadLetterSink(AwsSettings aws, DeadLetterDestination destination, long maxBufferedBytes) {
        super(DeadLetter.class);
        this.aws = aws;
        this.destination = destination;
        this.maxBufferedBytes = maxBufferedBytes;
    }

    @Override
    public StatefulSinkWriter<DeadLetter, DeadLetter> restoreWriter(WriterInitContext context, Collection<DeadLetter> unwritten) {
        DeadLetterWriter writer = DeadLetterWriter.open(aws, destination, maxBufferedBytes, context.metricGroup(), context.getMailboxExecutor());
        unwritten.forEach(writer::add);
        return new StatefulSinkWriter<>() {
            @Override
            public void write(DeadLetter deadLetter, Context ignored) throws InterruptedException {
                writer.write(deadLetter);
            }

            /** Nothing to wait for: what is not written yet is in the checkpoint ({@link #snapshotState}). */
            @Override
            public void flush(boolean endOfInput) {}

            @Override
            public List<DeadLetter> snapshotState(long checkpointId) {
                return writer.unwritten();
            }

            @Override
            public void close() {
                writer.close();
            }
        };
    }
}
