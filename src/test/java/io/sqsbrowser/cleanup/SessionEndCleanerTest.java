package io.sqsbrowser.cleanup;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.aws.QueueNames;
import io.sqsbrowser.session.SessionRecord;
import io.sqsbrowser.testing.Await;
import io.sqsbrowser.local.LocalIdentityServices;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.TestSession;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import io.sqsbrowser.testing.SinkHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Queues deleted at once, identities in DeleteIdentities batches of at most 60 (Cognito: the test double). */
@ExtendWith(EmulatorsExtension.class)
class SessionEndCleanerTest {
    @Test
    void identitiesGoInBatchesOfAtMostSixtyAndGoneQueuesCountAsDeleted(Emulators emulators) throws Exception {
        try (LocalIdentityServices cognito = new LocalIdentityServices(TestSession.QUEUE_PREFIX, LocalIdentityServices.PrincipalTags.DROPPED)) {
            Map<String, String> endpoints = new HashMap<>(Map.of("sqs", "http://127.0.0.1:" + emulators.sqsPort,
                    "cognitoidentity", cognito.endpoint()));
            AwsSettings aws = new AwsSettings(Emulators.REGION, AwsSettings.Credentials.STATIC, "test", "test", endpoints);
            List<String> queues = new ArrayList<>();
            try (var harness = SinkHarness.open(new SessionEndCleanup(aws, "ended", null), null)) {
                for (int i = 0; i < 130; i++) {
                    SessionRecord ended = new SessionRecord();
                    ended.userId = "u";
                    ended.sessionId = "s" + i;
                    ended.removed = true;
                    ended.identityId = "us-east-1:" + UUID.randomUUID();
                    String name = QueueNames.newName("ended");
                    ended.queueUrl = emulators.sqs().createQueue(b -> b.queueName(name)).queueUrl();
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

    @Test
    void neverDeletesAQueueThatIsNotASessionQueueNorTheDeadLetterQueue(Emulators emulators) throws Exception {
        try (LocalIdentityServices cognito = new LocalIdentityServices(TestSession.QUEUE_PREFIX, LocalIdentityServices.PrincipalTags.DROPPED)) {
            AwsSettings aws = new AwsSettings(Emulators.REGION, AwsSettings.Credentials.STATIC, "test", "test",
                    Map.of("sqs", "http://127.0.0.1:" + emulators.sqsPort, "cognitoidentity", cognito.endpoint()));
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
