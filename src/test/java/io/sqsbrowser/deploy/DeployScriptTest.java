package io.sqsbrowser.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kinesis-analytics/deploy.sh}, run as written, with a test double of the AWS CLI (no AWS is reachable here)
 * that records each call and answers the application's status: every build gets keys of its own and the Lambda
 * jar's hash, the same build the same ones; a new or stopped application is started from its latest snapshot, a
 * running one is left to CloudFormation's update.
 */
class DeployScriptTest {
    private static final Path SCRIPT = Path.of("kinesis-analytics/deploy.sh").toAbsolutePath();

    @TempDir
    Path dir;

    @Test
    void eachBuildIsDeployedUnderKeysOfItsOwnAndANewApplicationIsStarted() throws Exception {
        Path job = jar("job.jar", "job build 1");
        Path api = jar("api.jar", "api build 1");
        List<String> first = deploy(job, api, "READY");
        String jobKey = "sqs-browser-events/staging/job-" + hex(job).substring(0, 32) + ".jar";
        String apiKey = "sqs-browser-events/staging/api-" + hex(api).substring(0, 32) + ".jar";
        assertThat(first).contains("s3 cp --region eu-west-1 " + job + " s3://artifacts/" + jobKey,
                "s3 cp --region eu-west-1 " + api + " s3://artifacts/" + apiKey);
        String deploy = first.stream().filter(c -> c.startsWith("cloudformation deploy")).findFirst().orElseThrow();
        assertThat(deploy).contains("--stack-name staging-sqs-browser-events", "EnvironmentName=staging", "ArtifactBucket=artifacts",
                "JobJarKey=" + jobKey, "LambdaJarKey=" + apiKey, "LambdaJarSha256=" + Base64.getEncoder().encodeToString(sha256(api)),
                "Parallelism=4");
        assertThat(first).anyMatch(c -> c.startsWith("kinesisanalyticsv2 start-application --region eu-west-1 --application-name "
                + "staging-sqs-browser-delivery") && c.contains("RESTORE_FROM_LATEST_SNAPSHOT") && c.contains("\"AllowNonRestoredState\":false"));

        assertThat(deploy(job, api, "RUNNING")).as("the same build again: the same keys; a running application is not restarted")
                .contains("s3 cp --region eu-west-1 " + job + " s3://artifacts/" + jobKey).noneMatch(c -> c.contains("start-application"));

        assertThat(deploy(job, api, "READY", "SKIP_RESTORE_FROM_SNAPSHOT")).as("a replay or a recovery starts without the state")
                .anyMatch(c -> c.contains("start-application") && c.contains("\"ApplicationRestoreType\":\"SKIP_RESTORE_FROM_SNAPSHOT\""));

        Path api2 = jar("api2.jar", "api build 2");
        String next = deploy(job, api2, "RUNNING").stream().filter(c -> c.startsWith("cloudformation deploy")).findFirst().orElseThrow();
        assertThat(next).as("a new Lambda build: a new key and hash, so a new published version")
                .doesNotContain(apiKey).contains("LambdaJarSha256=" + Base64.getEncoder().encodeToString(sha256(api2)));
    }

    private Path jar(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    /** Runs the script; answers the AWS CLI calls it made, one line of arguments each. */
    private List<String> deploy(Path job, Path api, String status) throws Exception {
        return deploy(job, api, status, null);
    }

    private List<String> deploy(Path job, Path api, String status, String restore) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path calls = dir.resolve("calls-" + System.nanoTime());
        Path aws = bin.resolve("aws");
        Files.writeString(aws, "#!/usr/bin/env bash\n# TEST DOUBLE of the AWS CLI: records the call, answers the application's status.\n"
                + "echo \"$*\" >> \"$CALLS\"\n"
                + "if [ \"$1 $2\" = \"kinesisanalyticsv2 describe-application\" ]; then echo \"$STATUS\"; fi\n");
        Files.setPosixFilePermissions(aws, PosixFilePermissions.fromString("rwxr-xr-x"));
        ProcessBuilder pb = new ProcessBuilder("bash", SCRIPT.toString(), "staging", "artifacts", "eu-west-1", "Parallelism=4")
                .redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().put("CALLS", calls.toString());
        pb.environment().put("STATUS", status);
        pb.environment().put("JOB_JAR", job.toString());
        pb.environment().put("API_JAR", api.toString());
        if (restore != null) {
            pb.environment().put("RESTORE", restore);
        }
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        return Files.readAllLines(calls);
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
