package io.sqsbrowser.cleanup;

import io.sqsbrowser.session.SessionRecord;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.time.Time;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Passes each session's removal on once: keyed by session, so one subtask sees it, and change records that
 * arrive again (at-least-once, or replayed after a restart) are recognised by the item's creation time and
 * version and dropped. A session created again after its removal ends again later, and is cleaned again.
 */
public final class FirstRemovalOnly extends KeyedProcessFunction<String, SessionRecord, SessionRecord> {
    private static final long serialVersionUID = 1L;
    private final long retentionMillis;
    private transient ValueState<SessionRecord> lastRemoval;

    /** @param retentionMillis how long a removal is remembered; longer than the change stream's retention. */
    public FirstRemovalOnly(long retentionMillis) {
        this.retentionMillis = retentionMillis;
    }

    @Override
    public void open(Configuration parameters) {
        ValueStateDescriptor<SessionRecord> descriptor = new ValueStateDescriptor<>("last-removal", SessionRecord.class);
        descriptor.enableTimeToLive(StateTtlConfig.newBuilder(Time.milliseconds(retentionMillis)).build());
        lastRemoval = getRuntimeContext().getState(descriptor);
    }

    @Override
    public void processElement(SessionRecord removal, Context ctx, Collector<SessionRecord> out) throws Exception {
        SessionRecord last = lastRemoval.value();
        if (last == null || newer(removal, last)) {
            lastRemoval.update(removal.tombstone());
            out.collect(removal);
        }
    }

    private static boolean newer(SessionRecord a, SessionRecord b) {
        return a.created != b.created ? a.created > b.created : a.version > b.version;
    }
}
