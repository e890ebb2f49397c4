package io.sqsbrowser.cleanup;

import io.sqsbrowser.aws.DaemonThreads;
import io.sqsbrowser.aws.AwsClients;
import io.sqsbrowser.aws.AwsFailures;
import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.aws.QueueNames;
import io.sqsbrowser.session.SessionRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.sink.RichSinkFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.cognitoidentity.CognitoIdentityClient;
import software.amazon.awssdk.services.cognitoidentity.model.UnprocessedIdentityId;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

/**
 * Deletes what an ended session leaves behind (SPEC §6): its queue, and its Cognito identity in DeleteIdentities
 * batches of at most 60, on the cleaner's own thread (at once, and every second for what waits). A queue that is
 * already gone counts as deleted. What fails after the SDK's retries and may pass is tried again a second later,
 * what is refused for good is logged and dropped, and what is not yet done is kept in the checkpoint.
 */
public final class SessionEndCleaner extends RichSinkFunction<SessionRecord> implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SessionEndCleaner.class);
    static final int MAX_IDENTITIES_PER_CALL = 60;

    private final AwsSettings aws;
    private final String queuePrefix;
    private final String deadLetterQueueUrl;
    private transient SqsClient sqs;
    private transient CognitoIdentityClient cognito;
    private transient ScheduledExecutorService timer;
    private transient ListState<String> queuesState;
    private transient ListState<String> identitiesState;
    /** Guarded by {@code this}. */
    private transient List<String> queues;
    private transient List<String> identities;
    private transient Counter queuesDeleted;
    private transient Counter identitiesDeleted;
    private transient Counter failures;

    /**
     * @param queuePrefix session queues are {@code <queuePrefix>-<43 characters>}: no other queue is ever deleted
     * @param deadLetterQueueUrl never deleted, whatever its name (null when dead letters go to Kinesis)
     */
    public SessionEndCleaner(AwsSettings aws, String queuePrefix, String deadLetterQueueUrl) {
        this.aws = aws;
        this.queuePrefix = queuePrefix;
        this.deadLetterQueueUrl = deadLetterQueueUrl;
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        queuesState = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("queues-to-delete", String.class));
        identitiesState = context.getOperatorStateStore().getListState(new ListStateDescriptor<>("identities-to-delete", String.class));
        queues = new ArrayList<>();
        identities = new ArrayList<>();
        queuesState.get().forEach(queues::add);
        identitiesState.get().forEach(identities::add);
    }

    @Override
    public void open(Configuration parameters) {
        queuesDeleted = getRuntimeContext().getMetricGroup().counter("sessionQueuesDeleted");
        identitiesDeleted = getRuntimeContext().getMetricGroup().counter("identitiesDeleted");
        failures = getRuntimeContext().getMetricGroup().counter("sessionCleanupFailures");
        sqs = AwsClients.sqs(aws);
        cognito = AwsClients.cognito(aws);
        timer = DaemonThreads.scheduler("session-end-cleaner");
        timer.scheduleWithFixedDelay(this::catchUpSafely, 1, 1, TimeUnit.SECONDS);
    }

    /** Only notes the work: the calls run on the cleaner's own thread, so a slow AWS API never stalls the job. */
    @Override
    public void invoke(SessionRecord ended, Context context) {
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
        } catch (RuntimeException e) {
            failures.inc();
            Throwable cause = AwsFailures.unwrap(e);
            LOG.warn("Could not delete queue {}{}: {}", url, AwsFailures.retryable(cause) ? " yet" : ", giving up",
                    AwsFailures.describe(cause));
            return !AwsFailures.retryable(cause);
        }
        queuesDeleted.inc();
        return true;
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

    @Override
    public synchronized void snapshotState(FunctionSnapshotContext context) throws Exception {
        queuesState.update(new ArrayList<>(queues));
        identitiesState.update(new ArrayList<>(identities));
    }

    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
        if (sqs != null) {
            sqs.close();
        }
        if (cognito != null) {
            cognito.close();
        }
    }
}
