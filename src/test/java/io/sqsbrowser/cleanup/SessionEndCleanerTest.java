package io.sqsbrowser.cleanup;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.aws.QueueNames;
import io.sqsbrowser.session.SessionRecord;
import io.sqsbrowser.testing.Await;
import io.sqsbrowser.local.LocalIdentityServices;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.TestJob;
import io.sqsbrowser.testing.TestSession;
import io.sqsbrowser.crypto.CipherFormat;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import io.sqsbrowser.testing.SinkHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Queues deleted at once, identities in DeleteIdentities batches of at most 60 (Cognito: the local stand-in). */
@ExtendWith(EmulatorsExtension.class)
class SessionEndCleanerTest {
    @Test
    void identitiesGoInBatchesOfAtMostSixtyAndGoneQueuesCountAsDeleted(Emulators emulators) throws Exception {
        TestJob job = new TestJob(emulators, 1);
        try (LocalIdentityServices cognito = job.services) {
            // As the job calls AWS: its role's keys, through the local endpoint that authorizes as IAM does.
            AwsSettings aws = AwsSettings.fromProperties(job.propertyGroups(1).get("Aws"));
            List<String> queues = new ArrayList<>();
            try (var harness = SinkHarness.open(new SessionEndCleanup(aws, TestSession.QUEUE_PREFIX, null), null)) {
                for (int i = 0; i < 130; i++) {
                    SessionRecord ended = new SessionRecord();
                    ended.userId = "u";
                    ended.sessionId = "s" + i;
                    ended.removed = true;
                    ended.identityId = "us-east-1:" + UUID.randomUUID();
                    ended.queueUrl = job.session("a", "u", "s" + i, CipherFormat.GCM).queueUrl;
                    String name = QueueNames.name(ended.queueUrl);
                    if (i % 10 == 0) {
                        emulators.sqs().deleteQueue(b -> b.queueUrl(ended.queueUrl)); // already gone: still done
                    }
                    queues.add(name);
                    harness.processElement(ended, i);
                }
                Await.until(Duration.ofSeconds(10), "all 130 identities to be deleted", () -> cognito.calls("DeleteIdentities")
                        .stream().mapToInt(c -> c.parameters.get("IdentityIdsToDelete").split(",").length).sum() == 130);
            }
            assertThat(cognito.calls("DeleteIdentities")).allSatisfy(c ->
                    assertThat(c.parameters.get("IdentityIdsToDelete").split(",")).hasSizeLessThanOrEqualTo(60));
            List<String> deleted = new ArrayList<>();
            cognito.calls("DeleteIdentities").forEach(c -> deleted.addAll(List.of(c.parameters.get("IdentityIdsToDelete").split(","))));
            assertThat(deleted).hasSize(130).doesNotHaveDuplicates();
            for (String name : queues) {
                assertThat(emulators.sqs().listQueues(b -> b.queueNamePrefix(name)).queueUrls()).isEmpty();
            }
        }
    }

    /**
     * The clean-up's own protection, with no IAM to stop it (ElasticMQ itself, which checks nothing): the role would
     * refuse these deletions too, but the code must not rely on it.
     */
    @Test
    void neverDeletesAQueueThatIsNotASessionQueueNorTheDeadLetterQueue(Emulators emulators) throws Exception {
        {
            AwsSettings aws = new AwsSettings(Emulators.REGION, AwsSettings.Credentials.STATIC, "test", "test",
                    Map.of("sqs", emulators.sqsEndpoint()));
            String deadLetters = emulators.sqs().createQueue(b -> b.queueName(QueueNames.newName("kept"))).queueUrl();
            String otherShape = emulators.sqs().createQueue(b -> b.queueName("kept-dead-letters")).queueUrl();
            String session = emulators.sqs().createQueue(b -> b.queueName(QueueNames.newName("kept"))).queueUrl();
            try (var harness = SinkHarness.open(new SessionEndCleanup(aws, "kept", deadLetters), null)) {
                int i = 0;
                for (String url : List.of(deadLetters, otherShape, session)) {
                    SessionRecord ended = new SessionRecord();
                    ended.userId = "u";
                    ended.sessionId = "s" + i;
                    ended.removed = true;
                    ended.queueUrl = url;
                    harness.processElement(ended, i++);
                }
                Await.until(Duration.ofSeconds(10), "the session queue to be deleted",
                        () -> emulators.sqs().listQueues(b -> b.queueNamePrefix(QueueNames.name(session))).queueUrls().isEmpty());
            }
            assertThat(emulators.sqs().getQueueAttributes(b -> b.queueUrl(deadLetters)).attributes()).isNotNull();
            assertThat(emulators.sqs().getQueueAttributes(b -> b.queueUrl(otherShape)).attributes()).isNotNull();
        }
    }
}
