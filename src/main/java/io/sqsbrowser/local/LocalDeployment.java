package io.sqsbrowser.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * LOCAL ONLY: one deployment of the CloudFormation template in the local account, named as the template names it
 * for an environment: its streams, tables and queues, made in the emulators; its roles (trust and policies exactly as
 * the template renders them) known to the {@link LocalIam}; and keys for the principals that act in it, each bound to
 * its template role or policies, so a permission missing from the template fails here as it would on AWS.
 */
public final class LocalDeployment {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** What a build passes (kinesis-analytics/deploy.sh): jar keys and the Lambda jar's hash; locally, stand-ins. */
    private static final Map<String, String> LOCAL_BUILD = Map.of("ArtifactBucket", "local-artifacts",
            "LambdaJarSha256", "LOCALLOCALLOCALLOCALLOCALLOCALLOCALLOCALLOC=");
    /**
     * The people and programs outside the stack, and the template's managed policies each is given: the operator
     * (the smoke test, the redrive) and the application's backend (which calls the API).
     */
    public static final Map<String, List<String>> USERS = Map.of(
            "operator", List.of("ApiCallerPolicy", "SmokeTestPolicy", "RedrivePolicy"),
            "backend", List.of("ApiCallerPolicy"));

    public final String environment;
    /** The stack's name: the deployment tag's value on its session queues. */
    public final String deploymentId;
    public final String eventStream;
    public final String changeStream;
    public final String sessionTable;
    public final String historyTable;
    public final String deadLetterQueueName;
    public final String asyncFailureQueueName;
    public final String queuePrefix;
    public final String functionName;
    public final String applicationName;
    public final String identityPoolId;
    public final String developerProviderName;
    public final String sessionRoleArn;
    public final String restApiId;
    private final String sqsEndpoint;
    private final CloudFormationTemplate template;
    private final CloudFormationTemplate.Rendered rendered;

    private LocalDeployment(String environment, Map<String, String> parameters, String sqsEndpoint) {
        this.environment = environment;
        this.sqsEndpoint = sqsEndpoint;
        try {
            template = CloudFormationTemplate.read(CloudFormationTemplate.FILE);
        } catch (IOException e) {
            throw new UncheckedIOException("the local stack deploys " + CloudFormationTemplate.FILE + ": run it from the repository", e);
        }
        Map<String, String> all = new HashMap<>(LOCAL_BUILD);
        all.put("JobJarKey", "sqs-browser-events/" + environment + "/job-local.jar");
        all.put("LambdaJarKey", "sqs-browser-events/" + environment + "/api-local.jar");
        all.putAll(parameters);
        all.put("EnvironmentName", environment);
        identityPoolId = LocalIam.REGION + ":" + UUID.nameUUIDFromBytes(environment.getBytes(StandardCharsets.UTF_8));
        restApiId = "local" + Integer.toHexString(environment.hashCode() & 0xfffff);
        rendered = template.render(all, LocalIam.REGION, LocalIam.ACCOUNT, this::physical);
        deploymentId = rendered.parameter("AWS::StackName");
        eventStream = name("EventStream", "Name");
        changeStream = name("SessionChangeStream", "Name");
        sessionTable = name("SessionTable", "TableName");
        historyTable = name("HistoryTable", "TableName");
        deadLetterQueueName = name("DeadLetterQueue", "QueueName");
        asyncFailureQueueName = name("AsyncFailureQueue", "QueueName");
        functionName = name("ApiFunction", "FunctionName");
        applicationName = name("DeliveryApplication", "ApplicationName");
        queuePrefix = rendered.output("QueuePrefix");
        developerProviderName = rendered.output("DeveloperProviderName");
        sessionRoleArn = rendered.output("SessionRoleArn");
    }

    /**
     * The template rendered for {@code environment} (1-20 of {@code a-z 0-9 -}) with these parameters (the template's
     * defaults for the rest), its queue URLs those of the SQS at {@code sqsEndpoint}.
     */
    public static LocalDeployment of(String environment, Map<String, String> parameters, String sqsEndpoint) {
        return new LocalDeployment(environment, parameters, sqsEndpoint);
    }

    private String name(String resource, String property) {
        return String.valueOf(rendered.property(resource, property));
    }

