package io.sqsbrowser.sqs;

import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

/** What a failed SQS call means for the messages in it. */
final class SendFailures {
    private static final Set<String> QUEUE_GONE_CODES = Set.of("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist");
    private static final Set<String> RETRYABLE_CODES = Set.of("RequestThrottled", "ThrottlingException", "Throttling",
            "ServiceUnavailable", "InternalError", "InternalFailure", "KmsThrottled", "RequestTimeout");

    private SendFailures() {}

    static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** The session's queue was deleted: the session has ended, so its messages are dropped, not retried. */
    static boolean queueGone(Throwable t) {
        return t instanceof QueueDoesNotExistException
                || t instanceof AwsServiceException && QUEUE_GONE_CODES.contains(errorCode((AwsServiceException) t));
    }

    /** Throttling, server errors and I/O failures pass; retrying them is worthwhile. */
    static boolean retryable(Throwable t) {
        if (t instanceof AwsServiceException) {
            AwsServiceException e = (AwsServiceException) t;
            return e.isThrottlingException() || e.statusCode() >= 500 || RETRYABLE_CODES.contains(errorCode(e));
        }
        return t instanceof SdkClientException;
    }

    /** For a batch entry: the SQS code of a failure that was not the sender's fault is worth retrying. */
    static boolean retryableEntry(boolean senderFault, String code) {
        return !senderFault || RETRYABLE_CODES.contains(code);
    }

    static String describe(Throwable t) {
        if (t instanceof AwsServiceException) {
            AwsServiceException e = (AwsServiceException) t;
            return errorCode(e) + " (HTTP " + e.statusCode() + "): " + e.awsErrorDetails().errorMessage();
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    private static String errorCode(AwsServiceException e) {
        return e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
    }
}
