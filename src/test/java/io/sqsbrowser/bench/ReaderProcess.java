package io.sqsbrowser.bench;

import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.deadletter.Parsed;
import io.sqsbrowser.event.DeliveryEvent;
import io.sqsbrowser.event.EventDeserializationSchema;
import io.sqsbrowser.event.EventParser;
import io.sqsbrowser.job.JobConfig;
import io.sqsbrowser.job.KinesisReaders;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.ReaderConfigs;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * One Kinesis reader in a JVM of its own, for {@link ReaderBenchmark}: a local Flink job that reads the event stream
 * from LATEST with the reader given, parses each record as the job's first stage does, and counts the valid events.
 * Answers {@code ready} once it runs; {@code await <n>} answers {@code reached} once n events have been counted.
 *
 * <p>Arguments: reader stream kinesisPort.
 */
public final class ReaderProcess {
    static final AtomicLong EVENTS = new AtomicLong();

    private ReaderProcess() {}

    public static void main(String[] args) throws Exception {
        JobConfig.Reader reader = JobConfig.Reader.valueOf(args[0]);
        AwsSettings aws = new AwsSettings(Emulators.REGION, AwsSettings.Credentials.STATIC, "local", "local",
                Map.of("kinesis", "http://127.0.0.1:" + args[2]));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, new Configuration());
        env.enableCheckpointing(60_000);
        KinesisReaders.read(env, aws, ReaderConfigs.source(reader, args[1], "LATEST", null, false),
                        new EventDeserializationSchema(new EventParser(262_144)), "reader", "Event stream")
                .sinkTo(new CountingSink());
        JobClient job = env.executeAsync("reader-" + reader);
        while (job.getJobStatus().get() != org.apache.flink.api.common.JobStatus.RUNNING) {
            Thread.sleep(50);
        }
        Thread.sleep(3_000); // shards listed, readers started
        System.out.println("ready");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null && !line.equals("quit")) {
            if (line.startsWith("await ")) {
                long n = Long.parseLong(line.substring(6));
                while (EVENTS.get() < n) {
                    Thread.sleep(5);
                }
                System.out.println("reached " + EVENTS.get());
            }
        }
        job.cancel().get();
        System.exit(0);
    }

    /** Counts the valid events; what a reader costs is all that is measured. */
    static final class CountingSink implements Sink<Parsed<DeliveryEvent>> {
        /** The writer Flink 1.19 still asks a stateless Sink V2 sink for. */
        @Override
        @Deprecated
        public SinkWriter<Parsed<DeliveryEvent>> createWriter(InitContext context) {
            return new SinkWriter<>() {
                @Override
                public void write(Parsed<DeliveryEvent> parsed, Context ignored) {
                    if (parsed.value != null) {
                        EVENTS.incrementAndGet();
                    }
                }

                @Override
                public void flush(boolean endOfInput) {}

                @Override
                public void close() {}
            };
        }
    }
}