    /** What AWS would call each resource once made, here: {@code Ref} and {@code Fn::GetAtt}. */
    private String physical(String resource, String attribute) {
        if (!template.resources().containsKey(resource)) {
            return null;
        }
        String type = template.type(resource);
        String ref = attribute == null ? "Ref" : attribute;
        switch (type) {
            case "AWS::Kinesis::Stream":
                return ref.equals("Arn") ? arn("kinesis", "stream/" + name(resource, "Name")) : ref.equals("Ref") ? name(resource, "Name") : null;
            case "AWS::SQS::Queue": {
                String name = name(resource, "QueueName");
                return ref.equals("Arn") ? arn("sqs", name) : ref.equals("QueueName") ? name
                        : ref.equals("Ref") ? sqsEndpoint + "/" + LocalIam.ACCOUNT + "/" + name : null;
            }
            case "AWS::DynamoDB::Table":
                return ref.equals("Arn") ? arn("dynamodb", "table/" + name(resource, "TableName"))
                        : ref.equals("Ref") ? name(resource, "TableName") : null;
            case "AWS::IAM::Role":
                return ref.equals("Arn") ? "arn:aws:iam::" + LocalIam.ACCOUNT + ":role/" + name(resource, "RoleName")
                        : ref.equals("Ref") ? name(resource, "RoleName") : null;
            case "AWS::IAM::ManagedPolicy":
                return ref.equals("Ref") ? "arn:aws:iam::" + LocalIam.ACCOUNT + ":policy/" + environment + "-" + resource : null;
            case "AWS::Cognito::IdentityPool":
                return ref.equals("Ref") ? identityPoolId : null;
            case "AWS::Lambda::Function":
                return ref.equals("Arn") ? arn("lambda", "function:" + name(resource, "FunctionName"))
                        : ref.equals("Ref") ? name(resource, "FunctionName") : null;
            case "AWS::Lambda::Alias":
                return ref.equals("Ref") ? arn("lambda", "function:" + functionName + ":" + name(resource, "Name")) : null;
            case "AWS::Lambda::Version":
                return ref.equals("Version") ? "1" : ref.equals("Ref") ? arn("lambda", "function:" + functionName + ":1") : null;
            case "AWS::Logs::LogGroup":
                return ref.equals("Arn") ? arn("logs", "log-group:" + name(resource, "LogGroupName") + ":*")
                        : ref.equals("Ref") ? name(resource, "LogGroupName") : null;
            case "AWS::Logs::LogStream":
                return ref.equals("Ref") ? name(resource, "LogStreamName") : null;
            case "AWS::KinesisAnalyticsV2::Application":
                return ref.equals("Ref") ? name(resource, "ApplicationName") : null;
            case "AWS::ApiGateway::RestApi":
                return ref.equals("Ref") ? restApiId : ref.equals("RootResourceId") ? "root" : null;
            case "AWS::SNS::Topic":
                return ref.equals("Ref") ? arn("sns", name(resource, "TopicName")) : null;
            default:
                return null;
        }
    }

    private static String arn(String service, String resource) {
        return "arn:aws:" + service + ":" + LocalIam.REGION + ":" + LocalIam.ACCOUNT + ":" + resource;
    }

    /** The application's ARN: what Managed Flink names as {@code aws:SourceArn} when it assumes the job's role. */
    public String applicationArn() {
        return arn("kinesisanalytics", "application/" + applicationName);
    }

    public String functionArn() {
        return arn("lambda", "function:" + functionName);
    }

    public String deadLetterQueueUrl() {
        return sqsEndpoint + "/" + LocalIam.ACCOUNT + "/" + deadLetterQueueName;
    }

    /** The resource's rendered properties (null when a condition leaves it out). */
    public Map<String, Object> properties(String resource) {
        return rendered.properties(resource);
    }

    /** The Lambda's environment variables exactly as the template sets them, for this deployment. */
    public Map<String, String> lambdaVariables() {
        Map<String, String> env = new HashMap<>();
        ((Map<?, ?>) ((Map<?, ?>) properties("ApiFunction").get("Environment")).get("Variables"))
                .forEach((k, v) -> env.put(k.toString(), v.toString()));
        return env;
    }

