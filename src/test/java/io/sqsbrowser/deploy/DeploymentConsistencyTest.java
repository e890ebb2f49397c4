package io.sqsbrowser.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sqsbrowser.api.ApiConfig;
import io.sqsbrowser.aws.QueueNames;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.local.LocalIam;
import io.sqsbrowser.job.JobConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CloudFormation template and the code agree: it parses (short-form tags and all), it declares every
 * property the job and the Lambda read, and each IAM role allows every AWS action its code calls and
 * nothing broader than needed.
 */
class DeploymentConsistencyTest {
    private static final Path TEMPLATE = Path.of("kinesis-analytics/sqs-browser-events.yaml");
    private static final Path SOURCES = Path.of("src/main/java/io/sqsbrowser");
    /** Keys only for emulators or replays (endpoints, static keys, pass-through, start time), and what Managed Flink sets itself. */
    private static final Set<String> JOB_KEYS_NOT_DEPLOYED = Set.of("Aws.credentials", "Aws.accessKeyId",
            "Aws.secretAccessKey", "Aws.endpoint.*", "EventSource.consumer.*", "SessionSource.consumer.*",
            "EventSource.initialTimestamp", "SessionSource.initialTimestamp", "Job.parallelism", "Job.checkpointIntervalMillis");
    /** Set by the Lambda runtime, or only for emulators. */
    private static final Set<String> LAMBDA_VARIABLES_NOT_DEPLOYED = Set.of("AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME",
            "CREDENTIALS", "STATIC_ACCESS_KEY_ID", "STATIC_SECRET_ACCESS_KEY", "ENDPOINT_SQS", "ENDPOINT_DYNAMODB",
            "ENDPOINT_KINESIS", "ENDPOINT_COGNITOIDENTITY", "ENDPOINT_STS", "ENDPOINT_LAMBDA");
    /** What FlinkKinesisConsumer calls on both streams (polling and enhanced fan-out). */
    private static final Set<String> KINESIS_CONSUMER_ACTIONS = Set.of("kinesis:DescribeStream", "kinesis:DescribeStreamSummary",
            "kinesis:ListShards", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:RegisterStreamConsumer",
            "kinesis:DeregisterStreamConsumer", "kinesis:ListStreamConsumers", "kinesis:DescribeStreamConsumer",
            "kinesis:SubscribeToShard");
    /** What Managed Flink and Lambda themselves need: the jar, logs, the service's metrics. */
    private static final Set<String> PLATFORM_ACTIONS = Set.of("s3:GetObject", "s3:GetObjectVersion", "logs:DescribeLogGroups",
            "logs:DescribeLogStreams", "logs:PutLogEvents", "logs:CreateLogStream", "cloudwatch:PutMetricData");
    private static final Pattern CALL = Pattern.compile("\\b(sqs|dynamoDb|kinesis|cognito|lambda)\\.(\\w+)\\(");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static CloudFormationTemplate template;

    @BeforeAll
    static void read() throws IOException {
        template = CloudFormationTemplate.read(TEMPLATE);
    }

    @Test
    void theTemplateParsesAndEveryReferenceResolves() {
        assertThat(template.resources()).containsKeys("DeliveryApplication", "EventStream", "SessionChangeStream",
                "SessionTable", "HistoryTable", "DeadLetterQueue", "IdentityPool", "SessionQueueRole", "ApiFunction", "RestApi");
        assertThat(template.properties("DeliveryApplication").get("RuntimeEnvironment")).isEqualTo("FLINK-1_19");
        Set<String> names = new TreeSet<>(template.resources().keySet());
        names.addAll(((Map<?, ?>) template.root.get("Parameters")).keySet().stream().map(Object::toString).collect(Collectors.toSet()));
        List<String> unresolved = new ArrayList<>();
        walk(template.resources(), node -> {
            if (node.containsKey("Ref")) {
                check(names, (String) node.get("Ref"), unresolved);
            }
            if (node.containsKey("Fn::GetAtt")) {
                check(names, ((List<?>) node.get("Fn::GetAtt")).get(0).toString(), unresolved);
            }
            if (node.containsKey("Fn::Sub") && node.get("Fn::Sub") instanceof String) {
                Matcher m = Pattern.compile("\\$\\{([A-Za-z0-9:]+)(\\.[A-Za-z]+)?}").matcher((String) node.get("Fn::Sub"));
                while (m.find()) {
                    check(names, m.group(1), unresolved);
                }
            }
        });
        assertThat(unresolved).as("references to nothing").isEmpty();
    }

