package io.sqsbrowser.sqs;

import io.sqsbrowser.aws.AwsFailures;
import io.sqsbrowser.aws.DaemonThreads;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.BatchResultErrorEntry;
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
    /** Messages waiting for a request slot, per queue, oldest queue first: priority ones, then the rest; under {@code this}. */
    private final Map<String, ArrayDeque<Pending>> waitingWithPriority = new LinkedHashMap<>();
    private final Map<String, ArrayDeque<Pending>> waiting = new LinkedHashMap<>();
    private int inFlight;

    public BatchingSender(SqsAsyncClient sqs, SenderSettings settings, Listener listener) {
        this.sqs = sqs;
        this.settings = settings;
        this.listener = listener;
        this.retryTimer = DaemonThreads.scheduler("sqs-retry-timer");
    }

    @Override
    public void send(SqsMessage message, Consumer<SendOutcome> done) {
        if (message.body().length() > settings.maxBatchBytes) {
            listener.failed();
            done.accept(SendOutcome.failed("message body of " + message.body().length() + " bytes exceeds the limit of "
                    + settings.maxBatchBytes));
            return;
        }
        enqueue(new Pending(message, done));
    }

    private void enqueue(Pending p) {
        synchronized (this) {
            (p.message.priority() ? waitingWithPriority : waiting).computeIfAbsent(p.message.queueUrl(), q -> new ArrayDeque<>()).add(p);
        }
        pump();
    }

    /** Sends waiting batches while request slots are free. */
    private void pump() {
        while (true) {
            List<Pending> batch;
            synchronized (this) {
                if (inFlight >= settings.maxInFlightRequests || waitingWithPriority.isEmpty() && waiting.isEmpty()) {
                    return;
                }
                batch = nextBatch(waitingWithPriority.isEmpty() ? waiting : waitingWithPriority);
                inFlight++;
            }
            sendBatch(batch);
        }
    }

    /** Takes up to 10 messages of the lane's queue that has waited longest; the queue then goes to the back. */
    private List<Pending> nextBatch(Map<String, ArrayDeque<Pending>> lane) {
        Iterator<Map.Entry<String, ArrayDeque<Pending>>> oldest = lane.entrySet().iterator();
        Map.Entry<String, ArrayDeque<Pending>> entry = oldest.next();
        oldest.remove();
        ArrayDeque<Pending> queue = entry.getValue();
        List<Pending> batch = new ArrayList<>(Math.min(queue.size(), SenderSettings.MAX_BATCH_ENTRIES));
        int bytes = 0;
        while (!queue.isEmpty() && batch.size() < SenderSettings.MAX_BATCH_ENTRIES
                && bytes + queue.peek().message.body().length() <= settings.maxBatchBytes) {
            Pending p = queue.poll();
            bytes += p.message.body().length();
            batch.add(p);
        }
        if (!queue.isEmpty()) {
            lane.put(entry.getKey(), queue);
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
            entries.add(SendMessageBatchRequestEntry.builder().id(Integer.toString(i))
                    .messageBody(batch.get(i).message.body()).build());
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
            sqs.sendMessage(b -> b.queueUrl(message.queueUrl()).messageBody(message.body()))
                    .whenComplete((response, error) -> completed(one, null, error));
        } catch (RuntimeException e) {
            completed(one, null, e);
        }
    }

    private void completed(List<Pending> batch, SendMessageBatchResponse response, Throwable error) {
        synchronized (this) {
            inFlight--;
        }
        if (error != null) {
            requestFailed(batch, AwsFailures.unwrap(error));
        } else if (response == null) {
            delivered(batch.get(0));
        } else {
            batchAnswered(batch, response);
        }
        pump();
    }

    /** Settles each entry by the response; an entry the response does not mention is retried. */
    private void batchAnswered(List<Pending> batch, SendMessageBatchResponse response) {
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
                retry(batch.get(i), reason);
            } else {
                fail(batch.get(i), reason);
            }
        }
        for (int i = 0; i < settled.length; i++) {
            if (!settled[i]) {
                retry(batch.get(i), "entry missing from the SendMessageBatch response");
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

    private void requestFailed(List<Pending> batch, Throwable error) {
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
                retry(p, reason);
            } else {
                fail(p, reason);
            }
        }
    }

    private void delivered(Pending p) {
        listener.delivered(System.nanoTime() - p.firstAttemptNanos);
        p.done.accept(SendOutcome.SENT);
    }

    private void retry(Pending p, String reason) {
        if (System.nanoTime() - p.firstAttemptNanos >= TimeUnit.MILLISECONDS.toNanos(settings.retryForMillis)) {
            fail(p, "failed after " + p.attempts + " attempts in " + settings.retryForMillis / 1000 + " s, last: " + reason);
            return;
        }
        listener.retried();
        long delay = settings.backoffMillis(p.attempts, ThreadLocalRandom.current().nextDouble());
        p.attempts++;
        try {
            retryTimer.schedule(() -> enqueue(p), delay, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            fail(p, "writer closed while retrying, last: " + reason);
        }
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
