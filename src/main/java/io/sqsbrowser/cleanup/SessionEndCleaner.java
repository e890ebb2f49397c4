package io.sqsbrowser.cleanup;

import io.sqsbrowser.aws.DaemonThreads;
import io.sqsbrowser.aws.AwsClients;
import io.sqsbrowser.aws.AwsFailures;
import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.session.SessionRecord;
import java.util.ArrayList;
import java.util.Iterator;
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
 * Deletes what an ended session leaves behind (SPEC §6): its queue at once, and its Cognito identity in
 * DeleteIdentities batches of at most 60 (when 60 are waiting, and every second for the rest). A queue that
 * is already gone counts as deleted. What still fails after the SDK's retries is tried again a second later,
 * and what is not yet done is kept in the checkpoint.
 */
public final class SessionEndCleaner extends RichSinkFunction<SessionRecord> implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SessionEndCleaner.class);
    static final int MAX_IDENTITIES_PER_CALL = 60;

    private final AwsSettings aws;
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

    public SessionEndCleaner(AwsSettings aws) {
        this.aws = aws;
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
        timer.scheduleWithFixedDelay(this::catchUp, 1, 1, TimeUnit.SECONDS);
    }

    @Override
    public synchronized void invoke(SessionRecord ended, Context context) {
        if (ended.queueUrl != null) {
            queues.add(ended.queueUrl);
        }
        if (ended.identityId != null) {
            identities.add(ended.identityId);
        }
        deleteQueues();
        while (identities.size() >= MAX_IDENTITIES_PER_CALL) {
            if (!deleteIdentities()) {
                break;
            }
        }
    }

    /** Every second: the identities of a partial batch, and anything that failed before. */
    private synchronized void catchUp() {
        try {
            deleteQueues();
            while (!identities.isEmpty() && deleteIdentities()) {
                // next batch
            }
        } catch (RuntimeException e) {
            failures.inc();
            LOG.warn("Session clean-up will be tried again: {}", AwsFailures.describe(e));
        }
    }

    private void deleteQueues() {
        for (Iterator<String> it = queues.iterator(); it.hasNext(); ) {
            String url = it.next();
            try {
                sqs.deleteQueue(b -> b.queueUrl(url));
            } catch (QueueDoesNotExistException alreadyGone) {
                // done before, by /destroy or an earlier attempt
            } catch (RuntimeException e) {
                failures.inc();
                LOG.warn("Could not delete queue {} yet: {}", url, AwsFailures.describe(e));
                continue;
            }
            it.remove();
            queuesDeleted.inc();
        }
    }

    /** Deletes up to 60 identities; false when the call failed and should wait for the next try. */
    private boolean deleteIdentities() {
        List<String> batch = new ArrayList<>(identities.subList(0, Math.min(MAX_IDENTITIES_PER_CALL, identities.size())));
        List<UnprocessedIdentityId> unprocessed;
        try {
            unprocessed = cognito.deleteIdentities(b -> b.identityIdsToDelete(batch)).unprocessedIdentityIds();
        } catch (RuntimeException e) {
            failures.inc();
            LOG.warn("Could not delete {} Cognito identities yet: {}", batch.size(), AwsFailures.describe(e));
            return false;
        }
        identities.subList(0, batch.size()).clear();
        for (UnprocessedIdentityId u : unprocessed) {
            // IdentityNotFound means deleted already; only a server error is worth another try.
            if ("InternalServerError".equals(u.errorCodeAsString())) {
                identities.add(u.identityId());
                failures.inc();
            }
        }
        identitiesDeleted.inc(batch.size() - unprocessed.size());
        return true;
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
