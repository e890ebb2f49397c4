package io.sqsbrowser.sqs;

import io.sqsbrowser.aws.AwsFailures;
import io.sqsbrowser.aws.DaemonThreads;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

/**
 * Sends messages to SQS with a bounded number of requests in flight. Messages wait per queue while all
 * request slots are busy, so several ready messages for the same queue leave in one SendMessageBatch
 * (at most 10 entries, within the size limit); when a slot is free a message leaves at once, without a
 * linger. {@linkplain SqsMessage#priority Priority} messages wait apart and leave before all others.
 * Throttling, 5xx and I/O errors are retried with exponential backoff and full jitter for as long
 * as the retry budget lasts (an outage of SQS stalls delivery rather than dead-lettering it); a queue that
 * no longer exists drops its messages; what is refused for good, or still fails when the budget is spent,
 * is reported as {@link SendOutcome.Kind#FAILED} to the caller, which dead-letters it. Thread-safe.
 */
public final class BatchingSender implements MessageSender {
    private static final Logger LOG = LoggerFactory.getLogger(BatchingSender.class);

    /** What the sender reports, for metrics. */
    public interface Listener {
        default void batchSent(int entries) {}

        default void delivered(long latencyNanos) {}

        default void retried() {}

        default void queueGone() {}

        default void failed() {}
    }

    private final SqsAsyncClient sqs;
    private final SenderSettings settings;
    private final Listener listener;
    private final ScheduledExecutorService retryTimer;
    /** Messages waiting for a request slot: priority ones, then the rest; under {@code this}. */
    private final Lane withPriority = new Lane();
    private final Lane others = new Lane();
    /**
     * Queues with a request in flight, or messages waiting to be tried again: their next messages wait, so that a queue
     * gets its messages in the order they were handed over (a session's catch-up before its live messages, its sequence
     * numbers in order), but where SQS asked for an entry again. Under {@code this}.
     */
    private final Set<String> busy = new HashSet<>();
    private int inFlight;

    public BatchingSender(SqsAsyncClient sqs, SenderSettings settings, Listener listener) {
        this.sqs = sqs;
        this.settings = settings;
        this.listener = listener;
        this.retryTimer = DaemonThreads.scheduler("sqs-retry-timer");
    }

    @Override
    public void send(SqsMessage message, Consumer<SendOutcome> done) {
        if (size(message) > settings.maxBatchBytes) {
            listener.failed();
            done.accept(SendOutcome.failed("message of " + size(message) + " bytes exceeds the limit of " + settings.maxBatchBytes));
            return;
        }
        enqueue(new Pending(message, done));
    }

    private void enqueue(Pending p) {
        synchronized (this) {
            String queueUrl = p.message.queueUrl();
            Map<String, ArrayDeque<Pending>> waiting = busy.contains(queueUrl) ? laneOf(p).held : laneOf(p).ready;
            waiting.computeIfAbsent(queueUrl, q -> new ArrayDeque<>()).add(p);
        }
        pump();
    }

    private Lane laneOf(Pending p) {
        return p.message.priority() ? withPriority : others;
    }

    /** Sends waiting batches while request slots are free. */
    private void pump() {
        while (true) {
            List<Pending> batch;
            synchronized (this) {
                if (inFlight >= settings.maxInFlightRequests) {
                    return;
                }
                batch = nextBatch(withPriority);
                if (batch == null) {
                    batch = nextBatch(others);
                }
                if (batch == null) {
                    return;
                }
                inFlight++;
            }
            sendBatch(batch);
        }
    }

    /**
     * Takes up to 10 messages of the lane's ready queue that has waited longest; the queue is then busy, and what it
     * has left waits held until SQS has answered. Null when no queue of the lane is ready.
     */
    private List<Pending> nextBatch(Lane lane) {
        Iterator<Map.Entry<String, ArrayDeque<Pending>>> oldest = lane.ready.entrySet().iterator();
        if (!oldest.hasNext()) {
            return null;
        }
        Map.Entry<String, ArrayDeque<Pending>> entry = oldest.next();
        oldest.remove();
        String queueUrl = entry.getKey();
        busy.add(queueUrl);
        withPriority.hold(queueUrl);
        others.hold(queueUrl);
        ArrayDeque<Pending> queue = entry.getValue();
        List<Pending> batch = new ArrayList<>(Math.min(queue.size(), SenderSettings.MAX_BATCH_ENTRIES));
        int bytes = 0;
        while (!queue.isEmpty() && batch.size() < SenderSettings.MAX_BATCH_ENTRIES
                && bytes + size(queue.peek().message) <= settings.maxBatchBytes) {
            Pending p = queue.poll();
            bytes += size(p.message);
            batch.add(p);
        }
        if (!queue.isEmpty()) {
            lane.held.put(queueUrl, queue);
        }
        return batch;
    }

