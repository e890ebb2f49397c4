package io.sqsbrowser.history;

import io.sqsbrowser.aws.ManagedFlinkMetrics;
import io.sqsbrowser.aws.AwsClients;
import io.sqsbrowser.aws.AwsFailures;
import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.aws.CallThreads;
import io.sqsbrowser.deadletter.DeadLetter;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/**
 * Writes history rows with conditional updates ({@code if_not_exists} on every attribute), so replaying the
 * event stream adds no duplicates and never resets {@code is_read} of a message already read; a batch put
 * would replace the whole item. SQS is the live path and history may lag:
 * <ul>
 *   <li>rows are accepted at once, never by waiting: the operator never holds back a checkpoint barrier or the
 *       delivery it is chained to. They wait in a buffer bounded in bytes (each message is held once for all
 *       its users), written with a bounded number of requests; what does not fit while the table is
 *       unavailable becomes a dead letter, as does a row the table refuses for good (access denied, missing
 *       table, validation): the dead letter holds the row, to replay it;
 *   <li>throttling and 5xx are retried with backoff for as long as they last;
 *   <li>rows not yet written are kept in the checkpoint, so a restart loses none.
 * </ul>
 * Requests are made on threads of their own ({@link CallThreads}); DynamoDB's answers are handed to the task thread through the mailbox.
 */
public final class HistoryWriter extends AbstractStreamOperator<DeadLetter> implements OneInputStreamOperator<HistoryRows, DeadLetter> {
    private static final long serialVersionUID = 1L;
    public static final String STAGE = "history";
    /** What one user of a group costs beside the message: its id and the bookkeeping. */
    private static final int BYTES_PER_USER = 64;

    /** How the writer talks to the history table. */
    public static final class Settings implements Serializable {
        private static final long serialVersionUID = 1L;
        public final String table;
        public final long ttlSeconds;
        public final int maxInFlightRequests;
        public final long maxBufferedBytes;
        public final long backoffBaseMillis;
        public final long backoffMaxMillis;
        /** At a drained stop, how long rows may take before the rest become dead letters. */
        public final Duration finishWait;

        public Settings(String table, long ttlSeconds, int maxInFlightRequests, long maxBufferedBytes,
                long backoffBaseMillis, long backoffMaxMillis, Duration finishWait) {
            this.table = table;
            this.ttlSeconds = ttlSeconds;
            this.maxInFlightRequests = maxInFlightRequests;
            this.maxBufferedBytes = maxBufferedBytes;
            this.backoffBaseMillis = backoffBaseMillis;
            this.backoffMaxMillis = backoffMaxMillis;
            this.finishWait = finishWait;
        }
    }

    private final AwsSettings aws;
    private final Settings settings;
    private final transient MailboxExecutor mailbox;
    private transient DynamoDbClient dynamoDb;
    /** Requests are made on threads of their own: the task thread only hands rows out and takes answers. */
    private transient CallThreads requests;
    private transient ListState<HistoryRows> checkpointed;
    /** Groups with users still to write. */
    private transient Set<Group> groups;
    private transient ArrayDeque<Row> waiting;
    private transient int inFlight;
    private transient long bufferedBytes;
    private transient Counter written;
    private transient Counter retried;
    private transient Counter failed;

    public HistoryWriter(AwsSettings aws, Settings settings, MailboxExecutor mailbox) {
        this.aws = aws;
        this.settings = settings;
        this.mailbox = mailbox;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        checkpointed = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("history-unwritten", HistoryRows.class));
        groups = new LinkedHashSet<>();
        waiting = new ArrayDeque<>();
        for (HistoryRows rows : checkpointed.get()) {
            add(rows);
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        written = getMetricGroup().counter("historyRowsWritten");
        retried = getMetricGroup().counter("historyRowRetries");
        failed = getMetricGroup().counter("historyRowsFailed");
        getMetricGroup().gauge("historyRowsUnwritten", () -> groups.stream().mapToInt(g -> g.users.size()).sum());
        ManagedFlinkMetrics.gauge(getMetricGroup(), ManagedFlinkMetrics.HISTORY_BUFFERED_BYTES, () -> bufferedBytes);
        dynamoDb = AwsClients.dynamoDbForHistory(aws, settings.maxInFlightRequests);
        requests = new CallThreads("history-writer", settings.maxInFlightRequests);
        pump();
    }

    @Override
    public void processElement(StreamRecord<HistoryRows> record) {
        HistoryRows rows = record.getValue();
        if (bufferedBytes + bytes(rows) > settings.maxBufferedBytes) {
            for (String user : rows.userIds) {
                refused(rows, user, "history table unavailable: " + (bufferedBytes >> 20) + " MiB of rows already wait to be written");
            }
            return;
        }
        add(rows);
        pump();
    }

