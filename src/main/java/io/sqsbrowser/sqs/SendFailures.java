package io.sqsbrowser.sqs;

import io.sqsbrowser.aws.AwsFailures;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

/** What a failed SQS call means for the messages in it. */
final class SendFailures {
    private static final Set<String> QUEUE_GONE_CODES = Set.of("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist");

    private SendFailures() {}

    /** The session's queue was deleted: the session has ended, so its messages are dropped, not retried. */
    static boolean queueGone(Throwable t) {
        return t instanceof QueueDoesNotExistException
                || t instanceof AwsServiceException && QUEUE_GONE_CODES.contains(AwsFailures.errorCode((AwsServiceException) t));
    }

    /** For a batch entry: a failure that was not the sender's fault, or a throttling code, is worth retrying. */
    static boolean retryableEntry(boolean senderFault, String code) {
        return !senderFault || AwsFailures.retryableCode(code);
    }
}
