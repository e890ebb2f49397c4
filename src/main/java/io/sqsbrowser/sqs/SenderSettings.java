package io.sqsbrowser.sqs;

import io.sqsbrowser.aws.AwsFailures;
import io.sqsbrowser.config.Checks;
import java.io.Serializable;

/** Limits and retry policy of the SQS writer, built by a {@link Builder} that checks them against each other. */
public final class SenderSettings implements Serializable {
    private static final long serialVersionUID = 1L;
    /** SQS allows at most 10 entries in one SendMessageBatch. */
    public static final int MAX_BATCH_ENTRIES = 10;

    /** {@code Sqs.maxInFlightRequests}: requests (SendMessage or SendMessageBatch) under way at once. */
    public final int maxInFlightRequests;
    /** {@code Sqs.retryForMillis}: how long a message that fails with a retryable error is retried before it becomes a dead letter. */
    public final long retryForMillis;
    /** {@code Sqs.backoffBaseMillis} and {@code Sqs.backoffMaxMillis}: full-jitter exponential backoff between retries. */
    public final long backoffBaseMillis;
    public final long backoffMaxMillis;
    /** {@code Sqs.maxMessageBytes}: largest total body size of one batch (and so of one message). */
    public final int maxBatchBytes;
    /** {@code Sqs.httpClient}. */
    public final SenderClients.Http http;

    private SenderSettings(Builder b) {
        this.maxInFlightRequests = b.maxInFlightRequests;
        this.retryForMillis = b.retryForMillis;
        this.backoffBaseMillis = b.backoffBaseMillis;
        this.backoffMaxMillis = b.backoffMaxMillis;
        this.maxBatchBytes = b.maxBatchBytes;
        this.http = b.http;
    }

    /** The defaults of the configuration; every setter is optional. */
    public static Builder builder() {
        return new Builder();
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

    /** Collects the settings; {@link #build()} checks them, alone and against each other. */
    public static final class Builder {
        private int maxInFlightRequests = 128;
        private long retryForMillis = 900_000;
        private long backoffBaseMillis = 100;
        private long backoffMaxMillis = 20_000;
        private int maxBatchBytes = 262_144;
        private SenderClients.Http http = SenderClients.Http.APACHE;

        private Builder() {}

        public Builder maxInFlightRequests(int requests) {
            maxInFlightRequests = requests;
            return this;
        }

        public Builder retryForMillis(long millis) {
            retryForMillis = millis;
            return this;
        }

        public Builder backoff(long baseMillis, long maxMillis) {
            backoffBaseMillis = baseMillis;
            backoffMaxMillis = maxMillis;
            return this;
        }

        public Builder maxMessageBytes(int bytes) {
            maxBatchBytes = bytes;
            return this;
        }

        public Builder http(SenderClients.Http client) {
            http = client;
            return this;
        }

        public SenderSettings build() {
            Checks.atLeast("Sqs.maxInFlightRequests", maxInFlightRequests, 1);
            Checks.atLeast("Sqs.retryForMillis", retryForMillis, 0);
            Checks.atLeast("Sqs.backoffBaseMillis", backoffBaseMillis, 0);
            Checks.atLeastSetting("Sqs.backoffMaxMillis", backoffMaxMillis, "Sqs.backoffBaseMillis", backoffBaseMillis,
                    "the longest wait cannot be shorter than the first");
            Checks.atLeast("Sqs.maxMessageBytes", maxBatchBytes, 1);
            return new SenderSettings(this);
        }
    }
}
