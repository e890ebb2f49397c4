package io.sqsbrowser.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.aws.ManagedFlinkMetrics;
import io.sqsbrowser.local.AwsResources;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.Await;
import io.sqsbrowser.testing.CountersReporter;
import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.TestJob;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The names the deployment's alarms and dashboard read of the job's own metrics ({@link ManagedFlinkMetrics}; the
 * template test checks the template against them) are registered by the running job in the group Managed Flink sends
 * to CloudWatch: an alarm on a name the job does not register would never fire.
 */
@ExtendWith(EmulatorsExtension.class)
class ManagedFlinkMetricsTest {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(CountersReporter.configuration()).setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    @Test
    void theRunningJobRegistersEveryMetricTheTemplateReadsInTheGroupSentToCloudWatch(Emulators emulators) throws Exception {
        CountersReporter.clear();
        JobClient client = new TestJob(emulators, 1).start(1);
        try {
            Await.until(Duration.ofSeconds(60), () -> "every exported metric; so far " + CountersReporter.cloudWatchNames(),
                    () -> CountersReporter.cloudWatchNames().containsAll(ManagedFlinkMetrics.names()));
            assertThat(CountersReporter.cloudWatchNames()).containsAll(ManagedFlinkMetrics.names());
        } finally {
            TestJob.stop(client);
        }
    }

    /**
     * FlinkKinesisConsumer opens a copy of the event schema per shard: a subtask reading two shards counts every event of
     * both (a second registration of a counter's name is dropped by Flink, and its counts with it).
     */
    @Test
    void aSubtaskReadingTwoShardsCountsTheEventsOfBoth(Emulators emulators) throws Exception {
        CountersReporter.clear();
        TestJob job = new TestJob(emulators, 2);
        int events = 40;
        for (int i = 0; i < events; i++) {
            AwsResources.put(emulators.kinesis(), job.eventStream, "user-" + i,
                    ("{\"userId\":\"u" + i + "\",\"messageId\":\"m" + i + "\"}").getBytes(StandardCharsets.UTF_8));
        }
        assertThat(emulators.kinesis().listShards(b -> b.streamName(job.eventStream)).shards()).hasSize(2);
        JobClient client = job.start(1);
        try {
            Await.until(Duration.ofSeconds(60), () -> "eventsIn to count all " + events + "; so far " + CountersReporter.sum("eventsIn"),
                    () -> CountersReporter.sum("eventsIn") == events);
        } finally {
            TestJob.stop(client);
        }
    }
}
