package io.sqsbrowser.bench;

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
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Broadcast throughput and CPU per message, told truthfully. Three processes beside ElasticMQ's own: this one
 * (it only drives), the ceiling ({@link CeilingClient}: the job's own SQS client sending already-encrypted
 * messages, nothing else) and the job ({@link JobProcess}, on a local Flink cluster), each a fresh JVM whose CPU
 * time is read from /proc. Both sides are warmed up until each has made {@code warmRequests} requests and, beyond
 * that, until neither side's JIT compiler takes more than a tenth of its CPU in a round (their figures have
 * settled), for at most three times as many; then
 * ceiling and job rounds alternate, each round one message to every session's queue. Reported per round:
 * messages a second, CPU microseconds per message of the process, ElasticMQ's CPU per request, and the job's
 * rate as a fraction of the same cycle's ceiling; and the machine's limit, cores / (ElasticMQ + ceiling client
 * CPU per request). Each parallelism has a fresh ceiling process beside its fresh job process, so that both sides
 * have been warmed up alike (a ceiling kept from the cycle before is warmer than the new job, and costs less per
 * message for it). Each process's JIT compiler threads' share of its CPU is printed beside it: while it is not
 * near zero, that side is still warming up. Then, at the last parallelism: the first broadcast after a quiet spell
 * (what breaking news meets), and a batch run (10 messages per queue: ten broadcasts at once). At every parallelism, after
 * the rounds, one round of a topic event whose followers are every session (each follows it and one of seven sections).
 *
 * <p>Run: {@code mvn -q -Pbench test-compile exec:exec}; {@code -Dbench.args="sessions inFlight http warmRequests
 * rounds quietSeconds profile parallelisms"}, by default {@code "10000 128 APACHE 150000 3 70 profile 1,2"} ({@code noprofile} for
 * none). The job's subtasks share the {@code inFlight} requests, so that both sides ask as much of ElasticMQ at once. With {@code profile},
 * a further job process at the last parallelism records a JFR profile from its start (attaching later deoptimises),
 * summarized at the end; its rounds are not counted.
 */
public final class BroadcastBenchmark {
    private static final Path DIR = Path.of("target/bench");
    private static final int CORES = Runtime.getRuntime().availableProcessors();
    /** The topic every session follows (besides one of seven sections, as readers do). */
    private static final String TOPIC = "breaking";
    private static final String EVERYONE = "\"_everyone\":true,";
    private final Emulators emulators;
    private final TestJob job;
    private final int sessions;
    private final long emqPid;

    private BroadcastBenchmark(Emulators emulators, TestJob job, int sessions) {
        this.emulators = emulators;
        this.job = job;
        this.sessions = sessions;
        this.emqPid = emulators.sqsProcessId();
    }

    /** One measured round of one side. */
    static final class Round {
        final String name;
        final long messages;
        final long requests;
        final long nanos;
        final long cpuNanos;
        final long emqCpuNanos;
        final long jitCpuNanos;
        Round ceiling;

        Round(String name, long messages, long requests, long nanos, long cpuNanos, long emqCpuNanos, long jitCpuNanos) {
            this.name = name;
            this.messages = messages;
            this.requests = requests;
            this.nanos = nanos;
            this.cpuNanos = cpuNanos;
            this.emqCpuNanos = emqCpuNanos;
            this.jitCpuNanos = jitCpuNanos;
        }

        double rate() {
            return messages / (nanos / 1e9);
        }

        double cpuMicros() {
            return cpuNanos / 1e3 / messages;
        }

        /** Whether the JIT compiler took at most a tenth of the round's CPU: the process is warm. */
        boolean settled() {
            return jitCpuNanos * 10 <= cpuNanos;
        }

        /** CPU per message less the JIT compiler's: what a long-running process, long since compiled, spends. */
        double compiledCpuMicros() {
            return (cpuNanos - jitCpuNanos) / 1e3 / messages;
        }

        double emqMicrosPerRequest() {
            return emqCpuNanos / 1e3 / requests;
        }

        String line() {
            return String.format("%-44s %8.0f msg/s %8.1f us/msg (JIT %5.1f) %7.1f us/req at ElasticMQ%s", name, rate(), cpuMicros(),
                    jitCpuNanos / 1e3 / messages, emqMicrosPerRequest(), ceiling == null ? "" : String.format("  %4.0f%% of ceiling", 100 * rate() / ceiling.rate()));
        }
    }

