package io.sqsbrowser.history;

import io.sqsbrowser.aws.DaemonThreads;
import static io.sqsbrowser.aws.Attributes.n;
import static io.sqsbrowser.aws.Attributes.s;

import io.sqsbrowser.aws.AwsClients;
import io.sqsbrowser.aws.AwsFailures;
import io.sqsbrowser.aws.AwsSettings;
import java.io.Serializable;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.sink.RichSinkFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Writes history rows with conditional updates ({@code if_not_exists} on every attribute), so replaying the
 * event stream adds no duplicates and never resets {@code is_read} of a message already read; a batch put
 * would replace the whole item. SQS is the live path and history may lag: rows are accepted at once into a
 * buffer (bounded by {@code maxBufferedRows}, far above any burst), written with a bounded number of requests
 * in flight, and retried with backoff for as long as the table throttles or fails. Rows not yet written are
 * kept in the checkpoint, so a restart loses none.
 */
public final class HistoryWriter extends RichSinkFunction<HistoryRow> implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(HistoryWriter.class);

    /** How the writer talks to the history table. */
    public static final class Settings implements Serializable {
        private static final long serialVersionUID = 1L;
        public final String table;
        public final long ttlSeconds;
        public final int maxInFlightRequests;
        public final int maxBufferedRows;
        public final long backoffBaseMillis;
        public final long backoffMaxMillis;

        public Settings(String table, long ttlSeconds, int maxInFlightRequests, int maxBufferedRows,
                long backoffBaseMillis, long backoffMaxMillis) {
            this.table = table;
            this.ttlSeconds = ttlSeconds;
            this.maxInFlightRequests = maxInFlightRequests;
            this.maxBufferedRows = maxBufferedRows;
            this.backoffBaseMillis = backoffBaseMillis;
            this.backoffMaxMillis = backoffMaxMillis;
        }
    }

    private final AwsSettings aws;
    private final Settings settings;
    private transient DynamoDbAsyncClient dynamoDb;
    private transient ScheduledExecutorService retryTimer;
    private transient ListState<HistoryRow> checkpointed;
    /** Rows waiting for a request slot; rows in flight; rows waiting for a retry. All guarded by {@code this}. */
    private transient ArrayDeque<Pending> waiting;
    private transient Set<Pending> unfinished;
    private transient int inFlight;
    private transient Counter written;
    private transient Counter retried;
    private transient Counter failed;

    public HistoryWriter(AwsSettings aws, Settings settings) {
        this.aws = aws;
        this.settings = settings;
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        checkpointed = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("history-unwritten", HistoryRow.class));
        waiting = new ArrayDeque<>();
        unfinished = new LinkedHashSet<>();
        for (HistoryRow row : checkpointed.get()) {
            Pending p = new Pending(row);
            waiting.add(p);
            unfinished.add(p);
        }
    }

    @Override
    public void open(Configuration parameters) {
        written = getRuntimeContext().getMetricGroup().counter("historyRowsWritten");
        retried = getRuntimeContext().getMetricGroup().counter("historyRowRetries");
        failed = getRuntimeContext().getMetricGroup().counter("historyRowsFailed");
        getRuntimeContext().getMetricGroup().gauge("historyRowsUnwritten", this::unwrittenCount);
        dynamoDb = AwsClients.dynamoDbAsync(aws, settings.maxInFlightRequests);
        retryTimer = DaemonThreads.scheduler("history-retry-timer");
        pump();
    }

    @Override
    public void invoke(HistoryRow row, Context context) throws InterruptedException {
        Pending p = new Pending(row);
        synchronized (this) {
            // Only a table down for very long makes the job wait here; until then SQS delivery goes on.
            while (unfinished.size() >= settings.maxBufferedRows) {
                wait(1000);
            }
            unfinished.add(p);
            waiting.add(p);
        }
        pump();
    }

    private synchronized int unwrittenCount() {
        return unfinished == null ? 0 : unfinished.size();
    }

    private void pump() {
        while (true) {
            Pending p;
            synchronized (this) {
                if (inFlight >= settings.maxInFlightRequests || waiting.isEmpty()) {
                    return;
                }
                p = waiting.poll();
                inFlight++;
            }
            write(p);
        }
    }

    private void write(Pending p) {
        HistoryRow row = p.row;
        Map<String, AttributeValue> values = new HashMap<>();
        values.put(":created", n(row.created));
        values.put(":unread", n(0));
        values.put(":ttl", n(row.created + settings.ttlSeconds));
        values.put(":message", s(row.message));
        // Every attribute name through a placeholder: TTL is a reserved word, and others may become one.
        Map<String, String> names = new HashMap<>(Map.of("#created", "created", "#read", "is_read", "#ttl", "ttl",
                "#message", "message"));
        String update = "SET #created = if_not_exists(#created, :created), #read = if_not_exists(#read, :unread), "
                + "#ttl = if_not_exists(#ttl, :ttl), #message = if_not_exists(#message, :message)";
        if (row.type != null) {
            names.put("#type", "_type");
            values.put(":type", s(row.type));
            update += ", #type = if_not_exists(#type, :type)";
        }
        String expression = update;
        try {
            dynamoDb.updateItem(b -> b.tableName(settings.table)
                    .key(Map.of("userId", s(row.userId), "messageId", s(row.messageId)))
                    .updateExpression(expression).expressionAttributeNames(names).expressionAttributeValues(values))
                    .whenComplete((ok, error) -> completed(p, error));
        } catch (RuntimeException e) {
            completed(p, e);
        }
    }

    private void completed(Pending p, Throwable error) {
        synchronized (this) {
            inFlight--;
            if (error == null) {
                unfinished.remove(p);
                written.inc();
                notifyAll();
            }
        }
        if (error != null) {
            Throwable cause = AwsFailures.unwrap(error);
            if (AwsFailures.retryable(cause)) {
                retry(p);
            } else {
                // A row the table refuses for good (a validation error) cannot succeed by waiting.
                LOG.error("History row {} refused: {}", p.row, AwsFailures.describe(cause));
                synchronized (this) {
                    unfinished.remove(p);
                    failed.inc();
                    notifyAll();
                }
            }
        }
        pump();
    }

    private void retry(Pending p) {
        synchronized (this) {
            retried.inc();
            p.retries++;
        }
        long delay = AwsFailures.backoffMillis(settings.backoffBaseMillis, settings.backoffMaxMillis, p.retries,
                ThreadLocalRandom.current().nextDouble());
        try {
            retryTimer.schedule(() -> {
                synchronized (this) {
                    waiting.add(p);
                }
                pump();
            }, delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // The job is stopping: the row is in the last checkpoint, or the replay after it writes it again.
        }
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        List<HistoryRow> rows = new ArrayList<>();
        synchronized (this) {
            unfinished.forEach(p -> rows.add(p.row));
        }
        checkpointed.update(rows);
    }

    @Override
    public void close() {
        if (retryTimer != null) {
            retryTimer.shutdownNow();
        }
        if (dynamoDb != null) {
            dynamoDb.close();
        }
    }

    private static final class Pending {
        final HistoryRow row;
        int retries;

        Pending(HistoryRow row) {
            this.row = row;
        }
    }
}
