package io.sqsbrowser.bench;

import io.sqsbrowser.job.JobConfig;
import io.sqsbrowser.local.AwsResources;
import io.sqsbrowser.local.Emulators;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;

/**
 * What each Kinesis reader costs, per event and at rest: the legacy {@code FlinkKinesisConsumer} and the connector's
 * new {@code KinesisStreamsSource}, each in a fresh JVM ({@link ReaderProcess}) reading the same two-shard stream on
 * kinesalite with AWS's default polling, rounds alternating. Per round: the reader process's CPU per event while
 * {@code events} events are put and read (JIT warm-up in the first round shows), kinesalite's, and then the reader
 * process's CPU over {@code idleSeconds} with nothing to read. With {@code profile}, one more process per reader records
 * JFR from its start, summarized at the end (its rounds are not counted).
 *
 * <p>Run: {@code mvn -q -Pbench test-compile exec:exec -Dbench=ReaderBenchmark -Dbench.args="events rounds idleSeconds
 * profile"}, by default {@code "30000 2 10 profile"}.
 */
public final class ReaderBenchmark {
    private static final Path DIR = Path.of("target/bench");

    private ReaderBenchmark() {}

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 30_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int idleSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        boolean profile = args.length <= 3 || args[3].equals("profile");
        Files.createDirectories(DIR);
        int status = 1;
        try (Emulators emulators = Emulators.start()) {
            String stream = "reader-bench-" + UUID.randomUUID();
            AwsResources.createStream(emulators.kinesis(), stream, 2);
            long kinesalite = emulators.processIds().get("kinesalite");
            System.out.printf("Kinesis readers: %,d events per round on 2 shards, AWS's default polling, %d s at rest%n", events, idleSeconds);
            int sent = 0;
            for (int round = 1; round <= rounds; round++) {
                for (JobConfig.Reader reader : JobConfig.Reader.values()) {
                    try (Child child = new Child(ReaderProcess.class.getName(), JobProcess.jvmFlags(), reader.name(), stream,
                            Integer.toString(emulators.kinesisPort))) {
                        child.await("ready");
                        long cpu = child.cpuNanos();
                        long jit = child.jitCpuNanos();
                        long kinesisCpu = Child.cpuNanos(kinesalite);
                        long started = System.nanoTime();
                        sent = put(emulators, stream, sent, events);
                        child.ask("await " + events, "reached");
                        long nanos = System.nanoTime() - started;
                        long readCpu = child.cpuNanos() - cpu;
                        long readJit = child.jitCpuNanos() - jit;
                        long readKinesisCpu = Child.cpuNanos(kinesalite) - kinesisCpu;
                        long idleFrom = child.cpuNanos();
                        long idleKinesisFrom = Child.cpuNanos(kinesalite);
                        Thread.sleep(idleSeconds * 1000L);
                        System.out.printf("  round %d, %-8s  %6.1f us/event (JIT %4.1f)  kinesalite %6.1f us/event  %5.1f s   at rest: %5.1f%% of a core, kinesalite %5.1f%%%n",
                                round, reader, readCpu / 1000.0 / events, readJit / 1000.0 / events, readKinesisCpu / 1000.0 / events, nanos / 1e9,
                                100.0 * (child.cpuNanos() - idleFrom) / (idleSeconds * 1e9),
                                100.0 * (Child.cpuNanos(kinesalite) - idleKinesisFrom) / (idleSeconds * 1e9));
                    }
                }
            }
            if (profile) {
                for (JobConfig.Reader reader : JobConfig.Reader.values()) {
                    Path recording = DIR.resolve("reader-" + reader.name().toLowerCase() + ".jfr");
                    List<String> flags = new ArrayList<>(JobProcess.jvmFlags());
                    flags.add("-XX:StartFlightRecording=filename=" + recording + ",settings=profile");
                    try (Child child = new Child(ReaderProcess.class.getName(), flags, reader.name(), stream,
                            Integer.toString(emulators.kinesisPort))) {
                        child.await("ready");
                        sent = put(emulators, stream, sent, events);
                        child.ask("await " + events, "reached");
                    }
                    JfrSummary.print(recording, 12);
                }
            }
            status = 0;
        } finally {
            System.exit(status);
        }
    }

    /**
     * Puts {@code count} valid events, 500 a request, over random partition keys, again what kinesalite refuses (it
     * limits each shard to 1,000 records a second, as Kinesis does); answers the events put in all.
     */
    private static int put(Emulators emulators, String stream, int from, int count) {
        List<PutRecordsRequestEntry> batch = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            String json = "{\"userId\":\"u" + (i % 1000) + "\",\"messageId\":\"m-" + i + "\",\"headline\":\"" + "x".repeat(200) + "\"}";
            batch.add(PutRecordsRequestEntry.builder().partitionKey(UUID.randomUUID().toString())
                    .data(SdkBytes.fromString(json, StandardCharsets.UTF_8)).build());
            if (batch.size() == 500 || i == from + count - 1) {
                putAll(emulators, stream, batch);
                batch.clear();
            }
        }
        return from + count;
    }

    private static void putAll(Emulators emulators, String stream, List<PutRecordsRequestEntry> records) {
        List<PutRecordsRequestEntry> left = List.copyOf(records);
        while (!left.isEmpty()) {
            List<PutRecordsRequestEntry> sending = left;
            var results = emulators.kinesis().putRecords(b -> b.streamName(stream).records(sending)).records();
            List<PutRecordsRequestEntry> refused = new ArrayList<>();
            for (int i = 0; i < results.size(); i++) {
                if (results.get(i).errorCode() != null) {
                    refused.add(sending.get(i));
                }
            }
            left = refused;
            if (!left.isEmpty()) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