    private void sendBatch(List<Pending> batch) {
        if (batch.size() == 1) {
            sendOne(batch);
            return;
        }
        List<SendMessageBatchRequestEntry> entries = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            SqsMessage message = batch.get(i).message;
            entries.add(SendMessageBatchRequestEntry.builder().id(Integer.toString(i))
                    .messageBody(message.body()).messageAttributes(attributes(message)).build());
        }
        String queueUrl = batch.get(0).message.queueUrl();
        listener.batchSent(batch.size());
        try {
            sqs.sendMessageBatch(b -> b.queueUrl(queueUrl).entries(entries))
                    .whenComplete((response, error) -> completed(batch, response, error));
        } catch (RuntimeException e) {
            completed(batch, null, e);
        }
    }

    /** A message alone for its queue goes as a SendMessage: a smaller request and answer than a batch of one. */
    private void sendOne(List<Pending> one) {
        SqsMessage message = one.get(0).message;
        listener.batchSent(1);
        try {
            sqs.sendMessage(b -> b.queueUrl(message.queueUrl()).messageBody(message.body()).messageAttributes(attributes(message)))
                    .whenComplete((response, error) -> completed(one, null, error));
        } catch (RuntimeException e) {
            completed(one, null, e);
        }
    }

    /** What SQS counts of a message: its body (ASCII: the envelopes are), and its sequence attribute. */
    private static int size(SqsMessage message) {
        String sequence = message.sequence();
        return message.body().length() + (sequence == null ? 0 : SqsMessage.SEQUENCE.length() + "String".length() + sequence.length());
    }

    /** The message's sequence, as SQS carries it beside the body (no attribute for a message without one). */
    private static Map<String, MessageAttributeValue> attributes(SqsMessage message) {
        String sequence = message.sequence();
        return sequence == null ? null
                : Map.of(SqsMessage.SEQUENCE, MessageAttributeValue.builder().dataType("String").stringValue(sequence).build());
    }

    private void completed(List<Pending> batch, SendMessageBatchResponse response, Throwable error) {
        synchronized (this) {
            inFlight--;
        }
        List<Pending> again = new ArrayList<>();
        if (error != null) {
            requestFailed(batch, AwsFailures.unwrap(error), again);
        } else if (response == null) {
            delivered(batch.get(0));
        } else {
            batchAnswered(batch, response, again);
        }
        String queueUrl = batch.get(0).message.queueUrl();
        if (again.isEmpty()) {
            synchronized (this) {
                release(queueUrl);
            }
        } else {
            tryAgainLater(queueUrl, again);
        }
        pump();
    }

    /**
     * Entries to send again after a backoff, first of their queue, which stays busy meanwhile: what was handed over
     * after them waits, and stays after them.
     */
    private void tryAgainLater(String queueUrl, List<Pending> again) {
        long delay = 0;
        for (Pending p : again) {
            delay = Math.max(delay, settings.backoffMillis(p.attempts, ThreadLocalRandom.current().nextDouble()));
            p.attempts++;
        }
        try {
            retryTimer.schedule(() -> {
                synchronized (this) {
                    for (int i = again.size() - 1; i >= 0; i--) {
                        laneOf(again.get(i)).held.computeIfAbsent(queueUrl, q -> new ArrayDeque<>()).addFirst(again.get(i));
                    }
                    release(queueUrl);
                }
                pump();
            }, delay, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            synchronized (this) {
                release(queueUrl);
            }
            again.forEach(p -> fail(p, "writer closed while retrying"));
        }
    }

    /** The queue is no longer busy: what waits for it is ready, behind the queues that were ready before. Under {@code this}. */
    private void release(String queueUrl) {
        busy.remove(queueUrl);
        withPriority.release(queueUrl);
        others.release(queueUrl);
    }

    /** Settles each entry by the response; an entry the response does not mention is retried. */
    private void batchAnswered(List<Pending> batch, SendMessageBatchResponse response, List<Pending> again) {
        boolean[] settled = new boolean[batch.size()];
        response.successful().forEach(ok -> {
            int i = entryIndex(ok.id(), batch.size());
            if (i >= 0 && !settled[i]) {
                settled[i] = true;
                delivered(batch.get(i));
            }
        });
        for (BatchResultErrorEntry failed : response.failed()) {
            int i = entryIndex(failed.id(), batch.size());
            if (i < 0 || settled[i]) {
                continue;
            }
            settled[i] = true;
            String reason = failed.code() + ": " + failed.message();
            if (SendFailures.retryableEntry(failed.senderFault(), failed.code())) {
                retry(batch.get(i), reason, again);
            } else {
                fail(batch.get(i), reason);
            }
        }
        for (int i = 0; i < settled.length; i++) {
            if (!settled[i]) {
                retry(batch.get(i), "entry missing from the SendMessageBatch response", again);
            }
        }
    }

    private static int entryIndex(String id, int size) {
        try {
            int i = Integer.parseInt(id);
            return i >= 0 && i < size ? i : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private void requestFailed(List<Pending> batch, Throwable error, List<Pending> again) {
        if (SendFailures.queueGone(error)) {
            LOG.warn("Queue {} no longer exists; dropping {} message(s) for its ended session",
                    batch.get(0).message.queueUrl(), batch.size());
            for (Pending p : batch) {
                listener.queueGone();
                p.done.accept(SendOutcome.QUEUE_GONE);
            }
            return;
        }
        String reason = AwsFailures.describe(error);
        boolean retryable = AwsFailures.retryable(error);
        for (Pending p : batch) {
            if (retryable) {
                retry(p, reason, again);
            } else {
                fail(p, reason);
            }
        }
    }

    private void delivered(Pending p) {
        listener.delivered(System.nanoTime() - p.firstAttemptNanos);
        p.done.accept(SendOutcome.SENT);
    }

    /** Adds {@code p} to what is tried again, or fails it when its retries have taken their time. */
    private void retry(Pending p, String reason, List<Pending> again) {
        if (System.nanoTime() - p.firstAttemptNanos >= TimeUnit.MILLISECONDS.toNanos(settings.retryForMillis)) {
            fail(p, "failed after " + p.attempts + " attempts in " + settings.retryForMillis / 1000 + " s, last: " + reason);
            return;
        }
        listener.retried();
        again.add(p);
    }

    private void fail(Pending p, String reason) {
        listener.failed();
        p.done.accept(SendOutcome.failed(reason));
    }

    /** Stops retrying; the client is its owner's to close. */
    @Override
    public void close() {
        retryTimer.shutdownNow();
    }

    /**
     * Messages of one priority waiting for a request slot, per queue: the ready queues (none busy) oldest first, so the
     * next batch is the first one's, found without a search however many queues are busy; and the busy queues' apart.
     */
    private static final class Lane {
        final Map<String, ArrayDeque<Pending>> ready = new LinkedHashMap<>();
        final Map<String, ArrayDeque<Pending>> held = new HashMap<>();

        /** The queue became busy: what it has waiting is held. */
        void hold(String queueUrl) {
            ArrayDeque<Pending> waiting = ready.remove(queueUrl);
            if (waiting != null) {
                held.put(queueUrl, waiting);
            }
        }

        /** The queue is no longer busy: what it has held is ready, at the back. */
        void release(String queueUrl) {
            ArrayDeque<Pending> waiting = held.remove(queueUrl);
            if (waiting != null) {
                ready.put(queueUrl, waiting);
            }
        }
    }

    private static final class Pending {
        final SqsMessage message;
        final Consumer<SendOutcome> done;
        final long firstAttemptNanos = System.nanoTime();
        /** Attempts made or under way. */
        int attempts = 1;

        Pending(SqsMessage message, Consumer<SendOutcome> done) {
            this.message = message;
            this.done = done;
        }
    }
}
