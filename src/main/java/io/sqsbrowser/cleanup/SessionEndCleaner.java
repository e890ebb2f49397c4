package io.sqsbrowser.cleanup;

import io.sqsbrowser.aws.DaemonThreads;
import io.sqsbrowser.aws.AwsClients;
import io.sqsbrowser.aws.AwsFailures;
import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.aws.QueueNames;
import io.sqsbrowser.session.SessionRecord;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.connector.sink2.StatefulSinkWriter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.cognitoidentity.CognitoIdentityClient;
import software.amazon.awssdk.services.cognitoidentity.model.UnprocessedIdentityId;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;
import software.amazon.awssdk.services.sqs.model.SqsException;

/**
 * Deletes what an ended session leaves behind (SPEC §6): its queue, and its Cognito identity in DeleteIdentities
 * batches of at most 60, on the cleaner's own thread (at once, and every second for what waits). A queue that is
 * already gone counts as deleted. What fails after the SDK's retries and may pass is tried again a second later,
 * what is refused for good is logged and dropped, and what is not yet done is kept in the checkpoint. The writer of
 * {@link SessionEndCleanup}, one per subtask.
 */
final class SessionEndCleaner implements StatefulSinkWriter<SessionRecord, Leftover> {
    private static final Logger LOG = LoggerFactory.getLogger(SessionEndCleaner.class);
    static final int MAX_IDENTITIES_PER_CALL = 60;

    private final String queuePrefix;
    private final String deadLetterQueueUrl;
    private final SqsClient sqs;
    private final CognitoIdentityClient cognito;
    private final ScheduledExecutorService timer = DaemonThreads.scheduler("session-end-cleaner");
    /** Guarded by {@code this}. */
    private final List<String> queues = new ArrayList<>();
    private final List<String> identities = new ArrayList<>();
    private final Counter queuesDeleted;
    private final Counter identitiesDeleted;
    private final Counter failures;

    /**
     * @param queuePrefix session queues are {@code <queuePrefix>-<43 characters>}: no other queue is ever deleted
     * @param deadLetterQueueUrl never deleted, whatever its name (null when dead letters go to Kinesis)
     */
    SessionEndCleaner(AwsSettings aws, String queuePrefix, String deadLetterQueueUrl, MetricGroup metrics, Collection<Leftover> restored) {
        this.queuePrefix = queuePrefix;
        this.deadLetterQueueUrl = deadLetterQueueUrl;
        queuesDeleted = metrics.counter("sessionQueuesDeleted");
        identitiesDeleted = metrics.counter("identitiesDeleted");
        failures = metrics.counter("sessionCleanupFailures");
        for (Leftover l : restored) {
            if (l.queueUrl != null) {
                queues.add(l.queueUrl);
            } else {
                identities.add(l.identityId);
            }
        }
        sqs = AwsClients.sqs(aws);
        cognito = AwsClients.cognito(aws);
        timer.scheduleWithFixedDelay(this::catchUpSafely, 0, 1, TimeUnit.SECONDS);
    }

    /** Only notes the work: the calls run on the cleaner's own thread, so a slow AWS API never stalls the job. */
    @Override
    public void write(SessionRecord ended, Context context) {
        synchronized (this) {
            if (ended.queueUrl != null && isSessionQueue(ended.queueUrl)) {
                queues.add(ended.queueUrl);
            } else if (ended.queueUrl != null) {
                LOG.warn("Session {} names queue {}, which is not a session queue: not deleting it", ended.key(), ended.queueUrl);
            }
            if (ended.identityId != null) {
                identities.add(ended.identityId);
            }
        }
        timer.execute(this::catchUpSafely);
    }

    private boolean isSessionQueue(String url) {
        return !url.equals(deadLetterQueueUrl) && QueueNames.isSessionQueue(QueueNames.name(url), queuePrefix);
    }

