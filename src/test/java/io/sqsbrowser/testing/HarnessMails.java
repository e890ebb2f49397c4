package io.sqsbrowser.testing;

import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;

/**
 * Runs an operator's mails (the AWS SDK's answers, handed to the task thread) in Flink's operator harness, on
 * the test's thread, which is the harness's task thread.
 */
public final class HarnessMails {
    private HarnessMails() {}

    /** Sets the harness up, from {@code restoreFrom} or with empty state, and opens it. */
    public static <H extends AbstractStreamOperatorTestHarness<?>> H open(H h, OperatorSubtaskState restoreFrom) throws Exception {
        h.setup();
        if (restoreFrom == null) {
            h.initializeEmptyState();
        } else {
            h.initializeState(restoreFrom);
        }
        h.open();
        return h;
    }

    public static void runUntil(AbstractStreamOperatorTestHarness<?> h, String what, BooleanSupplier done) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!done.getAsBoolean()) {
            Optional<Mail> mail = h.getTaskMailbox().tryTake(TaskMailbox.MIN_PRIORITY);
            if (mail.isPresent()) {
                mail.get().run();
            } else if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            } else {
                Thread.sleep(5);
            }
        }
    }

    public static void runFor(AbstractStreamOperatorTestHarness<?> h, Duration duration) throws Exception {
        long end = System.nanoTime() + duration.toNanos();
        runUntil(h, "time", () -> System.nanoTime() > end);
    }
}
