package io.sqsbrowser.deploy;

import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.local.AwsResources;
import io.sqsbrowser.local.ChangeRecords;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.Await;
import io.sqsbrowser.testing.DynamoDbFaultProxy;
import io.sqsbrowser.testing.Mailboxes;
import io.sqsbrowser.testing.SqsFaultProxy;
import io.sqsbrowser.testing.TestJob;
import io.sqsbrowser.testing.TestSession;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Writes a {@link SavepointFixture} of the current code's job: 50 live sessions of 40 users in three accounts (GCM and
 * CTR; every fourth user's first session follows the topic "politics", since release 2) and the tombstone of a
 * destroyed one; an "everyone" broadcast paced and cut in the middle; then SQS becomes unreachable and the history
 * table throttles, and an account event and a topic event (waiting behind the broadcast), a user event and a session
 * event (sent and not confirmed), and an invalid record (its dead letter waiting) arrive; the
 * savepoint (canonical format) is taken then. Run once per release, and commit the directory:
 *
 * <pre>mvn -q -Plocal test-compile exec:exec -Dlocal.main=io.sqsbrowser.deploy.SavepointFixtureWriter -Dlocal.args=&lt;name&gt;</pre>
 */
public final class SavepointFixtureWriter {
    static final String EVERYONE = "fixture-everyone";
    static final String ACCOUNT = "fixture-account";
    static final String USER = "fixture-user";
    static final String SESSION = "fixture-session";
    static final String TOPIC = "fixture-topic";
    private static final String FOLLOWED = "politics";
    private static final int USERS = 40;
    private static final long FAR_FUTURE = Instant.parse("2100-01-01T00:00:00Z").getEpochSecond();