    /** On the cleaner's thread: deletes the waiting queues and identities; what fails and may pass waits a second. */
    private void catchUp() {
        List<String> queueBatch;
        List<String> identityBatch;
        synchronized (this) {
            queueBatch = new ArrayList<>(queues);
            identityBatch = new ArrayList<>(identities);
        }
        for (String url : queueBatch) {
            if (deleteQueue(url)) {
                synchronized (this) {
                    queues.remove(url);
                }
            }
        }
        for (int from = 0; from < identityBatch.size(); from += MAX_IDENTITIES_PER_CALL) {
            List<String> batch = identityBatch.subList(from, Math.min(identityBatch.size(), from + MAX_IDENTITIES_PER_CALL));
            List<String> retry = deleteIdentities(batch);
            synchronized (this) {
                batch.forEach(identities::remove);
                identities.addAll(retry);
            }
        }
    }

    /** True when the queue is gone: deleted now, before, or refused for good (logged). */
    private boolean deleteQueue(String url) {
        try {
            sqs.deleteQueue(b -> b.queueUrl(url));
        } catch (QueueDoesNotExistException alreadyGone) {
            return true; // by /destroy or an earlier attempt
        } catch (SqsException e) {
            if (!"AccessDenied".equals(AwsFailures.errorCode(e))) {
                return failed(url, e);
            }
            // The role deletes only queues tagged with this deployment. A queue /destroy deleted first has no tags any
            // more: whether SQS then answers that it does not exist or that access is denied, AWS does not say. Either
            // way there is nothing of this deployment's left to delete (a misconfigured role fails the local tests and
            // the IAM check, which evaluate every call against the template).
            LOG.info("Queue {} not deleted: not this deployment's, or already gone ({})", url, AwsFailures.describe(e));
            return true;
        } catch (RuntimeException e) {
            return failed(url, e);
        }
        queuesDeleted.inc();
        return true;
    }

    /** Counts and logs a failed deletion; true when it is not worth another try. */
    private boolean failed(String url, RuntimeException e) {
        failures.inc();
        Throwable cause = AwsFailures.unwrap(e);
        LOG.warn("Could not delete queue {}{}: {}", url, AwsFailures.retryable(cause) ? " yet" : ", giving up",
                AwsFailures.describe(cause));
        return !AwsFailures.retryable(cause);
    }

    /** Deletes up to 60 identities; answers those worth another try. */
    private List<String> deleteIdentities(List<String> batch) {
        List<UnprocessedIdentityId> unprocessed;
        try {
            unprocessed = cognito.deleteIdentities(b -> b.identityIdsToDelete(batch)).unprocessedIdentityIds();
        } catch (RuntimeException e) {
            failures.inc();
            Throwable cause = AwsFailures.unwrap(e);
            LOG.warn("Could not delete {} Cognito identities{}: {}", batch.size(),
                    AwsFailures.retryable(cause) ? " yet" : ", giving up", AwsFailures.describe(cause));
            return AwsFailures.retryable(cause) ? batch : List.of();
        }
        List<String> retry = new ArrayList<>();
        for (UnprocessedIdentityId u : unprocessed) {
            // IdentityNotFound means deleted already; only a server error is worth another try.
            if ("InternalServerError".equals(u.errorCodeAsString())) {
                retry.add(u.identityId());
                failures.inc();
            }
        }
        identitiesDeleted.inc(batch.size() - unprocessed.size());
        return retry;
    }

    private void catchUpSafely() {
        try {
            catchUp();
        } catch (RuntimeException e) {
            failures.inc();
            LOG.warn("Session clean-up will be tried again: {}", AwsFailures.describe(e));
        }
    }

    /** Nothing to wait for: what is not deleted yet is in the checkpoint ({@link #snapshotState}). */
    @Override
    public void flush(boolean endOfInput) {}

    @Override
    public synchronized List<Leftover> snapshotState(long checkpointId) {
        List<Leftover> leftovers = new ArrayList<>(queues.size() + identities.size());
        queues.forEach(q -> leftovers.add(Leftover.queue(q)));
        identities.forEach(i -> leftovers.add(Leftover.identity(i)));
        return leftovers;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        sqs.close();
        cognito.close();
    }
}
