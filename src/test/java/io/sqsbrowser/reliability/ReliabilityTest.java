package io.sqsbrowser.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.CountersReporter;
import io.sqsbrowser.testing.EmulatorsExtension;
import java.time.Duration;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The reliability scenarios at a size for every test run (the suite, {@link ReliabilitySuite}, runs them at full
 * size): bad input, an SQS outage, throttling and a missing dead-letter queue each lose nothing and restart
 * nothing. (A TaskManager killed mid-broadcast is {@code FailureRecoveryTest}.)
 */
@ExtendWith(EmulatorsExtension.class)
class ReliabilityTest {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setConfiguration(CountersReporter.configuration()).setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());

    private static Scenarios.Figures report(Scenarios.Figures figures) {
        System.out.println(figures);
        assertThat(figures.problems).as(figures.line).isEmpty();
        return figures;
    }

    @Test
    void badRecordsBecomeDeadLettersAndEveryValidEventArrives(Emulators emulators, @InjectMiniCluster MiniCluster cluster)
            throws Exception {
        report(new Scenarios(emulators, cluster).fuzz(600, 100, 20, 5_000_000));
    }

    @Test
    void anSqsOutageMidBroadcastLosesNothing(Emulators emulators, @InjectMiniCluster MiniCluster cluster) throws Exception {
        report(new Scenarios(emulators, cluster).sqsOutage(300, Duration.ofSeconds(5)));
    }

    @Test
    void throttlingIsRetriedAndLosesNothing(Emulators emulators, @InjectMiniCluster MiniCluster cluster) throws Exception {
        assertThat(report(new Scenarios(emulators, cluster).throttling(300, 0.2)).line).doesNotContain("throttled answers 0,");
    }

    @Test
    void aMissingDeadLetterQueueLosesNoDeadLetterAndStopsNothing(Emulators emulators, @InjectMiniCluster MiniCluster cluster)
            throws Exception {
        report(new Scenarios(emulators, cluster).deadLetterQueueDown(100, Duration.ofSeconds(5)));
    }
}