    private void add(HistoryRows rows) {
        Group g = new Group(rows);
        groups.add(g);
        bufferedBytes += g.bytes;
        rows.userIds.forEach(user -> waiting.add(new Row(g, user)));
    }

    private static long bytes(HistoryRows rows) {
        return (long) rows.message.length() + (long) BYTES_PER_USER * rows.userIds.size();
    }

    private void pump() {
        while (inFlight < settings.maxInFlightRequests && !waiting.isEmpty()) {
            inFlight++;
            write(waiting.poll());
        }
    }

    private void write(Row row) {
        HistoryRows rows = row.group.rows;
        UpdateItemRequest request = HistoryRowUpdate.request(settings.table, settings.ttlSeconds, row.userId, rows.messageId,
                rows.created, rows.type, rows.message);
        // Whatever the call throws, the SDK's refusal of the request included, completes the future.
        requests.call(() -> dynamoDb.updateItem(request)).whenComplete((ok, error) -> onTaskThread(() -> completed(row, error)));
    }

    private void onTaskThread(Runnable action) {
        try {
            mailbox.execute(action::run, "history write answered");
        } catch (RejectedExecutionException closing) {
            // The task is stopping: the row is in the last checkpoint, or the replay after it writes it again.
        }
    }

    private void completed(Row row, Throwable error) {
        inFlight--;
        if (error == null) {
            written.inc();
            done(row);
        } else {
            Throwable cause = AwsFailures.unwrap(error);
            if (AwsFailures.retryable(cause)) {
                retry(row);
            } else {
                refused(row.group.rows, row.userId, "history table refused the row: " + AwsFailures.describe(cause));
                done(row);
            }
        }
        pump();
    }

    private void retry(Row row) {
        retried.inc();
        row.retries++;
        long delay = AwsFailures.backoffMillis(settings.backoffBaseMillis, settings.backoffMaxMillis, row.retries,
                ThreadLocalRandom.current().nextDouble());
        try {
            getProcessingTimeService().registerTimer(getProcessingTimeService().getCurrentProcessingTime() + delay, time -> {
                waiting.add(row);
                pump();
            });
        } catch (IllegalStateException | RejectedExecutionException stopping) {
            // The task is stopping: the row stays unwritten, in the checkpoint (or a dead letter at a drained stop).
        }
    }

    private void done(Row row) {
        Group g = row.group;
        g.users.remove(row.userId);
        if (g.users.isEmpty() && groups.remove(g)) {
            bufferedBytes -= g.bytes;
        }
    }

    /** A row that will not be written: a dead letter with the row, to replay it into the table. */
    private void refused(HistoryRows rows, String userId, String reason) {
        failed.inc();
        DeadLetter d = DeadLetter.of(STAGE, reason, rows.message.getBytes(StandardCharsets.UTF_8));
        d.messageId = rows.messageId;
        d.userId = userId;
        output.collect(new StreamRecord<>(d));
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        List<HistoryRows> unwritten = new ArrayList<>(groups.size());
        for (Group g : groups) {
            HistoryRows rows = g.rows;
            unwritten.add(new HistoryRows(rows.messageId, rows.created, rows.type, rows.message, new ArrayList<>(g.users)));
        }
        checkpointed.update(unwritten);
    }

    /**
     * At the end of input (a drained stop) the rows still waiting are written, for at most {@code finishWait};
     * what the table still does not take by then becomes dead letters, so a stop never waits for a table that is
     * down.
     */
    @Override
    public void finish() throws Exception {
        long deadline = System.nanoTime() + settings.finishWait.toNanos();
        while (!groups.isEmpty() && System.nanoTime() < deadline) {
            if (!mailbox.tryYield()) {
                Thread.sleep(10);
            }
        }
        for (Group g : List.copyOf(groups)) {
            for (String user : List.copyOf(g.users)) {
                refused(g.rows, user, "history table still unavailable when the job stopped");
            }
        }
        groups.clear();
        waiting.clear();
        super.finish();
    }

    @Override
    public void close() throws Exception {
        if (requests != null) {
            requests.close();
        }
        if (dynamoDb != null) {
            dynamoDb.close();
        }
        super.close();
    }

    /** One message and the users it still has to be written for. */
    private static final class Group {
        final HistoryRows rows;
        final Set<String> users;
        final long bytes;

        Group(HistoryRows rows) {
            this.rows = rows;
            this.users = new LinkedHashSet<>(rows.userIds);
            this.bytes = HistoryWriter.bytes(rows);
        }
    }

    private static final class Row {
        final Group group;
        final String userId;
        int retries;

        Row(Group group, String userId) {
            this.group = group;
            this.userId = userId;
        }
    }
}
