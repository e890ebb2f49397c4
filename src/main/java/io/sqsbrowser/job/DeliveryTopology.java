package io.sqsbrowser.job;

import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.aws.ManagedFlinkMetrics;
import io.sqsbrowser.cleanup.FirstRemovalOnly;
import io.sqsbrowser.cleanup.SessionEndCleanup;
import io.sqsbrowser.deadletter.DeadLetter;
import io.sqsbrowser.deadletter.DeadLetterDestination;
import io.sqsbrowser.deadletter.DeadLetterSink;
import io.sqsbrowser.deadletter.SplitDeadLetters;
import io.sqsbrowser.event.DeliveryEvent;
import io.sqsbrowser.event.EventDeserializationSchema;
import io.sqsbrowser.event.EventParser;
import io.sqsbrowser.expand.AudienceExpander;
import io.sqsbrowser.expand.DeliverySettings;
import io.sqsbrowser.expand.SplitByAudience;
import io.sqsbrowser.history.HistoryRows;
import io.sqsbrowser.history.HistorySink;
import io.sqsbrowser.session.ChangeRecordDeserializationSchema;
import io.sqsbrowser.session.SessionRecord;
import io.sqsbrowser.session.SessionScan;
import io.sqsbrowser.session.SessionTableScan;
import io.sqsbrowser.sqs.MessageSender;
import io.sqsbrowser.sqs.SenderClients;
import io.sqsbrowser.deadletter.Parsed;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.connectors.kinesis.serialization.KinesisDeserializationSchema;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.MultipleConnectedStreams;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.transformations.KeyedMultipleInputTransformation;

/**
 * The delivery pipeline, stage by stage:
 * <pre>
 *   event stream ──parse──▶ events ──split by audience──▶ user events (keyed by user) ─┐
 *                                                       └▶ fan-out events (broadcast) ─┤
 *   session change stream ──parse──▶ session changes (keyed by user) ──────────────────┤
 *                                                                                      ▼
 *        expand audience + encrypt + send to SQS (sessions in keyed state, bounded bytes in flight;
 *        on a cold start each subtask first reads the session table, and events wait for it)
 *          ├──▶ history rows (one per recipient user) ──▶ history table (conditional writes; may lag;
 *          │                                              rows it refuses ──▶ dead letters)
 *          └──▶ messages SQS refused ─┐
 *   invalid events, invalid session records ──▶ dead letters ◀┘
 *   removed sessions ──▶ keyed by session, first removal only ──▶ delete queue + Cognito identity
 * </pre>
 * Every stateful operator has a fixed uid, so savepoints survive changes to the code; the sinks are Sink V2 sinks, each
 * behind the operator that takes over what release 1's sink left in a savepoint ({@link Release1Sinks}).
 */
public final class DeliveryTopology {
    private final StreamExecutionEnvironment env;
    private final JobConfig config;

    private DeliveryTopology(StreamExecutionEnvironment env, JobConfig config) {
        this.env = env;
        this.config = config;
    }

    /** Adds the whole pipeline to {@code env}. */
    public static void build(StreamExecutionEnvironment env, JobConfig config) {
        new DeliveryTopology(env, config).build();
    }

    private void build() {
        SingleOutputStreamOperator<DeliveryEvent> events = events();
        SingleOutputStreamOperator<SessionRecord> changes = sessionChanges();
        SingleOutputStreamOperator<DeadLetter> undeliverable = expandEncryptAndSend(events, changes);
        writeHistory(undeliverable.getSideOutput(AudienceExpander.HISTORY));
        if (config.cleanup) {
            cleanUpEndedSessions(changes);
        }
        writeDeadLetters(events.getSideOutput(SplitDeadLetters.DEAD_LETTERS)
                .union(changes.getSideOutput(SplitDeadLetters.DEAD_LETTERS), undeliverable));
    }

    /** Events from Kinesis, parsed; invalid ones go to the dead-letter side output. */
    private SingleOutputStreamOperator<DeliveryEvent> events() {
        EventParser parser = new EventParser(config.maxMessageBytes, config.explicitEveryone, config.topicsByAccount);
        return read(config.eventSource, new EventDeserializationSchema(parser), "event-source", "Event stream")
                .process(SplitDeadLetters.<DeliveryEvent>counting("eventsIn", ManagedFlinkMetrics.EVENTS_IN_PER_SECOND,
                        "eventsInvalid", ManagedFlinkMetrics.EVENTS_INVALID_PER_SECOND))
                .uid("event-parse").name("Valid events");
    }

