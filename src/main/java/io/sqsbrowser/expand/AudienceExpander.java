package io.sqsbrowser.expand;

import io.sqsbrowser.aws.ManagedFlinkMetrics;
import io.sqsbrowser.aws.AwsClients;
import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.crypto.MessageEncryptor;
import io.sqsbrowser.deadletter.DeadLetter;
import io.sqsbrowser.deadletter.Parsed;
import io.sqsbrowser.event.DeliveryEvent;
import io.sqsbrowser.history.HistoryRows;
import io.sqsbrowser.session.AccountIndex;
import io.sqsbrowser.session.QueueUrlStems;
import io.sqsbrowser.session.SessionRecord;
import io.sqsbrowser.session.SessionTableScan;
import io.sqsbrowser.session.UserSessions;
import io.sqsbrowser.sqs.BatchingSender;
import io.sqsbrowser.sqs.SendOutcome;
import io.sqsbrowser.sqs.SenderClients;
import io.sqsbrowser.sqs.SenderMetrics;
import io.sqsbrowser.sqs.SenderSettings;
import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.KeyGroupRange;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.streaming.api.operators.AbstractInput;
import org.apache.flink.streaming.api.operators.AbstractStreamOperatorV2;
import org.apache.flink.streaming.api.operators.Input;
import org.apache.flink.streaming.api.operators.MultipleInputStreamOperator;
import org.apache.flink.streaming.api.operators.StreamOperatorParameters;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;

/**
 * The heart of delivery: session state, held once, and every event expanded to its audience, encrypted per
 * session and handed to SQS.
 *
 * <ul>
 *   <li><b>Sessions</b> are keyed state by user ({@link UserSessions}): each lives in one subtask, rescaling moves
 *       them by key group, and RocksDB can hold them. An in-memory {@link AccountIndex} (rebuilt after a
 *       restore) finds an account's users.
 *   <li><b>User and session events</b> arrive keyed by their user; <b>account and everyone events</b> are
 *       broadcast, and each subtask expands them for its own users.
 *   <li><b>Bounded in bytes.</b> Deliveries are encrypted only as the SQS budget ({@code maxInFlightBytes}, and
 *       a number of messages) allows; the event's plaintext is held once per event, never per recipient. A
 *       fan-out event is handed out one user at a time, in user-id order, so a checkpoint can pass in the middle
 *       of a broadcast and store only the event, the last user handed out and the unconfirmed messages.
 *       Waiting user events go before the next user of a broadcast, so a broadcast never starves them; a
 *       broadcast may also be paced ({@link FanOutPace}), so that it leaves them CPU as well. Events taken and
 *       not finished are bounded in bytes too ({@code maxWaitingEventBytes}): beyond, no more input is taken.
 *   <li><b>Cold start.</b> A subtask started without state first reads the session table ({@link SessionTableScan}
 *       on threads of its own, keeping the users of its key groups) and expands nothing until it has read all of
 *       it: events wait in state, and once {@code maxWaitingEventBytes} of them wait the subtask takes no more
 *       input (backpressure) until the scan ends, applying what the scan finds meanwhile. From then on the change
 *       stream only adds what changed since. A job restored from a checkpoint taken after the scan does not scan.
 * </ul>
 * SQS answers come back on the SDK's threads and are handed to the task thread through the mailbox. Emits dead
 * letters for messages SQS refused for good, and {@link #HISTORY} rows, one per recipient user.
 */
public final class AudienceExpander extends AbstractStreamOperatorV2<DeadLetter> implements MultipleInputStreamOperator<DeadLetter> {
    private static final long serialVersionUID = 1L;
    public static final OutputTag<HistoryRows> HISTORY = new OutputTag<>("history", TypeInformation.of(HistoryRows.class));
    public static final String READ_RECEIPT = "message-read-receipt";
    public static final String STAGE = "delivery";
    /** Flink numbers inputs from 1, in the order they are added to the transformation. */
    public static final int SESSION_CHANGES = 1;
    public static final int USER_EVENTS = 2;
    public static final int FAN_OUT_EVENTS = 3;
    /** Users checked by the sweep each second, and how often a sweep pass may start. */
    private static final int SWEEP_SLICE = 5_000;
    private static final long SWEEP_PASS_MILLIS = 3_600_000L;
    /** Scanned pages applied but not yet taken by the task thread, at most: the scan waits beyond. */
    private static final int SCAN_PAGES_AHEAD = 4;

