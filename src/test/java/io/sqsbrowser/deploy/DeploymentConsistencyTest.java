package io.sqsbrowser.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sqsbrowser.api.ApiConfig;
import io.sqsbrowser.aws.ManagedFlinkMetrics;
import io.sqsbrowser.aws.QueueNames;
import com.fasterxml.jackson.databind.JsonNode;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.local.CloudFormationTemplate;
import io.sqsbrowser.local.IamPolicy;
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
            "SessionSource.initialTimestamp", "Job.parallelism", "Job.checkpointIntervalMillis");
    /** Set by the Lambda runtime, or only for emulators. */
    private static final Set<String> LAMBDA_VARIABLES_NOT_DEPLOYED = Set.of("AWS_REGION", "AWS_LAMBDA_FUNCTION_NAME",
            "CREDENTIALS", "STATIC_ACCESS_KEY_ID", "STATIC_SECRET_ACCESS_KEY", "ENDPOINT_SQS", "ENDPOINT_DYNAMODB",
            "ENDPOINT_KINESIS", "ENDPOINT_COGNITOIDENTITY", "ENDPOINT_STS", "ENDPOINT_LAMBDA");
    /** What FlinkKinesisConsumer calls on both streams (polling and enhanced fan-out). */
    private static final Set<String> KINESIS_CONSUMER_ACTIONS = Set.of("kinesis:DescribeStream", "kinesis:DescribeStreamSummary",
            "kinesis:ListShards", "kinesis:GetShardIterator", "kinesis:GetRecords", "kinesis:RegisterStreamConsumer",
            "kinesis:DeregisterStreamConsumer", "kinesis:ListStreamConsumers", "kinesis:DescribeStreamConsumer",
            "kinesis:SubscribeToShard");
    /** What Managed Flink and Lambda themselves need: the jar, logs. */
    private static final Set<String> PLATFORM_ACTIONS = Set.of("s3:GetObject", "s3:GetObjectVersion", "logs:DescribeLogGroups",
            "logs:DescribeLogStreams", "logs:PutLogEvents", "logs:CreateLogStream");
    /**
     * Actions with no resource type in AWS's Service Authorization Reference: granted only on "*" (the independent check,
     * {@code AwsContractsTest}, holds every statement to the reference itself).
     */
    private static final Set<String> NO_RESOURCE_TYPE = Set.of("sqs:ListQueues", "logs:DescribeLogGroups",
            "cognito-identity:DeleteIdentities", "cognito-identity:DescribeIdentity");
    private static final Pattern CALL = Pattern.compile("\\b(sqs|dynamoDb|kinesis|cognito|lambda)\\.(\\w+)\\(");

    private static final ObjectMapper JSON = new ObjectMapper();
    /** What a build passes (kinesis-analytics/deploy.sh): the jars' keys and the Lambda jar's hash. */
    private static final Map<String, String> BUILD = Map.of("ArtifactBucket", "artifacts", "JobJarKey", "job-1.jar",
            "LambdaJarKey", "api-1.jar", "LambdaJarSha256", "0123456789012345678901234567890123456789012=");
    private static final String QUEUE_ARN = "arn:aws:sqs:us-east-1:000000000000:";
    /** The runbook's replay: a start without the snapshot, from a time. */
    static final Map<String, String> REPLAY = Map.of("EventStartPosition", "AT_TIMESTAMP", "EventStartTimestamp", "2026-12-04T09:00:00.000Z");
    private static CloudFormationTemplate template;
    /** The template as deployed with its defaults (EnvironmentName prod). */
    private static CloudFormationTemplate.Rendered prod;

    @BeforeAll
    static void read() throws IOException {
        template = CloudFormationTemplate.read(TEMPLATE);
        prod = render(Map.of());
    }

    @Test
    void theTemplateParsesAndEveryReferenceResolves() {
        assertThat(template.resources()).containsKeys("DeliveryApplication", "EventStream", "SessionChangeStream",
                "SessionTable", "HistoryTable", "DeadLetterQueue", "IdentityPool", "SessionQueueRole", "ApiFunction", "RestApi");
        assertThat(template.properties("DeliveryApplication").get("RuntimeEnvironment")).isEqualTo("FLINK-1_19");
        Set<String> names = new TreeSet<>(template.resources().keySet());
        names.addAll(((Map<?, ?>) template.root.get("Parameters")).keySet().stream().map(Object::toString).collect(Collectors.toSet()));
        Set<String> conditions = ((Map<?, ?>) template.root.get("Conditions")).keySet().stream().map(Object::toString)
                .collect(Collectors.toSet());
        List<String> unresolved = new ArrayList<>();
        walk(template.resources(), node -> {
            if (node.containsKey("Ref")) {
                check(names, (String) node.get("Ref"), unresolved);
            }
            if (node.containsKey("Fn::GetAtt")) {
                check(names, ((List<?>) node.get("Fn::GetAtt")).get(0).toString(), unresolved);
            }
            if (node.containsKey("Fn::Sub")) {
                Object sub = node.get("Fn::Sub");
                Set<String> local = sub instanceof List ? ((Map<?, ?>) ((List<?>) sub).get(1)).keySet().stream()
                        .map(Object::toString).collect(Collectors.toSet()) : Set.of();
                Matcher m = Pattern.compile("\\$\\{([A-Za-z0-9:]+)(\\.[A-Za-z]+)?}")
                        .matcher(sub instanceof List ? ((List<?>) sub).get(0).toString() : sub.toString());
                while (m.find()) {
                    if (!local.contains(m.group(1))) {
                        check(names, m.group(1), unresolved);
                    }
                }
            }
            if (node.containsKey("Fn::If")) {
                check(conditions, ((List<?>) node.get("Fn::If")).get(0).toString(), unresolved);
            }
        });
        assertThat(unresolved).as("references to nothing").isEmpty();
    }

    /**
     * With its defaults and as a replay (the only case that sets a start time): every key the job reads is declared,
     * and every key declared is read. A key with no value is left out (Managed Flink refuses an empty value).
     */
    @Test
    void theTemplateDeclaresEveryPropertyTheJobReadsAndNoOther() {
        Set<String> declared = new TreeSet<>();
        Set<String> read = new TreeSet<>();
        for (CloudFormationTemplate.Rendered deployed : List.of(prod, render(REPLAY))) {
            Map<String, Properties> groups = jobProperties(deployed);
            groups.forEach((id, p) -> p.stringPropertyNames().forEach(k -> declared.add(id + "." + k)));
            JobConfig config = JobConfig.fromPropertyGroups(groups);
            read.addAll(config.keysRead());
            assertThat(config.cleanupQueuePrefix).as("the job cleans up the queues the Lambda makes")
                    .isEqualTo(lambdaVariables(deployed).get("QUEUE_PREFIX"));
        }
        assertThat(read).as("keys the template sets that the job never reads").containsAll(declared);
        read.removeAll(JOB_KEYS_NOT_DEPLOYED);
        assertThat(declared).as("keys the job reads that the template does not declare").containsAll(read);
        assertThat(jobProperties(prod).get("EventSource").stringPropertyNames()).as("no start time unless one is given")
                .doesNotContain("initialTimestamp");
        assertThat(jobProperties(render(REPLAY)).get("EventSource").getProperty("initialTimestamp")).isEqualTo("2026-12-04T09:00:00.000Z");
    }

    /** The job's runtime properties as the template renders them. */
    private static Map<String, Properties> jobProperties(CloudFormationTemplate.Rendered deployed) {
        Map<String, Properties> groups = new HashMap<>();
        for (Object g : (List<?>) path(deployed.properties("DeliveryApplication"), "ApplicationConfiguration",
                "EnvironmentProperties", "PropertyGroups")) {
            Map<?, ?> group = (Map<?, ?>) g;
            Properties p = new Properties();
            ((Map<?, ?>) group.get("PropertyMap")).forEach((k, v) -> p.setProperty(k.toString(), v.toString()));
            groups.put(group.get("PropertyGroupId").toString(), p);
        }
        return groups;
    }

    @Test
    void theTemplateDeclaresEveryVariableTheLambdaReadsAndNoOther() {
        Map<String, String> env = lambdaVariables(prod);
        ApiConfig config = ApiConfig.fromEnvironment(env);
        Set<String> read = new TreeSet<>(config.variablesRead());
        assertThat(read).as("variables the template sets that the Lambda never reads").containsAll(env.keySet());
        read.removeAll(LAMBDA_VARIABLES_NOT_DEPLOYED);
        assertThat(env.keySet()).as("variables the Lambda reads that the template does not set").containsAll(read);
    }

    @Test
    void eachRoleAllowsWhatItsCodeCallsAndNothingElse() throws IOException {
        Set<String> job = actionsCalledIn(p -> !p.contains("/api/") && !p.contains("/local/") && !p.contains("/client/")
                && !p.contains("/ops/") && !p.endsWith("DeadLetterDestinations.java"));
        // Dead letters go to SQS, as deployed; to Kinesis only with DeadLetter.type=KINESIS.
        job.add("sqs:SendMessage");
        job.addAll(KINESIS_CONSUMER_ACTIONS);
        Set<String> lambda = actionsCalledIn(p -> p.contains("/api/"));
        // CreateQueue with tags needs TagQueue as well (SQS API reference, CreateQueue: "To be able to tag a queue on
        // creation, you must have the sqs:CreateQueue and sqs:TagQueue permissions").
        lambda.add("sqs:TagQueue");
        // Lambda itself, as the function, sends the record of failed asynchronous work to the on-failure destination.
        lambda.add("sqs:SendMessage");
        assertThat(statements(prod, "ApiFunctionRole")).filteredOn(st -> list(st.get("Action")).contains("sqs:SendMessage"))
                .allSatisfy(st -> assertThat(st.get("Resource")).as("SendMessage only to the async-failure queue")
                        .isEqualTo("<AsyncFailureQueue.Arn>"));
        assertThat(job).contains("sqs:SendMessage", "sqs:DeleteQueue", "dynamodb:Scan", "dynamodb:UpdateItem",
                "cognito-identity:DeleteIdentities");
        assertThat(lambda).contains("sqs:CreateQueue", "sqs:ListQueueTags", "dynamodb:PutItem", "kinesis:PutRecord",
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
        assertThat(pool.get("AllowClassicFlow")).as("the Lambda's own AssumeRoleWithWebIdentity is the basic flow").isEqualTo(true);
        assertThat(template.resourcesOfType("AWS::Cognito::IdentityPoolRoleAttachment"))
                .as("no role attached to the pool: credentials come only from the Lambda's own AssumeRoleWithWebIdentity").isEmpty();
    }

    /**
     * The session role works whether or not Cognito's basic flow carries the principal tag into the credentials: with
     * the tag, the one queue it names; without, this deployment's session queues and nothing else (the session policy
     * narrows that to one). It trusts only authenticated identities of the pool.
     */
    @Test
    void theSessionRoleReachesTheTaggedQueueOrWithoutTheTagOnlyThisDeploymentsQueues() {
        Map<?, ?> trust = (Map<?, ?>) ((List<?>) path(prod.properties("SessionQueueRole"), "AssumeRolePolicyDocument", "Statement")).get(0);
        assertThat(list(trust.get("Action"))).containsExactlyInAnyOrder("sts:AssumeRoleWithWebIdentity", "sts:TagSession");
        Map<?, ?> condition = (Map<?, ?>) trust.get("Condition");
        assertThat(((Map<?, ?>) condition.get("StringEquals")).get("cognito-identity.amazonaws.com:aud")).isEqualTo("<IdentityPool>");
        assertThat(((Map<?, ?>) condition.get("ForAnyValue:StringLike")).get("cognito-identity.amazonaws.com:amr")).isEqualTo("authenticated");
        List<Map<?, ?>> statements = statements(prod, "SessionQueueRole");
        assertThat(statements).hasSize(2).allSatisfy(st -> assertThat(st.get("Effect")).isEqualTo("Allow"));
        assertThat(statements.get(0).get("Resource")).isEqualTo(QUEUE_ARN + "${aws:PrincipalTag/" + QueueNames.SESSION_QUEUE_TAG + "}");
        assertThat(statements.get(0).get("Condition")).isNull();
        assertThat(statements.get(1).get("Resource")).isEqualTo(QUEUE_ARN + QueueNames.iamPattern("prod-sqs-browser"));
        assertThat(statements.get(1).get("Condition")).isEqualTo(Map.of("Null", Map.of("aws:PrincipalTag/" + QueueNames.SESSION_QUEUE_TAG, "true")));
    }

    /**
     * Two environments in one account: the prefix follows the environment unless given; and no role of one
     * deployment reaches a session queue of another, whatever their prefixes (one that begins with the other's, one
     * given by hand), nor the dead-letter or async-failure queues of either.
     */
    @Test
    void twoEnvironmentsInOneAccountNeverReachEachOthersQueues() {
        List<CloudFormationTemplate.Rendered> deployments = List.of(prod, render(Map.of("EnvironmentName", "staging")),
                render(Map.of("EnvironmentName", "prod-sqs-browser-x")), render(Map.of("EnvironmentName", "test", "QueuePrefix", "legacy")));
        assertThat(prod.output("QueuePrefix")).isEqualTo("prod-sqs-browser");
        assertThat(deployments.get(1).output("QueuePrefix")).isEqualTo("staging-sqs-browser");
        assertThat(deployments.get(3).output("QueuePrefix")).isEqualTo("legacy");
        for (CloudFormationTemplate.Rendered a : deployments) {
            List<String> patterns = new ArrayList<>();
            for (String role : List.of("JobRole", "ApiFunctionRole", "SessionQueueRole")) {
                statements(a, role).stream().filter(st -> list(st.get("Action")).stream().anyMatch(x -> x.startsWith("sqs:")))
                        .flatMap(st -> list(st.get("Resource")).stream())
                        .filter(r -> !r.contains("PrincipalTag") && !r.endsWith(":*") && !r.equals("*") && !r.startsWith("<"))
                        .forEach(patterns::add);
            }
            assertThat(patterns).as("session-queue patterns of %s", a.parameter("EnvironmentName")).isNotEmpty();
            for (CloudFormationTemplate.Rendered b : deployments) {
                String session = QUEUE_ARN + QueueNames.newName(b.output("QueuePrefix"));
                String deadLetters = QUEUE_ARN + a.properties("DeadLetterQueue").get("QueueName");
                String asyncFailures = QUEUE_ARN + a.properties("AsyncFailureQueue").get("QueueName");
                for (String pattern : patterns) {
                    assertThat(iamMatches(pattern, session)).as("%s's %s on a session queue of %s", a.parameter("EnvironmentName"),
                            pattern, b.parameter("EnvironmentName")).isEqualTo(a == b);
                    assertThat(iamMatches(pattern, deadLetters)).as("%s on the dead-letter queue", pattern).isFalse();
                    assertThat(iamMatches(pattern, asyncFailures)).as("%s on the async-failure queue", pattern).isFalse();
                }
            }
        }
    }

    /**
     * A new Lambda jar reaches the API: a new hash publishes a new version (the Version resource is replaced), the
     * alias API Gateway calls points to it, and asynchronous work is invoked through that same alias, whose
     * on-failure destination keeps what fails for good. The jars' keys have no default: each build brings its own.
     */
    @Test
    void everyLambdaBuildIsPublishedAndAsyncWorkRunsTheAliasWithAFailureDestination() {
        Map<?, ?> parameters = (Map<?, ?>) template.root.get("Parameters");
        for (String key : List.of("JobJarKey", "LambdaJarKey", "LambdaJarSha256")) {
            assertThat(((Map<?, ?>) parameters.get(key)).containsKey("Default")).as(key).isFalse();
        }
        Map<String, Object> version = template.properties("ApiFunctionVersion");
        assertThat(version.get("CodeSha256")).isEqualTo(Map.of("Ref", "LambdaJarSha256"));
        Map<String, Object> alias = template.properties("ApiFunctionAlias");
        assertThat(alias.get("FunctionVersion")).isEqualTo(Map.of("Fn::GetAtt", List.of("ApiFunctionVersion", "Version")));
        String aliasName = alias.get("Name").toString();
        assertThat(lambdaVariables(prod)).containsEntry("FUNCTION_ALIAS", aliasName).containsEntry("ASYNC_MODE", "lambda");
        for (String method : List.of("ProxyMethod", "RootMethod")) {
            assertThat(path(prod.properties(method), "Integration", "Uri").toString()).endsWith("/functions/<ApiFunctionAlias>/invocations");
        }
        Map<String, Object> async = prod.properties("ApiFunctionAsyncConfig");
        assertThat(async.get("Qualifier")).isEqualTo(aliasName);
        assertThat(path(async, "DestinationConfig", "OnFailure", "Destination")).isEqualTo("<AsyncFailureQueue.Arn>");
        assertThat(statements(prod, "ApiFunctionRole")).anySatisfy(st -> {
            assertThat(list(st.get("Action"))).containsExactly("lambda:InvokeFunction");
            assertThat(st.get("Resource").toString()).endsWith(":function:prod-sqs-browser-api:" + aliasName);
        }).anySatisfy(st -> {
            assertThat(list(st.get("Action"))).containsExactly("sqs:SendMessage");
            assertThat(st.get("Resource")).isEqualTo("<AsyncFailureQueue.Arn>");
        });
    }

    /**
     * A version's configuration is immutable: a change of the function's settings alone (a parameter, or a literal in the
     * template) must publish a new version too, or the alias keeps the old settings. Every parameter the function's
     * properties use changes the Version's properties when it changes them, and every literal setting is in its
     * Description.
     */
    @Test
    void aChangeOfTheFunctionsSettingsAlonePublishesANewVersion() {
        Map<?, ?> parameters = (Map<?, ?>) template.root.get("Parameters");
        Set<String> used = new TreeSet<>();
        walk(template.properties("ApiFunction"), node -> {
            if (node.containsKey("Ref")) {
                used.add(node.get("Ref").toString());
            }
            if (node.containsKey("Fn::Sub")) {
                Matcher m = Pattern.compile("\\$\\{([A-Za-z0-9]+)}").matcher(node.get("Fn::Sub").toString());
                while (m.find()) {
                    used.add(m.group(1));
                }
            }
        });
        used.retainAll(parameters.keySet().stream().map(Object::toString).collect(Collectors.toSet()));
        used.removeAll(BUILD.keySet());
        assertThat(used).as("the settings that are parameters").contains("CredentialSeconds", "ApiMemoryMB", "ApiTimeoutSeconds");
        for (String parameter : used) {
            Map<String, String> changed = Map.of(parameter, otherValue((Map<?, ?>) parameters.get(parameter)));
            CloudFormationTemplate.Rendered after = render(changed);
            if (!withoutCode(after.properties("ApiFunction")).equals(withoutCode(prod.properties("ApiFunction")))) {
                assertThat(after.properties("ApiFunctionVersion")).as("a new %s publishes a new version", parameter)
                        .isNotEqualTo(prod.properties("ApiFunctionVersion"));
            }
        }
        String description = template.properties("ApiFunctionVersion").get("Description").toString();
        Map<String, Object> function = template.properties("ApiFunction");
        List<Object> literals = new ArrayList<>(List.of(function.get("Runtime")));
        ((Map<?, ?>) path(function, "Environment", "Variables")).values().stream().filter(v -> !(v instanceof Map)).forEach(literals::add);
        assertThat(literals).as("every literal setting of the function is in its Version's Description")
                .allSatisfy(v -> assertThat(description).contains(v.toString()));
        assertThat(function.get("MemorySize")).isEqualTo(Map.of("Ref", "ApiMemoryMB"));
        assertThat(function.get("Timeout")).isEqualTo(Map.of("Ref", "ApiTimeoutSeconds"));
    }

    private static Map<String, Object> withoutCode(Map<String, Object> function) {
        Map<String, Object> settings = new HashMap<>(function);
        settings.remove("Code");
        return settings;
    }

    /** A valid value of a parameter other than its default. */
    private static String otherValue(Map<?, ?> parameter) {
        String fallback = String.valueOf(parameter.get("Default"));
        if (parameter.containsKey("AllowedValues")) {
            return ((List<?>) parameter.get("AllowedValues")).stream().map(Object::toString).filter(v -> !v.equals(fallback))
                    .findFirst().orElseThrow();
        }
        if ("Number".equals(parameter.get("Type"))) {
            long value = Long.parseLong(fallback);
            return Long.toString(parameter.containsKey("MaxValue") && value >= Long.parseLong(parameter.get("MaxValue").toString())
                    ? value - 1 : value + 1);
        }
        return fallback.isEmpty() ? "legacy" : fallback + "x";
    }

    /** API Gateway gives up on an integration after 29 seconds: the function answers first, so the caller gets its answer. */
    @Test
    void theFunctionAnswersBeforeApiGatewayGivesUp() {
        Map<?, ?> timeout = (Map<?, ?>) ((Map<?, ?>) template.root.get("Parameters")).get("ApiTimeoutSeconds");
        assertThat(Integer.parseInt(timeout.get("MaxValue").toString())).isLessThan(29);
        assertThat(Integer.parseInt(timeout.get("Default").toString())).isLessThan(29);
        assertThat(template.properties("ApiFunction").get("Timeout")).isEqualTo(Map.of("Ref", "ApiTimeoutSeconds"));
    }

    /**
     * A failed update's rollback starts the previous jar: the job's role reads every job jar deploy.sh uploads for its
     * environment (keys {@code sqs-browser-events/<environment>/job-<hash>.jar}), and no other environment's.
     */
    @Test
    void theJobRoleReadsEveryJarOfItsEnvironmentForARollback() throws IOException {
        assertThat(Files.readString(Path.of("kinesis-analytics/deploy.sh"))).contains("job_key=\"sqs-browser-events/$env/job-");
        List<IamPolicy> policies = policies(prod, "JobRole");
        for (String hash : List.of("0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210")) {
            assertThat(allows(policies, "s3:GetObject", "arn:aws:s3:::artifacts/sqs-browser-events/prod/job-" + hash + ".jar", Map.of()))
                    .as("jar %s", hash).isTrue();
        }
        assertThat(allows(policies, "s3:GetObject", "arn:aws:s3:::artifacts/sqs-browser-events/staging/job-0123.jar", Map.of())).isFalse();
        assertThat(allows(policies, "s3:GetObject", "arn:aws:s3:::artifacts/sqs-browser-events/prod/api-0123.jar", Map.of())).isFalse();
    }

    /** Managed Flink assumes the job's role for this application of this account only (the confused deputy). */
    @Test
    void theJobRoleTrustsOnlyThisApplicationOfThisAccount() {
        IamPolicy trust = IamPolicy.trust(json(prod.properties("JobRole").get("AssumeRolePolicyDocument")));
        String app = "arn:aws:kinesisanalytics:us-east-1:000000000000:application/prod-sqs-browser-delivery";
        assertThat(trust.trusts("Service", "kinesisanalytics.amazonaws.com", "sts:AssumeRole",
                context(Map.of("aws:sourceaccount", "000000000000", "aws:sourcearn", app)))).isTrue();
        assertThat(trust.trusts("Service", "kinesisanalytics.amazonaws.com", "sts:AssumeRole",
                context(Map.of("aws:sourceaccount", "000000000000", "aws:sourcearn", app.replace("prod-", "other-"))))).isFalse();
        assertThat(trust.trusts("Service", "kinesisanalytics.amazonaws.com", "sts:AssumeRole",
                context(Map.of("aws:sourceaccount", "111111111111", "aws:sourcearn", app.replace("000000000000", "111111111111"))))).isFalse();
        assertThat(trust.trusts("Service", "kinesisanalytics.amazonaws.com", "sts:AssumeRole", context(Map.of()))).isFalse();
        Map<String, Object> permission = prod.properties("ApiInvokePermission");
        assertThat(permission.get("SourceAccount")).as("API Gateway of this account only").isEqualTo("000000000000");
        assertThat(permission.get("SourceArn").toString()).startsWith("arn:aws:execute-api:us-east-1:000000000000:<RestApi>/");
    }

    /** A session queue is deleted only by the deployment that made it: its tag, not its name, decides. */
    @Test
    void aSessionQueueIsDeletedOnlyByTheDeploymentThatMadeIt() {
        String queue = QUEUE_ARN + QueueNames.newName("prod-sqs-browser");
        for (String role : List.of("JobRole", "ApiFunctionRole")) {
            List<IamPolicy> policies = policies(prod, role);
            assertThat(allows(policies, "sqs:DeleteQueue", queue, Map.of("aws:resourcetag/sqs-browser-deployment", "prod-sqs-browser-events")))
                    .as(role).isTrue();
            assertThat(allows(policies, "sqs:DeleteQueue", queue, Map.of("aws:resourcetag/sqs-browser-deployment", "staging-sqs-browser-events")))
                    .as(role).isFalse();
            assertThat(allows(policies, "sqs:DeleteQueue", queue, Map.of())).as(role + ": an untagged queue").isFalse();
        }
    }

    private static List<IamPolicy> policies(CloudFormationTemplate.Rendered rendered, String role) {
        List<IamPolicy> policies = new ArrayList<>();
        for (Object policy : (List<?>) rendered.properties(role).get("Policies")) {
            policies.add(IamPolicy.identity(json(((Map<?, ?>) policy).get("PolicyDocument"))));
        }
        return policies;
    }

    private static boolean allows(List<IamPolicy> policies, String action, String resource, Map<String, String> keys) {
        List<IamPolicy.Decision> decisions = policies.stream().map(p -> p.decide(action, resource, Map.of(), context(keys)))
                .collect(Collectors.toList());
        return decisions.contains(IamPolicy.Decision.ALLOW) && !decisions.contains(IamPolicy.Decision.DENY);
    }

    private static IamPolicy.Context context(Map<String, String> keys) {
        return key -> keys.containsKey(key) ? List.of(keys.get(key)) : null;
    }

    private static String json(Object document) {
        try {
            return JSON.writeValueAsString(document);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** An update of the job changes its code and restores it from the snapshot taken for the update. */
    @Test
    void anUpdateOfTheJobChangesItsCodeAndRestoresFromTheLatestSnapshot() {
        Map<String, Object> app = prod.properties("DeliveryApplication");
        assertThat(path(app, "ApplicationConfiguration", "ApplicationSnapshotConfiguration", "SnapshotsEnabled")).isEqualTo(true);
        assertThat(path(template.properties("DeliveryApplication"), "ApplicationConfiguration", "ApplicationCodeConfiguration",
                "CodeContent", "S3ContentLocation", "FileKey")).isEqualTo(Map.of("Ref", "JobJarKey"));
        assertThat(path(app, "RunConfiguration", "ApplicationRestoreConfiguration", "ApplicationRestoreType"))
                .isEqualTo("RESTORE_FROM_LATEST_SNAPSHOT");
        assertThat(path(app, "RunConfiguration", "FlinkRunConfiguration", "AllowNonRestoredState"))
                .as("state the new code cannot map fails the update instead of vanishing").isEqualTo(false);
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
        String queuePrefix = prod.output("QueuePrefix");
        for (String queue : List.of("DeadLetterQueue", "AsyncFailureQueue")) {
            assertThat(QueueNames.isSessionQueue(prod.properties(queue).get("QueueName").toString(), queuePrefix)).as(queue).isFalse();
        }
        assertThat(lambdaVariables(prod)).as("the Lambda knows the dead-letter queue, so clean-up never deletes it")
                .containsEntry("DEAD_LETTER_QUEUE_URL", "<DeadLetterQueue>");
    }

    @Test
    void noRoleAllowsWildcardActionsOrResourcesItDoesNotNeed() {
        for (String role : template.resourcesOfType("AWS::IAM::Role")) {
            for (Map<?, ?> statement : statements(prod, role)) {
                List<String> actions = list(statement.get("Action"));
                assertThat(actions).as("%s actions", role).noneMatch(a -> a.contains("*"));
                if (list(statement.get("Resource")).contains("*")) {
                    assertThat(NO_RESOURCE_TYPE).as("%s: * only for actions that have no resource type", role).containsAll(actions);
                }
            }
        }
    }

    /**
     * Every alarm says what it means and what to do, and notifies the topic; every metric an alarm or the dashboard
     * reads is one AWS documents for that namespace, or one the job exports ({@link ManagedFlinkMetrics}, whose
     * names a running job is checked to register in {@code ManagedFlinkMetricsTest}), with the dimensions it has.
     */
    @Test
    void everyAlarmAndWidgetReadsAMetricTheCodeOrAwsEmits() throws IOException {
        assertThat(path(prod.properties("DeliveryApplication"), "ApplicationConfiguration", "FlinkApplicationConfiguration",
                "MonitoringConfiguration", "MetricsLevel")).as("only the Application dimension on the job's own metrics").isEqualTo("APPLICATION");
        Set<String> custom = ManagedFlinkMetrics.names();
        Set<String> read = new TreeSet<>();
        for (String alarm : template.resourcesOfType("AWS::CloudWatch::Alarm")) {
            Map<String, Object> a = prod.properties(alarm);
            assertThat(a.get("AlarmDescription").toString()).as("%s says what it means and what to do", alarm).hasSizeGreaterThan(100);
            assertThat(list(a.get("AlarmActions"))).as(alarm).containsExactly("<AlarmTopic>");
            assertThat(list(a.get("OKActions"))).as(alarm).containsExactly("<AlarmTopic>");
            List<Map<?, ?>> metrics = new ArrayList<>();
            if (a.containsKey("MetricName")) {
                metrics.add(a);
            } else {
                ((List<?>) a.get("Metrics")).stream().map(m -> (Map<?, ?>) ((Map<?, ?>) m).get("MetricStat"))
                        .filter(java.util.Objects::nonNull).forEach(m -> metrics.add((Map<?, ?>) m.get("Metric")));
            }
            assertThat(metrics).as(alarm).isNotEmpty();
            for (Map<?, ?> m : metrics) {
                Set<String> dimensions = ((List<?>) m.get("Dimensions")).stream().map(d -> ((Map<?, ?>) d).get("Name").toString())
                        .collect(Collectors.toCollection(TreeSet::new));
                read.add(checkMetric(alarm, m.get("Namespace").toString(), m.get("MetricName").toString(), dimensions, custom));
            }
        }
        JsonNode dashboard = JSON.readTree(prod.properties("Dashboard").get("DashboardBody").toString());
        for (JsonNode widget : dashboard.get("widgets")) {
            for (JsonNode m : widget.path("properties").path("metrics")) {
                Set<String> dimensions = new TreeSet<>();
                for (int i = 2; i + 1 < m.size(); i += 2) {
                    dimensions.add(m.get(i).asText());
                }
                read.add(checkMetric(widget.path("properties").path("title").asText(), m.get(0).asText(), m.get(1).asText(), dimensions, custom));
            }
        }
        assertThat(read).as("every metric the job exports is on an alarm or the dashboard").containsAll(custom);
    }

    /** AWS's documented metrics of the namespaces the template reads, with their dimensions (one set per namespace). */
    private static final Map<String, Set<String>> AWS_METRICS = Map.of(
            // https://docs.aws.amazon.com/managed-flink/latest/java/metrics-dimensions.html (Flink 1.x; fullRestarts until 2.2)
            "AWS/KinesisAnalytics", Set.of("downtime", "fullRestarts", "numberOfFailedCheckpoints", "lastCheckpointDuration",
                    "lastCheckpointSize", "cpuUtilization", "heapMemoryUtilization", "KPUs"),
            // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
            "AWS/SQS", Set.of("ApproximateNumberOfMessagesVisible"),
            // https://docs.aws.amazon.com/streams/latest/dev/monitoring-with-cloudwatch.html
            "AWS/Kinesis", Set.of("SubscribeToShardEvent.MillisBehindLatest", "WriteProvisionedThroughputExceeded", "PutRecord.Success"),
            // https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
            "AWS/Lambda", Set.of("Errors", "Throttles", "Duration", "DestinationDeliveryFailures"),
            // https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html
            "AWS/ApiGateway", Set.of("5XXError", "4XXError"));
    private static final Map<String, List<Set<String>>> AWS_DIMENSIONS = Map.of(
            "AWS/KinesisAnalytics", List.of(Set.of("Application")),
            "AWS/SQS", List.of(Set.of("QueueName")),
            "AWS/Kinesis", List.of(Set.of("StreamName"), Set.of("StreamName", "ConsumerName")),
            "AWS/Lambda", List.of(Set.of("FunctionName")),
            "AWS/ApiGateway", List.of(Set.of("ApiName", "Stage")));

    private static String checkMetric(String where, String namespace, String name, Set<String> dimensions, Set<String> custom) {
        assertThat(AWS_METRICS).as("%s: namespace", where).containsKey(namespace);
        boolean exported = namespace.equals("AWS/KinesisAnalytics") && custom.contains(name);
        assertThat(exported || AWS_METRICS.get(namespace).contains(name)).as("%s: %s %s is emitted by AWS or the job", where,
                namespace, name).isTrue();
        assertThat(AWS_DIMENSIONS.get(namespace)).as("%s: dimensions of %s", where, name).contains(dimensions);
        return name;
    }

    /** IAM's matching of a resource pattern: {@code *} any run of characters, {@code ?} exactly one. */
    private static boolean iamMatches(String pattern, String arn) {
        StringBuilder regex = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            regex.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
        }
        return arn.matches(regex.toString());
    }

    private static CloudFormationTemplate.Rendered render(Map<String, String> parameters) {
        Map<String, String> all = new HashMap<>(BUILD);
        all.putAll(parameters);
        return template.render(all);
    }

    private static Map<String, String> lambdaVariables(CloudFormationTemplate.Rendered rendered) {
        Map<String, String> env = new HashMap<>();
        ((Map<?, ?>) path(rendered.properties("ApiFunction"), "Environment", "Variables")).forEach((k, v) -> env.put(k.toString(), v.toString()));
        return env;
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
        statements(prod, role).forEach(s -> actions.addAll(list(s.get("Action"))));
        return actions;
    }

    private static List<Map<?, ?>> statements(CloudFormationTemplate.Rendered rendered, String role) {
        List<Map<?, ?>> statements = new ArrayList<>();
        Object policies = rendered.properties(role).get("Policies");
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
