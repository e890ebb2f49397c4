package io.sqsbrowser.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sqsbrowser.api.ApiConfig;
import io.sqsbrowser.api.ApiHandler;
import io.sqsbrowser.local.AwsResources;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.local.LocalDynamoDbFeatures;
import io.sqsbrowser.local.LocalIdentityServices;
import io.sqsbrowser.local.StackConfig;
import io.sqsbrowser.local.LocalDeployment;
import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.Mailboxes;
import io.sqsbrowser.testing.TestJob;
import io.sqsbrowser.testing.TestSession;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.jobgraph.SavepointConfigOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * SPEC §4: a session receives every event put on the stream after its {@code /create} answered, even while the news of
 * its creation is still on the way to the job. Sessions are created through the session API while user, account and
 * everyone events flow, one every 50 ms; the session table's change stream is 3 s late (the local stand-in of
 * DynamoDB's Kinesis destination, held back: its lag on AWS). Every event put after a session's {@code /create}
 * answered that matches it reaches it, once; and when the job is stopped with a savepoint in the middle and started
 * again from it, none is lost (what was in flight at the savepoint is sent again: at-least-once, as for any session).
 */
@ExtendWith(EmulatorsExtension.class)
class LateSessionTest {
    private static final Duration CHANGE_STREAM_LAG = Duration.ofSeconds(3);
    private static final int USERS = 8;

    /** An event put on the stream: when its put began, and whom it is for. */
    private static final class Sent {
        final String messageId;
        final String accountId;
        final String userId;
        final long putAt;

        Sent(String messageId, String accountId, String userId, long putAt) {
            this.messageId = messageId;
            this.accountId = accountId;
            this.userId = userId;
            this.putAt = putAt;
        }
    }

    @Test
    void everySessionGetsEveryEventPutAfterItsCreateAnsweredOnceThroughALaggingChangeStream(Emulators emulators) throws Exception {
        Mailboxes mail = run(emulators, false);
        assertThat(mail.copies()).as("each message once").isZero();
    }

    @Test
    void noneIsLostWhenTheJobIsRestoredFromASavepointInTheMiddle(Emulators emulators) throws Exception {
        run(emulators, true);
    }

    private static Mailboxes run(Emulators emulators, boolean restoreInTheMiddle) throws Exception {
        LocalDeployment names = LocalDeployment.of("late" + UUID.randomUUID().toString().substring(0, 8), Map.of(), emulators.sqsEndpoint());
        names.create(emulators, emulators.iam(), 2);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (LocalIdentityServices identity = new LocalIdentityServices(emulators.iam(), names, LocalIdentityServices.PrincipalTags.DROPPED, 900);
             LocalDynamoDbFeatures dynamoDb = new LocalDynamoDbFeatures(emulators.dynamoDb(), emulators.kinesis(), names.sessionTable,
                     names.historyTable, names.changeStream, Duration.ofMillis(200), CHANGE_STREAM_LAG)) {
            StackConfig config = new StackConfig(emulators, names, identity.endpoint());
            ApiHandler api = new ApiHandler(ApiConfig.fromEnvironment(config.apiEnvironment()));
            Map<String, Properties> groups = config.jobProperties(2);
            JobClient job = TestJob.start(StreamExecutionEnvironment.createLocalEnvironment(2, new Configuration()), groups);
            List<Sent> sent = new CopyOnWriteArrayList<>();
            Future<?> producing = threads.submit(() -> produce(emulators, names.eventStream, sent, 200));
            Map<TestSession, Long> created = new HashMap<>();
            Future<?> creating = threads.submit(() -> {
                for (int i = 0; i < 2 * USERS; i++) {
                    JsonNode answer = TestApiCalls.get(api, "/create/acct" + i % 2 + "/user" + i % USERS + "/tab" + i);
                    created.put(TestSession.ofCreateAnswer(answer.get("session")), System.currentTimeMillis());
                    sleep(350);
                }
                return null;
            });
            if (restoreInTheMiddle) {
                sleep(5_000);
                Path savepoints = Files.createTempDirectory("late-session");
                String savepoint = job.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL).get();
                Configuration restore = new Configuration();
                restore.set(SavepointConfigOptions.SAVEPOINT_PATH, savepoint);
                job = TestJob.start(StreamExecutionEnvironment.createLocalEnvironment(2, restore), groups);
            }
            try {
                creating.get();
                producing.get();
                Map<TestSession, Set<String>> expected = new HashMap<>();
                created.forEach((session, answeredAt) -> expected.put(session, due(session, answeredAt, sent)));
                assertThat(expected.values().stream().mapToInt(Set::size).sum()).as("events put after the sessions' creation").isGreaterThan(400);
                Mailboxes mail = new Mailboxes(emulators.sqs(), created.keySet());
                mail.awaitAtLeast(expected, Duration.ofSeconds(120));
                Thread.sleep(1_000);
                mail.poll();
                return mail;
            } finally {
                TestJob.stop(job);
            }
        } finally {
            threads.shutdownNow();
        }
    }

    /** One event every 50 ms, in turn a user event, an account event and an everyone event. */
    private static Void produce(Emulators emulators, String stream, List<Sent> sent, int count) {
        for (int i = 0; i < count; i++) {
            String id = "late-" + i;
            String account = i % 3 == 1 ? "acct" + (i / 3) % 2 : null;
            String user = i % 3 == 0 ? "user" + (i / 3) % USERS : null;
            String json = "{" + (account != null ? "\"accountId\":\"" + account + "\"," : "") + (user != null ? "\"userId\":\"" + user + "\"," : "")
                    + (account == null && user == null ? "\"_everyone\":true," : "") + "\"messageId\":\"" + id + "\"}";
            long putAt = System.currentTimeMillis();
            AwsResources.put(emulators.kinesis(), stream, id, json.getBytes(StandardCharsets.UTF_8));
            sent.add(new Sent(id, account, user, putAt));
            sleep(50);
        }
        return null;
    }

    /** What a session is owed: every event put after its /create answered that matches it. */
    private static Set<String> due(TestSession session, long answeredAt, List<Sent> sent) {
        Set<String> ids = new TreeSet<>();
        for (Sent e : sent) {
            if (e.putAt > answeredAt && (e.accountId == null || e.accountId.equals(session.accountId))
                    && (e.userId == null || e.userId.equals(session.userId))) {
                ids.add(e.messageId);
            }
        }
        return ids;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The handler called as API Gateway calls it. */
    private static final class TestApiCalls {
        static JsonNode get(ApiHandler api, String path) {
            try {
                return new com.fasterxml.jackson.databind.ObjectMapper().readTree(api.handleRequest(
                        new com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent().withHttpMethod("GET").withPath(path),
                        null).getBody());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