    /** Everything the expander is configured with. */
    public static final class Settings implements Serializable {
        private static final long serialVersionUID = 1L;
        final AwsSettings aws;
        final SenderSettings sqs;
        final long maxInFlightBytes;
        final long maxWaitingEventBytes;
        /** Messages of account and everyone events handed out per second, at most; 0 (or less) for as fast as SQS takes them. */
        final long fanOutMessagesPerSecond;
        final long tombstoneRetentionMillis;
        /** The session table to scan at a cold start; null for no scan. */
        final String scanTable;
        final int scanSegments;
        /** How long, and how many payload bytes of, recent events are kept for sessions learnt of late ({@link RecentEvents}). */
        final long graceWindowMillis;
        final long graceWindowBytes;

        public Settings(AwsSettings aws, SenderSettings sqs, long maxInFlightBytes, long maxWaitingEventBytes,
                long fanOutMessagesPerSecond, long tombstoneRetentionMillis, String scanTable, int scanSegments,
                long graceWindowMillis, long graceWindowBytes) {
            this.aws = aws;
            this.sqs = sqs;
            this.maxInFlightBytes = maxInFlightBytes;
            this.maxWaitingEventBytes = maxWaitingEventBytes;
            this.fanOutMessagesPerSecond = fanOutMessagesPerSecond;
            this.tombstoneRetentionMillis = tombstoneRetentionMillis;
            this.scanTable = scanTable;
            this.scanSegments = scanSegments;
            this.graceWindowMillis = graceWindowMillis;
            this.graceWindowBytes = graceWindowBytes;
        }
    }

    private final Settings settings;
    private final MailboxExecutor mailbox;
    /** Sessions of one user, by user id: the compact bytes of {@link UserSessions}. */
    private final ValueStateDescriptor<byte[]> sessionsDescriptor;
    private transient ValueState<byte[]> sessions;
    private transient ListState<ExpansionProgress> progressState;
    private transient ListState<RecentEvent> recentState;
    /** The grace window: events taken recently, for sessions the job learns of late. */
    private transient RecentEvents recent;
    private transient Counter catchUps;
    private transient ListState<Boolean> bootstrappedState;
    private transient ListState<String> stemsState;
    private transient QueueUrlStems stems;
    private transient AccountIndex accounts;
    private transient KeyGroupRange ownKeyGroups;
    private transient int maxParallelism;
    private transient boolean gateOpen;
    /** Every expansion not yet finished, in arrival order. */
    private transient Set<Expansion> pending;
    private transient ArrayDeque<Expansion> userEventsToHandOut;
    private transient ArrayDeque<Expansion> fanOutToHandOut;
    private transient List<Expansion> restored;
    private transient long waitingBytes;
    /** Payload bytes of the events taken and not yet finished: each is held (and checkpointed) until then. */
    private transient long heldBytes;
    private transient long inFlightBytes;
    private transient int inFlightMessages;
    private transient int maxInFlightMessages;
    private transient long liveSessions;
    /** How long the last event taken had been on the stream (Kinesis arrival to here): events waiting upstream show. */
    private transient long eventAgeMillis;
    private transient boolean pumping;
    /** Null when fan-out events go as fast as SQS takes them. */
    private transient FanOutPace pace;
    private transient boolean paceWakeScheduled;
    private transient MessageEncryptor encryptor;
    private transient SqsAsyncClient sqs;
    private transient BatchingSender sender;
    private transient ConcurrentLinkedQueue<Settled> settled;
    private transient AtomicBoolean settleScheduled;
    private transient Counter recipients;
    private transient Counter withoutRecipients;
    private transient Counter staleChanges;
    private transient Counter receiptsDelivered;
    private transient Counter scanned;
    private transient Counter forgotten;
    private transient Iterator<String> sweeping;
    private transient long sweepStarted;
    private transient SessionTableScan scan;
    /** Scanned pages handed to the mailbox and not yet applied. */
    private transient Semaphore scanPagesAhead;

