package io.sqsbrowser.reliability;

import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.CountersReporter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.util.MiniClusterWithClientResource;

/**
 * The reliability scenarios at full size, against the emulators with ElasticMQ in its own process, each on a
 * job of its own in one local Flink cluster; one line of figures per scenario. Exits with 1 if any scenario lost
 * a message, lost a dead letter or restarted a task it should not have.
 *
 * <p>Run: {@code mvn -q -Preliability test-compile exec:exec} (about 15 minutes here).
 */
public final class ReliabilitySuite {
    private ReliabilitySuite() {}

    public static void main(String[] args) throws Exception {
        Emulators emulators = Emulators.start(true);
        MiniClusterWithClientResource flink = new MiniClusterWithClientResource(new MiniClusterResourceConfiguration.Builder()
                .setConfiguration(CountersReporter.configuration()).setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).build());
        flink.before();
        List<Scenarios.Figures> results = new ArrayList<>();
        try {
            Scenarios scenarios = new Scenarios(emulators, flink.getMiniCluster());
            System.out.println("Reliability suite: ElasticMQ in its own process, job parallelism 2");
            results.add(print(scenarios.fuzz(10_000, 1_000, 200, 5_000_000)));
            results.add(print(scenarios.sqsOutage(10_000, Duration.ofSeconds(30))));
            results.add(print(scenarios.throttling(10_000, 0.2)));
            results.add(print(scenarios.deadLetterQueueDown(600, Duration.ofSeconds(30))));
            results.add(print(scenarios.taskManagerKilled(10_000, 1)));
        } finally {
            flink.after();
            emulators.close();
        }
        boolean clean = results.stream().allMatch(r -> r.problems.isEmpty());
        System.out.println(clean ? "All scenarios: nothing lost, no unexpected restart." : "SOME SCENARIOS FAILED");
        // The local cluster leaves non-daemon threads behind.
        System.exit(clean ? 0 : 1);
    }

    private static Scenarios.Figures print(Scenarios.Figures figures) {
        System.out.println("  " + figures);
        return figures;
    }
}
