package io.sqsbrowser.sqs;

import io.sqsbrowser.aws.AwsFailures;
import java.io.Serializable;

/** Limits and retry policy of the SQS writer. */
public final class SenderSettings implements Serializable {
    private static final long serialVersionUID = 1L;
    /** SQS allows at most 10 entries in one SendMessageBatch. */
    public static final int MAX_BATCH_ENTRIES = 10;

    public final int maxInFlightRequests;
    public final int maxAttempts;
    public final long backoffBaseMillis;
    public final long backoffMaxMillis;
    /** Largest total body size of one batch (and so of one message). */
    public final int maxBatchBytes;

    public SenderSettings(int maxInFlightRequests, int maxAttempts, long backoffBaseMillis, long backoffMaxMillis,
            int maxBatchBytes) {
        if (maxInFlightRequests < 1 || maxAttempts < 1 || backoffBaseMillis < 0 || backoffMaxMillis < backoffBaseMillis
                || maxBatchBytes < 1) {
            throw new IllegalArgumentException("invalid SQS writer settings: " + this);
        }
        this.maxInFlightRequests = maxInFlightRequests;
        this.maxAttempts = maxAttempts;
        this.backoffBaseMillis = backoffBaseMillis;
        this.backoffMaxMillis = backoffMaxMillis;
        this.maxBatchBytes = maxBatchBytes;
    }

    /** Full-jitter exponential backoff before retry number {@code retry} (1 for the first retry). */
    public long backoffMillis(int retry, double random) {
        return AwsFailures.backoffMillis(backoffBaseMillis, backoffMaxMillis, retry, random);
    }

    @Override
    public String toString() {
        return "SenderSettings{maxInFlightRequests=" + maxInFlightRequests + ", maxAttempts=" + maxAttempts
                + ", backoff=" + backoffBaseMillis + ".." + backoffMaxMillis + "ms, maxBatchBytes=" + maxBatchBytes + "}";
    }
}
