package io.sqsbrowser.sqs;

import io.sqsbrowser.aws.ManagedFlinkMetrics;
import java.util.concurrent.TimeUnit;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/** The sender's events as Flink metrics; synchronized because answers arrive on the HTTP client's threads. */
public final class SenderMetrics implements BatchingSender.Listener {
    private final Counter sent;
    private final Counter batches;
    private final Counter retries;
    private final Counter queueGone;
    private final Counter failed;
    private final Histogram latencyMillis;

    public SenderMetrics(MetricGroup metrics) {
        sent = metrics.counter("messagesSent");
        batches = metrics.counter("batchesSent");
        retries = metrics.counter("sendRetries");
        queueGone = metrics.counter("messagesDroppedQueueGone");
        failed = metrics.counter("messagesFailed");
        latencyMillis = metrics.histogram("sendLatencyMillis", new DescriptiveStatisticsHistogram(1000));
        ManagedFlinkMetrics.rate(metrics, ManagedFlinkMetrics.MESSAGES_SENT_PER_SECOND, sent);
        ManagedFlinkMetrics.rate(metrics, ManagedFlinkMetrics.SEND_RETRIES_PER_SECOND, retries);
        ManagedFlinkMetrics.rate(metrics, ManagedFlinkMetrics.MESSAGES_FAILED_PER_SECOND, failed);
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