    public static void main(String[] args) throws Exception {
        int sessions = arg(args, 0, 10_000);
        int inFlight = arg(args, 1, 128);
        String http = args.length > 2 ? args[2] : "APACHE";
        int warmRequests = arg(args, 3, 150_000);
        int rounds = arg(args, 4, 3);
        int quietSeconds = arg(args, 5, 70);
        boolean profile = args.length <= 6 || args[6].equals("profile");
        int[] parallelisms = Arrays.stream((args.length > 7 ? args[7] : "1,2").split(",")).mapToInt(Integer::parseInt).toArray();
        Files.createDirectories(DIR);
        System.out.printf("Broadcast benchmark, %s: %,d sessions, %d requests in flight, %s HTTP client, %d cores; "
                + "warm-up %,d requests a side, %d measured rounds (the job's subtasks share the requests in flight)%n", java.time.LocalDate.now(), sessions, inFlight, http, CORES,
                warmRequests, rounds);
        try (Emulators emulators = Emulators.start(true, "3g")) {
            TestJob job = new TestJob(emulators, 2);
            BroadcastBenchmark bench = new BroadcastBenchmark(emulators, job, sessions);
            List<TestSession> all = bench.createSessions();
            Path sessionsFile = DIR.resolve("sessions.tsv");
            Files.write(sessionsFile, all.stream().map(s -> s.queueUrl + "\t" + s.aesKey + "\t" + s.cipher.attributeValue())
                    .collect(Collectors.toList()));
            List<Round> measured = new ArrayList<>();
            int lastParallelism = parallelisms[parallelisms.length - 1];
            for (int parallelism : parallelisms) {
                try (Child ceiling = bench.ceiling(sessionsFile, inFlight, http)) {
                    measured.addAll(bench.run(ceiling, parallelism, inFlight, http, warmRequests, rounds, quietSeconds,
                            parallelism == lastParallelism, false));
                }
            }
            if (profile) {
                try (Child ceiling = bench.ceiling(sessionsFile, inFlight, http)) {
                    bench.run(ceiling, lastParallelism, inFlight, http, warmRequests, rounds, quietSeconds, false, true);
                }
            }
            bench.summarize(measured, parallelisms);
        }
        if (profile) {
            System.out.println();
            JfrSummary.print(DIR.resolve("job-p" + parallelisms[parallelisms.length - 1] + ".jfr"), 20);
        }
        System.exit(0);
    }

    /** A fresh ceiling process ({@link CeilingClient}). */
    private Child ceiling(Path sessionsFile, int inFlight, String http) throws IOException {
        return new Child(CeilingClient.class.getName(), List.of("-Xmx2g"), "http://127.0.0.1:" + emulators.sqsPort,
                sessionsFile.toString(), Integer.toString(inFlight), http);
    }

