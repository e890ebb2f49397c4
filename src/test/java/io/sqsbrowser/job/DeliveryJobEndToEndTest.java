package io.sqsbrowser.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.local.AwsResources;
import io.sqsbrowser.local.ChangeRecords;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.Await;
import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.Mailboxes;
import io.sqsbrowser.testing.TestJob;
import io.sqsbrowser.testing.TestSession;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * The whole job on a Flink MiniCluster against kinesalite, dynalite and ElasticMQ: sessions arrive through
 * the change stream and the bootstrap scan (some following topics), events of every scope go onto the event stream, and each queue
 * must hold exactly its messages, decrypted with its own key.
 */
@ExtendWith(EmulatorsExtension.class)
class DeliveryJobEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    @Test
    void eachSessionReceivesExactlyItsMessages(Emulators emulators) throws Exception {
        TestJob job = new TestJob(emulators, 2);
        TestSession s1 = job.session("100", "200", "s1-" + job.eventStream, CipherFormat.CTR);
        TestSession s2 = job.session("100", "200", "s2-" + job.eventStream, CipherFormat.GCM)
                .following("politics");
        TestSession s3 = job.session("100", "201", "s3-" + job.eventStream, CipherFormat.GCM)
                .following("world");
        TestSession s4 = job.session("101", "300", "s4-" + job.eventStream, CipherFormat.CTR)
                .following("politics", "world");
        TestSession expired = job.session("101", "301", "s5-" + job.eventStream, CipherFormat.GCM).expired();
        TestSession destroyed = job.session("101", "301", "s6-" + job.eventStream, CipherFormat.GCM);
        List<TestSession> live = List.of(s1, s2, s3, s4);

        // s3 exists before the job starts: only the bootstrap scan can know it.
        emulators.dynamoDb().putItem(b -> b.tableName(job.sessionTable).item(s3.item()));
        for (TestSession s : List.of(s1, s2, s4, expired, destroyed)) {
            putChange(emulators, job, s.userId, ChangeRecords.insert(s.item()));
        }
        // Its TTL passes: the job deletes its queue (after /destroy the Lambda has, and the job only its identity).
        putChange(emulators, job, destroyed.userId, ChangeRecords.remove(destroyed.item(), true));
        // A duplicate of s1's insert arriving late changes nothing.
        putChange(emulators, job, s1.userId, ChangeRecords.insert(s1.item()));

        JobClient client = job.start(2);
        try {
            Mailboxes mail = new Mailboxes(emulators.sqs(), List.of(s1, s2, s3, s4, expired));
            job.awaitSessionsKnown(mail, live);

            Map<String, String> events = new LinkedHashMap<>();
            events.put("everyone", "{\"_everyone\":true,\"message\":\"Hello Everyone\",\"messageId\":\"m-everyone\"}");
            events.put("account", "{\"message\":\"Hello Account\",\"accountId\":100,\"messageId\":\"m-account-100\"}");
            events.put("user", "{\"message\":\"Hello User\",\"userId\":200,\"messageId\":\"m-user-200\"}");
            events.put("session", "{\"message\":\"Hello Session\",\"userId\":\"300\",\"sessionId\":\"" + s4.sessionId
                    + "\",\"messageId\":\"m-session-s4\"}");
            events.put("topic", "{\"message\":\"Hello Politics\",\"topic\":\"politics\",\"messageId\":\"m-politics\"}");
            events.put("topic-account", "{\"topic\":\"world\",\"accountId\":100,\"messageId\":\"m-world-100\"}");
            events.put("bad-routing", "{\"message\":\"never\",\"userId\":{\"not\":\"an id\"},\"messageId\":\"m-bad\"}");
            events.put("bad-topic", "{\"message\":\"never\",\"topic\":[\"politics\",\"world\"],\"messageId\":\"m-bad-topic\"}");
            events.put("not-json", "this is not json");
            events.put("after-bad", "{\"message\":\"Still here\",\"accountId\":\"101\",\"messageId\":\"m-account-101\"}");
            events.put("derived-id", "{\"message\":\"No id given\",\"userId\":\"201\"}");
            for (String event : events.values()) {
                AwsResources.put(emulators.kinesis(), job.eventStream, Integer.toString(event.hashCode()),
                        event.getBytes(StandardCharsets.UTF_8));
            }

            Map<TestSession, Set<String>> expected = new HashMap<>();
            expected.put(s1, ids("m-everyone", "m-account-100", "m-user-200"));
            expected.put(s2, ids("m-everyone", "m-account-100", "m-user-200", "m-politics"));
            expected.put(s3, ids("m-everyone", "m-account-100", "m-world-100"));
            expected.put(s4, ids("m-everyone", "m-session-s4", "m-account-101", "m-politics"));
            mail.awaitAtLeast(expected, Duration.ofSeconds(60));
            Await.until(Duration.ofSeconds(30), "the event with a derived id", () -> {
                mail.poll();
                return mail.messageIds(s3).stream().anyMatch(id -> !id.startsWith("m-"));
            });
            expected.get(s3).add(mail.messageIds(s3).stream().filter(id -> !id.startsWith("m-")).findFirst().orElseThrow());

            mail.poll();
            mail.forget("probe");
            for (TestSession s : live) {
                assertThat(mail.messageIds(s)).as("messages of %s", s).isEqualTo(expected.get(s));
            }
            assertThat(mail.messageIds(expired)).as("an expired session receives nothing").isEmpty();
            // A removed session receives nothing: its queue is deleted, and its identity.
            Await.until(Duration.ofSeconds(30), "the removed session's queue and identity to go",
                    () -> emulators.sqs().listQueues(b -> b.queueNamePrefix(queueName(destroyed))).queueUrls().isEmpty()
                            && job.services.calls("DeleteIdentities").stream().anyMatch(c -> c.parameters
                                    .get("IdentityIdsToDelete").contains(destroyed.item().get("identityId").s())));

            JsonNode hello = mail.message(s1, "m-user-200");
            assertThat(hello.get("message").asText()).isEqualTo("Hello User");
            assertThat(hello.get("userId").asInt()).isEqualTo(200);
            assertThat(mail.message(s4, "m-session-s4").get("message").asText()).isEqualTo("Hello Session");

            List<JsonNode> deadLetters = deadLetters(emulators, job, 3);
            assertThat(deadLetters).extracting(d -> d.get("reason").asText()).containsExactlyInAnyOrder(
                    "invalid routing field: userId must be an integer or a string, got OBJECT",
                    "invalid routing field: topic must be a string, got ARRAY",
                    "not a JSON object: Unrecognized token 'this': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')");
            assertThat(deadLetters).extracting(d -> d.get("payload").asText())
                    .containsExactlyInAnyOrder(events.get("bad-routing"), events.get("bad-topic"), events.get("not-json"));
        } finally {
            client.cancel().get();
        }
    }

    static List<JsonNode> deadLetters(Emulators emulators, TestJob job, int expected) {
        List<JsonNode> out = new ArrayList<>();
        Await.until(Duration.ofSeconds(30), expected + " dead letters", () -> {
            for (Message m : emulators.sqs().receiveMessage(b -> b.queueUrl(job.deadLetterQueue).maxNumberOfMessages(10)
                    .waitTimeSeconds(1)).messages()) {
                try {
                    out.add(JSON.readTree(m.body()));
                } catch (Exception e) {
                    throw new AssertionError("dead letter is not JSON: " + m.body(), e);
                }
            }
            return out.size() >= expected;
        });
        return out;
    }

    private static String queueName(TestSession s) {
        return s.queueUrl.substring(s.queueUrl.lastIndexOf('/') + 1);
    }

    private static void putChange(Emulators emulators, TestJob job, String partitionKey, byte[] record) {
        AwsResources.put(emulators.kinesis(), job.changeStream, partitionKey, record);
    }

    private static Set<String> ids(String... ids) {
        return new TreeSet<>(List.of(ids));
    }
}