    @Test
    void theTemplateDeclaresEveryPropertyTheJobReadsAndNoOther() {
        Map<String, Properties> groups = new HashMap<>();
        Set<String> declared = new TreeSet<>();
        for (Object g : (List<?>) path(template.properties("DeliveryApplication"), "ApplicationConfiguration",
                "EnvironmentProperties", "PropertyGroups")) {
            Map<?, ?> group = (Map<?, ?>) g;
            Properties p = new Properties();
            ((Map<?, ?>) group.get("PropertyMap")).forEach((k, v) -> {
                p.setProperty(k.toString(), value(v));
                declared.add(group.get("PropertyGroupId") + "." + k);
            });
            groups.put(group.get("PropertyGroupId").toString(), p);
        }
        JobConfig config = JobConfig.fromPropertyGroups(groups);
        Set<String> read = new TreeSet<>(config.keysRead());
        assertThat(read).as("keys the template sets that the job never reads").containsAll(declared);
        read.removeAll(JOB_KEYS_NOT_DEPLOYED);
        assertThat(declared).as("keys the job reads that the template does not declare").containsAll(read);
    }

    @Test
    void theTemplateDeclaresEveryVariableTheLambdaReadsAndNoOther() {
        Map<?, ?> variables = (Map<?, ?>) path(template.properties("ApiFunction"), "Environment", "Variables");
        Map<String, String> env = new HashMap<>();
        variables.forEach((k, v) -> env.put(k.toString(), value(v)));
        env.put("QUEUE_PREFIX", "prod-sqs-browser");
        ApiConfig config = ApiConfig.fromEnvironment(env);
        Set<String> read = new TreeSet<>(config.variablesRead());
        assertThat(read).as("variables the template sets that the Lambda never reads").containsAll(env.keySet());
        read.removeAll(LAMBDA_VARIABLES_NOT_DEPLOYED);
        assertThat(env.keySet()).as("variables the Lambda reads that the template does not set").containsAll(read);
    }

    @Test
    void eachRoleAllowsWhatItsCodeCallsAndNothingElse() throws IOException {
        Set<String> job = actionsCalledIn(p -> !p.contains("/api/") && !p.contains("/local/") && !p.contains("/client/")
                && !p.endsWith("DeadLetterDestinations.java"));
        // Dead letters go to SQS, as deployed; to Kinesis only with DeadLetter.type=KINESIS.
        job.add("sqs:SendMessage");
        job.addAll(KINESIS_CONSUMER_ACTIONS);
        Set<String> lambda = actionsCalledIn(p -> p.contains("/api/"));
        assertThat(job).contains("sqs:SendMessage", "sqs:DeleteQueue", "dynamodb:Scan", "dynamodb:UpdateItem",
                "cognito-identity:DeleteIdentities");
        assertThat(lambda).contains("sqs:CreateQueue", "dynamodb:PutItem", "kinesis:PutRecord",
                "cognito-identity:GetOpenIdTokenForDeveloperIdentity", "lambda:InvokeFunction");

        assertThat(allowed("JobRole")).as("the job's role").containsAll(job);
        assertThat(allowed("ApiFunctionRole")).as("the Lambda's role").containsAll(lambda);
        assertThat(without(allowed("JobRole"), PLATFORM_ACTIONS)).as("the job's role allows no more").isSubsetOf(job);
        assertThat(without(allowed("ApiFunctionRole"), PLATFORM_ACTIONS)).as("the Lambda's role allows no more").isSubsetOf(lambda);
        assertThat(allowed("SessionQueueRole")).containsExactlyInAnyOrder("sqs:ReceiveMessage", "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes");
    }

    @Test
    void thePoolHasNoUnauthenticatedIdentitiesAndNoRoleForThem() {
        Map<?, ?> pool = template.properties("IdentityPool");
        assertThat(pool.get("AllowUnauthenticatedIdentities")).isEqualTo(false);
        assertThat(pool.get("DeveloperProviderName")).as("developer-authenticated identities").isNotNull();
        assertThat(template.resourcesOfType("AWS::Cognito::IdentityPoolRoleAttachment"))
                .as("no role attached to the pool: credentials come only from the Lambda's own AssumeRoleWithWebIdentity").isEmpty();
    }

