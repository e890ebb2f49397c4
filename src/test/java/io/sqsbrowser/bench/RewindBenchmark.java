package io.sqsbrowser.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.local.AwsResources;
import io.sqsbrowser.local.ChangeRecords;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.Parallel;
import io.sqsbrowser.testing.TestJob;
import io.sqsbrowser.testing.TestSession;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.kinesis.model.Record;

/**
 * What rewinds cost the job, and whether they hold a new session's live messages back. The job holds {@code logEvents}
 * fan-out events (of an account and a topic no session had then); a broadcast goes to every one of {@code sessions}
 * sessions, and meanwhile new sessions of that account, following that topic, arrive one a second, each with a user
 * event put the moment its item is written (its first live message, which the job gives it once it learns of it, after
 * its rewind). Two runs, each with the job in a fresh JVM: new sessions without a rewind (the baseline), then with a
 * rewind of ten minutes (each is given the {@code logEvents} events, up to {@code Rewind.maxEvents}). Reported: the
 * job's CPU in each run, the difference per rewind, and the latency of the first live message (Kinesis arrival to SQS
 * SentTimestamp).
 *
 * <p>Run: {@code mvn -q -Pbench -Dbench=RewindBenchmark test-compile exec:exec}; {@code -Dbench.args="sessions
 * newSessions logEvents parallelism"}, by default {@code "10000 60 100 2"}.
 */
public final class RewindBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path DIR = Path.of("target/bench");
    private static final String ACCOUNT = "late-readers";
    private static final String TOPIC = "late-news";

    private RewindBenchmark() {}

    public static void main(String[] args) throws Exception {
        int sessionCount = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int newSessions = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        int logEvents = args.length > 2 ? Integer.parseInt(args[2]) : 100;
        int parallelism = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        Files.createDirectories(DIR);
        System.out.printf("Rewind benchmark, %s: a broadcast to %,d sessions while %d new sessions arrive, one a second, each "
                + "with a user event at once; the job holds %d fan-out events of their account and topic; parallelism %d, "
                + "%d cores%n", java.time.LocalDate.now(), sessionCount, newSessions, logEvents, parallelism,
                Runtime.getRuntime().availableProcessors());
        try (Emulators emulators = Emulators.start(true, "3g")) {
            Run baseline = run(emulators, sessionCount, newSessions, logEvents, parallelism, 0);
            Run rewinds = run(emulators, sessionCount, newSessions, logEvents, parallelism, 600);
            System.out.println();
            baseline.print("without rewind (baseline)");
            rewinds.print("with rewind=600");
            System.out.printf("A rewind cost the job %.0f us of CPU (%d events each), %.1f us per event given%n",
                    (rewinds.cpuNanos - baseline.cpuNanos) / 1e3 / newSessions, logEvents,
                    (rewinds.cpuNanos - baseline.cpuNanos) / 1e3 / newSessions / logEvents);
        }
        System.exit(0);
    }

    /** One run's figures. */
    private static final class Run {
        long cpuNanos;
        List<Long> firstLive = new ArrayList<>();
        long rewound;

        void print(String name) {
            System.out.printf("%-28s job CPU %6.1f s; %,d rewound messages; first live message, Kinesis arrival -> SQS, ms:%n  %s%n",
                    name, cpuNanos / 1e9, rewound, Percentiles.of(firstLive).line("new sessions"));
        }
    }

    private static Run run(Emulators emulators, int sessionCount, int newSessions, int logEvents, int parallelism, int rewind)
            throws Exception {
        TestJob job = new TestJob(emulators, 4);
        List<TestSession> sessions = Parallel.map(sessionCount, n -> job.session("acct" + (n % 20), "user" + n,
                UUID.randomUUID().toString(), n % 2 == 0 ? CipherFormat.GCM : CipherFormat.CTR));
        job.storeInTable(sessions);
        Map<String, Properties> groups = job.benchmarkPropertyGroups(parallelism);
        JobProcess.pollAsOnAws(groups);
        Path config = DIR.resolve("rewind-" + rewind + ".json");
        Files.writeString(config, TestJob.runtimePropertiesJson(groups));
        Run run = new Run();
        try (Child jobProcess = new Child(JobProcess.class.getName(), JobProcess.jvmFlags(), config.toString(),
                Integer.toString(parallelism), Long.toString(sessionCount))) {
            jobProcess.await("ready");
            for (int i = 0; i < logEvents; i++) {
                String event = i % 2 == 0
                        ? "{\"accountId\":\"" + ACCOUNT + "\",\"headline\":\"Account news " + i + "\",\"messageId\":\"log-" + i + "\"}"
                        : "{\"topic\":\"" + TOPIC + "\",\"headline\":\"Story update " + i + "\",\"messageId\":\"log-" + i + "\"}";
                AwsResources.put(emulators.kinesis(), job.eventStream, "log-" + i, event.getBytes(StandardCharsets.UTF_8));
            }
            Thread.sleep(5_000); // taken (no session to send them to yet)
            long cpuBefore = jobProcess.cpuNanos();
            String everyone = "{\"_everyone\":true,\"headline\":\"Breaking\",\"messageId\":\"breaking-" + rewind + "\"}";
            AwsResources.put(emulators.kinesis(), job.eventStream, "everyone", everyone.getBytes(StandardCharsets.UTF_8));
            List<TestSession> late = new ArrayList<>();
            for (int i = 0; i < newSessions; i++) {
                long started = System.currentTimeMillis();
                TestSession s = job.session(ACCOUNT, "late-" + i, UUID.randomUUID().toString(), CipherFormat.GCM).following(TOPIC);
                Map<String, AttributeValue> item = new HashMap<>(s.item());
                if (rewind > 0) {
                    item.put("rewind", AttributeValue.builder().n(Integer.toString(rewind)).build());
                }
                emulators.dynamoDb().putItem(b -> b.tableName(job.sessionTable).item(item));
                AwsResources.put(emulators.kinesis(), job.changeStream, s.userId, ChangeRecords.insert(item));
                String live = "{\"userId\":\"" + s.userId + "\",\"alert\":\"Welcome\",\"messageId\":\"live-" + s.userId + "\"}";
                AwsResources.put(emulators.kinesis(), job.eventStream, s.userId, live.getBytes(StandardCharsets.UTF_8));
                late.add(s);
                Thread.sleep(Math.max(0, 1_000 - (System.currentTimeMillis() - started)));
            }
            long rewound = rewind > 0 ? (long) newSessions * Math.min(logEvents, 100) : 0;
            jobProcess.ask("await " + (sessionCount + newSessions + rewound), "reached");
            run.cpuNanos = jobProcess.cpuNanos() - cpuBefore;
            run.rewound = rewound;
            Map<String, Long> arrivals = new HashMap<>();
            for (Record r : AwsResources.records(emulators.kinesis(), job.eventStream)) {
                arrivals.put(JSON.readTree(r.data().asByteArray()).path("messageId").asText(), r.approximateArrivalTimestamp().toEpochMilli());
            }
            for (TestSession s : late) {
                Map<String, Long> sent = new HashMap<>();
                io.sqsbrowser.testing.Await.until(java.time.Duration.ofSeconds(60), "the live message of " + s.userId, () -> {
                    sent.putAll(LatencyBenchmark.sentTimes(emulators, s));
                    return sent.containsKey("live-" + s.userId);
                });
                run.firstLive.add(sent.get("live-" + s.userId) - arrivals.get("live-" + s.userId));
            }
        }
        return run;
    }
}
