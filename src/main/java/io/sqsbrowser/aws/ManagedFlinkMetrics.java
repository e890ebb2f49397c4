package io.sqsbrowser.aws;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.metrics.MetricGroup;

/**
 * The job's metrics that Amazon Managed Service for Apache Flink sends to CloudWatch (namespace
 * {@code AWS/KinesisAnalytics}, dimension {@code Application}), for the alarms and the dashboard of the deployment
 * template. The service "reports all metrics created with the group key KinesisAnalytics to CloudWatch", of the
 * Counter, Gauge and Meter types only (https://docs.aws.amazon.com/managed-flink/latest/java/monitoring-metrics-custom.html),
 * so the few that matter to an operator are registered a second time in that group: gauges as they are, counters as
 * rates per second (a meter over the last minute), which mean the same whether CloudWatch sums or samples them.
 * Each operator's own metrics (the Flink UI, the tests, the benchmarks) stay as they are. Names are the constants here:
 * the template test checks that every name an alarm or a widget reads is one a running job registers.
 */
public final class ManagedFlinkMetrics {
    public static final String GROUP = "kinesisanalytics";
    /** Expander: how long the events taken in the last minute had been on the stream, at most (0 when none). */
    public static final String EVENT_AGE_MILLIS = "eventAgeMillis";
    /** Split stage (in the source's task): the same for the events read in the last minute. */
    public static final String EVENT_AGE_READ_MILLIS = "eventAgeReadMillis";
    /** Expander: payloads of events taken and not finished; at {@code HeldEvents.maxBytes} the job stops reading. */
    public static final String HELD_EVENT_BYTES = "heldEventBytes";
    public static final String IN_FLIGHT_BYTES = "inFlightBytes";
    public static final String MESSAGES_SENT_PER_SECOND = "messagesSentPerSecond";
    public static final String SEND_RETRIES_PER_SECOND = "sendRetriesPerSecond";
    /** Messages SQS refused for good, or still failed after {@code retryForMillis}: each became a dead letter. */
    public static final String MESSAGES_FAILED_PER_SECOND = "messagesFailedPerSecond";
    public static final String EVENTS_IN_PER_SECOND = "eventsInPerSecond";
    public static final String EVENTS_INVALID_PER_SECOND = "eventsInvalidPerSecond";
    public static final String DEAD_LETTERS_PER_SECOND = "deadLettersPerSecond";
    /** Dead letters the destination has not taken yet (it is unavailable when this grows). */
    public static final String DEAD_LETTERS_WAITING = "deadLettersWaiting";
    /** History rows waiting for the table (throttled or down when this grows). */
    public static final String HISTORY_BUFFERED_BYTES = "historyBufferedBytes";

    private ManagedFlinkMetrics() {}

    /** Every name above: what the deployment's alarms and dashboard may read of the job's own. */
    public static java.util.Set<String> names() {
        java.util.Set<String> names = new java.util.TreeSet<>();
        for (java.lang.reflect.Field f : ManagedFlinkMetrics.class.getFields()) {
            if (f.getType() == String.class && !f.getName().equals("GROUP")) {
                try {
                    names.add((String) f.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return names;
    }

    /** Registers the gauge in the operator's group and in the group sent to CloudWatch. */
    public static <T> void gauge(MetricGroup operator, String name, Gauge<T> gauge) {
        operator.gauge(name, gauge);
        operator.addGroup(GROUP).gauge(name, gauge);
    }

    /** {@code counter}'s rate per second over the last minute. */
    public static void rate(MetricGroup operator, String name, Counter counter) {
        operator.addGroup(GROUP).meter(name, new MeterView(counter));
    }
}
