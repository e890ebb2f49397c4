package io.sqsbrowser.expand;

import io.sqsbrowser.crypto.MessageEncryptor;
import io.sqsbrowser.event.DeliveryEvent;
import io.sqsbrowser.session.SessionDirectory;
import io.sqsbrowser.session.SessionRecord;
import java.util.Iterator;
import java.util.Map;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.BasicTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Joins events with the session state: every subtask holds all sessions in broadcast state, and turns
 * each event share it receives into one encrypted {@link Delivery} per live recipient in that share.
 */
public final class AudienceExpander extends BroadcastProcessFunction<EventShare, SessionRecord, Delivery>
        implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;

    public static final MapStateDescriptor<String, SessionRecord> SESSIONS = new MapStateDescriptor<>(
            "sessions", BasicTypeInfo.STRING_TYPE_INFO, TypeInformation.of(SessionRecord.class));

    private final long tombstoneRetentionMillis;
    private transient SessionDirectory directory;
    private transient MessageEncryptor encryptor;
    private transient long lastPurgeMillis;
    private transient Counter recipients;
    private transient Counter eventsWithoutRecipients;
    private transient Counter staleChanges;

    /** @param tombstoneRetentionMillis how long a removal is remembered, to outrank late or repeated changes. */
    public AudienceExpander(long tombstoneRetentionMillis) {
        this.tombstoneRetentionMillis = tombstoneRetentionMillis;
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        directory = new SessionDirectory();
        for (Map.Entry<String, SessionRecord> e : context.getOperatorStateStore().getBroadcastState(SESSIONS).entries()) {
            directory.replace(null, e.getValue());
        }
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) {
        // Broadcast state is snapshotted by Flink; the directory is rebuilt from it on restore.
    }

    @Override
    public void open(Configuration parameters) {
        encryptor = new MessageEncryptor();
        recipients = getRuntimeContext().getMetricGroup().counter("recipientsExpanded");
        eventsWithoutRecipients = getRuntimeContext().getMetricGroup().counter("eventSharesWithoutRecipients");
        staleChanges = getRuntimeContext().getMetricGroup().counter("sessionChangesStale");
        getRuntimeContext().getMetricGroup().gauge("sessionsIndexed", () -> directory.size());
    }

    @Override
    public void processElement(EventShare share, ReadOnlyContext ctx, Collector<Delivery> out) {
        DeliveryEvent event = share.event;
        long before = recipients.getCount();
        directory.forEachRecipient(event, share.partition, share.shareCount, System.currentTimeMillis() / 1000,
                session -> {
                    out.collect(delivery(event, session));
                    recipients.inc();
                });
        if (recipients.getCount() == before) {
            eventsWithoutRecipients.inc();
        }
    }

    private Delivery delivery(DeliveryEvent event, SessionRecord session) {
        Delivery d = new Delivery();
        d.queueUrl = session.queueUrl;
        d.messageId = event.messageId;
        d.userId = session.userId;
        d.sessionId = session.sessionId;
        d.body = encryptor.encrypt(session.cipher, session.aesKey, event.payload);
        d.plaintext = event.payload;
        d.eventArrivalMillis = event.arrivalMillis;
        return d;
    }

    @Override
    public void processBroadcastElement(SessionRecord change, Context ctx, Collector<Delivery> out) throws Exception {
        BroadcastState<String, SessionRecord> state = ctx.getBroadcastState(SESSIONS);
        String key = change.key();
        SessionRecord current = state.get(key);
        if (!change.supersedes(current)) {
            staleChanges.inc();
            return;
        }
        SessionRecord stored = change.removed ? change.tombstone() : change;
        state.put(key, stored);
        directory.replace(current, stored);
        purgeTombstones(state);
    }

    /** Forgets removals older than the retention, at most once per tenth of it. */
    private void purgeTombstones(BroadcastState<String, SessionRecord> state) throws Exception {
        long now = System.currentTimeMillis();
        if (now - lastPurgeMillis < tombstoneRetentionMillis / 10) {
            return;
        }
        lastPurgeMillis = now;
        Iterator<Map.Entry<String, SessionRecord>> it = state.iterator();
        while (it.hasNext()) {
            SessionRecord r = it.next().getValue();
            if (r.removed && r.changedMillis < now - tombstoneRetentionMillis) {
                it.remove();
            }
        }
    }
}
