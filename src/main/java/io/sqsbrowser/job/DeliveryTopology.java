package io.sqsbrowser.job;

import io.sqsbrowser.deadletter.DeadLetter;
import io.sqsbrowser.deadletter.DeadLetterSink;
import io.sqsbrowser.deadletter.Parsed;
import io.sqsbrowser.deadletter.SplitDeadLetters;
import io.sqsbrowser.event.DeliveryEvent;
import io.sqsbrowser.event.EventDeserializationSchema;
import io.sqsbrowser.event.EventParser;
import io.sqsbrowser.expand.AudienceExpander;
import io.sqsbrowser.expand.Delivery;
import io.sqsbrowser.expand.ShareByScope;
import io.sqsbrowser.history.HistoryRow;
import io.sqsbrowser.history.HistoryWriter;
import io.sqsbrowser.cleanup.FirstRemovalOnly;
import io.sqsbrowser.cleanup.SessionEndCleaner;
import io.sqsbrowser.session.ChangeRecordDeserializationSchema;
import io.sqsbrowser.session.SessionRecord;
import io.sqsbrowser.session.SessionTableScan;
import io.sqsbrowser.sqs.SqsDeliveryWriter;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.typeinfo.TypeHint;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.BroadcastStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The delivery pipeline, stage by stage:
 * <pre>
 *   event stream ──parse──▶ events ──share by scope──▶ ┐
 *                                                      ├─ expand + encrypt ─▶ SQS (async I/O) ─┐
 *   change stream + table scan ──▶ session state ──────┘ (broadcast)                             │
 *   invalid events, invalid change records, undeliverable messages ──▶ dead letters ◀────────────┘
 *   expand ──▶ history rows (one per recipient user) ──▶ history table (conditional writes, may lag)
 *   removed sessions ──▶ keyed by session, first removal only ──▶ delete queue + Cognito identity
 * </pre>
 * Every stateful operator has a fixed uid, so savepoints survive changes to the code.
 */
public final class DeliveryTopology {
    private final StreamExecutionEnvironment env;
    private final JobConfig config;
    private final int expanderParallelism;

    private DeliveryTopology(StreamExecutionEnvironment env, JobConfig config) {
        this.env = env;
        this.config = config;
        this.expanderParallelism = env.getParallelism();
    }

    /** Adds the whole pipeline to {@code env}. */
    public static void build(StreamExecutionEnvironment env, JobConfig config) {
        new DeliveryTopology(env, config).build();
    }

    private void build() {
        SingleOutputStreamOperator<DeliveryEvent> events = events();
        SingleOutputStreamOperator<SessionRecord> sessions = sessionChanges();
        SingleOutputStreamOperator<Delivery> deliveries = expand(events, sessions.broadcast(AudienceExpander.SESSIONS));
        SingleOutputStreamOperator<DeadLetter> undeliverable = writeToSqs(deliveries);
        writeHistory(deliveries.getSideOutput(AudienceExpander.HISTORY));
        if (config.cleanup) {
            cleanUpEndedSessions(sessions);
        }
        writeDeadLetters(events.getSideOutput(SplitDeadLetters.DEAD_LETTERS)
                .union(sessions.getSideOutput(SplitDeadLetters.DEAD_LETTERS), undeliverable));
    }

    /** Events from Kinesis, parsed; invalid ones go to the dead-letter side output. */
    private SingleOutputStreamOperator<DeliveryEvent> events() {
        return env.addSource(KinesisConsumers.consumer(config.aws, config.eventSource,
                        new EventDeserializationSchema(new EventParser(config.maxMessageBytes))))
                .uid("event-source").name("Event stream")
                .process(new SplitDeadLetters<DeliveryEvent>()).uid("event-parse").name("Valid events");
    }

    /** The session table's change records, plus a scan of the table when the job starts. */
    private SingleOutputStreamOperator<SessionRecord> sessionChanges() {
        DataStream<Parsed<SessionRecord>> changes = env.addSource(KinesisConsumers.consumer(config.aws,
                        config.sessionChanges, new ChangeRecordDeserializationSchema()))
                .uid("session-change-source").name("Session change stream");
        if (config.bootstrapScan) {
            changes = changes.union(env.addSource(new SessionTableScan(config.aws, config.sessionTable),
                            "Session table scan", new TypeHint<Parsed<SessionRecord>>() {}.getTypeInfo())
                    .uid("session-table-scan"));
        }
        return changes.process(new SplitDeadLetters<SessionRecord>()).uid("session-parse").name("Valid session changes");
    }

    /** Each event share meets the session state on its subtask and becomes encrypted deliveries (and history rows). */
    private SingleOutputStreamOperator<Delivery> expand(DataStream<DeliveryEvent> events, BroadcastStream<SessionRecord> sessions) {
        return events.flatMap(new ShareByScope(expanderParallelism)).uid("share-by-scope").name("Share by scope")
                .partitionCustom(new ShareByScope.ToPartition(), share -> share.partition)
                .connect(sessions)
                .process(new AudienceExpander(config.tombstoneRetentionMillis))
                .setParallelism(expanderParallelism)
                .uid("expand").name("Expand audience + encrypt");
    }

    private SingleOutputStreamOperator<DeadLetter> writeToSqs(DataStream<Delivery> deliveries) {
        return AsyncDataStream.unorderedWait(deliveries, new SqsDeliveryWriter(config.aws, config.sqs),
                        config.asyncTimeoutMillis, TimeUnit.MILLISECONDS, config.asyncCapacity)
                .setParallelism(expanderParallelism)
                .uid("sqs-writer").name("Write to SQS");
    }

    /** History rows leave the expander beside its deliveries; their writer never holds delivery back. */
    private void writeHistory(DataStream<HistoryRow> rows) {
        rows.addSink(new HistoryWriter(config.aws, config.history)).setParallelism(expanderParallelism)
                .uid("history-writer").name("Write history");
    }

    /** Each removed session, once, loses its queue and Cognito identity. */
    private void cleanUpEndedSessions(DataStream<SessionRecord> sessions) {
        sessions.filter(session -> session.removed).name("Removed sessions")
                .keyBy(SessionRecord::key)
                .process(new FirstRemovalOnly(config.tombstoneRetentionMillis)).uid("session-end-dedup").name("First removal only")
                .addSink(new SessionEndCleaner(config.aws)).uid("session-end-cleaner").name("Delete queue and identity");
    }

    private void writeDeadLetters(DataStream<DeadLetter> deadLetters) {
        deadLetters.addSink(new DeadLetterSink(config.aws, config.deadLetter)).uid("dead-letter-sink").name("Dead letters");
    }
}