    /**
     * Makes the deployment's roles known to the local IAM (and to the call log, for the independent check) and its
     * streams, tables and queues in the emulators.
     *
     * @param eventShards the event stream's shards (the template's parameter, smaller for most tests)
     */
    public void create(Emulators emulators, LocalIam iam, int eventShards) {
        for (String role : template.resourcesOfType("AWS::IAM::Role")) {
            iam.addRole(new LocalIam.Role(physical(role, "Arn"), role, deploymentId, json(properties(role).get("AssumeRolePolicyDocument")),
                    inlinePolicies(role), maxSessionDuration(role)));
        }
        IamCallLog.shared().recordRoles(deploymentId, rolesJson());
        AwsResources.createStream(emulators.kinesis(), eventStream, eventShards);
        AwsResources.createStream(emulators.kinesis(), changeStream, 1);
        AwsResources.createSessionTable(emulators.dynamoDb(), sessionTable);
        AwsResources.createHistoryTable(emulators.dynamoDb(), historyTable);
        emulators.sqs().createQueue(b -> b.queueName(deadLetterQueueName));
        emulators.sqs().createQueue(b -> b.queueName(asyncFailureQueueName));
    }

    /**
     * The deployment's roles and users as AWS would hold them, for the independent check ({@code src/aws-contracts/iam.mjs}):
     * each role's ARN, trust policy, inline policies and longest session; each user's managed policies.
     */
    public ObjectNode rolesJson() {
        ObjectNode deployed = JSON.createObjectNode().put("deployment", deploymentId).put("environment", environment)
                .put("account", LocalIam.ACCOUNT).put("region", LocalIam.REGION);
        ObjectNode roles = deployed.putObject("roles");
        for (String role : template.resourcesOfType("AWS::IAM::Role")) {
            ObjectNode r = roles.putObject(role).put("arn", physical(role, "Arn")).put("maxSessionDuration", maxSessionDuration(role));
            r.set("trust", tree(json(properties(role).get("AssumeRolePolicyDocument"))));
            inlinePolicies(role).forEach(doc -> r.withArray("policies").add(tree(doc)));
        }
        // Users are principals with identity policies and no trust policy: the checker reads them as it reads roles.
        USERS.forEach((user, policies) -> {
            ObjectNode u = roles.putObject(user).put("arn", "arn:aws:iam::" + LocalIam.ACCOUNT + ":user/" + environment + "-" + user);
            policies.forEach(p -> u.withArray("policies").add(tree(json(properties(p).get("PolicyDocument")))));
        });
        return deployed;
    }

    private List<String> inlinePolicies(String role) {
        List<String> policies = new ArrayList<>();
        Object declared = properties(role).get("Policies");
        for (Object policy : declared == null ? List.of() : (List<?>) declared) {
            policies.add(json(((Map<?, ?>) policy).get("PolicyDocument")));
        }
        return policies;
    }

    private int maxSessionDuration(String role) {
        Object max = properties(role).get("MaxSessionDuration");
        return max == null ? 3600 : Integer.parseInt(max.toString());
    }

    /** Keys for the job, as Managed Flink gives its application the template's job role. */
    public LocalIam.Keys jobKeys(LocalIam iam) {
        return service(iam, "JobRole", "kinesisanalytics.amazonaws.com", applicationArn());
    }

    /** Keys for the Lambda, as Lambda gives its function the template's execution role. */
    public LocalIam.Keys lambdaKeys(LocalIam iam) {
        return service(iam, "ApiFunctionRole", "lambda.amazonaws.com", functionArn());
    }

    private LocalIam.Keys service(LocalIam iam, String role, String service, String sourceArn) {
        try {
            return iam.assumeRoleAsService(physical(role, "Arn"), service, sourceArn);
        } catch (LocalIam.Refusal refused) {
            throw new IllegalStateException("the template's " + role + " cannot be assumed as AWS assumes it: " + refused.getMessage());
        }
    }

    /**
     * Keys of one of the {@link #USERS}, who has the template's managed policies named there: random, or the
     * {@code fixedKeys} given (id and secret).
     */
    public LocalIam.Keys userKeys(LocalIam iam, String user, String... fixedKeys) {
        List<String> documents = new ArrayList<>();
        USERS.get(user).forEach(p -> documents.add(json(properties(p).get("PolicyDocument"))));
        return iam.user(environment + "-" + user, user, deploymentId, documents, fixedKeys);
    }

    /** The ARN API Gateway authorizes a call of the API on: {@code <api>/<stage>/<METHOD>/<path>}. */
    public String apiArn(String method, String path) {
        return arn("execute-api", restApiId + "/live/" + method + path);
    }

    private static String json(Object document) {
        try {
            return JSON.writeValueAsString(document);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
