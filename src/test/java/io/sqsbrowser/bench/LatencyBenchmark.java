package io.sqsbrowser.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sqsbrowser.client.MessageDecryptor;
import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.local.AwsResources;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.Parallel;
import io.sqsbrowser.testing.TestJob;
import io.sqsbrowser.testing.TestSession;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/**
 * Delivery latency under a steady load: user-targeted events at a fixed rate through the job (in a JVM of its own,
 * history writes included, as in production), and in the middle of the run one "everyone" event to every session
 * at once. Latency is measured outside the job, from each event's Kinesis arrival time (the record's
 * {@code ApproximateArrivalTimestamp}) to the SQS {@code SentTimestamp} of its message in the recipient's queue,
 * both read back after the run. Reported: p50/p95/p99/max of user events over the whole run, of the user events
 * that arrived while the broadcast was being sent (are they starved?), and of the broadcast's own deliveries.
 *
 * <p>Run: {@code mvn -q -Pbench -Dbench=LatencyBenchmark test-compile exec:exec}; {@code -Dbench.args="sessions
 * eventsPerSecond seconds parallelism history|sqsonly fanOutMessagesPerSecond [profile]"}, by default {@code "10000 1000 120 2
 * history 0"}; {@code fanOutMessagesPerSecond} is the job's pace for broadcasts, per subtask (0: none); a warm-up of
 * 150,000 events at the same rate, in steps the job has caught up with, goes first and is not counted. {@code sqsonly} marks the user events {@code _sqs_only}: no
 * history rows, the delivery path alone; {@code profile} records the job's CPU samples from its start and summarizes them.
 */
