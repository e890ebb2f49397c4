package io.sqsbrowser.sqs;

import io.sqsbrowser.aws.AwsClients;
import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.deadletter.DeadLetter;
import io.sqsbrowser.expand.Delivery;
import java.util.Collections;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;

/**
 * The async I/O stage that writes each delivery to its session's queue. Emits nothing for a message that
 * was sent (or whose queue is gone) and a dead letter for one that could not be sent. Flink's async
 * operator keeps unfinished deliveries in its checkpoints, so a restart sends them again: none is lost.
 */
public final class SqsDeliveryWriter extends RichAsyncFunction<Delivery, DeadLetter> {
    private static final long serialVersionUID = 1L;
    public static final String STAGE = "delivery";

    private final AwsSettings aws;
    private final SenderSettings settings;
    private transient SqsAsyncClient sqs;
    private transient BatchingSender sender;
    private transient Counter timeouts;

    public SqsDeliveryWriter(AwsSettings aws, SenderSettings settings) {
        this.aws = aws;
        this.settings = settings;
    }

    @Override
    public void open(Configuration parameters) {
        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        timeouts = metrics.counter("deliveryTimeouts");
        sqs = AwsClients.sqsAsync(aws, settings.maxInFlightRequests);
        sender = new BatchingSender(sqs, settings, new MetricsListener(metrics));
    }

    @Override
    public void asyncInvoke(Delivery delivery, ResultFuture<DeadLetter> result) {
        sender.send(delivery, outcome -> {
            if (outcome.kind == SendOutcome.Kind.FAILED) {
                result.complete(Collections.singletonList(deadLetter(delivery, outcome.reason)));
            } else {
                result.complete(Collections.emptyList());
            }
        });
    }

    @Override
    public void timeout(Delivery delivery, ResultFuture<DeadLetter> result) {
        timeouts.inc();
        result.complete(Collections.singletonList(deadLetter(delivery, "delivery timed out")));
    }

    static DeadLetter deadLetter(Delivery delivery, String reason) {
        DeadLetter d = DeadLetter.of(STAGE, reason, delivery.plaintext);
        d.messageId = delivery.messageId;
        d.userId = delivery.userId;
        d.sessionId = delivery.sessionId;
        d.queueUrl = delivery.queueUrl;
        return d;
    }

    @Override
    public void close() {
        if (sender != null) {
            sender.close();
        }
        if (sqs != null) {
            sqs.close();
        }
    }

    /** Sender events as Flink metrics; synchronized because completions arrive on the HTTP client's threads. */
    private static final class MetricsListener implements BatchingSender.Listener {
        private final Counter sent;
        private final Counter batches;
        private final Counter retries;
        private final Counter queueGone;
        private final Counter failed;
        private final Histogram latencyMillis;

        MetricsListener(MetricGroup metrics) {
            sent = metrics.counter("messagesSent");
            batches = metrics.counter("batchesSent");
            retries = metrics.counter("sendRetries");
            queueGone = metrics.counter("messagesDroppedQueueGone");
            failed = metrics.counter("messagesFailed");
            latencyMillis = metrics.histogram("sendLatencyMillis", new DescriptiveStatisticsHistogram(1000));
        }

        @Override
        public synchronized void batchSent(int entries) {
            batches.inc();
        }

        @Override
        public synchronized void delivered(long latencyNanos) {
            sent.inc();
            latencyMillis.update(TimeUnit.NANOSECONDS.toMillis(latencyNanos));
        }

        @Override
        public synchronized void retried() {
            retries.inc();
        }

        @Override
        public synchronized void queueGone() {
            queueGone.inc();
        }

        @Override
        public synchronized void failed() {
            failed.inc();
        }
    }
}
