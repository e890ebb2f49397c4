package io.sqsbrowser.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sqsbrowser.local.CloudFormationTemplate;
import io.sqsbrowser.local.LocalDeployment;
import io.sqsbrowser.local.NodePackages;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The template and its roles judged by what AWS publishes as data, not by this project's reading of the docs
 * ({@code src/aws-contracts}): CloudFormation's registry schemas and the service API limits they leave out, AWS Control
 * Tower's cfn-guard rules (failures only with a waiver and its reason, in {@code guard-waivers.json}), and every IAM
 * statement against the Service Authorization Reference. (The recorded calls of the whole suite are judged by the same
 * IAM checker once the tests have run: {@code mvn verify}.)
 */
class AwsContractsTest {
    private static final File CHECKERS = new File("src/aws-contracts");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The longest names and the largest settings a deployment may have: what must still fit every limit. */
    private static final String LARGEST = "EnvironmentName=abcdefghij0123456789 QueuePrefix=abcdefghijklmnopqrstuvwxyz0123456789 "
            + "ApiMemoryMB=10240 ApiTimeoutSeconds=28 MessageRetentionSeconds=1209600 CredentialSeconds=3600 SessionTtlSeconds=1209600";

    @BeforeAll
    static void install() throws Exception {
        NodePackages.installOnce(CHECKERS);
    }

    /**
     * deploy.sh deploys through S3 (the template is over the 51,200 bytes {@code cloudformation deploy} takes inline), and
     * every value the APIs take is within their limits: with the defaults, as a replay, and at the largest settings.
     */
    @Test
    void theTemplateIsWhatCloudFormationAndTheServiceApisTakeOnTheWayIn() throws Exception {
        List<String> args = new ArrayList<>(List.of("template.mjs", CloudFormationTemplate.FILE.toAbsolutePath().toString(),
                "--deploy-path", "s3", "--parameters"));
        DeploymentConsistencyTest.REPLAY.forEach((k, v) -> args.add(k + "=" + v));
        args.add("--parameters");
        args.addAll(List.of(LARGEST.split(" ")));
        JsonNode result = node(args);
        assertThat(result.get("findings")).as(result.toPrettyString()).isEmpty();
        assertThat(result.path("ok").asBoolean()).as(result.toPrettyString()).isTrue();
        assertThat(result.path("deployPaths").path("inline").path("fits").asBoolean())
                .as("if it fits inline again, deploy.sh may drop --s3-bucket; until then it must keep it").isFalse();
        assertThat(Files.readString(Path.of("kinesis-analytics/deploy.sh"))).contains("--s3-bucket");
    }

    @Test
    void controlTowersGuardRulesPassOrAreWaivedWithAReason() throws Exception {
        JsonNode result = node(List.of("guard.mjs", CloudFormationTemplate.FILE.toAbsolutePath().toString()));
        assertThat(result.path("ok").asBoolean()).as(result.toPrettyString()).isTrue();
        assertThat(result.get("failures")).allSatisfy(f -> assertThat(f.path("waived").asBoolean()).isTrue());
    }

    /**
     * Every statement of every role and policy the template gives, as rendered for a deployment, against AWS's Service
     * Authorization Reference: an action that exists, a resource of a type the action takes (an action with none only
     * on "*": cognito-identity:DeleteIdentities on a pool's ARN matches nothing), a condition key the action carries.
     */
    @Test
    void everyStatementOfEveryRoleIsOneTheServiceAuthorizationReferenceAccepts(@TempDir Path dir) throws Exception {
        for (String environment : List.of("prod", "abcdefghij0123456789")) {
            LocalDeployment deployment = LocalDeployment.of(environment, Map.of(), "https://sqs.us-east-1.amazonaws.com");
            Files.createDirectories(dir.resolve("roles"));
            Files.writeString(dir.resolve("roles").resolve(environment + ".json"), deployment.rolesJson().toPrettyString());
        }
        JsonNode result = node(List.of("iam.mjs", dir.toString(), "--static"));
        assertThat(result.get("invalid")).as(result.toPrettyString()).isEmpty();
        assertThat(result.path("ok").asBoolean()).as(result.toPrettyString()).isTrue();
    }

    /** Runs one checker; answers the JSON it printed (it exits 0 when ok, 1 when not: the JSON says which). */
    private static JsonNode node(List<String> args) throws Exception {
        List<String> command = new ArrayList<>(List.of("node"));
        command.addAll(args);
        // Its standard error to a file: the test JVM's own streams are surefire's.
        File errors = File.createTempFile("aws-contracts", ".err");
        errors.deleteOnExit();
        Process p = new ProcessBuilder(command).directory(CHECKERS).redirectError(errors).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(out + Files.readString(errors.toPath())).isIn(0, 1);
        return JSON.readTree(out);
    }
}
