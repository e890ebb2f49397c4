package io.sqsbrowser.deadletter;

import io.sqsbrowser.aws.AwsFailures;
import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.aws.ManagedFlinkMetrics;
import io.sqsbrowser.aws.DaemonThreads;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.operators.MailboxExecutor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes dead letters, oldest first, on a thread of its own. A destination that is unavailable (deleted,
 * throttled, down, refusing our credentials) is retried with full-jitter backoff for as long as it lasts,
 * and what waits is handed to the checkpoint ({@link #unwritten()}): one bad record never becomes a task
 * failure and a restart loop. A dead letter the destination refuses for its content is written again
 * without its payload (its size and SHA-256 stay); only if that is refused too is it dropped, counted.
 */
public final class DeadLetterWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterWriter.class);
    private static final long BACKOFF_BASE_MILLIS = 100;
    private static final long BACKOFF_MAX_MILLIS = 30_000;
    private static final long LOG_INTERVAL_MILLIS = 10_000;

    /** Where the JSON goes: an SQS queue or a Kinesis stream. */
    interface Destination extends AutoCloseable {
        /** Largest JSON of one dead letter. */
        int maxBytes();

        /** How many of the oldest, in order, go in one request. */
        int batchSize(List<String> oldestFirst);

        /** Writes a batch; answers per entry, or throws when the destination is unavailable. */
        List<Outcome> write(List<String> batch);

        @Override
        void close();
    }

    enum Outcome { WRITTEN, RETRY, REFUSED }

    /** What the writer reports: for metrics, and to wake a caller waiting for room. */
    interface Listener {
        void written(int count);

        void retried();

        void dropped();

        /** Some were written (or dropped) while the buffer was full: there may be room now. Called on the writer's thread. */
        void roomFreed();
    }

    private final Destination destination;
    private final long maxBufferedBytes;
    private final Listener listener;
    private final ScheduledExecutorService thread = DaemonThreads.scheduler("dead-letter-writer");
    /** Dead letters not yet written, oldest first, with their JSON. Guarded by {@code this}. */
    private final ArrayDeque<Entry> waiting = new ArrayDeque<>();
    private long waitingBytes;
    private int failedAttempts;
    private long lastLogMillis;
    /** The task's mailbox, to yield to while waiting for room. */
    private final MailboxExecutor mailbox;

    DeadLetterWriter(Destination destination, long maxBufferedBytes, MailboxExecutor mailbox, Listener listener) {
        this.destination = destination;
        this.maxBufferedBytes = maxBufferedBytes;
        this.mailbox = mailbox;
        this.listener = listener;
    }

    /**
     * A writer for a sink writer on the task thread, its counts in {@code metrics}: waiting for room yields to the
     * task's mailbox, and the writer's thread posts a mail when room frees.
     */
    public static DeadLetterWriter open(AwsSettings aws, DeadLetterDestination destination, long maxBufferedBytes,
            MetricGroup metrics, MailboxExecutor mailbox) {
        Counter written = metrics.counter("deadLetters");
        Counter retries = metrics.counter("deadLetterRetries");
        Counter dropped = metrics.counter("deadLettersDropped");
        DeadLetterWriter writer = new DeadLetterWriter(DeadLetterDestinations.of(aws, destination), maxBufferedBytes, mailbox, new Listener() {
            @Override
            public void written(int count) {
                written.inc(count);
            }

            @Override
            public void retried() {
                retries.inc();
            }

            @Override
            public void dropped() {
                dropped.inc();
            }

            @Override
            public void roomFreed() {
                try {
                    mailbox.execute(() -> {}, "room for dead letters");
                } catch (RejectedExecutionException closing) {
                    // The task is stopping: nothing waits for room any more.
                }
            }
        });
        ManagedFlinkMetrics.gauge(metrics, ManagedFlinkMetrics.DEAD_LETTERS_WAITING, writer::waitingCount);
        ManagedFlinkMetrics.rate(metrics, ManagedFlinkMetrics.DEAD_LETTERS_PER_SECOND, written);
        return writer;
    }

    /**
     * Takes a dead letter on the task thread; only when the destination has been down long enough for
     * {@code maxBufferedBytes} to wait does the task wait (the last resort before losing one): yielding to its mailbox,
     * so its timers, the answers of operators chained with it and a cancellation still run, and it reads no input.
     */
    public void write(DeadLetter deadLetter) throws InterruptedException {
        while (!hasRoom()) {
            mailbox.yield();
        }
        add(deadLetter);
    }

    /** Accepts a dead letter at once, whatever waits: the caller decides whether to wait for {@link #hasRoom()} first. */
    public void add(DeadLetter deadLetter) {
        Entry entry = new Entry(deadLetter, deadLetter.toJson(destination.maxBytes()));
        synchronized (this) {
            waiting.add(entry);
            waitingBytes += entry.bytes();
            if (waiting.size() > 1) {
                return; // a drain is scheduled or running
            }
        }
        schedule(0);
    }

    /**
     * False once {@code maxBufferedBytes} wait: the destination has been down long enough that the caller should wait
     * (the last resort before losing one); {@link Listener#roomFreed()} says when it may look again.
     */
    synchronized boolean hasRoom() {
        return waitingBytes < maxBufferedBytes;
    }

    public synchronized List<DeadLetter> unwritten() {
        List<DeadLetter> out = new ArrayList<>(waiting.size());
        waiting.forEach(e -> out.add(e.deadLetter));
        return out;
    }

    synchronized int waitingCount() {
        return waiting.size();
    }

    private void schedule(long delayMillis) {
        try {
            thread.schedule(this::drain, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
            // closing: what waits is in the last checkpoint
        }
    }

    /** On the writer's thread: writes batches until nothing waits, or backs off when the destination fails. */
    private void drain() {
        while (true) {
            List<Entry> batch;
            synchronized (this) {
                if (waiting.isEmpty()) {
                    return;
                }
                List<String> oldest = new ArrayList<>();
                for (Entry e : waiting) {
                    oldest.add(e.json);
                    if (oldest.size() == 500) {
                        break;
                    }
                }
                batch = new ArrayList<>(waiting).subList(0, destination.batchSize(oldest));
            }
            List<Outcome> outcomes;
            try {
                outcomes = destination.write(batch.stream().map(e -> e.json).collect(java.util.stream.Collectors.toList()));
            } catch (RuntimeException unavailable) {
                backOff(AwsFailures.describe(AwsFailures.unwrap(unavailable)));
                return;
            }
            if (!settle(batch, outcomes)) {
                backOff("some entries were not written");
                return;
            }
        }
    }

    /** Removes what was written, degrades what was refused; false when some entry is to be retried. */
    private boolean settle(List<Entry> batch, List<Outcome> outcomes) {
        boolean allSettled = true;
        int written = 0;
        boolean wasFull;
        synchronized (this) {
            wasFull = !hasRoom();
            for (int i = 0; i < batch.size(); i++) {
                Entry e = batch.get(i);
                switch (outcomes.get(i)) {
                    case WRITTEN:
                        remove(e);
                        written++;
                        break;
                    case REFUSED:
                        remove(e);
                        if (e.deadLetter.payload.isEmpty()) {
                            LOG.error("Dead letter ({}) dropped: refused by its destination even without its payload",
                                    e.deadLetter.stage);
                            listener.dropped();
                        } else {
                            Entry bare = new Entry(e.deadLetter, withoutPayload(e.deadLetter).toJson(destination.maxBytes()));
                            waiting.addFirst(bare);
                            waitingBytes += bare.bytes();
                        }
                        break;
                    default:
                        allSettled = false;
                }
            }
            if (allSettled) {
                failedAttempts = 0;
            }
        }
        listener.written(written);
        if (wasFull) {
            listener.roomFreed();
        }
        return allSettled;
    }

    private void remove(Entry e) {
        waiting.remove(e);
        waitingBytes -= e.bytes();
    }

    private void backOff(String why) {
        long delay;
        synchronized (this) {
            failedAttempts++;
            delay = AwsFailures.backoffMillis(BACKOFF_BASE_MILLIS, BACKOFF_MAX_MILLIS, failedAttempts,
                    ThreadLocalRandom.current().nextDouble());
            long now = System.currentTimeMillis();
            if (now - lastLogMillis >= LOG_INTERVAL_MILLIS) {
                lastLogMillis = now;
                LOG.warn("Dead-letter destination unavailable ({}); {} dead letter(s) wait, retrying: {}",
                        failedAttempts, waiting.size(), why);
            }
        }
        listener.retried();
        schedule(delay);
    }

    private static DeadLetter withoutPayload(DeadLetter d) {
        DeadLetter bare = new DeadLetter();
        bare.stage = d.stage;
        bare.reason = d.reason + " (payload omitted: the destination refused it)";
        bare.messageId = d.messageId;
        bare.userId = d.userId;
        bare.sessionId = d.sessionId;
        bare.queueUrl = d.queueUrl;
        bare.source = d.source;
        bare.payload = "";
        bare.payloadEncoding = d.payloadEncoding;
        bare.payloadBytes = d.payloadBytes;
        bare.payloadSha256 = d.payloadSha256;
        bare.payloadTruncated = true;
        bare.timeMillis = d.timeMillis;
        return bare;
    }

    @Override
    public void close() {
        thread.shutdownNow();
        destination.close();
    }

    private static final class Entry {
        final DeadLetter deadLetter;
        final String json;

        Entry(DeadLetter deadLetter, String json) {
            this.deadLetter = deadLetter;
            this.json = json;
        }

        long bytes() {
            return json.length();
        }
    }
}
