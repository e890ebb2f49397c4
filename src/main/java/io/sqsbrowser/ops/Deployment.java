package io.sqsbrowser.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.cloudformation.model.Output;

/**
 * Where a deployment's pieces are, for the operator's tools: from a CloudFormation stack's outputs (with the
 * operator's own AWS credentials, from the default chain), or from the local stack's {@code /local/endpoints}, where
 * the same tools run against local endpoints (the test suite does so).
 */
final class Deployment {
    final String apiUrl;
    final String region;
    final String deadLetterQueueUrl;
    final String asyncFailureQueueUrl;
    final String identityPoolId;
    final String developerProviderName;
    final String sessionRoleArn;
    final String eventStream;
    final String historyTable;
    final String functionName;
    final String functionAlias;
    /** Who runs the tool: the operator's credentials. */
    final AwsCredentialsProvider operator;
    /** The SQS endpoint for session credentials; null on AWS (the queue URL's region). */
    final URI sessionSqsEndpoint;
    /** Endpoint overrides by service ({@code sqs}, {@code kinesis}, {@code dynamodb}, {@code lambda}, ...); none on AWS. */
    private final Map<String, URI> endpoints;

    /**
     * From outputs named as the template's, the operator's credentials and endpoint overrides (none on AWS): the
     * local stack's, or a test's.
     */
    Deployment(Map<String, String> outputs, AwsCredentialsProvider operator, URI sessionSqsEndpoint, Map<String, URI> endpoints) {
        apiUrl = required(outputs, "ApiUrl");
        region = required(outputs, "Region");
        deadLetterQueueUrl = required(outputs, "DeadLetterQueueUrl");
        asyncFailureQueueUrl = outputs.get("AsyncFailureQueueUrl");
        identityPoolId = required(outputs, "IdentityPoolId");
        developerProviderName = required(outputs, "DeveloperProviderName");
        sessionRoleArn = required(outputs, "SessionRoleArn");
        eventStream = outputs.get("EventStreamName");
        historyTable = outputs.get("HistoryTableName");
        functionName = outputs.get("FunctionName");
        functionAlias = outputs.getOrDefault("FunctionAlias", "live");
        this.operator = operator;
        this.sessionSqsEndpoint = sessionSqsEndpoint;
        this.endpoints = endpoints;
    }

    /** A deployed stack: its outputs, read with the default credentials chain. */
    static Deployment ofStack(String stackName, String region) {
        Map<String, String> outputs = new HashMap<>();
        try (CloudFormationClient cloudFormation = CloudFormationClient.builder().region(Region.of(region)).build()) {
            for (Output o : cloudFormation.describeStacks(b -> b.stackName(stackName)).stacks().get(0).outputs()) {
                outputs.put(o.outputKey(), o.outputValue());
            }
        }
        return new Deployment(outputs, DefaultCredentialsProvider.builder().build(), null, Map.of());
    }

    /**
     * The local stack at {@code api}: its endpoints that sign and authorize as AWS does, and the keys of its operator,
     * who has the template's policies for the smoke test and the redrive (nothing more).
     */
    static Deployment ofLocalStack(String api) throws IOException, InterruptedException {
        HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(api + "/local/endpoints"))
                .build(), HttpResponse.BodyHandlers.ofString());
        JsonNode e = new ObjectMapper().readTree(answer.body());
        Map<String, String> outputs = new HashMap<>();
        outputs.put("ApiUrl", api);
        outputs.put("Region", e.get("region").asText());
        outputs.put("DeadLetterQueueUrl", e.get("deadLetter").asText());
        outputs.put("AsyncFailureQueueUrl", e.get("asyncFailureQueue").asText());
        outputs.put("IdentityPoolId", e.get("identityPoolId").asText());
        outputs.put("DeveloperProviderName", e.get("developerProviderName").asText());
        outputs.put("SessionRoleArn", e.get("sessionRoleArn").asText());
        outputs.put("EventStreamName", e.get("eventStream").asText());
        outputs.put("HistoryTableName", e.get("historyTable").asText());
        outputs.put("FunctionName", e.get("functionName").asText());
        URI identity = URI.create(e.get("identityEndpoint").asText());
        URI aws = URI.create(e.get("awsEndpoint").asText());
        return new Deployment(outputs, StaticCredentialsProvider.create(AwsBasicCredentials.create(
                e.get("operatorAccessKeyId").asText(), e.get("operatorSecretAccessKey").asText())), aws,
                Map.of("sqs", aws, "kinesis", aws, "dynamodb", aws, "cognito-identity", identity, "sts", identity, "lambda", identity));
    }

    /** The endpoint override for a service the operator's clients call, or null on AWS. */
    URI endpoint(String service) {
        return endpoints.get(service);
    }

    /** A client of the operator's, for the deployment's region (and endpoint override). */
    <B extends software.amazon.awssdk.awscore.client.builder.AwsClientBuilder<B, C>, C> C client(B builder, String service) {
        builder.region(software.amazon.awssdk.regions.Region.of(region)).credentialsProvider(operator);
        if (endpoint(service) != null) {
            builder.endpointOverride(endpoint(service));
        }
        return builder.build();
    }

    private static String required(Map<String, String> outputs, String name) {
        String value = outputs.get(name);
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("the stack has no output " + name + ": is it deployed from this template?");
        }
        return value;
    }
}
