package io.sqsbrowser.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.testing.RecordingAwsEndpoint;
import io.sqsbrowser.testing.RecordingAwsEndpoint.Application;
import io.sqsbrowser.testing.RecordingAwsEndpoint.Call;
import io.sqsbrowser.testing.RecordingAwsEndpoint.ChangeSet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kinesis-analytics/deploy.sh}, run as written with the real AWS CLI v2 against {@link RecordingAwsEndpoint}
 * (S3, CloudFormation and Managed Flink answering as AWS does): the real template (over the CLI's 51,200-byte inline
 * limit) deploys through the artifact bucket, and the stack is created from exactly the repository's file; every build
 * gets keys of its own and the Lambda jar's hash, the same build the same ones; a new or stopped application is started
 * from its latest snapshot, a running one is left to CloudFormation's update; an update keeps the parallelism Managed
 * Flink's autoscaling chose, unless one is given.
 */
class DeployScriptTest {
    private static final Path SCRIPT = Path.of("kinesis-analytics/deploy.sh").toAbsolutePath();
    private static final Path TEMPLATE = Path.of("kinesis-analytics/sqs-browser-events.yaml");
    /** Debian's AWS CLI v2: the {@code aws} on a developer's PATH may be another (a pyenv CLI v1). */
    private static final Path AWS_CLI = Path.of(System.getProperty("aws.cli", System.getenv().getOrDefault("AWS_CLI", "/usr/bin/aws")));
    private static final String REGION = "eu-west-1";
    private static final String STACK = "staging-sqs-browser-events";
    private static final String APPLICATION = "staging-sqs-browser-delivery";

    @TempDir
    Path dir;
    private RecordingAwsEndpoint aws;

    @BeforeEach
    void start() throws Exception {
        assertThat(Files.isExecutable(AWS_CLI)).as("the AWS CLI v2 at " + AWS_CLI + ": run .ci/run, or apt-get install awscli "
                + "(or name another with -Daws.cli=...)").isTrue();
        aws = new RecordingAwsEndpoint(REGION, dir);
        aws.createBucket("artifacts");
        aws.stackApplication(STACK, APPLICATION);
    }

    @AfterEach
    void stop() throws IOException {
        aws.close();
    }

    @Test
    void eachBuildIsDeployedUnderKeysOfItsOwnAndANewApplicationIsStarted() throws Exception {
        assertThat(Files.size(TEMPLATE)).as("over the CLI's inline limit: it must deploy through S3").isGreaterThan(51_200);
        Path job = jar("job.jar", "job build 1");
        Path api = jar("api.jar", "api build 1");
        List<Call> first = deploy(job, api, null);
        String jobKey = "sqs-browser-events/staging/job-" + hex(job).substring(0, 32) + ".jar";
        String apiKey = "sqs-browser-events/staging/api-" + hex(api).substring(0, 32) + ".jar";
        assertThat(aws.object("artifacts", jobKey)).isEqualTo(Files.readAllBytes(job));
        assertThat(aws.object("artifacts", apiKey)).isEqualTo(Files.readAllBytes(api));
        ChangeSet created = lastChangeSet();
        assertThat(created.type).isEqualTo("CREATE");
        assertThat(created.passed).as("a first deploy passes no Parallelism: the template's default")
                .containsOnlyKeys("EnvironmentName", "ArtifactBucket", "JobJarKey", "LambdaJarKey", "LambdaJarSha256")
                .containsEntry("EnvironmentName", "staging").containsEntry("ArtifactBucket", "artifacts")
                .containsEntry("JobJarKey", jobKey).containsEntry("LambdaJarKey", apiKey)
                .containsEntry("LambdaJarSha256", Base64.getEncoder().encodeToString(sha256(api)));
        assertThat(created.capabilities).containsExactly("CAPABILITY_NAMED_IAM");
        assertThat(created.templateUrl).startsWith("https://s3." + REGION + ".amazonaws.com/artifacts/sqs-browser-events/staging/");
        assertThat(aws.stack(STACK).status).isEqualTo("CREATE_COMPLETE");
        assertThat(aws.stack(STACK).template).as("the template the stack was created from, as read from S3")
                .isEqualTo(Files.readString(TEMPLATE));
        assertThat(first).anyMatch(c -> c.action.equals("StartApplication") && c.parameters.get("ApplicationName").equals(APPLICATION)
                && c.parameters.get("RunConfiguration").contains("\"ApplicationRestoreType\":\"RESTORE_FROM_LATEST_SNAPSHOT\"")
                && c.parameters.get("RunConfiguration").contains("\"AllowNonRestoredState\":false"));
        assertThat(aws.application(APPLICATION).status).isEqualTo("RUNNING");

        aws.application(APPLICATION, new Application("RUNNING", 2, 6));
        List<Call> again = deploy(job, api, null);
        assertThat(again).as("the same build again: the same keys; a running application is not restarted")
                .anyMatch(c -> c.action.equals("PutObject") && c.parameters.get("Key").equals(jobKey))
                .anyMatch(c -> c.action.equals("PutObject") && c.parameters.get("Key").equals(apiKey))
                .noneMatch(c -> c.action.equals("StartApplication"));
        assertThat(lastChangeSet().passed).as("an update passes the parallelism autoscaling chose")
                .containsEntry("Parallelism", "6").containsEntry("JobJarKey", jobKey);
        assertThat(aws.application(APPLICATION).currentParallelism).isEqualTo(6);

        assertThat(deploy(job, api, null)).as("nothing changed: CloudFormation's empty change set is not executed, and "
                + "the deploy succeeds").noneMatch(c -> c.action.equals("ExecuteChangeSet"));

        Path api2 = jar("api2.jar", "api build 2");
        List<Call> next = deploy(job, api2, null, "Parallelism=4");
        assertThat(lastChangeSet().passed).as("a new Lambda build: a new key and hash, so a new published version; a "
                + "Parallelism given wins").doesNotContainEntry("LambdaJarKey", apiKey)
                .containsEntry("LambdaJarSha256", Base64.getEncoder().encodeToString(sha256(api2))).containsEntry("Parallelism", "4");
        assertThat(next).as("the parallelism given: the application's is not asked")
                .filteredOn(c -> c.action.equals("DescribeApplication")).hasSize(1);
        assertThat(aws.application(APPLICATION).currentParallelism).isEqualTo(4);

        aws.application(APPLICATION, new Application("READY", 4, 4));
        assertThat(deploy(job, api2, "SKIP_RESTORE_FROM_SNAPSHOT")).as("a replay or a recovery starts without the state")
                .anyMatch(c -> c.action.equals("StartApplication")
                        && c.parameters.get("RunConfiguration").contains("\"ApplicationRestoreType\":\"SKIP_RESTORE_FROM_SNAPSHOT\""));
    }

