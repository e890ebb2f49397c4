package io.sqsbrowser.expand;

import io.sqsbrowser.aws.ManagedFlinkMetrics;
import io.sqsbrowser.session.SessionDirectory;
import java.util.function.LongSupplier;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * The expander's metrics, by the names the dashboard and the alarms use: counters its collaborators report to, and
 * gauges that read them. Counters are touched on the task thread only.
 */
final class ExpanderMetrics implements SessionDirectory.Listener, Recipients.Listener, DeliveryPump.Listener {
    private final MetricGroup group;
    private final Counter recipients;
    private final Counter withoutRecipients;
    private final Counter staleChanges;
    private final Counter receiptsDelivered;
    private final Counter scanned;
    private final Counter forgotten;
    private final Counter catchUps;
    private final Counter rewindCut;

    ExpanderMetrics(MetricGroup group) {
        this.group = group;
        recipients = group.counter("recipientsExpanded");
        withoutRecipients = group.counter("eventSharesWithoutRecipients");
        staleChanges = group.counter("sessionChangesStale");
        receiptsDelivered = group.counter("receiptsDelivered");
        scanned = group.counter("sessionsScanned");
        forgotten = group.counter("usersForgotten");
        catchUps = group.counter("lateSessionCatchUps");
        rewindCut = group.counter("catchUpEventsCut");
    }

    /** The gauges, once the collaborators they read exist. */
    void watch(DeliveryPump pump, DeliveryBudget budget, SessionDirectory directory, RecentEvents recent, LongSupplier eventAgeMillis) {
        group.gauge("graceWindowBytes", recent::bytes);
        group.gauge("graceWindowEvicted", recent::evicted);
        group.gauge("graceWindowEvents", recent::size);
        group.gauge("sessionsIndexed", directory::liveSessions);
        group.gauge("eventsWaitingForSessions", pump::waitingToStart);
        group.gauge("expansionsInProgress", pump::unfinished);
        group.gauge("inFlightMessages", budget::inFlightMessages);
        ManagedFlinkMetrics.gauge(group, ManagedFlinkMetrics.IN_FLIGHT_BYTES, budget::inFlightBytes);
        ManagedFlinkMetrics.gauge(group, ManagedFlinkMetrics.EVENT_AGE_MILLIS, eventAgeMillis::getAsLong);
        ManagedFlinkMetrics.gauge(group, ManagedFlinkMetrics.HELD_EVENT_BYTES, budget::heldEventBytes);
    }

    @Override
    public void recipient() {
        recipients.inc();
    }

    @Override
    public void finishedWithoutRecipients() {
        withoutRecipients.inc();
    }

    @Override
    public void staleChange() {
        staleChanges.inc();
    }

    @Override
    public void userForgotten() {
        forgotten.inc();
    }

    @Override
    public void receiptsDelivered(int messages) {
        receiptsDelivered.inc(messages);
    }

    void sessionScanned() {
        scanned.inc();
    }

    void lateSessionCatchUp() {
        catchUps.inc();
    }

    /** Events a session's catch-up could not give (beyond its rewind's bound, or no longer held). */
    void rewindCut(int events) {
        rewindCut.inc(events);
    }
}
