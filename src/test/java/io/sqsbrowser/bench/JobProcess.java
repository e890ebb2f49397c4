package io.sqsbrowser.bench;

import com.amazonaws.services.kinesisanalytics.runtime.KinesisAnalyticsRuntime;
import io.sqsbrowser.aws.DaemonThreads;
import io.sqsbrowser.local.LocalStack;
import io.sqsbrowser.testing.Await;
import io.sqsbrowser.testing.CountersReporter;
import io.sqsbrowser.testing.TestJob;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The delivery job in a JVM of its own, on a local Flink cluster, for the benchmark: its CPU time is the job's
 * (Kinesis polling, expansion, encryption, sending, Flink). Answers {@code ready} once its subtasks have read the
 * session table; {@code await <n>} answers {@code reached <nanos>} once n messages have been sent in all, with the
 * time from the first message of the round to the last; {@code sent} answers the count so far; {@code sample
 * <file>} writes, every 100 ms, the time and the largest of each of {@link #SAMPLED} over the job's subtasks to the file.
 *
 * <p>Arguments: runtime-properties.json parallelism sessions.
 */
public final class JobProcess {
    private JobProcess() {}

    /** The job process's JVM flags: this JVM's {@code --add-opens} (Flink on Java 17 needs them; see pom.xml). */
    static List<String> jvmFlags() {
        List<String> flags = new ArrayList<>(List.of("-Xmx3g", "-Daws.cborEnabled=false",
                "-Dorg.apache.flink.kinesis.shaded.com.amazonaws.sdk.disableCbor=true", "-Dlog4j2.configurationFile=log4j2-bench.properties"));
        ManagementFactory.getRuntimeMXBean().getInputArguments().stream().filter(a -> a.startsWith("--add-opens")).forEach(flags::add);
        return flags;
    }

    /**
     * Kinesis polled as the job polls on AWS by default (GetRecords every 200 ms per shard, shards listed every 10 s),
     * not as the local stack polls for quick tests (100 ms, 1 s): polling is a cost per second, not per message, and
     * the local rate costs this machine a fifth of a core at rest.
     */
    static void pollAsOnAws(Map<String, Properties> groups) {
        for (String source : List.of("EventSource", "SessionSource")) {
            groups.get(source).remove("consumer.flink.shard.getrecords.intervalmillis");
            groups.get(source).remove("shardDiscoveryIntervalMillis");
        }
    }

    /** Waits until {@code total} messages have been sent; answers the nanoseconds from the first of them to the last. */
    private static long awaitSent(long total) throws InterruptedException {
        long from = CountersReporter.sum("messagesSent");
        long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
        long first = 0;
        while (System.nanoTime() < deadline) {
            requireNoRestart();
            long sent = CountersReporter.sum("messagesSent");
            if (first == 0 && sent > from) {
                first = System.nanoTime();
            }
            if (sent >= total) {
                return System.nanoTime() - first;
            }
            Thread.sleep(1);
        }
        throw new IllegalStateException("only " + CountersReporter.sum("messagesSent") + " of " + total + " messages were sent");
    }

    /** One figure the job's sampler records: the largest of a gauge over the subtasks of the tasks named so, scaled. */
    static final class Sampled {
        final String label;
        final String gauge;
        final String task;
        final double scale;

        Sampled(String label, String gauge, String task, double scale) {
            this.label = label;
            this.gauge = gauge;
            this.task = task;
            this.scale = scale;
        }
    }

    /**
     * Where events wait: their age on leaving the source's task and on reaching the expander; how much of each
     * second the source's task and the expander's were busy, and the source's backpressured; how full the
     * source's output buffers and the expander's input buffers were. (The Kinesis consumer's
     * {@code millisBehindLatest} tells nothing here: kinesalite counts it from the last record a GetRecords
     * returns, not from the stream's tip.)
     */
    static final List<Sampled> SAMPLED = List.of(
            new Sampled("age read ms", "eventAgeReadMillis", "", 1),
            new Sampled("age at expander ms", "eventAgeMillis", "", 1),
            new Sampled("source busy ms/s", "busyTimeMsPerSecond", "Event stream", 1),
            new Sampled("source backpressured ms/s", "backPressuredTimeMsPerSecond", "Event stream", 1),
            new Sampled("source out buffers %", "outPoolUsage", "Event stream", 100),
            new Sampled("expander busy ms/s", "busyTimeMsPerSecond", "Expand", 1),
            new Sampled("expander in buffers %", "inPoolUsage", "Expand", 100));

    /** Tab-separated lines: epoch milliseconds, then each of {@link #SAMPLED} then, rounded. */
    private static void sampleJob(Path file) throws IOException {
        BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
        DaemonThreads.scheduler("job-sampler").scheduleAtFixedRate(() -> {
            StringBuilder line = new StringBuilder().append(System.currentTimeMillis());
            SAMPLED.forEach(s -> line.append('\t').append(Math.round(s.scale * CountersReporter.max(s.gauge, s.task))));
            try {
                out.write(line.append('\n').toString());
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("writing " + file, e);
            }
        }, 0, 100, TimeUnit.MILLISECONDS);
    }

    /** A benchmark of a job that failed and restarted measures nothing: it stops (the cause is on standard error). */
    private static void requireNoRestart() {
        if (CountersReporter.sum("numRestarts") > 0) {
            throw new IllegalStateException("the job restarted; its log says why");
        }
    }

    public static void main(String[] args) throws Exception {
        LocalStack.exitWithParent();
        Configuration conf = CountersReporter.configuration();
        // Checkpoints to files, as on a cluster: the JobManager's memory takes at most 5 MB of state.
        conf.setString("state.checkpoint-storage", "filesystem");
        conf.setString("state.checkpoints.dir", Path.of("target/bench/checkpoints").toAbsolutePath().toUri().toString());
        int parallelism = Integer.parseInt(args[1]);
        long sessions = Long.parseLong(args[2]);
        JobClient job = TestJob.start(StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf),
                KinesisAnalyticsRuntime.getApplicationProperties(args[0]));
        Await.until(Duration.ofMinutes(30), "the job to read the session table", () -> {
            requireNoRestart();
            return CountersReporter.sum("sessionsIndexed") >= sessions;
        });
        System.out.println("ready");
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String command;
        while ((command = commands.readLine()) != null && !command.equals("quit")) {
            if (command.startsWith("await ")) {
                System.out.println("reached " + awaitSent(Long.parseLong(command.substring(6))));
            } else if (command.startsWith("sample ")) {
                sampleJob(Path.of(command.substring(7)));
                System.out.println("sampling");
            } else if (command.equals("sent")) {
                System.out.println("sent " + CountersReporter.sum("messagesSent"));
            }
        }
        job.cancel().get();
        // The local cluster leaves non-daemon threads behind.
        System.exit(0);
    }
}
