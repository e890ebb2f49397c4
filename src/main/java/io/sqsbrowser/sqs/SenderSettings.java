package io.sqsbrowser.sqs;

import io.sqsbrowser.aws.AwsFailures;
import java.io.Serializable;

/** Limits and retry policy of the SQS writer. */
public final class SenderSettings implements Serializable {
    private static final long serialVersionUID = 1L;
    /** SQS allows at most 10 entries in one SendMessageBatch. */
    public static final int MAX_BATCH_ENTRIES = 10;

    public final int maxInFlightRequests;
    /** How long a message that fails with a retryable error is retried before it becomes a dead letter. */
    public final long retryForMillis;
    public final long backoffBaseMillis;
    public final long backoffMaxMillis;
    /** Largest total body size of one batch (and so of one message). */
    public final int maxBatchBytes;
    public final SenderClients.Http http;

    public SenderSettings(int maxInFlightRequests, long retryForMillis, long backoffBaseMillis, long backoffMaxMillis,
            int maxBatchBytes, SenderClients.Http http) {
        if (maxInFlightRequests < 1 || retryForMillis < 0 || backoffBaseMillis < 0 || backoffMaxMillis < backoffBaseMillis
                || maxBatchBytes < 1) {
            throw new IllegalArgumentException("invalid SQS writer settings: maxInFlightRequests " + maxInFlightRequests
                    + ", retryForMillis " + retryForMillis + ", backoff " + backoffBaseMillis + ".." + backoffMaxMillis
                    + ", maxBatchBytes " + maxBatchBytes);
        }
        this.maxInFlightRequests = maxInFlightRequests;
        this.retryForMillis = retryForMillis;
        this.backoffBaseMillis = backoffBaseMillis;
        this.backoffMaxMillis = backoffMaxMillis;
        this.maxBatchBytes = maxBatchBytes;
        this.http = http;
    }

    /** Full-jitter exponential backoff before retry number {@code retry} (1 for the first retry). */
    public long backoffMillis(int retry, double random) {
        return AwsFailures.backoffMillis(backoffBaseMillis, backoffMaxMillis, retry, random);
    }

    @Override
    public String toString() {
        return "SenderSettings{maxInFlightRequests=" + maxInFlightRequests + ", retryForMillis=" + retryForMillis
                + ", backoff=" + backoffBaseMillis + ".." + backoffMaxMillis + "ms, maxBatchBytes=" + maxBatchBytes + ", http=" + http + "}";
    }
}
