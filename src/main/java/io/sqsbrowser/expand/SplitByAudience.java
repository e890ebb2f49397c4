package io.sqsbrowser.expand;

import io.sqsbrowser.aws.ManagedFlinkMetrics;
import io.sqsbrowser.aws.RecentMaximum;
import io.sqsbrowser.event.DeliveryEvent;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Events for one user (user and session events, receipts) go on as they are, to be keyed by their user and
 * expanded where that user's sessions live; fan-out events (account, everyone, and a session event that names
 * only an account) go to {@link #FAN_OUT}, to be broadcast: every subtask expands them for its own users, so
 * the payload crosses the network once per subtask, never once per recipient.
 */
public final class SplitByAudience extends ProcessFunction<DeliveryEvent, DeliveryEvent> {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<DeliveryEvent> FAN_OUT = new OutputTag<>("fan-out", TypeInformation.of(DeliveryEvent.class));
    /**
     * How long the events split in the last minute had been on the stream, at most (Kinesis arrival to here, in the
     * source's task): beside the expander's {@code eventAgeMillis}, it tells whether events wait before the job reads
     * them or inside it.
     */
    private transient RecentMaximum eventAgeMillis;

    @Override
    public void open(OpenContext context) {
        eventAgeMillis = new RecentMaximum(System::currentTimeMillis);
        ManagedFlinkMetrics.gauge(getRuntimeContext().getMetricGroup(), ManagedFlinkMetrics.EVENT_AGE_READ_MILLIS, eventAgeMillis::value);
    }

    @Override
    public void processElement(DeliveryEvent event, Context ctx, Collector<DeliveryEvent> out) {
        eventAgeMillis.record(System.currentTimeMillis() - event.arrivalMillis);
        if (event.userId != null) {
            out.collect(event);
        } else {
            ctx.output(FAN_OUT, event);
        }
    }
}