    private SavepointFixtureWriter() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: SavepointFixtureWriter <name>");
            System.exit(2);
        }
        Path dir = SavepointFixture.ROOT.resolve(args[0]);
        if (Files.exists(dir)) {
            System.err.println(dir + " exists: a fixture is written once, never again");
            System.exit(1);
        }
        int status = 1;
        try (Emulators emulators = Emulators.start()) {
            write(emulators, dir, "the job of commit " + git("rev-parse", "--short", "HEAD") + " (" + git("log", "-1", "--format=%cs")
                    + "), working tree " + (git("status", "--porcelain").isEmpty() ? "clean" : "with changes"));
            status = 0;
        } finally {
            // The local services' threads would keep the JVM alive after a failure.
            System.exit(status);
        }
    }

    private static String git(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("git"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        p.waitFor();
        return out;
    }

    static void write(Emulators emulators, Path dir, String release) throws Exception {
        TestJob names = new TestJob(emulators, 2);
        SavepointFixture fixture = new SavepointFixture();
        fixture.release = release;
        fixture.flinkVersion = org.apache.flink.runtime.util.EnvironmentInformation.getVersion();
        fixture.parallelism = 2;
        fixture.maxParallelism = 128;
        fixture.queuePrefix = TestSession.QUEUE_PREFIX;

        List<TestSession> live = new ArrayList<>();
        for (int u = 0; u < USERS; u++) {
            for (int s = 0; s < (u < 10 ? 2 : 1); s++) {
                TestSession session = names.session("a" + u % 3, String.format("u%02d", u), "tab-" + u + "-" + s,
                        s == 1 ? CipherFormat.CTR : CipherFormat.GCM);
                if (u % 4 == 0 && s == 0) {
                    session.following(FOLLOWED, "world");
                }
                session.expires = FAR_FUTURE;
                live.add(session);
            }
        }
        TestSession destroyed = names.session("a0", "u40", "tab-40-0", CipherFormat.GCM);
        destroyed.expires = FAR_FUTURE;
        for (TestSession s : live) {
            AwsResources.put(emulators.kinesis(), names.changeStream, s.userId, ChangeRecords.insert(s.item()));
        }
        AwsResources.put(emulators.kinesis(), names.changeStream, destroyed.userId, ChangeRecords.insert(destroyed.item()));
        AwsResources.put(emulators.kinesis(), names.changeStream, destroyed.userId, ChangeRecords.remove(destroyed.item(), false));

        try (SqsFaultProxy sqs = new SqsFaultProxy(emulators.sqsPort); DynamoDbFaultProxy dynamoDb = new DynamoDbFaultProxy(emulators.dynamoDbPort)) {
            Map<String, Properties> groups = names.propertyGroups(fixture.parallelism);
            groups.get("Aws").setProperty("endpoint.sqs", sqs.endpoint());
            groups.get("Aws").setProperty("endpoint.dynamodb", dynamoDb.endpoint());
            groups.get("Sqs").setProperty("fanOutMessagesPerSecond", "4");
            groups.get("Job").setProperty("maxParallelism", Integer.toString(fixture.maxParallelism));
            groups.get("Job").remove("checkpointIntervalMillis");
            StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(fixture.parallelism, new Configuration());
            JobClient job = TestJob.start(env, groups);
            Mailboxes mail = new Mailboxes(emulators.sqs(), live);
            TestJob.awaitSessionsKnown(emulators, names.eventStream, mail, live);

            put(emulators, names.eventStream, "{\"_everyone\":true,\"headline\":\"Election night\",\"messageId\":\"" + EVERYONE + "\"}");
            long[] received = {0};
            Await.until(Duration.ofSeconds(60), "a fifth of the paced broadcast", () -> {
                mail.poll();
                received[0] = live.stream().filter(s -> mail.messageIds(s).contains(EVERYONE)).count();
                return received[0] >= live.size() / 5;
            });
            sqs.startOutage();
            dynamoDb.throttle(true);
            fixture.inProgress.add("the everyone broadcast " + EVERYONE + ", paced at 4 messages a second per subtask, cut after "
                    + received[0] + " of " + live.size() + " sessions had it; then SQS unreachable and the history table throttling");
            TestSession sessionTarget = live.get(2);
            put(emulators, names.eventStream, "{\"headline\":\"Account news\",\"accountId\":\"a1\",\"messageId\":\"" + ACCOUNT + "\"}");
            put(emulators, names.eventStream, "{\"headline\":\"Live blog\",\"topic\":\"" + FOLLOWED + "\",\"messageId\":\"" + TOPIC + "\"}");
            put(emulators, names.eventStream, "{\"alert\":\"For you\",\"userId\":\"u05\",\"messageId\":\"" + USER + "\"}");
            put(emulators, names.eventStream, "{\"alert\":\"This tab\",\"userId\":\"" + sessionTarget.userId + "\",\"sessionId\":\""
                    + sessionTarget.sessionId + "\",\"messageId\":\"" + SESSION + "\"}");
            put(emulators, names.eventStream, "not an event");
            fixture.inProgress.add("then, SQS still unreachable: " + ACCOUNT + " (account a1, behind the broadcast), " + TOPIC
                    + " (topic " + FOLLOWED + ", behind it too), " + USER
                    + " (user u05), " + SESSION + " (one session), an invalid record whose dead letter cannot be written");
            Thread.sleep(5_000);

            Path taken = Paths.get(java.net.URI.create(job.triggerSavepoint(Files.createTempDirectory("fixture").toUri().toString(),
                    SavepointFormatType.CANONICAL).get()));
            job.cancel().get();
            copy(taken, SavepointFixture.savepoint(dir));
            // What reached the queues before SQS went away (nothing did after): what each session had then.
            mail.poll();
            mail.forget("probe");
            for (TestSession s : live) {
                fixture.sessions.add(session(s, false));
                fixture.deliveredBefore.put(key(s), new ArrayList<>(mail.messageIds(s)));
                fixture.sequencesBefore.put(key(s), new ArrayList<>(mail.sequences(s).values()));
            }
        }

        for (TestSession s : live) {
            List<String> ids = new ArrayList<>(List.of(EVERYONE));
            if (s.accountId.equals("a1")) {
                ids.add(ACCOUNT);
            }
            if (s.userId.equals("u05")) {
                ids.add(USER);
            }
            if (s.sessionId.endsWith("-0") && Integer.parseInt(s.userId.substring(1)) % 4 == 0) {
                ids.add(TOPIC);
                fixture.historyExpected.add(s.userId + "/" + TOPIC);
            }
            if (s == live.get(2)) {
                ids.add(SESSION);
            }
            fixture.expected.put(key(s), ids);
            fixture.historyExpected.add(s.userId + "/" + EVERYONE);
            if (s.accountId.equals("a1")) {
                fixture.historyExpected.add(s.userId + "/" + ACCOUNT);
            }
        }
        fixture.historyExpected.add("u05/" + USER);
        fixture.historyExpected.add(live.get(2).userId + "/" + SESSION);
        fixture.historyExpected = new ArrayList<>(new TreeSet<>(fixture.historyExpected));
        fixture.historyBefore = emulators.dynamoDb().scanPaginator(b -> b.tableName(names.historyTable)).items().stream()
                .map(i -> i.get("userId").s() + "/" + i.get("messageId").s()).sorted().collect(Collectors.toList());
        fixture.deadLetterStagesExpected.add("event");
        fixture.sessions.add(session(destroyed, true));
        fixture.write(dir);
    }

    private static SavepointFixture.Session session(TestSession s, boolean removed) {
        SavepointFixture.Session out = new SavepointFixture.Session();
        out.accountId = s.accountId;
        out.userId = s.userId;
        out.sessionId = s.sessionId;
        out.queueName = s.queueUrl.substring(s.queueUrl.lastIndexOf('/') + 1);
        out.aesKey = s.aesKey;
        out.cipher = s.cipher.attributeValue();
        out.removed = removed;
        return out;
    }

    private static String key(TestSession s) {
        return s.userId + "/" + s.sessionId;
    }

    private static void put(Emulators emulators, String stream, String json) {
        AwsResources.put(emulators.kinesis(), stream, Integer.toString(json.hashCode()), json.getBytes(StandardCharsets.UTF_8));
    }

    private static void copy(Path from, Path to) throws Exception {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.collect(Collectors.toList())) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
    }
}