    public AudienceExpander(StreamOperatorParameters<DeadLetter> parameters, MailboxExecutor mailbox, Settings settings) {
        super(parameters, 3);
        this.settings = settings;
        this.mailbox = mailbox;
        // No Flink TTL: it would wrap every user's value in an object with a timestamp (24 bytes a user on the heap,
        // 8 in every checkpoint) for what the sessions' own expiry and removal times already say (see sweep).
        sessionsDescriptor = new ValueStateDescriptor<>("sessions", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO);
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        progressState = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>("expansions", ExpansionProgress.class));
        recentState = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>("recent-events", RecentEvent.class));
        bootstrappedState = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>("bootstrapped", Boolean.class));
        stemsState = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>("queue-url-stems", String.class));
        stems = new QueueUrlStems();
        List<String> restoredStems = new ArrayList<>();
        stemsState.get().forEach(restoredStems::add);
        stems.addAll(restoredStems);
        int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        maxParallelism = getRuntimeContext().getTaskInfo().getMaxNumberOfParallelSubtasks();
        ownKeyGroups = KeyGroupRangeAssignment.computeKeyGroupRangeForOperatorIndex(maxParallelism,
                getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks(), subtask);
        List<Boolean> flags = new ArrayList<>();
        bootstrappedState.get().forEach(flags::add);
        // Open only if every subtask had finished its scan: otherwise some key groups may lack sessions.
        gateOpen = settings.scanTable == null || !flags.isEmpty() && flags.stream().allMatch(Boolean::booleanValue);
        restored = new ArrayList<>();
        for (ExpansionProgress p : progressState.get()) {
            Expansion e = resumeHere(p);
            if (e != null) {
                restored.add(e);
            }
        }
        recent = new RecentEvents(settings.graceWindowMillis, settings.graceWindowBytes);
        restoreRecentEvents();
    }

    /**
     * The window's events from the union of every subtask's: the events of this subtask's users, and the fan-out events
     * (each subtask had them all: kept once), oldest first, linked to the expansions restored with them.
     */
    private void restoreRecentEvents() throws Exception {
        Map<String, RecentEvent> kept = new LinkedHashMap<>();
        for (RecentEvent r : recentState.get()) {
            if (r.event.userId == null || ownKeyGroups.contains(keyGroup(r.event.userId))) {
                kept.putIfAbsent(r.event.messageId + '\u0000' + r.event.arrivalMillis + '\u0000' + r.event.userId, r);
            }
        }
        kept.values().stream().sorted(java.util.Comparator.comparingLong(r -> r.takenAtMillis))
                .forEach(r -> recent.add(r.event, r.takenAtMillis, null));
        recent.link(restored);
    }

    /** The part of a checkpointed expansion that falls in this subtask's key groups, or null. */
    private Expansion resumeHere(ExpansionProgress p) {
        if (p.targetUser != null) {
            return ownKeyGroups.contains(keyGroup(p.targetUser)) ? Expansion.restored(p, ownKeyGroups, p.unconfirmed) : null;
        }
        KeyGroupRange covered = ownKeyGroups.getIntersection(new KeyGroupRange(p.firstKeyGroup, p.lastKeyGroup));
        if (covered.getNumberOfKeyGroups() == 0) {
            return null;
        }
        List<String> resend = p.unconfirmed.stream()
                .filter(key -> covered.contains(keyGroup(key.substring(0, key.indexOf('\u0000')))))
                .collect(Collectors.toList());
        return Expansion.restored(p, covered, resend);
    }

    private int keyGroup(String userId) {
        return KeyGroupRangeAssignment.assignToKeyGroup(userId, maxParallelism);
    }

    @Override
    public void open() throws Exception {
        super.open();
        sessions = getPartitionedState(sessionsDescriptor);
        encryptor = new MessageEncryptor();
        pending = new LinkedHashSet<>();
        userEventsToHandOut = new ArrayDeque<>();
        fanOutToHandOut = new ArrayDeque<>();
        settled = new ConcurrentLinkedQueue<>();
        settleScheduled = new AtomicBoolean();
        maxInFlightMessages = settings.sqs.maxInFlightRequests * SenderSettings.MAX_BATCH_ENTRIES;
        MetricGroup metrics = getMetricGroup();
        recipients = metrics.counter("recipientsExpanded");
        withoutRecipients = metrics.counter("eventSharesWithoutRecipients");
        staleChanges = metrics.counter("sessionChangesStale");
        receiptsDelivered = metrics.counter("receiptsDelivered");
        scanned = metrics.counter("sessionsScanned");
        forgotten = metrics.counter("usersForgotten");
        catchUps = metrics.counter("lateSessionCatchUps");
        metrics.gauge("graceWindowBytes", () -> recent.bytes());
        metrics.gauge("graceWindowEvicted", () -> recent.evicted());
        metrics.gauge("sessionsIndexed", () -> liveSessions);
        metrics.gauge("eventsWaitingForSessions", () -> gateOpen ? 0 : pending.size());
        metrics.gauge("expansionsInProgress", () -> pending.size());
        metrics.gauge("inFlightMessages", () -> inFlightMessages);
        ManagedFlinkMetrics.gauge(metrics, ManagedFlinkMetrics.IN_FLIGHT_BYTES, () -> inFlightBytes);
        ManagedFlinkMetrics.gauge(metrics, ManagedFlinkMetrics.EVENT_AGE_MILLIS, () -> eventAgeMillis);
        ManagedFlinkMetrics.gauge(metrics, ManagedFlinkMetrics.HELD_EVENT_BYTES, () -> heldBytes);
        sqs = SenderClients.create(settings.aws, settings.sqs.maxInFlightRequests, settings.sqs.http);
        sender = new BatchingSender(sqs, settings.sqs, new SenderMetrics(metrics));
        if (settings.fanOutMessagesPerSecond > 0) {
            pace = new FanOutPace(settings.fanOutMessagesPerSecond, getProcessingTimeService().getCurrentProcessingTime());
        }
        rebuildAccountIndex();
        sweepStarted = Long.MIN_VALUE / 2;
        getProcessingTimeService().scheduleWithFixedDelay(this::sweepSlice, 1_000, 1_000);
        for (Expansion e : restored) {
            accept(e);
        }
        restored = null;
        if (!gateOpen) {
            startScan();
        }
    }

    /** Pages come back to the task thread as mails; a few may wait there, then the scan's threads wait. */
    private void startScan() {
        scanPagesAhead = new Semaphore(SCAN_PAGES_AHEAD);
        scan = new SessionTableScan(AwsClients.dynamoDb(settings.aws), settings.scanTable, settings.scanSegments);
        scan.start(new SessionTableScan.Receiver() {
            @Override
            public void items(List<Parsed<SessionRecord>> page) throws InterruptedException {
                scanPagesAhead.acquire();
                onTaskThread(() -> applyScanned(page), "scanned sessions");
            }

            @Override
            public void finished() {
                onTaskThread(AudienceExpander.this::openGate, "session scan finished");
            }
        });
    }

    private void applyScanned(List<Parsed<SessionRecord>> page) throws Exception {
        scanPagesAhead.release();
        for (Parsed<SessionRecord> item : page) {
            if (item.deadLetter != null) {
                output.collect(new StreamRecord<>(item.deadLetter));
            } else if (ownKeyGroups.contains(keyGroup(item.value.userId))) {
                setCurrentKey(item.value.userId);
                applySessionChange(item.value);
                scanned.inc();
            }
        }
    }

    private void openGate() {
        LOG.info("Session table read: {} sessions in this subtask's key groups; expanding events", liveSessions);
        gateOpen = true;
        waitingBytes = 0;
        scan.close();
        pump();
    }

    private void onTaskThread(org.apache.flink.util.function.ThrowingRunnable<? extends Exception> action, String what) {
        try {
            mailbox.execute(action, what);
        } catch (RejectedExecutionException closing) {
            // The task is stopping; what was not applied is read again by the scan after a restart.
        }
    }

    /** The account index is not state: it is read back from the restored sessions. */
    private void rebuildAccountIndex() throws Exception {
        accounts = new AccountIndex();
        for (String user : ownUsers()) {
            UserSessions us = read(user);
            if (us != null) {
                accounts.update(user, Set.of(), us.accounts());
                liveSessions += us.notRemoved();
            }
        }
    }

    /** Every user with sessions in this subtask. */
    private List<String> ownUsers() throws Exception {
        try (Stream<Object> keys = getKeyedStateBackend().getKeys(sessionsDescriptor.getName(), VoidNamespace.INSTANCE)) {
            return keys.map(String.class::cast).collect(Collectors.toList());
        }
    }

    /**
     * Forgets, a slice at a time on the task thread, users with nothing left that can matter (every session removed
     * or expired longer ago than the tombstone retention; {@link UserSessions#forgettable}): a pass over every user
     * of the subtask at most once per {@link #SWEEP_PASS_MILLIS}, {@link #SWEEP_SLICE} users a second.
     */
    private void sweepSlice(long processingTime) throws Exception {
        recent.evict(processingTime);
        if (sweeping == null || !sweeping.hasNext()) {
            if (processingTime - sweepStarted < SWEEP_PASS_MILLIS) {
                return;
            }
            sweepStarted = processingTime;
            sweeping = ownUsers().iterator();
        }
        long now = System.currentTimeMillis();
        for (int i = 0; i < SWEEP_SLICE && sweeping.hasNext(); i++) {
            String user = sweeping.next();
            UserSessions us = read(user);
            if (us != null && us.forgettable(now, settings.tombstoneRetentionMillis)) {
                sessions.clear();
                accounts.update(user, us.accounts(), Set.of());
                liveSessions -= us.notRemoved();
                forgotten.inc();
            }
        }
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public List<Input> getInputs() {
        return List.of(
                new AbstractInput<SessionRecord, DeadLetter>(this, SESSION_CHANGES) {
                    @Override
                    public void processElement(StreamRecord<SessionRecord> record) throws Exception {
                        applySessionChange(record.getValue());
                    }
                },
                new AbstractInput<DeliveryEvent, DeadLetter>(this, USER_EVENTS) {
                    @Override
                    public void processElement(StreamRecord<DeliveryEvent> record) throws Exception {
                        DeliveryEvent event = record.getValue();
                        eventAgeMillis = System.currentTimeMillis() - event.arrivalMillis;
                        awaitRoomForEvent();
                        taken(new Expansion(event, event.userId, ownKeyGroups));
                    }
                },
                new AbstractInput<DeliveryEvent, DeadLetter>(this, FAN_OUT_EVENTS) {
                    @Override
                    public void processElement(StreamRecord<DeliveryEvent> record) throws Exception {
                        eventAgeMillis = System.currentTimeMillis() - record.getValue().arrivalMillis;
                        awaitRoomForEvent();
                        taken(new Expansion(record.getValue(), null, ownKeyGroups));
                    }
                });
    }

    /** The current key is the change's user. */
    private void applySessionChange(SessionRecord change) throws Exception {
        UserSessions us = UserSessions.decode(change.userId, sessions.value(), stems);
        Set<String> accountsBefore = us.accounts();
        int before = us.notRemoved();
        SessionRecord known = us.session(change.sessionId);
        if (us.apply(change, System.currentTimeMillis(), settings.tombstoneRetentionMillis) == UserSessions.Change.STALE) {
            staleChanges.inc();
            return;
        }
        if (us.isEmpty()) {
            sessions.clear();
        } else {
            sessions.update(us.encode(stems));
        }
        accounts.update(change.userId, accountsBefore, us.accounts());
        liveSessions += us.notRemoved() - before;
        boolean learntOfNow = !change.removed && (known == null || known.created != change.created);
        if (learntOfNow && gateOpen) {
            catchUp(change);
        }
    }

    /**
     * A session the job learns of only now (the change stream lags) gets the events it missed: those of the grace
     * window sent after it was created ({@link RecentEvents#dueTo}), each aimed at it alone, with the history row of
     * its user for a fan-out event (a user or session event wrote its user's row when it was expanded).
     */
    private void catchUp(SessionRecord session) throws InterruptedException {
        for (DeliveryEvent event : recent.dueTo(session)) {
            catchUps.inc();
            if (event.userId == null && !event.sqsOnly && !READ_RECEIPT.equals(event.type)) {
                output.collect(HISTORY, new StreamRecord<>(new HistoryRows(event.messageId, event.arrivalMillis / 1000, event.type,
                        new String(event.payload, java.nio.charset.StandardCharsets.UTF_8), new ArrayList<>(List.of(session.userId)))));
            }
            accept(Expansion.catchUp(event, session.userId, session.sessionId, ownKeyGroups));
        }
    }

    /** An event from the stream: into the grace window, and to be expanded. */
    private void taken(Expansion e) throws InterruptedException {
        recent.add(e.event, getProcessingTimeService().getCurrentProcessingTime(), e);
        accept(e);
    }

    /**
     * Takes an event. Before the scan has ended it waits in state; once {@code maxWaitingEventBytes} wait, the
     * task takes no more input (the scan's pages still arrive, as mails) until the scan ends.
     */
    private void accept(Expansion e) throws InterruptedException {
        pending.add(e);
        (e.isFanOut() ? fanOutToHandOut : userEventsToHandOut).addLast(e);
        heldBytes += e.event.payload.length;
        if (!gateOpen) {
            waitingBytes += e.event.payload.length;
            while (!gateOpen && waitingBytes >= settings.maxWaitingEventBytes) {
                mailbox.yield();
            }
        }
        pump();
    }

    /**
     * Events can arrive faster than they go out (broadcasts, the more so when paced; any event while SQS is down),
     * and each is held in memory and in every checkpoint until its last message is answered: once
     * {@code maxWaitingEventBytes} of them are held, the next waits, and the subtask takes no more input, until some
     * finish (backpressure, as at a cold start, where the scan's own bound applies), so the job does not run out
     * of memory and lose them all. An event never waits for itself.
     */
    private void awaitRoomForEvent() throws InterruptedException {
        while (gateOpen && heldBytes >= settings.maxWaitingEventBytes) {
            mailbox.yield();
        }
    }

    /**
     * Hands out messages while the SQS budget allows: waiting user events first, then broadcasts in turn, as fast
     * as their pace allows.
     */
    private void pump() {
        if (!gateOpen || pumping) {
            return;
        }
        pumping = true;
        try {
            long nowSeconds = System.currentTimeMillis() / 1000;
            while (inFlightBytes < settings.maxInFlightBytes && inFlightMessages < maxInFlightMessages) {
                Expansion e = userEventsToHandOut.pollFirst();
                if (e == null) {
                    if (fanOutToHandOut.isEmpty() || !paceAllowsFanOut()) {
                        return;
                    }
                    e = fanOutToHandOut.pollFirst();
                }
                int before = inFlightMessages;
                handOutNext(e, nowSeconds);
                if (pace != null && e.isFanOut()) {
                    pace.handedOut(inFlightMessages - before);
                }
                if (e.hasMoreToHandOut()) {
                    (e.isFanOut() ? fanOutToHandOut : userEventsToHandOut).addLast(e);
                } else {
                    emitHistory(e);
                    finishIfDone(e);
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("reading session state failed", e);
        } finally {
            pumping = false;
        }
    }

    /** Whether a fan-out message may go now; if not, the pump runs again once the pace allows one. */
    private boolean paceAllowsFanOut() {
        if (pace == null) {
            return true;
        }
        long now = getProcessingTimeService().getCurrentProcessingTime();
        if (pace.allows(now)) {
            return true;
        }
        if (!paceWakeScheduled) {
            try {
                getProcessingTimeService().registerTimer(pace.nextAllowed(now), time -> {
                    paceWakeScheduled = false;
                    pump();
                });
                paceWakeScheduled = true;
            } catch (IllegalStateException | RejectedExecutionException stopping) {
                // The task is stopping: what was not handed out is in the last checkpoint.
            }
        }
        return false;
    }

    private void handOutNext(Expansion e, long nowSeconds) throws Exception {
        String resend = e.resend.pollFirst();
        if (resend != null) {
            int split = resend.indexOf('\u0000');
            UserSessions us = read(resend.substring(0, split));
            SessionRecord s = us == null ? null : us.session(resend.substring(split + 1));
            if (s != null && s.isLive(nowSeconds) && e.event.matches(s.accountId, s.userId, s.sessionId)) {
                send(e, s);
            }
            return;
        }
        if (e.isFanOut() && !e.started()) {
            e.start(candidates(e));
            if (!e.hasMoreToHandOut()) {
                return;
            }
        }
        String user = e.nextUser();
        UserSessions us = read(user);
        int[] count = {0};
        if (us != null) {
            us.forEachRecipient(e.event.accountId, e.event.sessionId, nowSeconds, s -> {
                send(e, s);
                count[0]++;
            });
        }
        if (READ_RECEIPT.equals(e.event.type)) {
            receiptsDelivered.inc(count[0]);
        } else if (!e.event.sqsOnly && (count[0] > 0 || !e.isFanOut())) {
            // A user or session event's user has a history row even with no live session.
            HistoryRows full = e.historyUser(user);
            if (full != null) {
                output.collect(HISTORY, new StreamRecord<>(full));
            }
        }
    }

    /** The users a fan-out event may reach in its key groups: its account's, or everyone with a session. */
    private Collection<String> candidates(Expansion e) {
        Collection<String> users = e.event.accountId != null ? accounts.users(e.event.accountId) : accounts.allUsers();
        if (e.keyGroups.equals(ownKeyGroups)) {
            return users;
        }
        return users.stream().filter(u -> e.keyGroups.contains(keyGroup(u))).collect(Collectors.toList());
    }

    private UserSessions read(String user) throws Exception {
        setCurrentKey(user);
        byte[] bytes = sessions.value();
        return bytes == null ? null : UserSessions.decode(user, bytes, stems);
    }

    private void send(Expansion e, SessionRecord session) {
        String body = encryptor.encrypt(session.cipher, session.aesKey, e.event.payload);
        Delivery d = new Delivery(e, session, body);
        e.handedOut(d);
        inFlightBytes += body.length();
        inFlightMessages++;
        recipients.inc();
        sender.send(d, outcome -> settledOnSdkThread(d, outcome));
    }

    /** On the SDK's thread: queues the answer for the task thread, with one mail for however many arrive. */
    private void settledOnSdkThread(Delivery d, SendOutcome outcome) {
        settled.add(new Settled(d, outcome));
        if (settleScheduled.compareAndSet(false, true)) {
            try {
                mailbox.execute(this::settle, "SQS answers");
            } catch (RejectedExecutionException closing) {
                // The task is stopping: unconfirmed messages are in the last checkpoint and will be sent again.
            }
        }
    }

    private void settle() {
        settleScheduled.set(false);
        Settled s;
        while ((s = settled.poll()) != null) {
            Delivery d = s.delivery;
            inFlightBytes -= d.body().length();
            inFlightMessages--;
            d.expansion.confirmed(d);
            if (s.outcome.kind == SendOutcome.Kind.FAILED) {
                output.collect(new StreamRecord<>(deadLetter(d, s.outcome.reason)));
            }
            finishIfDone(d.expansion);
        }
        pump();
    }

    private void finishIfDone(Expansion e) {
        if (e.finished() && pending.remove(e)) {
            heldBytes -= e.event.payload.length;
            emitHistory(e);
            if (e.recipients == 0) {
                withoutRecipients.inc();
            }
        }
    }

    private void emitHistory(Expansion e) {
        HistoryRows rows = e.takeHistory();
        if (rows != null) {
            output.collect(HISTORY, new StreamRecord<>(rows));
        }
    }

    private static DeadLetter deadLetter(Delivery d, String reason) {
        DeadLetter dl = DeadLetter.of(STAGE, reason, d.expansion.event.payload);
        dl.messageId = d.expansion.event.messageId;
        dl.userId = d.userId;
        dl.sessionId = d.sessionId;
        dl.queueUrl = d.queueUrl();
        return dl;
    }

    /** History rows noted so far leave before the barrier, so the checkpoint holds no unemitted row. */
    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        pending.forEach(this::emitHistory);
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        progressState.update(pending.stream().map(Expansion::progress).collect(Collectors.toList()));
        recentState.update(recent.snapshot());
        bootstrappedState.update(List.of(gateOpen));
        stemsState.update(stems.stems());
    }

    /**
     * At the end of input (a drained stop), every message is sent before the operator finishes, paced or not:
     * waiting ends once SQS has answered each (retries are bounded by {@code retryForMillis}).
     */
    @Override
    public void finish() throws Exception {
        // Flink fires no more timers once the task finishes (the pace's wake-up would never come), and a drained
        // stop wants everything out: broadcasts go unpaced from here.
        pace = null;
        pump();
        while (gateOpen && !pending.isEmpty()) {
            mailbox.yield();
        }
        super.finish();
    }

    @Override
    public void close() throws Exception {
        if (scan != null) {
            scan.close();
        }
        if (sender != null) {
            sender.close();
        }
        if (sqs != null) {
            sqs.close();
        }
        super.close();
    }

    private static final class Settled {
        final Delivery delivery;
        final SendOutcome outcome;

        Settled(Delivery delivery, SendOutcome outcome) {
            this.delivery = delivery;
            this.outcome = outcome;
        }
    }
}