    /**
     * One job process at one parallelism: warm-up, then rounds interleaved with the ceiling's; with {@code quietAndBatch}
     * the first broadcast after a quiet spell and the batch run. A {@code profile}d process records CPU samples from
     * its start; its rounds are printed but not counted, as even sampling costs the job some CPU.
     */
    private List<Round> run(Child ceiling, int parallelism, int inFlight, String http, int warmRequests, int rounds,
            int quietSeconds, boolean quietAndBatch, boolean profile) throws Exception {
        Map<String, Properties> groups = job.benchmarkPropertyGroups(parallelism);
        JobProcess.pollAsOnAws(groups);
        // As many requests in flight in all as the ceiling has: the subtasks share them.
        groups.get("Sqs").setProperty("maxInFlightRequests", Integer.toString(inFlight / parallelism));
        groups.get("Sqs").setProperty("httpClient", http);
        groups.get("Sqs").setProperty("backoffBaseMillis", "100");
        groups.get("Sqs").setProperty("backoffMaxMillis", "20000");
        groups.get("Job").setProperty("checkpointIntervalMillis", "10000");
        // Each job process reads a stream of its own: the last one's still holds its events.
        String stream = job.eventStream + "-p" + parallelism + (profile ? "-profiled" : "");
        AwsResources.createStream(emulators.kinesis(), stream, 2);
        groups.get("EventSource").setProperty("stream", stream);
        Path config = DIR.resolve("job-p" + parallelism + ".json");
        Files.writeString(config, TestJob.runtimePropertiesJson(groups));
        List<String> flags = JobProcess.jvmFlags();
        if (profile) {
            flags.add(cpuSampling(DIR.resolve("job-p" + parallelism + ".jfr")));
        }
        List<Round> measured = new ArrayList<>();
        try (Child jobProcess = new Child(JobProcess.class.getName(), flags, config.toString(), Integer.toString(parallelism),
                Long.toString((long) sessions))) {
            jobProcess.await("ready");
            long[] sent = {0};
            System.out.printf("%nParallelism %d%s: warming both sides up%n", parallelism, profile ? ", profiled (not counted)" : "");
            long warmed = 0;
            boolean settled = false;
            while (warmed < warmRequests || !settled && warmed < 4L * warmRequests) {
                settled = ceilingRound(ceiling, 1, "warm-up").settled() & jobRound(jobProcess, stream, sent, 1, "warm-up", EVERYONE).settled();
                warmed += sessions;
            }
            System.out.printf("  warmed up with %,d requests a side; JIT compilers %s%n", warmed,
                    settled ? "under a tenth of each side's CPU" : "still above a tenth of a side's CPU");
            for (int r = 1; r <= rounds; r++) {
                Round c = ceilingRound(ceiling, 1, "ceiling, round " + r);
                Round j = jobRound(jobProcess, stream, sent, 1, "job, parallelism " + parallelism + ", round " + r, EVERYONE);
                j.ceiling = c;
                System.out.println("  " + c.line());
                System.out.println("  " + j.line());
                if (!profile) {
                    measured.add(c);
                    measured.add(j);
                }
            }
            // The same audience reached as a topic's followers (every session follows it): found through the topic
            // index, as an account's users are, not by reading every session. One round first for the JIT compiler.
            String followers = "\"topic\":\"" + TOPIC + "\",";
            jobRound(jobProcess, stream, sent, 1, "warm-up", followers);
            Round topicCeiling = ceilingRound(ceiling, 1, "ceiling, beside the topic");
            Round topic = jobRound(jobProcess, stream, sent, 1, String.format("job, p%d, topic with %,d followers", parallelism, sessions),
                    followers);
            topic.ceiling = topicCeiling;
            System.out.println("  " + topicCeiling.line());
            System.out.println("  " + topic.line());
            if (!profile) {
                measured.add(topic);
            }
            if (quietAndBatch) {
                System.out.printf("After %d s of quiet (longer than the SDK's default 5 s connection idle time):%n", quietSeconds);
                Thread.sleep(quietSeconds * 1000L);
                System.out.println("  " + jobRound(jobProcess, stream, sent, 1, "job, first broadcast after quiet", EVERYONE).line());
                Thread.sleep(quietSeconds * 1000L);
                System.out.println("  " + ceilingRound(ceiling, 1, "ceiling, first round after quiet").line());
                System.out.println("Batch run: 10 messages per queue (ten broadcasts at once; SendMessageBatch of 10):");
                ceilingRound(ceiling, 10, "warm-up");
                jobRound(jobProcess, stream, sent, 10, "warm-up", EVERYONE);
                Round c = ceilingRound(ceiling, 10, "ceiling, 10 per queue");
                Round j = jobRound(jobProcess, stream, sent, 10, "job, parallelism " + parallelism + ", 10 per queue", EVERYONE);
                j.ceiling = c;
                System.out.println("  " + c.line());
                System.out.println("  " + j.line());
            }
        }
        return measured;
    }

    /**
     * The JVM flag that records CPU samples from the start (attaching later deoptimises), and only them
     * ({@code bench-profile.jfc}): JFR's "profile" settings cost the job half again its CPU per message.
     */
    static String cpuSampling(Path recording) {
        return "-XX:StartFlightRecording=filename=" + recording + ",settings="
                + Path.of("target/test-classes/bench-profile.jfc").toAbsolutePath() + ",dumponexit=true";
    }

    private Round ceilingRound(Child ceiling, int perQueue, String name) throws IOException {
        ceiling.ask("prepare " + perQueue, "ready");
        long cpu = ceiling.cpuNanos();
        long jit = ceiling.jitCpuNanos();
        long emq = Child.cpuNanos(emqPid);
        long started = System.nanoTime();
        ceiling.ask("go", "done");
        long nanos = System.nanoTime() - started;
        long messages = (long) sessions * perQueue;
        return new Round(name, messages, sessions, nanos, ceiling.cpuNanos() - cpu, Child.cpuNanos(emqPid) - emq,
                ceiling.jitCpuNanos() - jit);
    }

