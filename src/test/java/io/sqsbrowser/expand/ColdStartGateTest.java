package io.sqsbrowser.expand;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.deadletter.DeadLetter;
import io.sqsbrowser.deadletter.Parsed;
import io.sqsbrowser.session.SessionRecord;
import io.sqsbrowser.session.SessionScan;
import io.sqsbrowser.testing.Await;
import io.sqsbrowser.testing.SessionRecords;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.util.function.ThrowingRunnable;
import org.junit.jupiter.api.Test;

/**
 * The cold start without Flink or DynamoDB: a scan that hands pages over from a thread of its own, and a task thread
 * the test runs by hand. When a scan is needed, that pages are applied on the task thread only, that the scan waits
 * when the task thread falls behind, and that the gate opens only when the whole table has been read.
 */
class ColdStartGateTest {
    /** A scan of {@code pages} pages of one session each (the last item of the first page invalid), on its own thread. */
    private static final class ScriptedScan implements SessionScan {
        final int pages;
        final AtomicBoolean closed = new AtomicBoolean();

        ScriptedScan(int pages) {
            this.pages = pages;
        }

        @Override
        public void start(Receiver receiver) {
            Thread t = new Thread(() -> {
                try {
                    for (int i = 0; i < pages; i++) {
                        List<Parsed<SessionRecord>> page = new ArrayList<>();
                        page.add(Parsed.valid(SessionRecords.live("A", "u" + i, "s" + i, CipherFormat.GCM, 0)));
                        if (i == 0) {
                            page.add(Parsed.invalid(DeadLetter.of("session-scan", "invalid session item: no aesKey", new byte[0])));
                        }
                        receiver.items(page);
                    }
                    receiver.finished();
                } catch (InterruptedException stopped) {
                    Thread.currentThread().interrupt();
                }
            }, "scripted-scan");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() {
            closed.set(true);
        }
    }

    /** The task thread's mails, run when the test says. */
    private static final class Mails implements TaskThread {
        final LinkedBlockingQueue<ThrowingRunnable<? extends Exception>> queue = new LinkedBlockingQueue<>();

        @Override
        public void run(ThrowingRunnable<? extends Exception> action, String what) {
            queue.add(action);
        }

        void runAll() throws Exception {
            ThrowingRunnable<? extends Exception> mail;
            while ((mail = queue.poll()) != null) {
                mail.run();
            }
        }
    }

    /** What the cold start handed to the operator, recorded on the task thread. */
    private static final class Recorded implements ColdStart.Sessions {
        final List<String> scanned = new ArrayList<>();
        final List<String> invalid = new ArrayList<>();
        final Thread taskThread = Thread.currentThread();
        boolean over;
        boolean offTaskThread;

        @Override
        public void scanned(SessionRecord session) {
            offTaskThread |= Thread.currentThread() != taskThread;
            scanned.add(session.userId);
        }

        @Override
        public void invalid(DeadLetter deadLetter) {
            invalid.add(deadLetter.reason);
        }

        @Override
        public void over() {
            over = true;
        }
    }

    @Test
    void aRestoredSubtaskScansAgainUnlessEverySubtaskHadEndedItsScan() {
        Mails mails = new Mails();
        SessionScan.Factory scans = () -> new ScriptedScan(0);
        assertThat(new ColdStart(scans, List.of(true, true), mails).isOver()).isTrue();
        assertThat(new ColdStart(scans, List.of(true, false), mails).isOver()).as("one subtask had not finished").isFalse();
        assertThat(new ColdStart(scans, List.of(), mails).isOver()).as("no state").isFalse();
        assertThat(new ColdStart(null, List.of(), mails).isOver()).as("no scan configured").isTrue();
        Recorded recorded = new Recorded();
        new ColdStart(scans, List.of(true), mails).begin(recorded);
        assertThat(recorded.over).as("over at once, without a mail").isTrue();
        assertThat(mails.queue).isEmpty();
    }

    @Test
    void pagesAreAppliedOnTheTaskThreadTheScanWaitsWhenItFallsBehindAndTheGateOpensAtTheEnd() throws Exception {
        int pages = ColdStart.PAGES_AHEAD + 3;
        ScriptedScan scan = new ScriptedScan(pages);
        Mails mails = new Mails();
        Recorded recorded = new Recorded();
        ColdStart coldStart = new ColdStart(() -> scan, List.of(), mails);
        coldStart.begin(recorded);
        Await.until(Duration.ofSeconds(10), "pages ahead of the task thread", () -> mails.queue.size() == ColdStart.PAGES_AHEAD);
        Thread.sleep(200);
        assertThat(mails.queue).as("the scan waits for the task thread").hasSize(ColdStart.PAGES_AHEAD);
        assertThat(recorded.scanned).as("nothing applied off the task thread").isEmpty();
        assertThat(coldStart.isOver()).isFalse();

        while (!coldStart.isOver()) {
            mails.runAll();
            Thread.sleep(5);
        }
        assertThat(recorded.scanned).hasSize(pages).startsWith("u0", "u1");
        assertThat(recorded.offTaskThread).isFalse();
        assertThat(recorded.invalid).containsExactly("invalid session item: no aesKey");
        assertThat(recorded.over).isTrue();
        assertThat(scan.closed).as("the scan's threads stopped").isTrue();
    }
}
