package io.sqsbrowser.expand;

import java.util.concurrent.RejectedExecutionException;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.util.function.ThrowingRunnable;

/**
 * Hands work from other threads (the SDK's answers, the scan's pages) to the task thread, the only one that may touch
 * the operator's state and emit.
 */
interface TaskThread {
    void run(ThrowingRunnable<? extends Exception> action, String what);

    /** Through the task's mailbox, as a mail. */
    static TaskThread of(MailboxExecutor mailbox) {
        return (action, what) -> {
            try {
                mailbox.execute(action, what);
            } catch (RejectedExecutionException closing) {
                // The task is stopping: what was under way is in the last checkpoint, sent or read again after a restart.
            }
        };
    }
}
