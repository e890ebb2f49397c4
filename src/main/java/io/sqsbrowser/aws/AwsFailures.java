package io.sqsbrowser.aws;

import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;

/** What a failed AWS call means: worth retrying, or not; and how to say it without secrets. */
public final class AwsFailures {
    private static final Set<String> RETRYABLE_CODES = Set.of("RequestThrottled", "ThrottlingException", "Throttling",
            "ProvisionedThroughputExceededException", "RequestLimitExceeded", "ServiceUnavailable", "InternalError",
            "InternalFailure", "InternalServerError", "KmsThrottled", "RequestTimeout");

    private AwsFailures() {}

    public static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** Throttling, server errors and I/O failures pass; retrying them is worthwhile. */
    public static boolean retryable(Throwable t) {
        if (t instanceof AwsServiceException) {
            AwsServiceException e = (AwsServiceException) t;
            return e.isThrottlingException() || e.statusCode() >= 500 || RETRYABLE_CODES.contains(errorCode(e));
        }
        return t instanceof SdkClientException;
    }

    public static boolean retryableCode(String code) {
        return RETRYABLE_CODES.contains(code);
    }

    public static String describe(Throwable t) {
        if (t instanceof AwsServiceException) {
            AwsServiceException e = (AwsServiceException) t;
            return errorCode(e) + " (HTTP " + e.statusCode() + "): "
                    + (e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage());
        }
        return t.getClass().getSimpleName() + ": " + t.getMessage();
    }

    public static String errorCode(AwsServiceException e) {
        return e.awsErrorDetails() == null || e.awsErrorDetails().errorCode() == null ? "" : e.awsErrorDetails().errorCode();
    }

    /** Full-jitter exponential backoff before retry number {@code retry} (1 for the first retry). */
    public static long backoffMillis(long baseMillis, long maxMillis, int retry, double random) {
        double ceiling = Math.min(maxMillis, baseMillis * Math.pow(2, Math.min(retry - 1, 30)));
        return (long) (ceiling * random);
    }
}
