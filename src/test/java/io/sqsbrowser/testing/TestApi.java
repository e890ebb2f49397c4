package io.sqsbrowser.testing;

import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.local.StackConfig;
import io.sqsbrowser.local.LocalDeployment;
import io.sqsbrowser.local.AwsResources;
import io.sqsbrowser.local.LocalIdentityServices;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sqsbrowser.api.ApiConfig;
import io.sqsbrowser.api.ApiHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/** The session Lambda's handler on a deployment of its own: the emulators behind the local AWS endpoint, and Cognito/STS stand-ins. */
public final class TestApi implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    public final String sessionTable;
    public final String historyTable;
    public final String eventStream;
    public final String queuePrefix;
    public final String deadLetterQueue;
    public final String deploymentId;
    /** The template deployed on the emulators: the Lambda signs as its role, through the local AWS endpoint. */
    public final LocalDeployment deployment;
    /** Cognito Identity, STS and Lambda Invoke: the local stand-in. */
    public final LocalIdentityServices services;
    public final Emulators emulators;
    private final Map<String, String> env = new HashMap<>();
    private ApiHandler handler;

    /** With Cognito's basic flow not carrying principal tags into the credentials: the wall that needs no tag. */
    public TestApi(Emulators emulators) throws IOException {
        this(emulators, LocalIdentityServices.PrincipalTags.DROPPED);
    }

    public TestApi(Emulators emulators, LocalIdentityServices.PrincipalTags principalTags) throws IOException {
        this(emulators, principalTags, Map.of());
    }

    /** A deployment of the template with these parameters (e.g. a QueuePrefix given by hand). */
    public TestApi(Emulators emulators, LocalIdentityServices.PrincipalTags principalTags, Map<String, String> parameters)
            throws IOException {
        this.emulators = emulators;
        deployment = LocalDeployment.of("t" + UUID.randomUUID().toString().substring(0, 8), parameters, emulators.sqsEndpoint());
        deployment.create(emulators, emulators.iam(), 1);
        sessionTable = deployment.sessionTable;
        historyTable = deployment.historyTable;
        eventStream = deployment.eventStream;
        queuePrefix = deployment.queuePrefix;
        deploymentId = deployment.deploymentId;
        deadLetterQueue = deployment.deadLetterQueueUrl();
        services = new LocalIdentityServices(emulators.iam(), deployment, principalTags, 900);
        env.putAll(new StackConfig(emulators, deployment, services.endpoint()).apiEnvironment());
    }

    static TestApi create(Emulators emulators) {
        try {
            return new TestApi(emulators);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The handler's environment variables, as the Lambda function would have them. */
    public Map<String, String> environment() {
        return Map.copyOf(env);
    }

    /** Changes an environment variable of the handler (takes effect for the next handler). */
    public TestApi with(String name, String value) {
        env.put(name, value);
        handler = null;
        return this;
    }

    public Response get(String path) {
        return call("GET", path, null);
    }

    public Response call(String method, String pathAndQuery, String body) {
        int q = pathAndQuery.indexOf('?');
        String path = q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
        Map<String, String> query = q < 0 ? null : List.of(pathAndQuery.substring(q + 1).split("&")).stream()
                .map(kv -> kv.split("=", 2)).collect(Collectors.toMap(kv -> kv[0], kv -> kv.length > 1 ? kv[1] : ""));
        return handle(new APIGatewayProxyRequestEvent()
                .withHttpMethod(method).withPath(path).withQueryStringParameters(query).withBody(body));
    }

    /** Hands an API Gateway event to the handler, as the Lambda runtime does. */
    public Response handle(APIGatewayProxyRequestEvent request) {
        if (handler == null) {
            handler = new ApiHandler(ApiConfig.fromEnvironment(env));
        }
        APIGatewayProxyResponseEvent response = handler.handleRequest(request, null);
        try {
            return new Response(response.getStatusCode(), JSON.readTree(response.getBody()));
        } catch (IOException e) {
            throw new UncheckedIOException("response is not JSON: " + response.getBody(), e);
        }
    }

    /** Every event the API put on the event stream, as JSON. */
    public List<JsonNode> events() {
        return AwsResources.readAll(emulators.kinesis(), eventStream).stream().map(bytes -> {
            try {
                return JSON.readTree(bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).collect(Collectors.toList());
    }

    @Override
    public void close() {
        services.close();
    }

    /** An HTTP status and JSON body. */
    public static final class Response {
        public final int status;
        public final JsonNode body;

        Response(int status, JsonNode body) {
            this.status = status;
            this.body = body;
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }
}
