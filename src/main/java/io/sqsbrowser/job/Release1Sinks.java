package io.sqsbrowser.job;

import io.sqsbrowser.deadletter.DeadLetter;
import io.sqsbrowser.history.HistoryRows;
import io.sqsbrowser.session.SessionRecord;
import io.sqsbrowser.sink.LegacySinkState;
import java.util.List;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.datastream.DataStream;

/**
 * The sinks of release 1 ({@code SinkFunction}s, and the history writer's operator) kept what they had not written in
 * list state under their uids. Release 2's sinks are Sink V2 writers under new uids; each is preceded by a
 * {@link LegacySinkState} that keeps the old uid and hands that work on to it, so a savepoint of release 1 restores
 * with every uid mapped and nothing left behind.
 */
final class Release1Sinks {
    private Release1Sinks() {}

    static DataStream<DeadLetter> deadLetters(DataStream<DeadLetter> in) {
        return in.transform("Dead letters of release 1", TypeInformation.of(DeadLetter.class), deadLetterSinkState())
                .uid("dead-letter-sink");
    }

    static DataStream<HistoryRows> historyRows(DataStream<HistoryRows> in) {
        return in.transform("History rows of release 1", TypeInformation.of(HistoryRows.class), historyWriterState())
                .uid("history-writer");
    }

    static DataStream<SessionRecord> endedSessions(DataStream<SessionRecord> in) {
        return in.transform("Session leftovers of release 1", TypeInformation.of(SessionRecord.class), sessionEndCleanerState())
                .uid("session-end-cleaner");
    }

    /** {@code DeadLetterSink}: the dead letters its destination had not taken. */
    static LegacySinkState<DeadLetter> deadLetterSinkState() {
        return new LegacySinkState<>(List.of(new LegacySinkState.OldList<DeadLetter, DeadLetter>("dead-letters-unwritten", DeadLetter.class, d -> d)));
    }

    /** {@code HistoryWriter}: each message's rows, for the users not yet written. */
    static LegacySinkState<HistoryRows> historyWriterState() {
        return new LegacySinkState<>(List.of(new LegacySinkState.OldList<HistoryRows, HistoryRows>("history-unwritten", HistoryRows.class, r -> r)));
    }

    /** {@code SessionEndCleaner}: queues and identities of ended sessions not yet deleted. */
    static LegacySinkState<SessionRecord> sessionEndCleanerState() {
        return new LegacySinkState<>(List.of(
                new LegacySinkState.OldList<String, SessionRecord>("queues-to-delete", String.class, Release1Sinks::queueOf),
                new LegacySinkState.OldList<String, SessionRecord>("identities-to-delete", String.class, Release1Sinks::identityOf)));
    }

    private static SessionRecord queueOf(String queueUrl) {
        SessionRecord ended = new SessionRecord();
        ended.removed = true;
        ended.queueUrl = queueUrl;
        return ended;
    }

    private static SessionRecord identityOf(String identityId) {
        SessionRecord ended = new SessionRecord();
        ended.removed = true;
        ended.identityId = identityId;
        return ended;
    }
}