    /** {@code routing}: the event's routing fields as JSON members with a trailing comma, or _everyone. */
    private Round jobRound(Child jobProcess, String stream, long[] sent, int perQueue, String name, String routing) throws IOException {
        long cpu = jobProcess.cpuNanos();
        long jit = jobProcess.jitCpuNanos();
        long emq = Child.cpuNanos(emqPid);
        for (int i = 0; i < perQueue; i++) {
            // _sqs_only: the send path alone, as the ceiling; history rows are a DynamoDB write per user besides.
            String event = "{" + routing + "\"message\":\"Breaking news\",\"_sqs_only\":true,\"messageId\":\"" + UUID.randomUUID() + "\"}";
            AwsResources.put(emulators.kinesis(), stream, UUID.randomUUID().toString(), event.getBytes(StandardCharsets.UTF_8));
        }
        long messages = (long) sessions * perQueue;
        sent[0] += messages;
        long nanos = Long.parseLong(jobProcess.ask("await " + sent[0], "reached"));
        return new Round(name, messages, sessions, nanos, jobProcess.cpuNanos() - cpu, Child.cpuNanos(emqPid) - emq,
                jobProcess.jitCpuNanos() - jit);
    }

    private void summarize(List<Round> measured, int[] parallelisms) {
        List<Round> ceilings = measured.stream().filter(r -> r.ceiling == null).collect(Collectors.toList());
        double emq = median(ceilings.stream().map(Round::emqMicrosPerRequest).collect(Collectors.toList()));
        double client = median(ceilings.stream().map(Round::cpuMicros).collect(Collectors.toList()));
        System.out.printf("%nCeiling (median of %d rounds): %.0f msg/s, client %.1f us/msg, ElasticMQ %.1f us/request%n",
                ceilings.size(), median(ceilings.stream().map(Round::rate).collect(Collectors.toList())), client, emq);
        System.out.printf("Machine's limit: %d cores / (%.1f + %.1f) us = %.0f msg/s%n", CORES, emq, client, CORES * 1e6 / (emq + client));
        for (int parallelism : parallelisms) {
            String p = "parallelism " + parallelism + ",";
            List<Round> jobs = measured.stream().filter(r -> r.name.contains(p)).collect(Collectors.toList());
            measured.stream().filter(r -> r.name.startsWith("job, p" + parallelism + ", topic")).forEach(t ->
                    System.out.printf("Job at parallelism %d, %s: %.0f msg/s, %.0f%% of its cycle's ceiling; %.1f us/msg, %.2fx the ceiling client's%n",
                            parallelism, t.name.substring(t.name.indexOf("topic")), t.rate(), 100 * t.rate() / t.ceiling.rate(), t.cpuMicros(),
                            t.cpuMicros() / t.ceiling.cpuMicros()));
            System.out.printf("Job at parallelism %d (median of %d rounds): %.0f msg/s, %.0f%% of its cycle's ceiling; %.1f us/msg, "
                            + "%.2fx the ceiling client's; less JIT compilation %.1f us/msg, %.2fx%n", parallelism, jobs.size(),
                    median(jobs.stream().map(Round::rate).collect(Collectors.toList())),
                    100 * median(jobs.stream().map(r -> r.rate() / r.ceiling.rate()).collect(Collectors.toList())),
                    median(jobs.stream().map(Round::cpuMicros).collect(Collectors.toList())),
                    median(jobs.stream().map(r -> r.cpuMicros() / r.ceiling.cpuMicros()).collect(Collectors.toList())),
                    median(jobs.stream().map(Round::compiledCpuMicros).collect(Collectors.toList())),
                    median(jobs.stream().map(r -> r.compiledCpuMicros() / r.ceiling.compiledCpuMicros()).collect(Collectors.toList())));
        }
    }

    private List<TestSession> createSessions() throws Exception {
        List<TestSession> all = Parallel.map(sessions, n -> job.session("acct" + (n % 20), "user" + n,
                UUID.randomUUID().toString(), CipherFormat.GCM).following(TOPIC, "section-" + (n % 7)));
        job.storeInTable(all);
        return all;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted(Comparator.naturalOrder()).collect(Collectors.toList());
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static int arg(String[] args, int i, int otherwise) {
        return args.length > i ? Integer.parseInt(args[i]) : otherwise;
    }
}
