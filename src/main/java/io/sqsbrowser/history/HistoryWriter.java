package io.sqsbrowser.history;

import io.sqsbrowser.aws.AwsClients;
import io.sqsbrowser.aws.AwsFailures;
import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.aws.CallThreads;
import io.sqsbrowser.aws.ManagedFlinkMetrics;
import io.sqsbrowser.deadletter.DeadLetter;
import io.sqsbrowser.deadletter.DeadLetterWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/**
 * Writes history rows with conditional updates ({@code if_not_exists} on every attribute, {@link HistoryRowUpdate}),
 * so replaying the event stream adds no duplicates and never resets {@code is_read} of a message already read; a batch
 * put would replace the whole item. SQS is the live path and history may lag:
 * <ul>
 *   <li>rows are accepted at once, never by waiting: the writer never holds back a checkpoint barrier or the delivery
 *       upstream. They wait in a buffer bounded in bytes (each message is held once for all its users), written with a
 *       bounded number of requests; what does not fit while the table is unavailable becomes a dead letter, as does a
 *       row the table refuses for good (access denied, missing table, validation): the dead letter holds the row, to
 *       replay it, and is written to the job's dead-letter destination by a {@link DeadLetterWriter} of this writer;
 *   <li>throttling and 5xx are retried with backoff (processing-time timers) for as long as they last;
 *   <li>rows not yet written, and dead letters not yet written, are kept in the checkpoint, so a restart loses none.
 * </ul>
 * Requests are made on threads of their own ({@link CallThreads}); DynamoDB's answers come back to the task thread
 * through the mailbox, and everything else happens there.
 */
final class HistoryWriter implements StatefulSinkWriter<HistoryRows, UnwrittenHistory> {
    static final String STAGE = "history";
    /** What one user of a group costs beside the message: its id and the bookkeeping. */
    private static final int BYTES_PER_USER = 64;

    private final HistorySettings settings;
    private final MailboxExecutor mailbox;
    private final ProcessingTimeService time;
    private final DeadLetterWriter deadLetters;
    private final DynamoDbClient dynamoDb;
    /** Requests are made on threads of their own: the task thread only hands rows out and takes answers. */
    private final CallThreads requests;
    /** Groups with users still to write. */
    private final Set<Group> groups = new LinkedHashSet<>();
    private final ArrayDeque<Row> waiting = new ArrayDeque<>();
    private int inFlight;
    private long bufferedBytes;
    private final Counter written;
    private final Counter retried;
    private final Counter failed;

    HistoryWriter(AwsSettings aws, HistorySettings settings, MailboxExecutor mailbox, ProcessingTimeService time,
            DeadLetterWriter deadLetters, MetricGroup metrics, Collection<UnwrittenHistory> restored) {
        this.settings = settings;
        this.mailbox = mailbox;
        this.time = time;
        this.deadLetters = deadLetters;
        written = metrics.counter("historyRowsWritten");
        retried = metrics.counter("historyRowRetries");
        failed = metrics.counter("historyRowsFailed");
        metrics.gauge("historyRowsUnwritten", () -> groups.stream().mapToInt(g -> g.users.size()).sum());
        ManagedFlinkMetrics.gauge(metrics, ManagedFlinkMetrics.HISTORY_BUFFERED_BYTES, () -> bufferedBytes);
        dynamoDb = AwsClients.dynamoDbForHistory(aws, settings.maxInFlightRequests);
        requests = new CallThreads("history-writer", settings.maxInFlightRequests);
        for (UnwrittenHistory u : restored) {
            if (u.rows != null) {
                add(u.rows);
            } else {
                deadLetters.add(u.deadLetter);
            }
        }
        pump();
    }

    @Override
    public void write(HistoryRows rows, Context context) throws InterruptedException {
        if (bufferedBytes + bytes(rows) > settings.maxBufferedBytes) {
            for (String user : rows.userIds) {
                deadLetters.write(refused(rows, user, "history table unavailable: " + (bufferedBytes >> 20)
                        + " MiB of rows already wait to be written"));
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
            request(waiting.poll());
        }
    }

    private void request(Row row) {
        HistoryRows rows = row.group.rows;
        UpdateItemRequest request = HistoryRowUpdate.request(settings.table, settings.ttlSeconds, row.userId, rows.messageId,
                rows.created, rows.type, rows.message);
        // Whatever the call throws, the SDK's refusal of the request included, completes the future.
        requests.call(() -> dynamoDb.updateItem(request)).whenComplete((ok, error) -> onTaskThread(() -> answered(row, error)));
    }

    private void onTaskThread(Runnable action) {
        try {
            mailbox.execute(action::run, "history write answered");
        } catch (RejectedExecutionException closing) {
            // The task is stopping: the row is in the last checkpoint, or the replay after it writes it again.
        }
    }

    private void answered(Row row, Throwable error) {
        inFlight--;
        if (error == null) {
            written.inc();
            done(row);
        } else {
            Throwable cause = AwsFailures.unwrap(error);
            if (AwsFailures.retryable(cause)) {
                retry(row);
            } else {
                // In a mail: taken at once (waiting for the dead-letter destination's room would nest mails).
                deadLetters.add(refused(row.group.rows, row.userId, "history table refused the row: " + AwsFailures.describe(cause)));
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
            time.registerTimer(time.getCurrentProcessingTime() + delay, now -> {
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
    private DeadLetter refused(HistoryRows rows, String userId, String reason) {
        failed.inc();
        DeadLetter d = DeadLetter.of(STAGE, reason, rows.message.getBytes(StandardCharsets.UTF_8));
        d.messageId = rows.messageId;
        d.userId = userId;
        return d;
    }

    /**
     * At the end of input (a drained stop) the rows still waiting are written, for at most {@code finishWait}; what the
     * table still does not take by then becomes dead letters, so a stop never waits for a table that is down. A
     * checkpoint waits for nothing: what is unwritten is in it.
     */
    @Override
    public void flush(boolean endOfInput) throws InterruptedException {
        if (!endOfInput) {
            return;
        }
        long deadline = System.nanoTime() + settings.finishWait.toNanos();
        while (!groups.isEmpty() && System.nanoTime() < deadline) {
            if (!mailbox.tryYield()) {
                Thread.sleep(10);
            }
        }
        for (Group g : List.copyOf(groups)) {
            for (String user : List.copyOf(g.users)) {
                deadLetters.add(refused(g.rows, user, "history table still unavailable when the job stopped"));
            }
        }
        groups.clear();
        waiting.clear();
    }

    @Override
    public List<UnwrittenHistory> snapshotState(long checkpointId) {
        List<UnwrittenHistory> unwritten = new ArrayList<>(groups.size());
        for (Group g : groups) {
            HistoryRows rows = g.rows;
            unwritten.add(UnwrittenHistory.rows(new HistoryRows(rows.messageId, rows.created, rows.type, rows.message, new ArrayList<>(g.users))));
        }
        deadLetters.unwritten().forEach(d -> unwritten.add(UnwrittenHistory.deadLetter(d)));
        return unwritten;
    }

    @Override
    public void close() {
        requests.close();
        dynamoDb.close();
        deadLetters.close();
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