    @Test
    void theSessionRoleTrustsOnlyAuthenticatedIdentitiesOfThePoolAndEveryResourceIsTagScoped() {
        Map<?, ?> trust = (Map<?, ?>) ((List<?>) path(template.properties("SessionQueueRole"), "AssumeRolePolicyDocument", "Statement")).get(0);
        assertThat(list(trust.get("Action"))).containsExactlyInAnyOrder("sts:AssumeRoleWithWebIdentity", "sts:TagSession");
        Map<?, ?> condition = (Map<?, ?>) trust.get("Condition");
        assertThat(((Map<?, ?>) condition.get("StringEquals")).get("cognito-identity.amazonaws.com:aud")).isEqualTo(Map.of("Ref", "IdentityPool"));
        assertThat(((Map<?, ?>) condition.get("ForAnyValue:StringLike")).get("cognito-identity.amazonaws.com:amr")).isEqualTo("authenticated");
        for (Map<?, ?> statement : statements("SessionQueueRole")) {
            assertThat(statement.get("Effect")).isEqualTo("Allow");
            for (Object resource : (List<?>) (statement.get("Resource") instanceof List ? statement.get("Resource") : List.of(statement.get("Resource")))) {
                assertThat(((Map<?, ?>) resource).get("Fn::Sub").toString()).as("a session-role resource")
                        .endsWith(":${!aws:PrincipalTag/" + QueueNames.SESSION_QUEUE_TAG + "}");
            }
        }
    }

    @Test
    void theLocalStandInEnforcesTheTemplatesSessionRolePolicy() throws IOException {
        Map<?, ?> document = (Map<?, ?>) path((Map<?, ?>) ((List<?>) template.properties("SessionQueueRole").get("Policies")).get(0), "PolicyDocument");
        String asDeployed = JSON.writeValueAsString(resolveSubs(document, Map.of("AWS::Partition", "aws",
                "AWS::Region", Emulators.REGION, "AWS::AccountId", LocalIam.ACCOUNT)));
        assertThat(JSON.readTree(asDeployed)).isEqualTo(JSON.readTree(LocalIam.SESSION_ROLE_POLICY));
    }

    @Test
    void onlyTheLambdaMayMintSessionTokensAndTheDeadLetterQueueIsOutsideTheSessionPrefix() {
        for (String role : template.resourcesOfType("AWS::IAM::Role")) {
            if (!role.equals("ApiFunctionRole")) {
                assertThat(allowed(role)).as(role).doesNotContain("cognito-identity:GetOpenIdTokenForDeveloperIdentity",
                        "cognito-identity:GetOpenIdToken", "cognito-identity:GetCredentialsForIdentity");
            }
        }
        assertThat(allowed("ApiFunctionRole")).contains("cognito-identity:GetOpenIdTokenForDeveloperIdentity")
                .doesNotContain("cognito-identity:GetId", "cognito-identity:GetOpenIdToken");
        Map<?, ?> parameters = (Map<?, ?>) template.root.get("Parameters");
        String queuePrefix = ((Map<?, ?>) parameters.get("QueuePrefix")).get("Default").toString();
        String environment = ((Map<?, ?>) parameters.get("EnvironmentName")).get("Default").toString();
        String deadLetterQueue = ((Map<?, ?>) template.properties("DeadLetterQueue").get("QueueName")).get("Fn::Sub").toString()
                .replace("${EnvironmentName}", environment);
        assertThat(deadLetterQueue).doesNotStartWith(queuePrefix + "-");
        assertThat(path(template.properties("ApiFunction"), "Environment", "Variables"))
                .as("the Lambda knows the dead-letter queue, so clean-up never deletes it")
                .isInstanceOfSatisfying(Map.class, v -> assertThat(v.get("DEAD_LETTER_QUEUE_URL")).isEqualTo(Map.of("Ref", "DeadLetterQueue")));
    }

    /** Replaces {@code ${Name}} in every Fn::Sub with the given values; {@code ${!x}} becomes the literal {@code ${x}}. */
    private static Object resolveSubs(Object node, Map<String, String> values) {
        if (node instanceof Map && ((Map<?, ?>) node).containsKey("Fn::Sub")) {
            String text = ((Map<?, ?>) node).get("Fn::Sub").toString();
            for (Map.Entry<String, String> v : values.entrySet()) {
                text = text.replace("${" + v.getKey() + "}", v.getValue());
            }
            return text.replace("${!", "${");
        }
        if (node instanceof Map) {
            Map<Object, Object> out = new java.util.LinkedHashMap<>();
            ((Map<?, ?>) node).forEach((k, v) -> out.put(k, resolveSubs(v, values)));
            return out;
        }
        if (node instanceof List) {
            return ((List<?>) node).stream().map(v -> resolveSubs(v, values)).collect(Collectors.toList());
        }
        return node;
    }