public final class LatencyBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path DIR = Path.of("target/bench");
    /** About what this machine's JVMs needed for their JIT to settle in the broadcast benchmark. */
    private static final int WARM_UP_EVENTS = 150_000;
    private static final long TIMELINE_STEP_MILLIS = 5_000;
    /** The job's samples of where events wait ({@link JobProcess#SAMPLED}), against the whole latency. */
    private static final Path JOB_SAMPLES = DIR.resolve("job-samples.tsv");
    private static final String BROADCAST_ID = "everyone-" + UUID.randomUUID();
    private final Emulators emulators;
    private final TestJob job;
    private final List<TestSession> sessions;
    private final AtomicLong nextEvent = new AtomicLong();
    /** The processes whose CPU the timeline shows, and their samples: epoch milliseconds, then each one's CPU ns. */
    private final Map<String, Long> processes = new java.util.LinkedHashMap<>();
    private final List<long[]> cpuSamples = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Empty, or the field that spares the job the history rows: the delivery path alone. */
    private final String sqsOnly;

    private LatencyBenchmark(Emulators emulators, TestJob job, List<TestSession> sessions, boolean history) {
        this.emulators = emulators;
        this.job = job;
        this.sessions = sessions;
        this.sqsOnly = history ? "" : ",\"_sqs_only\":true";
    }

    public static void main(String[] args) throws Exception {
        int sessionCount = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int rate = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 120;
        int parallelism = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        boolean history = args.length <= 4 || !args[4].equals("sqsonly");
        long fanOutPace = args.length > 5 ? Long.parseLong(args[5]) : 0;
        boolean profile = args.length > 6 && args[6].equals("profile");
        Files.createDirectories(DIR);
        System.out.printf("Latency benchmark, %s: %,d sessions (one per user), %,d user events/s (%s) for %d s at parallelism %d, "
                + "an \"everyone\" event at %d s, paced at %s; %d cores%n", java.time.LocalDate.now(), sessionCount, rate,
                history ? "with history rows" : "no history rows", seconds, parallelism, seconds / 2,
                fanOutPace == 0 ? "no limit" : String.format("%,d messages/s per subtask", fanOutPace), Runtime.getRuntime().availableProcessors());
        try (Emulators emulators = Emulators.start(true, "3g")) {
            TestJob job = new TestJob(emulators, 4);
            List<TestSession> sessions = Parallel.map(sessionCount, n -> job.session("acct" + (n % 20),
                    "user" + n, UUID.randomUUID().toString(), n % 2 == 0 ? CipherFormat.GCM : CipherFormat.CTR));
            job.storeInTable(sessions);
            new LatencyBenchmark(emulators, job, sessions, history).run(rate, seconds, parallelism, fanOutPace, profile);
        }
        if (profile) {
            System.out.println();
            JfrSummary.print(DIR.resolve("latency-p" + parallelism + ".jfr"), 20);
        }
        System.exit(0);
    }

    private void run(int rate, int seconds, int parallelism, long fanOutPace, boolean profile) throws Exception {
        Map<String, Properties> groups = job.benchmarkPropertyGroups(parallelism);
        JobProcess.pollAsOnAws(groups);
        groups.get("Job").setProperty("checkpointIntervalMillis", "10000");
        groups.get("Sqs").setProperty("fanOutMessagesPerSecond", Long.toString(fanOutPace));
        Path config = DIR.resolve("latency-p" + parallelism + ".json");
        Files.writeString(config, TestJob.runtimePropertiesJson(groups));
        List<String> flags = JobProcess.jvmFlags();
        if (profile) {
            flags.add(BroadcastBenchmark.cpuSampling(DIR.resolve("latency-p" + parallelism + ".jfr")));
        }
        try (Child jobProcess = new Child(JobProcess.class.getName(), flags, config.toString(),
                Integer.toString(parallelism), Long.toString(sessions.size()))) {
            jobProcess.await("ready");
            // A cold job costs several times what a warm one does: at the full rate it would fall behind at once and
            // the measurement would only tell how long its backlog lasts. So the warm-up goes at the full rate in
            // 10-second steps, each waiting until the job has sent it, until its JIT has seen WARM_UP_EVENTS.
            System.out.printf("Warm-up: %,d events in steps of 10 s, each sent before the next%n", WARM_UP_EVENTS);
            while (nextEvent.get() < WARM_UP_EVENTS) {
                produce(rate, 10, "warm", -1);
                jobProcess.ask("await " + nextEvent.get(), "reached");
            }
            long warmEvents = nextEvent.get();
            Parallel.map(sessions.size(), i -> emulators.sqs().purgeQueue(b -> b.queueUrl(sessions.get(i).queueUrl)));
            jobProcess.ask("sample " + JOB_SAMPLES.toAbsolutePath(), "sampling");
            processes.put("job", jobProcess.pid());
            processes.putAll(new TreeMap<>(emulators.processIds()));
            ScheduledExecutorService cpuSampler = Executors.newSingleThreadScheduledExecutor();
            cpuSampler.scheduleAtFixedRate(this::sampleCpu, 0, 100, TimeUnit.MILLISECONDS);
            long cpuBefore = jobProcess.cpuNanos();
            long jitBefore = jobProcess.jitCpuNanos();
            System.out.printf("Measuring: %d s%n", seconds);
            produce(rate, seconds, "lat", seconds / 2);
            cpuSampler.shutdown();
            long userEvents = nextEvent.get() - warmEvents;
            jobProcess.ask("await " + (nextEvent.get() + sessions.size()), "reached");
            long cpu = jobProcess.cpuNanos() - cpuBefore;
            long jit = jobProcess.jitCpuNanos() - jitBefore;
            report(userEvents, cpu, jit);
        }
    }

    private void sampleCpu() {
        long[] sample = new long[processes.size() + 1];
        sample[0] = System.currentTimeMillis();
        int i = 1;
        for (long pid : processes.values()) {
            sample[i++] = Child.cpuNanos(pid);
        }
        cpuSamples.add(sample);
    }

    /** Puts {@code rate} user events a second, a PutRecords every 100 ms; the broadcast at {@code broadcastAt} s. */
    private void produce(int rate, int seconds, String prefix, int broadcastAt) throws InterruptedException {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
        int perTick = rate / 10;
        AtomicLong ticks = new AtomicLong();
        timer.scheduleAtFixedRate(() -> {
            long tick = ticks.getAndIncrement();
            if (tick == broadcastAt * 10L) {
                String everyone = "{\"_everyone\":true,\"_type\":\"breaking\",\"message\":\"Breaking news\",\"messageId\":\"" + BROADCAST_ID + "\"}";
                AwsResources.put(emulators.kinesis(), job.eventStream, "everyone", everyone.getBytes(StandardCharsets.UTF_8));
            }
            List<PutRecordsRequestEntry> entries = new ArrayList<>();
            for (int i = 0; i < perTick; i++) {
                long n = nextEvent.getAndIncrement();
                String user = sessions.get((int) (n * 7919 % sessions.size())).userId;
                String event = "{\"userId\":\"" + user + "\",\"_type\":\"alert\",\"message\":\"Your alert " + n
                        + "\",\"messageId\":\"" + prefix + "-" + n + "\"" + sqsOnly + "}";
                entries.add(PutRecordsRequestEntry.builder().partitionKey(user)
                        .data(SdkBytes.fromString(event, StandardCharsets.UTF_8)).build());
            }
            int failed = emulators.kinesis().putRecords(b -> b.streamName(job.eventStream).records(entries)).failedRecordCount();
            if (failed > 0) {
                throw new IllegalStateException(failed + " records were refused by Kinesis");
            }
        }, 0, 100, TimeUnit.MILLISECONDS);
        Thread.sleep(seconds * 1000L);
        timer.shutdown();
        timer.awaitTermination(10, TimeUnit.SECONDS);
    }

    private void report(long userEvents, long cpuNanos, long jitNanos) throws Exception {
        Map<String, Long> arrivals = new HashMap<>();
        for (Record r : AwsResources.records(emulators.kinesis(), job.eventStream)) {
            arrivals.put(JSON.readTree(r.data().asByteArray()).path("messageId").asText(), r.approximateArrivalTimestamp().toEpochMilli());
        }
        List<Map<String, Long>> sent = Parallel.map(sessions.size(), i -> sentTimes(emulators, sessions.get(i)));
        List<Long> user = new ArrayList<>();
        List<Long> broadcast = new ArrayList<>();
        List<long[]> userArrivalAndLatency = new ArrayList<>();
        long broadcastArrival = arrivals.get(BROADCAST_ID);
        for (Map<String, Long> queue : sent) {
            queue.forEach((id, at) -> {
                long latency = at - arrivals.get(id);
                if (id.equals(BROADCAST_ID)) {
                    broadcast.add(latency);
                } else if (id.startsWith("lat-")) {
                    user.add(latency);
                    userArrivalAndLatency.add(new long[] {arrivals.get(id), latency});
                }
            });
        }
        long broadcastEnd = broadcastArrival + broadcast.stream().mapToLong(Long::longValue).max().orElse(0);
        List<Long> duringBroadcast = userArrivalAndLatency.stream().filter(a -> a[0] >= broadcastArrival && a[0] <= broadcastEnd)
                .map(a -> a[1]).collect(Collectors.toList());
        long messages = userEvents + sessions.size();
        System.out.printf("%nDelivered: %,d of %,d user events, %,d of %,d broadcast messages; job CPU %.0f us per message, "
                + "of which the JIT compiler %.0f%n", user.size(), userEvents, broadcast.size(), sessions.size(),
                cpuNanos / 1e3 / messages, jitNanos / 1e3 / messages);
        System.out.println("Kinesis arrival -> SQS SentTimestamp, milliseconds:");
        System.out.println("  " + Percentiles.of(user).line("user events, whole run"));
        System.out.println("  " + Percentiles.of(duringBroadcast).line(String.format("user events during the broadcast (%.1f s)",
                (broadcastEnd - broadcastArrival) / 1e3)));
        System.out.println("  " + Percentiles.of(broadcast).line("the broadcast, per session"));
        printTimeline(userArrivalAndLatency, broadcastArrival);
    }

    /**
     * User events by when they arrived, in 5-second steps: where in the run the slow ones are. Beside them, the
     * largest of each of the job's samples in that step ({@link JobProcess#SAMPLED}): where events waited (their age
     * on leaving the source's task: Kinesis and reading it; on reaching the expander: the shuffle and the expander's
     * input added) and why (busy tasks, backpressure, full buffers).
     */
    private void printTimeline(List<long[]> arrivalAndLatency, long broadcastArrival) throws IOException {
        long start = arrivalAndLatency.stream().mapToLong(a -> a[0]).min().orElse(0);
        Map<Long, List<Long>> bySpell = new TreeMap<>();
        arrivalAndLatency.forEach(a -> bySpell.computeIfAbsent((a[0] - start) / TIMELINE_STEP_MILLIS, s -> new ArrayList<>()).add(a[1]));
        Map<Long, long[]> samplesBySpell = new TreeMap<>();
        for (String line : Files.readAllLines(JOB_SAMPLES)) {
            String[] sample = line.split("\t");
            long[] largest = samplesBySpell.computeIfAbsent((Long.parseLong(sample[0]) - start) / TIMELINE_STEP_MILLIS,
                    s -> new long[JobProcess.SAMPLED.size()]);
            for (int i = 0; i < largest.length; i++) {
                largest[i] = Math.max(largest[i], Long.parseLong(sample[i + 1]));
            }
        }
        long broadcastSpell = (broadcastArrival - start) / TIMELINE_STEP_MILLIS;
        System.out.println("User events by arrival, milliseconds; the job then, the largest sample of each of:");
        for (int i = 0; i < JobProcess.SAMPLED.size(); i++) {
            System.out.printf("  %c: %s%n", 'a' + i, JobProcess.SAMPLED.get(i).label);
        }
        System.out.println("  and the cores each process used in the step: " + String.join(", ", processes.keySet()));
        bySpell.forEach((spell, latencies) -> {
            StringBuilder job = new StringBuilder();
            for (long value : samplesBySpell.getOrDefault(spell, new long[JobProcess.SAMPLED.size()])) {
                job.append(String.format(" %6d", value));
            }
            job.append("  |");
            for (double cores : coresIn(start + spell * TIMELINE_STEP_MILLIS, start + (spell + 1) * TIMELINE_STEP_MILLIS)) {
                job.append(String.format(" %4.2f", cores));
            }
            System.out.printf("  %s  |%s%n", Percentiles.of(latencies).line(String.format("%3d-%3d s%s",
                    spell * TIMELINE_STEP_MILLIS / 1000, (spell + 1) * TIMELINE_STEP_MILLIS / 1000,
                    spell == broadcastSpell ? " (the broadcast arrives)" : "")), job);
        });
    }

    /** Cores each of {@link #processes} used between two times, from the CPU samples nearest inside them. */
    private double[] coresIn(long from, long to) {
        List<long[]> inside = cpuSamples.stream().filter(s -> s[0] >= from && s[0] < to).collect(Collectors.toList());
        double[] cores = new double[processes.size()];
        if (inside.size() < 2) {
            return cores;
        }
        long[] first = inside.get(0);
        long[] last = inside.get(inside.size() - 1);
        for (int i = 0; i < cores.length; i++) {
            cores[i] = (last[i + 1] - first[i + 1]) / 1e6 / (last[0] - first[0]);
        }
        return cores;
    }

    /** Every message in the session's queue: its message id and when SQS took it (the queue is read, and left invisible). */
    static Map<String, Long> sentTimes(Emulators emulators, TestSession session) {
        MessageDecryptor decryptor = new MessageDecryptor(session.aesKey, session.cipher);
        Map<String, Long> out = new HashMap<>();
        while (true) {
            List<Message> page = emulators.sqs().receiveMessage(b -> b.queueUrl(session.queueUrl).maxNumberOfMessages(10)
                    .visibilityTimeout(600).messageSystemAttributeNames(MessageSystemAttributeName.SENT_TIMESTAMP)).messages();
            if (page.isEmpty()) {
                return out;
            }
            for (Message m : page) {
                try {
                    String id = JSON.readTree(decryptor.decrypt(m.body())).path("messageId").asText();
                    out.put(id, Long.parseLong(m.attributes().get(MessageSystemAttributeName.SENT_TIMESTAMP)));
                } catch (java.io.IOException e) {
                    throw new IllegalStateException("a message that is not JSON in " + session, e);
                }
            }
        }
    }
}
