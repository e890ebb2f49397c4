package io.sqsbrowser.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.Await;
import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.Mailboxes;
import io.sqsbrowser.testing.TestJob;
import io.sqsbrowser.testing.TestSession;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.jobgraph.SavepointConfigOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * State written by every earlier release restores into this one: each {@link SavepointFixture} (sessions, tombstones,
 * a broadcast cut in the middle, events taken and not confirmed, history rows and a dead letter that could not be
 * written) is restored, strictly (no state may be left unmapped), at the parallelism it was taken at and at another
 * (a rescale), into the current job against fresh streams and tables and the sessions' queues made again. The job
 * then finishes what was in progress: every session has every message it was owed, before the savepoint or after,
 * the destroyed session nothing, every history row is written and the waiting dead letter delivered.
 */
@ExtendWith(EmulatorsExtension.class)
class SavepointCompatibilityTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Stream<Arguments> fixtures() throws Exception {
        List<Arguments> out = new ArrayList<>();
        for (Path dir : SavepointFixture.all()) {
            int taken = SavepointFixture.read(dir).parallelism;
            out.add(Arguments.of(dir.getFileName().toString(), taken));
            out.add(Arguments.of(dir.getFileName().toString(), taken == 1 ? 2 : 1));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} at parallelism {1}")
    @MethodSource("fixtures")
    void theCurrentJobRestoresItAndFinishesWhatWasInProgress(String name, int parallelism, Emulators emulators) throws Exception {
        Path dir = SavepointFixture.ROOT.resolve(name);
        SavepointFixture fixture = SavepointFixture.read(dir);
        TestJob job = new TestJob(emulators, 2);
        Map<String, TestSession> live = new HashMap<>();
        List<TestSession> removed = new ArrayList<>();
        for (SavepointFixture.Session s : fixture.sessions) {
            TestSession session = TestSession.known(emulators.sqs(), job.deployment.deploymentId, s.accountId, s.userId, s.sessionId,
                    s.queueName, s.aesKey, CipherFormat.fromAttribute(s.cipher));
            if (s.removed) {
                removed.add(session);
            } else {
                live.put(s.key(), session);
            }
        }
        Map<String, Properties> groups = job.propertyGroups(parallelism);
        // The fixture's sessions name their queues by the URLs of the ElasticMQ that wrote it (another port). ElasticMQ
        // reads a queue from the URL's path and serves them; the local AWS endpoint, like SQS, takes only URLs of its own.
        groups.get("Aws").setProperty("endpoint.sqs", emulators.sqsEndpoint());
        groups.get("Job").setProperty("maxParallelism", Integer.toString(fixture.maxParallelism));
        Configuration conf = new Configuration();
        conf.set(SavepointConfigOptions.SAVEPOINT_PATH, SavepointFixture.savepoint(dir).toAbsolutePath().toUri().toString());
        conf.set(SavepointConfigOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, false);
        JobClient client = TestJob.start(StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf), groups);
        List<TestSession> all = new ArrayList<>(live.values());
        all.addAll(removed);
        Mailboxes mail = new Mailboxes(emulators.sqs(), all);
        try {
            Map<TestSession, Set<String>> owed = new HashMap<>();
            fixture.expected.forEach((session, ids) -> {
                Set<String> missing = new TreeSet<>(ids);
                missing.removeAll(fixture.deliveredBefore.getOrDefault(session, List.of()));
                owed.put(live.get(session), missing);
            });
            mail.awaitAtLeast(owed, Duration.ofSeconds(120));
            Await.until(Duration.ofSeconds(60), () -> "history rows " + missingRows(emulators, job, fixture),
                    () -> missingRows(emulators, job, fixture).isEmpty());
            Await.until(Duration.ofSeconds(60), "the waiting dead letter", () -> deadLetterStages(emulators, job)
                    .containsAll(fixture.deadLetterStagesExpected));
            mail.poll();
            for (TestSession s : removed) {
                assertThat(mail.messageIds(s)).as("the destroyed session %s", s).isEmpty();
            }
            // Probes the writer broadcast to learn that the job knew every session were still going out, too.
            mail.forget("probe");
            for (TestSession s : live.values()) {
                assertThat(mail.messageIds(s)).as("nothing a session was not owed").isSubsetOf(fixture.expected.get(s.userId + "/" + s.sessionId));
                List<String> before = fixture.sequencesBefore.get(s.userId + "/" + s.sessionId);
                if (before != null && !before.isEmpty()) {
                    goesOnWithItsNumbering(s, before, mail.sequences(s).values());
                }
            }
            assertThat(client.getJobStatus().get()).isEqualTo(JobStatus.RUNNING);
        } finally {
            TestJob.stop(client);
            all.forEach(s -> emulators.sqs().deleteQueue(b -> b.queueUrl(s.queueUrl)));
        }
    }

    /** The same epoch as before the savepoint, and every number from 1 to the last one received: no gap to report. */
    private static void goesOnWithItsNumbering(TestSession s, List<String> before, java.util.Collection<String> after) {
        Set<String> epochs = new TreeSet<>();
        Set<Long> numbers = new TreeSet<>();
        for (String sequence : concat(before, after)) {
            String[] parts = sequence.split("[:~]");
            epochs.add(parts[0]);
            numbers.add(Long.parseLong(parts[1]));
            if (parts.length == 3) {
                for (long skipped = Long.parseLong(parts[1]) - Long.parseLong(parts[2]); skipped < Long.parseLong(parts[1]); skipped++) {
                    numbers.add(skipped);
                }
            }
        }
        assertThat(epochs).as("%s: one numbering across the upgrade", s).hasSize(1);
        long last = numbers.stream().mapToLong(Long::longValue).max().orElse(0);
        assertThat(numbers).as("%s: numbers 1 to %d, none missing", s, last).hasSize((int) last);
    }

    private static List<String> concat(List<String> a, java.util.Collection<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static Set<String> missingRows(Emulators emulators, TestJob job, SavepointFixture fixture) {
        Set<String> missing = new TreeSet<>(fixture.historyExpected);
        missing.removeAll(fixture.historyBefore);
        emulators.dynamoDb().scanPaginator(b -> b.tableName(job.historyTable)).items()
                .forEach(i -> missing.remove(i.get("userId").s() + "/" + i.get("messageId").s()));
        return missing;
    }

    private static Set<String> deadLetterStages(Emulators emulators, TestJob job) {
        Set<String> stages = new TreeSet<>();
        emulators.sqs().receiveMessage(b -> b.queueUrl(job.deadLetterQueue).maxNumberOfMessages(10)).messages().forEach(m -> {
            try {
                JsonNode d = JSON.readTree(m.body());
                stages.add(d.get("stage").asText());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        return stages;
    }
}
