package io.sqsbrowser.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sqsbrowser.deadletter.DeadLetter;
import io.sqsbrowser.local.LocalIdentityServices;
import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.TestApi;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** The operator's redrive, against the emulators: dead letters in an SQS queue, the event stream, the history table. */
@ExtendWith(EmulatorsExtension.class)
class RedriveTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Deployment deployment(TestApi api, String asyncFailureQueue) {
        Map<String, String> outputs = new HashMap<>(Map.of("ApiUrl", "http://unused", "Region", "us-east-1",
                "DeadLetterQueueUrl", api.deadLetterQueue, "IdentityPoolId", LocalIdentityServices.IDENTITY_POOL_ID,
                "DeveloperProviderName", LocalIdentityServices.DEVELOPER_PROVIDER, "SessionRoleArn", LocalIdentityServices.SESSION_ROLE_ARN,
                "EventStreamName", api.eventStream, "HistoryTableName", api.historyTable, "FunctionName", "prod-sqs-browser-api"));
        outputs.put("AsyncFailureQueueUrl", asyncFailureQueue);
        URI emulatorSqs = URI.create("http://127.0.0.1:" + api.emulators.sqsPort);
        return new Deployment(outputs, StaticCredentialsProvider.create(AwsBasicCredentials.create("local", "local")), null,
                Map.of("sqs", emulatorSqs, "kinesis", URI.create("http://127.0.0.1:" + api.emulators.kinesisPort),
                        "dynamodb", URI.create("http://127.0.0.1:" + api.emulators.dynamoDbPort),
                        "lambda", URI.create(api.services.endpoint())));
    }

    private static String redrive(Deployment deployment, String what) {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        Redrive redrive = new Redrive(deployment, new PrintStream(printed, true, StandardCharsets.UTF_8), 86_400);
        switch (what) {
            case "dead-letters": redrive.deadLetters(); break;
            case "inspect": redrive.inspect(); break;
            default: redrive.asyncFailures();
        }
        return printed.toString(StandardCharsets.UTF_8);
    }

    @Test
    void deliveryDeadLettersGoBackAimedAtTheirSessionHistoryRowsAreWrittenInvalidRecordsStay(TestApi api) throws Exception {
        DeadLetter delivery = DeadLetter.of("delivery", "InvalidParameterValue: ...",
                "{\"headline\":\"Breaking\",\"accountId\":100,\"messageId\":\"m1\"}".getBytes(StandardCharsets.UTF_8));
        delivery.messageId = "m1";
        delivery.userId = "200";
        delivery.sessionId = "tab-1";
        DeadLetter history = DeadLetter.of("history", "history table refused the row: AccessDenied",
                "{\"headline\":\"Later\",\"_type\":\"news\",\"userId\":201,\"messageId\":\"m2\"}".getBytes(StandardCharsets.UTF_8));
        history.messageId = "m2";
        history.userId = "201";
        DeadLetter invalid = DeadLetter.of("event", "invalid routing field: userId must be ...", "{\"userId\":-1}".getBytes(StandardCharsets.UTF_8));
        for (DeadLetter d : List.of(delivery, history, invalid)) {
            api.emulators.sqs().sendMessage(b -> b.queueUrl(api.deadLetterQueue).messageBody(d.toJson()));
        }
        Deployment deployment = deployment(api, null);
        assertThat(redrive(deployment, "inspect")).contains("delivery", "history", "event").contains("0 acted on and deleted, 3 left");

        String printed = redrive(deployment, "dead-letters");
        assertThat(printed).contains("REDRIVEN delivery   m1", "REDRIVEN history    m2", "KEPT     event").contains("2 acted on and deleted, 1 left");
        List<JsonNode> events = api.events();
        assertThat(events).hasSize(1);
        assertThat(events.get(0)).isEqualTo(JSON.readTree(
                "{\"headline\":\"Breaking\",\"accountId\":100,\"messageId\":\"m1\",\"userId\":\"200\",\"sessionId\":\"tab-1\"}"));
        Map<String, AttributeValue> row = api.emulators.dynamoDb().getItem(b -> b.tableName(api.historyTable).key(Map.of(
                "userId", AttributeValue.builder().s("201").build(), "messageId", AttributeValue.builder().s("m2").build()))).item();
        assertThat(row.get("is_read").n()).isEqualTo("0");
        assertThat(row.get("_type").s()).isEqualTo("news");
        assertThat(row.get("message").s()).contains("Later");
        assertThat(redrive(deployment, "inspect")).as("the invalid record is left, visible at once").contains("0 acted on and deleted, 1 left");
    }

    @Test
    void failedAsyncWorkIsInvokedAgainThroughTheAlias(TestApi api) throws Exception {
        String queue = api.emulators.sqs().createQueue(b -> b.queueName("async-failures-" + api.deploymentId)).queueUrl();
        String request = "{\"httpMethod\":\"GET\",\"path\":\"/messages/set-read/user/200/message/m1\",\"headers\":{\"X-Sqs-Browser-Deferred\":\"1\"}}";
        // The on-failure destination's record, as Lambda documents it.
        api.emulators.sqs().sendMessage(b -> b.queueUrl(queue).messageBody("{\"version\":\"1.0\",\"timestamp\":\"2026-12-04T18:16:05.568Z\","
                + "\"requestContext\":{\"requestId\":\"e4b46cbf\",\"functionArn\":\"arn:aws:lambda:us-east-1:000000000000:function:prod-sqs-browser-api:live\","
                + "\"condition\":\"RetriesExhausted\",\"approximateInvokeCount\":3},\"requestPayload\":" + request + ","
                + "\"responseContext\":{\"statusCode\":200,\"executedVersion\":\"7\",\"functionError\":\"Unhandled\"},"
                + "\"responsePayload\":{\"errorMessage\":\"Rate exceeded\"}}"));
        String printed = redrive(deployment(api, queue), "async-failures");
        assertThat(printed).contains("REDRIVEN async", "Rate exceeded", "1 acted on and deleted, 0 left");
        LocalIdentityServices.Call invoke = api.services.calls("Invoke").get(0);
        assertThat(invoke.parameters).containsEntry("FunctionName", "prod-sqs-browser-api").containsEntry("Qualifier", "live")
                .containsEntry("InvocationType", "Event");
        assertThat(JSON.readTree(invoke.parameters.get("Payload"))).isEqualTo(JSON.readTree(request));
        assertThat(api.emulators.sqs().receiveMessage(b -> b.queueUrl(queue)).messages()).isEmpty();
    }
}
