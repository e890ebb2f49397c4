package io.sqsbrowser.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.local.AwsResources;
import io.sqsbrowser.local.ChangeRecords;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.Mailboxes;
import io.sqsbrowser.testing.StandaloneCluster;
import io.sqsbrowser.testing.TestJob;
import io.sqsbrowser.testing.TestSession;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded job jar on a real Flink 1.19 cluster ({@link StandaloneCluster}: a JobManager and a TaskManager as
 * separate JVMs from Flink's own entrypoints, with Flink's classpath only), submitted through the REST API, and
 * an event from kinesalite delivered to an ElasticMQ queue. Proves the jar has what it needs and nothing that
 * clashes with Flink.
 */
@ExtendWith(EmulatorsExtension.class)
class StandaloneClusterIT {
    @Test
    void theShadedJarDeliversAnEventOnSeparateJobManagerAndTaskManagerProcesses(Emulators emulators, @TempDir Path dir)
            throws Exception {
        assertThat(StandaloneCluster.JOB_JAR).exists();
        TestJob job = new TestJob(emulators, 1);
        TestSession session = job.session("100", "200", "cluster-" + UUID.randomUUID(), CipherFormat.GCM);
        AwsResources.put(emulators.kinesis(), job.changeStream, session.userId, ChangeRecords.insert(session.item()));
        try (StandaloneCluster cluster = new StandaloneCluster(dir, "384m", "0m")) {
            cluster.submit(job.propertyGroups(1));
            Mailboxes mail = new Mailboxes(emulators.sqs(), List.of(session));
            job.awaitSessionsKnown(mail, List.of(session));
            String event = "{\"message\":\"From a real cluster\",\"userId\":200,\"messageId\":\"cluster-1\"}";
            AwsResources.put(emulators.kinesis(), job.eventStream, "200", event.getBytes(StandardCharsets.UTF_8));
            mail.awaitAtLeast(Map.of(session, Set.of("cluster-1")), Duration.ofSeconds(60));
            assertThat(mail.message(session, "cluster-1").get("message").asText()).isEqualTo("From a real cluster");
        }
    }
}
