package io.sqsbrowser.history;

import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.deadletter.DeadLetterDestination;
import io.sqsbrowser.deadletter.DeadLetterWriter;
import io.sqsbrowser.sink.WriterStateSink;
import java.util.Collection;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/**
 * The history table, written by a {@link HistoryWriter} per subtask; rows it cannot write go to the job's dead-letter
 * destination, as every other dead letter does.
 */
public final class HistorySink extends WriterStateSink<HistoryRows, UnwrittenHistory> {
    private static final long serialVersionUID = 1L;
    private final AwsSettings aws;
    private final HistorySettings settings;
    private final DeadLetterDestination deadLetters;
    private final long deadLetterMaxBufferedBytes;

    public HistorySink(AwsSettings aws, HistorySettings settings, DeadLetterDestination deadLetters, long deadLetterMaxBufferedBytes) {
        super(UnwrittenHistory.class);
        this.aws = aws;
        this.settings = settings;
        this.deadLetters = deadLetters;
        this.deadLetterMaxBufferedBytes = deadLetterMaxBufferedBytes;
    }

    @Override
    public StatefulSinkWriter<HistoryRows, UnwrittenHistory> restoreWriter(WriterInitContext context, Collection<UnwrittenHistory> unwritten) {
        DeadLetterWriter refused = DeadLetterWriter.open(aws, deadLetters, deadLetterMaxBufferedBytes, context.metricGroup(),
                context.getMailboxExecutor());
        return new HistoryWriter(aws, settings, context.getMailboxExecutor(), context.getProcessingTimeService(), refused,
                context.metricGroup(), unwritten);
    }
}