    private Path jar(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private ChangeSet lastChangeSet() {
        List<ChangeSet> changeSets = aws.changeSets();
        return changeSets.get(changeSets.size() - 1);
    }

    /**
     * Runs the script with the AWS CLI against the endpoint, in an environment of its own (no developer's profile,
     * credentials or proxy); answers the calls it made.
     */
    private List<Call> deploy(Path job, Path api, String restore, String... parameters) throws Exception {
        Path home = Files.createDirectories(dir.resolve("home"));
        List<String> command = new ArrayList<>(List.of("bash", SCRIPT.toString(), "staging", "artifacts", REGION));
        command.addAll(List.of(parameters));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", AWS_CLI.getParent() + ":/usr/bin:/bin");
        env.put("HOME", home.toString());
        env.put("AWS_CONFIG_FILE", Files.writeString(home.resolve("config"), "").toString());
        env.put("AWS_SHARED_CREDENTIALS_FILE", Files.writeString(home.resolve("credentials"), "").toString());
        env.put("AWS_ACCESS_KEY_ID", "AKIDLOCALDEPLOYTEST");
        env.put("AWS_SECRET_ACCESS_KEY", "local");
        env.put("AWS_DEFAULT_REGION", REGION);
        env.put("AWS_PAGER", "");
        env.put("AWS_EC2_METADATA_DISABLED", "true");
        env.put("AWS_ENDPOINT_URL", aws.endpoint());
        // For the template upload, which CLIs before 2.13 send to S3's own host name whatever the endpoint.
        env.put("HTTPS_PROXY", aws.httpsProxy());
        env.put("AWS_CA_BUNDLE", aws.caBundle().toString());
        env.put("JOB_JAR", job.toString());
        env.put("API_JAR", api.toString());
        if (restore != null) {
            env.put("RESTORE", restore);
        }
        int before = aws.calls().size();
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        List<Call> calls = aws.calls();
        assertThat(p.exitValue()).as(output + "\ncalls: " + calls.subList(before, calls.size())).isZero();
        return calls.subList(before, calls.size());
    }

    private static byte[] sha256(Path file) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
    }

    private static String hex(Path file) throws Exception {
        StringBuilder out = new StringBuilder();
        for (byte b : sha256(file)) {
            out.append(String.format("%02x", b));
        }
        return out.toString();
    }
}
