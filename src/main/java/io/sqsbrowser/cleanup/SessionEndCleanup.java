package io.sqsbrowser.cleanup;

import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.session.SessionRecord;
import io.sqsbrowser.sink.WriterStateSink;
import java.util.Collection;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

/** Ended sessions in, their queues and Cognito identities deleted by a {@link SessionEndCleaner} per subtask. */
public final class SessionEndCleanup extends WriterStateSink<SessionRecord, Leftover> {
    private static final long serialVersionUID = 1L;
    private final AwsSettings aws;
    private final String queuePrefix;
    private final String deadLetterQueueUrl;

    /**
     * @param queuePrefix session queues are {@code <queuePrefix>-<43 characters>}: no other queue is ever deleted
     * @param deadLetterQueueUrl never deleted, whatever its name (null when dead letters go to Kinesis)
     */
    public SessionEndCleanup(AwsSettings aws, String queuePrefix, String deadLetterQueueUrl) {
        super(Leftover.class);
        this.aws = aws;
        this.queuePrefix = queuePrefix;
        this.deadLetterQueueUrl = deadLetterQueueUrl;
    }

    @Override
    public StatefulSinkWriter<SessionRecord, Leftover> restoreWriter(WriterInitContext context, Collection<Leftover> leftovers) {
        return new SessionEndCleaner(aws, queuePrefix, deadLetterQueueUrl, context.metricGroup(), leftovers);
    }
}
