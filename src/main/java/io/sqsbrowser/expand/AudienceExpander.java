package io.sqsbrowser.expand;

import io.sqsbrowser.aws.RecentMaximum;
import io.sqsbrowser.crypto.CtrCounters;
import io.sqsbrowser.crypto.MessageEncryptor;

import io.sqsbrowser.deadletter.DeadLetter;
import io.sqsbrowser.event.DeliveryEvent;
import io.sqsbrowser.event.FanOutScope;
import io.sqsbrowser.history.HistoryRows;
import io.sqsbrowser.session.SessionDirectory;
import io.sqsbrowser.session.SessionRecord;
import io.sqsbrowser.session.SessionScan;
import io.sqsbrowser.sqs.MessageSender;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractInput;
import org.apache.flink.streaming.api.operators.AbstractStreamOperatorV2;
import org.apache.flink.streaming.api.operators.Input;
import org.apache.flink.streaming.api.operators.MultipleInputStreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * The heart of delivery, as an operator shell: Flink's lifecycle, three inputs and the state, with the work handed to
 * plain classes. One event share goes, top to bottom:
 * <ol>
 *   <li>an input takes the event ({@link #take}) once the {@link DeliveryBudget} has room, into the grace window
 *       ({@link RecentEvents}) and the {@link DeliveryPump};
 *   <li>the pump, in turn with other events, asks {@link Recipients} for the next step's sessions (from the
 *       {@link SessionDirectory}), encrypts each message and hands it to the {@link SqsDeliverer};
 *   <li>SQS's answers come back to the task thread through the mailbox, and the pump settles them: budget back, dead
 *       letters for what SQS refused, history rows once the event is finished.
 * </ol>
 * Beside it, session changes update the directory (a session learnt of late gets what it missed from the grace window),
 * and a subtask started without state reads the session table first ({@link ColdStart}). User and session events
 * arrive keyed by user; account and everyone events are broadcast, and each subtask expands them for the users of its
 * own key groups ({@link KeyGroups}). Emits dead letters, and {@link #HISTORY} rows (one per recipient user).
 */
public final class AudienceExpander extends AbstractStreamOperatorV2<DeadLetter> implements MultipleInputStreamOperator<DeadLetter> {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<HistoryRows> HISTORY = new OutputTag<>("history", TypeInformation.of(HistoryRows.class));
    /** Flink numbers inputs from 1, in the order they are added to the transformation. */
    public static final int SESSION_CHANGES = 1;
    public static final int USER_EVENTS = 2;
    public static final int FAN_OUT_EVENTS = 3;
    /** State names: part of every savepoint, never to be renamed. */
    private static final String SESSIONS = "sessions";
    private static final long SWEEP_MILLIS = 1_000;

    private final DeliverySettings settings;
    private final MessageSender.Factory senders;
    /** Null when a cold start does not read the session table. */
    private final SessionScan.Factory scans;
    private final MailboxExecutor mailbox;
    /** Sessions of one user, by user id: the compact bytes of {@code UserSessions}. */
    private final ValueStateDescriptor<byte[]> sessionsDescriptor;
    // Union state: after a restore, at any parallelism, every subtask reads all of it and keeps its part.
    private transient ListState<ExpansionProgress> expansionsState;
    private transient ListState<RecentEvent> recentState;
    private transient ListState<Boolean> scanEndedState;
    private transient ListState<String> stemsState;
    private transient ListState<Long> ctrReachedState;
    private transient ListState<ScopeLogCoverage> scopeLogCoverageState;
    private transient KeyGroups keyGroups;
    private transient List<Expansion> restored;
    private transient RecentEvents recent;
    private transient SessionDirectory directory;
    private transient ColdStart coldStart;
    private transient DeliveryPump pump;
    private transient SqsDeliverer deliverer;
    private transient ExpanderMetrics metrics;
    /** How long the events taken in the last minute had been on the stream, at most: events waiting upstream show. */
    private transient RecentMaximum eventAgeMillis;

    public AudienceExpander(StreamOperatorParameters<DeadLetter> parameters, MailboxExecutor mailbox, DeliverySettings settings,
            MessageSender.Factory senders, SessionScan.Factory scans) {
        super(parameters, 3);
        this.settings = settings;
        this.senders = senders;
        this.scans = scans;
        this.mailbox = mailbox;
        // No Flink TTL: it would wrap every user's value in an object with a timestamp (24 bytes a user on the heap,
        // 8 in every checkpoint) for what the sessions' own expiry and removal times already say (see the sweep).
        sessionsDescriptor = new ValueStateDescriptor<>(SESSIONS, PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        expansionsState = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>("expansions", ExpansionProgress.class));
        recentState = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>("recent-events", RecentEvent.class));
        scanEndedState = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>("bootstrapped", Boolean.class));
        stemsState = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>("queue-url-stems", String.class));
        // Where the snapshot's CTR counter sequences had reached, every subtask's: a new job starts past all of them.
        ctrReachedState = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>("ctr-reached-millis", Long.class));
        // From when the scope log holds every fan-out event, and what it lost: written by the subtask that writes the log.
        scopeLogCoverageState = context.getOperatorStateStore().getUnionListState(
                new ListStateDescriptor<>("scope-log-coverage", ScopeLogCoverage.class));
        keyGroups = new KeyGroups(getRuntimeContext().getTaskInfo().getMaxNumberOfParallelSubtasks(),
                getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks(), getRuntimeContext().getTaskInfo().getIndexOfThisSubtask());
        restored = new ArrayList<>();
        for (ExpansionProgress p : expansionsState.get()) {
            Expansion e = keyGroups.resume(p);
            if (e != null) {
                restored.add(e);
            }
        }
        // A job started without state holds the fan-out events from now on; a restored one, what its checkpoint said.
        ScopeLog scopeLog = new ScopeLog(settings.rewindWindowMillis, settings.graceWindowMillis, settings.rewindMaxEvents,
                settings.rewindMaxBytes, getProcessingTimeService().getCurrentProcessingTime());
        scopeLog.restoreCoverage(scopeLogCoverageState.get());
        recent = new RecentEvents(settings.graceWindowMillis, settings.graceWindowBytes, settings.rewindMaxEvents, scopeLog);
        keyGroups.recentEvents(recentState.get()).forEach(r -> recent.add(r.event, r.takenAtMillis, null));
        recent.link(restored);
    }

    @Override
    public void open() throws Exception {
        super.open();
        metrics = new ExpanderMetrics(getMetricGroup());
        List<String> stems = new ArrayList<>();
        stemsState.get().forEach(stems::add);
        directory = new SessionDirectory(new KeyedSessionStore(getKeyedStateBackend(), getPartitionedState(sessionsDescriptor), SESSIONS),
                stems, settings.tombstoneRetentionMillis, metrics);
        TaskThread taskThread = TaskThread.of(mailbox);
        deliverer = new SqsDeliverer(senders.create(getMetricGroup()), taskThread, (d, outcome) -> pump.answered(d, outcome), () -> pump.pump());
        DeliveryBudget budget = new DeliveryBudget(settings.maxHeldEventBytes, settings.maxInFlightBytes, settings.maxInFlightMessages);
        long ctrReached = 0;
        for (Long reached : ctrReachedState.get()) {
            ctrReached = Math.max(ctrReached, reached);
        }
        MessageEncryptor encryptor = new MessageEncryptor(new CtrCounters(getRuntimeContext().getTaskInfo().getAttemptNumber(),
                ctrReached));
        pump = new DeliveryPump(budget, pace(), new Recipients(directory, keyGroups, this::emitHistory, metrics, fanOutRowPerUser()), encryptor,
                deliverer, new PumpOutput(), processingTime(), metrics);
        eventAgeMillis = new RecentMaximum(getProcessingTimeService()::getCurrentProcessingTime);
        metrics.watch(pump, budget, directory, recent, eventAgeMillis::value);
        getProcessingTimeService().scheduleWithFixedDelay(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS);
        restored.forEach(pump::take);
        restored = null;
        List<Boolean> scanEnded = new ArrayList<>();
        scanEndedState.get().forEach(scanEnded::add);
        coldStart = new ColdStart(scans, scanEnded, taskThread);
        coldStart.begin(new ScannedSessions());
    }

    private FanOutPace pace() {
        return settings.fanOutMessagesPerSecond > 0
                ? new FanOutPace(settings.fanOutMessagesPerSecond, getProcessingTimeService().getCurrentProcessingTime())
                : null;
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public List<Input> getInputs() {
        return List.of(
                new AbstractInput<SessionRecord, DeadLetter>(this, SESSION_CHANGES) {
                    @Override
                    public void processElement(StreamRecord<SessionRecord> record) {
                        applySessionChange(record.getValue());
                    }
                },
                new AbstractInput<DeliveryEvent, DeadLetter>(this, USER_EVENTS) {
                    @Override
                    public void processElement(StreamRecord<DeliveryEvent> record) throws InterruptedException {
                        take(record.getValue(), record.getValue().userId);
                    }
                },
                new AbstractInput<DeliveryEvent, DeadLetter>(this, FAN_OUT_EVENTS) {
                    @Override
                    public void processElement(StreamRecord<DeliveryEvent> record) throws InterruptedException {
                        take(record.getValue(), null);
                    }
                });
    }

    /**
     * Takes an event once the budget has room for it: until then the task takes no more input (its mails, SQS's
     * answers and the scan's pages, still run), so what is held stays bounded however fast events arrive.
     */
    private void take(DeliveryEvent event, String targetUser) throws InterruptedException {
        while (!pump.hasRoomForEvent()) {
            mailbox.yield();
        }
        long now = getProcessingTimeService().getCurrentProcessingTime();
        eventAgeMillis.record(now - event.arrivalMillis);
        Expansion e = new Expansion(event, targetUser, keyGroups.range());
        recent.add(event, now, e);
        pump.take(e);
        keepOncePerScope(event);
    }

    /**
     * A fan-out event's row under its scope ({@code include} reads it, whatever the users' rows): written by the one
     * subtask whose key groups hold the scope's name, as a user's row would be.
     */
    private void keepOncePerScope(DeliveryEvent event) {
        String scope = FanOutScope.of(event);
        if (scope != null && event.keepsHistory() && keyGroups.owns(scope)) {
            emitHistory(new HistoryRows(event.messageId, event.arrivalMillis / 1000, event.type,
                    new String(event.payload, java.nio.charset.StandardCharsets.UTF_8), new ArrayList<>(List.of(scope))));
        }
    }

    private boolean fanOutRowPerUser() {
        return settings.fanOutRows == DeliverySettings.FanOutRows.PER_RECIPIENT;
    }

    /**
     * The change stream lags: a session the job learns of only now, or that follows more topics only now, gets the
     * events of the grace window it missed, and those of the rewind it asked for ({@link RecentEvents#dueTo},
     * {@link RecentEvents#dueToNewlyFollowed}).
     */
    private void applySessionChange(SessionRecord change) {
        // What was known of a session that follows topics now, to tell which it newly follows (most sessions follow none:
        // no second read of their user's state for them).
        SessionRecord before = coldStart.isOver() && change.topics.length > 0 ? directory.session(change.userId, change.sessionId) : null;
        long now = getProcessingTimeService().getCurrentProcessingTime();
        SessionDirectory.Applied applied = directory.apply(change, now);
        if (applied == SessionDirectory.Applied.LEARNT_OF && coldStart.isOver()) {
            catchUp(change, recent.dueTo(change, now));
        } else if (applied == SessionDirectory.Applied.CHANGED && before != null) {
            catchUp(change, recent.dueToNewlyFollowed(before, change, now));
        }
    }

    /**
     * Each event a session missed, aimed at it alone, oldest first; what it must go without (beyond its rewind's bound,
     * or no longer held) leaves as many numbers of its sequence unused, so that its client sees the gap.
     */
    private void catchUp(SessionRecord session, CatchUp missed) {
        if (missed.cut > 0) {
            metrics.rewindCut(missed.cut);
            directory.skipSequence(session.userId, session.sessionId, missed.cut);
        }
        for (DeliveryEvent event : missed.events) {
            metrics.lateSessionCatchUp();
            pump.take(Expansion.catchUp(event, session.userId, session.sessionId, keyGroups.range(), fanOutRowPerUser()));
        }
    }

    private void sweep(long now) {
        recent.evict(now);
        directory.sweep(now);
    }

    private void emitHistory(HistoryRows rows) {
        output.collect(HISTORY, new StreamRecord<>(rows));
    }

    /** History rows noted so far leave before the barrier, so the checkpoint holds no unemitted row. */
    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        pump.emitNotedHistory();
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        expansionsState.update(pump.progress());
        // Every subtask holds the same fan-out events: the first writes them (and what the log lost) for all.
        boolean writesTheLog = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0;
        recentState.update(recent.snapshot(writesTheLog));
        scopeLogCoverageState.update(writesTheLog ? recent.coverage() : List.of());
        scanEndedState.update(List.of(coldStart.isOver()));
        stemsState.update(directory.stems());
        ctrReachedState.update(List.of(pump.ctrReachedMillis()));
    }

    /**
     * At the end of input (a drained stop), every message is sent before the operator finishes, unpaced (Flink fires
     * no more timers once the task finishes): waiting ends once SQS has answered each ({@code Sqs.retryForMillis}
     * bounds the retries).
     */
    @Override
    public void finish() throws Exception {
        pump.unpace();
        pump.pump();
        while (coldStart.isOver() && !pump.idle()) {
            mailbox.yield();
        }
        super.finish();
    }

    @Override
    public void close() throws Exception {
        if (coldStart != null) {
            coldStart.close();
        }
        if (deliverer != null) {
            deliverer.close();
        }
        super.close();
    }

    private DeliveryPump.ProcessingTime processingTime() {
        ProcessingTimeService service = getProcessingTimeService();
        return new DeliveryPump.ProcessingTime() {
            @Override
            public long now() {
                return service.getCurrentProcessingTime();
            }

            @Override
            public boolean wakeAt(long time, Runnable action) {
                try {
                    service.registerTimer(time, t -> action.run());
                    return true;
                } catch (IllegalStateException | RejectedExecutionException stopping) {
                    return false; // what was not handed out is in the last checkpoint
                }
            }
        };
    }

    /** The pump's history rows and dead letters, emitted. */
    private final class PumpOutput implements DeliveryPump.Output {
        @Override
        public void history(HistoryRows rows) {
            emitHistory(rows);
        }

        @Override
        public void deadLetter(DeadLetter deadLetter) {
            output.collect(new StreamRecord<>(deadLetter));
        }
    }

    /** The cold start's scan: sessions of this subtask's key groups are applied, invalid items become dead letters. */
    private final class ScannedSessions implements ColdStart.Sessions {
        @Override
        public void scanned(SessionRecord session) {
            if (keyGroups.owns(session.userId)) {
                applySessionChange(session);
                metrics.sessionScanned();
            }
        }

        @Override
        public void invalid(DeadLetter deadLetter) {
            output.collect(new StreamRecord<>(deadLetter));
        }

        @Override
        public void over() {
            LOG.info("Expanding events: {} sessions known in this subtask's key groups", directory.liveSessions());
            pump.start();
        }
    }
}
