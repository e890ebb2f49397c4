package io.sqsbrowser.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sqsbrowser.deadletter.DeadLetter;
import io.sqsbrowser.local.LocalIam;
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

    /** The operator's view of the test's deployment: the template's RedrivePolicy, through the local AWS endpoint. */
    private static Deployment deployment(TestApi api, String asyncFailureQueue) {
        Map<String, String> outputs = new HashMap<>(Map.of("ApiUrl", "http://unused", "Region", "us-east-1",
                "DeadLetterQueueUrl", api.deadLetterQueue, "IdentityPoolId", api.deployment.identityPoolId,
                "DeveloperProviderName", api.deployment.developerProviderName, "SessionRoleArn", api.deployment.sessionRoleArn,
                "EventStreamName", api.eventStream, "HistoryTableName", api.historyTable, "FunctionName", api.deployment.functionName));
        outputs.put("AsyncFailureQueueUrl", asyncFailureQueue);
        LocalIam.Keys operator = api.deployment.userKeys(api.emulators.iam(), "operator");
        URI aws = URI.create(api.emulators.gateway().endpoint());
        return new Deployment(outputs, StaticCredentialsProvider.create(AwsBasicCredentials.create(operator.accessKeyId,
                operator.secretAccessKey)), null, Map.of("sqs", aws, "kinesis", aws, "dynamodb", aws,
                        "lambda", URI.create(api.services.endpoint())));
    }

    private static String redrive(Deployment deployment, String what) {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        Redrive redrive = new Redrive(deployment, new PrintStream(printed, true, StandardCharsets.UTF_8), 86_400);
        switch (what) {
            case "dead-letters": redrive.deadLetters(false); break;
            case "dead-letters --as-everyone": redrive.deadLetters(true); break;
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

    /**
     * A broadcast's message SQS refused goes back to its one session without what chose the broadcast's audience
     * ({@code _everyone}, a topic the session may have left); an event refused for having no audience goes to everyone
     * only when the operator says it was meant so.
     */
    @Test
    void aBroadcastsDeadLetterIsAimedAtItsSessionAndAnEventWithNoAudienceGoesToEveryoneOnlyWhenSaid(TestApi api) throws Exception {
        DeadLetter broadcast = DeadLetter.of("delivery", "InvalidParameterValue: ...",
                "{\"headline\":\"All\",\"_everyone\":true,\"messageId\":\"b1\"}".getBytes(StandardCharsets.UTF_8));
        broadcast.messageId = "b1";
        broadcast.userId = "200";
        broadcast.sessionId = "tab-1";
        DeadLetter topic = DeadLetter.of("delivery", "InvalidParameterValue: ...",
                "{\"headline\":\"Live\",\"topic\":\"politics\",\"accountId\":\"a1\",\"messageId\":\"t1\"}".getBytes(StandardCharsets.UTF_8));
        topic.messageId = "t1";
        topic.userId = "201";
        topic.sessionId = "tab-2";
        DeadLetter noAudience = DeadLetter.of("event", "no audience: an event with no accountId, userId, sessionId or topic must say "
                + "_everyone: true to reach every session", "{\"headline\":\"Breaking\",\"messageId\":\"n1\"}".getBytes(StandardCharsets.UTF_8));
        noAudience.messageId = "n1";
        for (DeadLetter d : List.of(broadcast, topic, noAudience)) {
            api.emulators.sqs().sendMessage(b -> b.queueUrl(api.deadLetterQueue).messageBody(d.toJson()));
        }
        Deployment deployment = deployment(api, null);
        assertThat(redrive(deployment, "dead-letters")).contains("REDRIVEN delivery   b1", "REDRIVEN delivery   t1")
                .contains("KEPT     event      n1", "--as-everyone").contains("2 acted on and deleted, 1 left");
        assertThat(api.events()).containsExactlyInAnyOrder(
                JSON.readTree("{\"headline\":\"All\",\"messageId\":\"b1\",\"userId\":\"200\",\"sessionId\":\"tab-1\"}"),
                JSON.readTree("{\"headline\":\"Live\",\"accountId\":\"a1\",\"messageId\":\"t1\",\"userId\":\"201\",\"sessionId\":\"tab-2\"}"));
        assertThat(redrive(deployment, "dead-letters --as-everyone")).contains("REDRIVEN event      n1").contains("1 acted on and deleted, 0 left");
        assertThat(api.events()).contains(JSON.readTree("{\"headline\":\"Breaking\",\"messageId\":\"n1\",\"_everyone\":true}"));
    }

    @Test
    void failedAsyncWorkIsInvokedAgainThroughTheAlias(TestApi api) throws Exception {
        String queue = api.emulators.sqsEndpoint() + "/000000000000/" + api.deployment.asyncFailureQueueName;
        String request = "{\"httpMethod\":\"GET\",\"path\":\"/messages/set-read/user/200/message/m1\",\"headers\":{\"X-Sqs-Browser-Deferred\":\"1\"}}";
        // The on-failure destination's record, as Lambda documents it.
        api.emulators.sqs().sendMessage(b -> b.queueUrl(queue).messageBody("{\"version\":\"1.0\",\"timestamp\":\"2026-12-04T18:16:05.568Z\","
                + "\"requestContext\":{\"requestId\":\"e4b46cbf\",\"functionArn\":\"arn:aws:lambda:us-east-1:000000000000:function:prod-sqs-browser-api:live\","
                + "\"condition\":\"RetriesExhausted\",\"approximateInvokeCount\":3},\"requestPayload\":" + request + ","
                + "\"responseContext\":{\"statusCode\":200,\"executedVersion\":\"7\",\"functionError\":\"Unhandled\"},"
                + "\"responsePayload\":{\"errorMessage\":\"Rate exceeded\"}}"));
        String printed = redrive(deployment(api, queue), "async-failures");
        assertThat(printed).contains("REDRIVEN async", "Rate exceeded", "1 acted on and deleted, 0 left");
        io.sqsbrowser.local.LocalIdentityServices.Call invoke = api.services.calls("Invoke").get(0);
        assertThat(invoke.parameters).containsEntry("FunctionName", api.deployment.functionName).containsEntry("Qualifier", "live")
                .containsEntry("InvocationType", "Event");
        assertThat(JSON.readTree(invoke.parameters.get("Payload"))).isEqualTo(JSON.readTree(request));
        assertThat(api.emulators.sqs().receiveMessage(b -> b.queueUrl(queue)).messages()).isEmpty();
    }
}
