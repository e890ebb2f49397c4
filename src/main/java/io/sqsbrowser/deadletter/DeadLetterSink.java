package io.sqsbrowser.deadletter;

import io.sqsbrowser.aws.AwsClients;
import io.sqsbrowser.aws.AwsSettings;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.sink.RichSinkFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Writes dead letters to the configured SQS queue or Kinesis stream, synchronously, so a checkpoint never
 * completes with a dead letter still unwritten. Dead letters are rare; a destination that stays down after
 * the SDK's retries fails the job rather than lose them.
 */
public final class DeadLetterSink extends RichSinkFunction<DeadLetter> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterSink.class);

    private final AwsSettings aws;
    private final DeadLetterDestination destination;
    private transient SqsClient sqs;
    private transient KinesisClient kinesis;
    private transient Counter written;

    public DeadLetterSink(AwsSettings aws, DeadLetterDestination destination) {
        this.aws = aws;
        this.destination = destination;
    }

    @Override
    public void open(Configuration parameters) {
        written = getRuntimeContext().getMetricGroup().counter("deadLetters");
        if (destination.type == DeadLetterDestination.Type.SQS) {
            sqs = AwsClients.sqs(aws);
        } else {
            kinesis = AwsClients.kinesis(aws);
        }
    }

    @Override
    public void invoke(DeadLetter deadLetter, Context context) {
        LOG.warn("Dead letter ({}): {}{}", deadLetter.stage, deadLetter.reason,
                deadLetter.messageId == null ? "" : " [messageId " + deadLetter.messageId + "]");
        String json = deadLetter.toJson();
        if (sqs != null) {
            sqs.sendMessage(b -> b.queueUrl(destination.target).messageBody(json));
        } else {
            String partitionKey = deadLetter.messageId != null ? deadLetter.messageId : deadLetter.stage;
            kinesis.putRecord(b -> b.streamName(destination.target).partitionKey(partitionKey)
                    .data(SdkBytes.fromUtf8String(json)));
        }
        written.inc();
    }

    @Override
    public void close() {
        if (sqs != null) {
            sqs.close();
        }
        if (kinesis != null) {
            kinesis.close();
        }
    }
}
