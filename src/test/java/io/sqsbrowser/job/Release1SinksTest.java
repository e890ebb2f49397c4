package io.sqsbrowser.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.session.SessionRecord;
import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * What release 1's session-end cleaner left in its lists reaches this release's cleaner once, as ended sessions; a
 * checkpoint taken before that keeps the lists, one taken after keeps nothing. (The dead-letter and history lists are
 * restored from a real release-1 savepoint by {@code SavepointCompatibilityTest}; this release-1 sink had nothing
 * pending in it.)
 */
class Release1SinksTest {
    /** The list state release 1's {@code SessionEndCleaner} kept, by the same names and types. */
    private static final class Release1Cleaner extends AbstractStreamOperator<Void> implements OneInputStreamOperator<SessionRecord, Void> {
        @Override
        public void initializeState(StateInitializationContext context) throws Exception {
            super.initializeState(context);
            ListState<String> queues = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("queues-to-delete", String.class));
            ListState<String> identities = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("identities-to-delete", String.class));
            queues.update(List.of("https://sqs/q-1", "https://sqs/q-2"));
            identities.update(List.of("us-east-1:id-1"));
        }

        @Override
        public void processElement(StreamRecord<SessionRecord> element) {}
    }

    private static OneInputStreamOperatorTestHarness<SessionRecord, SessionRecord> handOn(OperatorSubtaskState restoreFrom) throws Exception {
        var h = new OneInputStreamOperatorTestHarness<SessionRecord, SessionRecord>(Release1Sinks.sessionEndCleanerState());
        h.setup();
        h.initializeState(restoreFrom);
        h.open();
        return h;
    }

    private static List<String> leftovers(OneInputStreamOperatorTestHarness<SessionRecord, SessionRecord> h) {
        return h.extractOutputValues().stream().map(s -> s.removed + " " + (s.queueUrl != null ? s.queueUrl : s.identityId))
                .collect(java.util.stream.Collectors.toList());
    }

    @Test
    void theCleanersListsAreHandedOnOnceAsEndedSessions() throws Exception {
        OperatorSubtaskState release1;
        try (var old = new OneInputStreamOperatorTestHarness<SessionRecord, Void>(new Release1Cleaner())) {
            old.setup();
            old.initializeEmptyState();
            old.open();
            release1 = old.snapshot(1, 1);
        }
        OperatorSubtaskState beforeTheTaskRan;
        try (var h = handOn(release1)) {
            assertThat(leftovers(h)).as("nothing before the task runs its first mail").isEmpty();
            beforeTheTaskRan = h.snapshot(2, 2);
        }
        OperatorSubtaskState after;
        try (var h = handOn(beforeTheTaskRan)) {
            h.setProcessingTime(1);
            assertThat(leftovers(h)).containsExactlyInAnyOrder("true https://sqs/q-1", "true https://sqs/q-2", "true us-east-1:id-1");
            after = h.snapshot(3, 3);
        }
        try (var h = handOn(after)) {
            h.setProcessingTime(1);
            assertThat(leftovers(h)).as("handed on once").isEmpty();
        }
    }
}
