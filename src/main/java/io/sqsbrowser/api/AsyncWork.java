package io.sqsbrowser.api;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sqsbrowser.aws.DaemonThreads;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;

/**
 * Work an {@code async} request answers before doing. On Lambda the request is re-invoked as an
 * asynchronous event of the same function, through its alias: Lambda has queued it durably when {@code invoke}
 * returns and retries it; what still fails goes to the alias's on-failure destination (an SQS queue, with an
 * alarm), so nothing is lost when this invocation ends. Through the alias, never the unqualified function: that
 * would run {@code $LATEST}, whose code is not the published version API Gateway calls. Locally it runs on a
 * background thread.
 */
interface AsyncWork {
    /** Runs {@code request} (already stripped of its {@code async} flag) later. */
    void submit(APIGatewayProxyRequestEvent request);

    static AsyncWork selfInvocation(LambdaClient lambda, String functionName, String alias) {
        ObjectMapper json = new ObjectMapper();
        return request -> {
            ObjectNode event = json.createObjectNode().put("httpMethod", request.getHttpMethod())
                    .put("path", request.getPath()).put("body", request.getBody());
            if (request.getQueryStringParameters() != null) {
                request.getQueryStringParameters().forEach(event.putObject("queryStringParameters")::put);
            }
            if (request.getHeaders() != null) {
                request.getHeaders().forEach(event.putObject("headers")::put);
            }
            lambda.invoke(b -> b.functionName(functionName).qualifier(alias).invocationType(InvocationType.EVENT)
                    .payload(SdkBytes.fromUtf8String(event.toString())));
        };
    }

    static AsyncWork inProcess(Consumer<APIGatewayProxyRequestEvent> handler) {
        ExecutorService executor = DaemonThreads.scheduler("api-async-work");
        return request -> executor.execute(() -> handler.accept(request));
    }
}
