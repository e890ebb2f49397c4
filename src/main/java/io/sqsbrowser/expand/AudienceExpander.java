package io.sqsbrowser.expand;

import io.sqsbrowser.crypto.MessageEncryptor;
import io.sqsbrowser.event.DeliveryEvent;
import io.sqsbrowser.session.SessionDirectory;
import io.sqsbrowser.session.SessionRecord;
import io.sqsbrowser.history.HistoryRow;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;
import java.util.function.Consumer;
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
import org.apache.flink.util.OutputTag;

/**
 * Joins events with the session state: every subtask holds all sessions in broadcast state, and turns
 * each event share it receives into one encrypted {@link Delivery} per live recipient in that share.
 */
public final class AudienceExpander extends BroadcastProcessFunction<EventShare, SessionRecord, Delivery>
        implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;

    /** History rows, one per recipient user, for the history writer. */
    public static final OutputTag<HistoryRow> HISTORY = new OutputTag<>("history", TypeInformation.of(HistoryRow.class));
    public static final String READ_RECEIPT = "message-read-receipt";

    public static final MapStateDescriptor<String, SessionRecord> SESSIONS = new MapStateDescriptor<>(
            "sessions", BasicTypeInfo.STRING_TYPE_INFO, TypeInformation.of(SessionRecord.class));

    private final long tombstoneRetentionMillis;
    private transient SessionDirectory directory;
    private transient MessageEncryptor encryptor;
    private transient long lastPurgeMillis;
    private transient Counter recipients;
    private transient Counter eventsWithoutRecipients;
    private transient Counter staleChanges;
    private transient Counter receiptsDelivered;

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
        receiptsDelivered = getRuntimeContext().getMetricGroup().counter("receiptsDelivered");
        getRuntimeContext().getMetricGroup().gauge("sessionsIndexed", () -> directory.size());
    }

    @Override
    public void processElement(EventShare share, ReadOnlyContext ctx, Collector<Delivery> out) {
        DeliveryEvent event = share.event;
        long now = System.currentTimeMillis() / 1000;
        // Only a session event without a userId needs its users collected, for their history rows.
        Set<String> users = event.scope() == DeliveryEvent.Scope.SESSION && event.userId == null ? new HashSet<>() : null;
        int[] count = {0};
        directory.forEachRecipient(event, share.partition, share.shareCount, now, session -> {
            out.collect(delivery(event, session));
            count[0]++;
            if (users != null) {
                users.add(session.userId);
            }
        });
        recipients.inc(count[0]);
        if (count[0] == 0) {
            eventsWithoutRecipients.inc();
        }
        if (READ_RECEIPT.equals(event.type)) {
            receiptsDelivered.inc(count[0]);
        } else if (!event.sqsOnly) {
            history(event, share, now, users, ctx);
        }
    }

    /**
     * One history row per recipient user: a user or session event's user even with no live session; for an
     * account or everyone event, the users of this share (by user id) that have a live recipient session.
     */
    private void history(DeliveryEvent event, EventShare share, long now, Set<String> sessionUsers, ReadOnlyContext ctx) {
        String message = new String(event.payload, StandardCharsets.UTF_8);
        long created = event.arrivalMillis / 1000;
        Consumer<String> row = user -> ctx.output(HISTORY, new HistoryRow(user, event.messageId, created, event.type, message));
        if (event.scope().fansOut()) {
            directory.forEachRecipientUser(event, share.partition, share.shareCount, now, row);
        } else if (event.userId != null) {
            row.accept(event.userId);
        } else {
            sessionUsers.forEach(row);
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
