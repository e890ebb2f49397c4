package io.sqsbrowser.expand;

import io.sqsbrowser.deadletter.DeadLetter;
import io.sqsbrowser.deadletter.Parsed;
import io.sqsbrowser.session.SessionRecord;
import io.sqsbrowser.session.SessionScan;
import java.util.List;
import java.util.concurrent.Semaphore;

/**
 * A subtask started without state first reads the whole session table ({@link SessionScan}), so that sessions older
 * than the change stream's retention are known, and expands nothing until it has read all of it: events wait (held,
 * within {@code HeldEvents.maxBytes}), and the scan's pages are applied on the task thread as they come, a few at a
 * time. A subtask restored from a checkpoint taken after every subtask's scan had ended does not scan; one restored
 * from an earlier checkpoint scans again.
 */
final class ColdStart implements AutoCloseable {
    /** Scanned pages handed to the task thread and not yet applied, at most: the scan waits beyond. */
    static final int PAGES_AHEAD = 4;

    /** Where the scan's items go, on the task thread. */
    interface Sessions {
        void scanned(SessionRecord session);

        void invalid(DeadLetter deadLetter);

        /** The table has been read (or needed no reading): events may be expanded. */
        void over();
    }

    private final SessionScan.Factory scans;
    private final TaskThread taskThread;
    private boolean over;
    private SessionScan scan;

    /** @param scans null when the job does not scan the table ({@code SessionSource.bootstrapScan} false) */
    ColdStart(SessionScan.Factory scans, List<Boolean> scansEndedAtCheckpoint, TaskThread taskThread) {
        this.scans = scans;
        this.taskThread = taskThread;
        // Over only if every subtask had ended its scan: otherwise some key groups may lack sessions.
        this.over = scans == null || !scansEndedAtCheckpoint.isEmpty() && scansEndedAtCheckpoint.stream().allMatch(Boolean::booleanValue);
    }

    boolean isOver() {
        return over;
    }

    /** Starts the scan, or says at once that there is none to wait for. */
    void begin(Sessions sessions) {
        if (over) {
            sessions.over();
            return;
        }
        Semaphore pagesAhead = new Semaphore(PAGES_AHEAD);
        scan = scans.create();
        scan.start(new SessionScan.Receiver() {
            @Override
            public void items(List<Parsed<SessionRecord>> page) throws InterruptedException {
                pagesAhead.acquire();
                taskThread.run(() -> {
                    pagesAhead.release();
                    apply(page, sessions);
                }, "scanned sessions");
            }

            @Override
            public void finished() {
                taskThread.run(() -> end(sessions), "session scan finished");
            }
        });
    }

    private static void apply(List<Parsed<SessionRecord>> page, Sessions sessions) {
        for (Parsed<SessionRecord> item : page) {
            if (item.deadLetter != null) {
                sessions.invalid(item.deadLetter);
            } else {
                sessions.scanned(item.value);
            }
        }
    }

    private void end(Sessions sessions) {
        over = true;
        close();
        sessions.over();
    }

    @Override
    public void close() {
        if (scan != null) {
            scan.close();
            scan = null;
        }
    }
}