    @Test
    void noRoleAllowsWildcardActionsOrResourcesItDoesNotNeed() {
        for (String role : template.resourcesOfType("AWS::IAM::Role")) {
            for (Map<?, ?> statement : statements(role)) {
                List<String> actions = list(statement.get("Action"));
                assertThat(actions).as("%s actions", role).noneMatch(a -> a.contains("*"));
                if (list(statement.get("Resource")).contains("*")) {
                    // Only PutMetricData, which has no resource type, and only for the service's namespace.
                    assertThat(actions).as("%s: * resource", role).containsExactly("cloudwatch:PutMetricData");
                    assertThat(statement.get("Condition")).as("%s: PutMetricData condition", role).isNotNull();
                }
            }
        }
    }

    private static Set<String> actionsCalledIn(java.util.function.Predicate<String> include) throws IOException {
        Set<String> actions = new TreeSet<>();
        try (Stream<Path> files = Files.walk(SOURCES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java") && include.test(f.toString())).collect(Collectors.toList())) {
                Matcher m = CALL.matcher(Files.readString(file));
                while (m.find()) {
                    String action = action(m.group(1), m.group(2));
                    if (action != null) {
                        actions.add(action);
                    }
                }
            }
        }
        return actions;
    }

    /** The IAM action an SDK call needs: batch calls need their single action, paginators their operation. */
    private static String action(String client, String method) {
        if (method.equals("close")) {
            return null;
        }
        String operation = method.replace("Paginator", "").replace("MessageBatch", "Message");
        if (client.equals("lambda") && operation.equals("invoke")) {
            operation = "invokeFunction";
        }
        String prefix = client.equals("dynamoDb") ? "dynamodb" : client.equals("cognito") ? "cognito-identity" : client;
        return prefix + ":" + Character.toUpperCase(operation.charAt(0)) + operation.substring(1);
    }

    private static Set<String> allowed(String role) {
        Set<String> actions = new TreeSet<>();
        statements(role).forEach(s -> actions.addAll(list(s.get("Action"))));
        return actions;
    }

    private static List<Map<?, ?>> statements(String role) {
        List<Map<?, ?>> statements = new ArrayList<>();
        Object policies = template.properties(role).get("Policies");
        for (Object policy : policies == null ? List.of() : (List<?>) policies) {
            for (Object s : (List<?>) ((Map<?, ?>) ((Map<?, ?>) policy).get("PolicyDocument")).get("Statement")) {
                statements.add((Map<?, ?>) s);
            }
        }
        return statements;
    }

    private static Set<String> without(Set<String> actions, Set<String> removed) {
        Set<String> rest = new TreeSet<>(actions);
        rest.removeAll(removed);
        return rest;
    }

    private static List<String> list(Object value) {
        if (value instanceof List) {
            return ((List<?>) value).stream().map(Object::toString).collect(Collectors.toList());
        }
        return List.of(String.valueOf(value));
    }

    /** A literal, or the default of a referenced parameter, or a stand-in for a value only AWS knows. */
    private static String value(Object v) {
        if (v instanceof Map && ((Map<?, ?>) v).containsKey("Ref")) {
            Object parameter = ((Map<?, ?>) template.root.get("Parameters")).get(((Map<?, ?>) v).get("Ref"));
            if (parameter instanceof Map && ((Map<?, ?>) parameter).containsKey("Default")) {
                return ((Map<?, ?>) parameter).get("Default").toString();
            }
            return "resolved-by-cloudformation";
        }
        return v instanceof Map ? "resolved-by-cloudformation" : v.toString();
    }

    private static Object path(Map<?, ?> node, String... keys) {
        Object current = node;
        for (String key : keys) {
            current = ((Map<?, ?>) current).get(key);
        }
        return current;
    }

    private static void check(Set<String> names, String name, List<String> unresolved) {
        if (!name.startsWith("AWS::") && !names.contains(name)) {
            unresolved.add(name);
        }
    }

    private static void walk(Object node, java.util.function.Consumer<Map<?, ?>> visit) {
        if (node instanceof Map) {
            visit.accept((Map<?, ?>) node);
            ((Map<?, ?>) node).values().forEach(v -> walk(v, visit));
        } else if (node instanceof List) {
            ((List<?>) node).forEach(v -> walk(v, visit));
        }
    }
}