    /** The session table's change records, parsed; invalid ones go to the dead-letter side output. */
    private SingleOutputStreamOperator<SessionRecord> sessionChanges() {
        return read(config.sessionChanges, new ChangeRecordDeserializationSchema(), "session-change-source", "Session change stream")
                .process(SplitDeadLetters.<SessionRecord>uncounted()).uid("session-parse").name("Valid session changes");
    }

    private <T> DataStream<Parsed<T>> read(JobConfig.KinesisSourceConfig source, KinesisDeserializationSchema<Parsed<T>> schema,
            String uid, String name) {
        return KinesisReaders.read(env, config.aws, source, schema, uid, name);
    }

    /**
     * Session changes and user events meet keyed by user; fan-out events are broadcast to every subtask. The
     * expander encrypts and hands messages to SQS itself, within its byte budget.
     */
    private SingleOutputStreamOperator<DeadLetter> expandEncryptAndSend(SingleOutputStreamOperator<DeliveryEvent> events,
            DataStream<SessionRecord> changes) {
        SingleOutputStreamOperator<DeliveryEvent> userEvents = events.process(new SplitByAudience())
                .uid("split-by-audience").name("Split by audience");
        DeliverySettings settings = config.delivery;
        MessageSender.Factory senders = SenderClients.batching(config.aws, config.sqs);
        SessionScan.Factory scans = config.bootstrapScan ? SessionTableScan.of(config.aws, config.sessionTable, config.scanSegments) : null;
        KeyedMultipleInputTransformation<DeadLetter> expand = new KeyedMultipleInputTransformation<>(
                "Expand audience + encrypt + send to SQS",
                new MailboxOperatorFactory<Object, DeadLetter>(AudienceExpander.class,
                        (parameters, mailbox) -> new AudienceExpander(parameters, mailbox, settings, senders, scans)),
                TypeInformation.of(DeadLetter.class), env.getParallelism(), Types.STRING);
        KeySelector<SessionRecord, String> sessionUser = session -> session.userId;
        KeySelector<DeliveryEvent, String> eventUser = event -> event.userId;
        // Inputs in the order of AudienceExpander's input numbers.
        expand.addInput(changes.keyBy(sessionUser, Types.STRING).getTransformation(), sessionUser);
        expand.addInput(userEvents.keyBy(eventUser, Types.STRING).getTransformation(), eventUser);
        expand.addInput(userEvents.getSideOutput(SplitByAudience.FAN_OUT).broadcast().getTransformation(), null);
        expand.setUid("expand");
        env.addOperator(expand);
        return new MultipleConnectedStreams(env).transform(expand);
    }

    /**
     * History rows leave the expander beside its sends; their writer never holds delivery back. Rows the table refuses
     * become dead letters, written by the history sink to the dead-letter destination.
     */
    private void writeHistory(DataStream<HistoryRows> rows) {
        Release1Sinks.historyRows(rows)
                .sinkTo(new HistorySink(config.aws, config.history, config.deadLetter, config.deadLetterMaxBufferedBytes))
                .uid("history").name("Write history");
    }

    /** Each removed session, once, loses its queue and Cognito identity. */
    private void cleanUpEndedSessions(DataStream<SessionRecord> changes) {
        DataStream<SessionRecord> firstRemovals = changes.filter(session -> session.removed).name("Removed sessions")
                .keyBy(SessionRecord::key)
                .process(new FirstRemovalOnly(config.tombstoneRetentionMillis)).uid("session-end-dedup").name("First removal only");
        Release1Sinks.endedSessions(firstRemovals)
                .sinkTo(new SessionEndCleanup(config.aws, config.cleanupQueuePrefix,
                        config.deadLetter.type == DeadLetterDestination.Type.SQS ? config.deadLetter.target : null))
                .uid("session-end-cleanup").name("Delete queue and identity");
    }

    private void writeDeadLetters(DataStream<DeadLetter> deadLetters) {
        Release1Sinks.deadLetters(deadLetters)
                .sinkTo(new DeadLetterSink(config.aws, config.deadLetter, config.deadLetterMaxBufferedBytes))
                .uid("dead-letters").name("Dead letters");
    }
}
