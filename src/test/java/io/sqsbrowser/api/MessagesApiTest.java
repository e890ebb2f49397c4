package io.sqsbrowser.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sqsbrowser.testing.Await;
import io.sqsbrowser.local.LocalIdentityServices;
import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.TestApi;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** History queries and read receipts against dynalite, receipts read back from kinesalite. */
@ExtendWith(EmulatorsExtension.class)
class MessagesApiTest {
    @BeforeEach
    void history(TestApi api) throws Exception {
        row(api, "200", "m1", 1000, "alert", 0);
        row(api, "200", "m2", 2000, "news", 0);
        row(api, "200", "m3", 3000, "news", 1);
        row(api, "200", "m4", 4000, null, 0);
        row(api, "201", "other", 2500, "news", 0);
    }

    /** A history row as the job writes it. */
    private static void row(TestApi api, String userId, String messageId, long created, String type, int isRead) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("userId", AttributeValue.builder().s(userId).build());
        item.put("messageId", AttributeValue.builder().s(messageId).build());
        item.put("created", AttributeValue.builder().n(Long.toString(created)).build());
        item.put("is_read", AttributeValue.builder().n(Integer.toString(isRead)).build());
        item.put("ttl", AttributeValue.builder().n(Long.toString(created + 86_400)).build());
        item.put("message", AttributeValue.builder().s("{\"text\":\"" + messageId + "\"" + (type == null ? "" : ",\"_type\":\"" + type + "\"") + "}").build());
        if (type != null) {
            item.put("_type", AttributeValue.builder().s(type).build());
        }
        api.emulators.dynamoDb().putItem(b -> b.tableName(api.historyTable).item(item));
    }

    private static List<String> ids(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(m -> out.add(m.has("messageId") ? m.get("messageId").asText() : m.asText()));
        return out;
    }

    @Test
    void historyIsNewestFirstAndFilteredByTimeAndType(TestApi api) {
        TestApi.Response all = api.get("/messages/user/200");
        assertThat(all.status).isEqualTo(200);
        assertThat(ids(all.body.get("messages"))).containsExactly("m4", "m3", "m2", "m1");
        JsonNode m3 = all.body.get("messages").get(1);
        assertThat(m3.get("text").asText()).isEqualTo("m3");
        assertThat(m3.get("is_read").asInt()).isEqualTo(1);
        assertThat(m3.get("created").asLong()).isEqualTo(3000);

        assertThat(ids(api.get("/messages/user/200?start=1500&end=3000").body.get("messages"))).containsExactly("m3", "m2");
        assertThat(ids(api.get("/messages/user/200?_type=news").body.get("messages"))).containsExactly("m3", "m2");
        assertThat(ids(api.get("/messages/user/200?_type=alert,news").body.get("messages"))).containsExactly("m3", "m2", "m1");
        assertThat(ids(api.get("/messages/user/nobody").body.get("messages"))).isEmpty();

        TestApi.Response first = api.get("/messages/user/200?limit=3");
        assertThat(ids(first.body.get("messages"))).containsExactly("m4", "m3", "m2");
        TestApi.Response rest = api.get("/messages/user/200?limit=3&next=" + first.body.get("next").asText());
        assertThat(ids(rest.body.get("messages"))).containsExactly("m1");
    }

    @Test
    void setReadReportsOnlyMessagesThatChangedAndSendsAReceipt(TestApi api) {
        TestApi.Response r = api.get("/messages/set-read/user/200/message/m1,m3,unknown");
        assertThat(r.status).isEqualTo(200);
        assertThat(ids(r.body.get("messages-receipted"))).containsExactly("m1");
        assertThat(ids(api.get("/messages/set-read/user/200/message/m1").body.get("messages-receipted"))).isEmpty();

        List<JsonNode> events = api.events();
        assertThat(events).hasSize(1);
        JsonNode receipt = events.get(0);
        assertThat(receipt.get("_type").asText()).isEqualTo("message-read-receipt");
        assertThat(receipt.get("_sqs_only").asBoolean()).isTrue();
        assertThat(receipt.get("userId").asLong()).isEqualTo(200);
        assertThat(ids(receipt.get("messages-receipted"))).containsExactly("m1");
    }

    @Test
    void setReadAsOfAndByPostedListMarkOnlyTheirMessages(TestApi api) {
        assertThat(ids(api.get("/messages/set-read/user/200/asof/2000").body.get("messages-receipted")))
                .containsExactlyInAnyOrder("m1", "m2");
        assertThat(ids(api.call("POST", "/messages/set-read/user/200", "[\"m3\",\"m4\"]").body.get("messages-receipted")))
                .containsExactly("m4");
        assertThat(ids(api.get("/messages/user/201").body.get("messages")).size()).isEqualTo(1);
        assertThat(api.get("/messages/user/201").body.get("messages").get(0).get("is_read").asInt()).isZero();
    }

    @Test
    void asyncAnswersAtOnceAndStillMarksTheMessages(TestApi api) {
        TestApi.Response r = api.get("/messages/set-read/user/200/message/m2?async=true");
        assertThat(r.status).isEqualTo(200);
        assertThat(r.body.get("async").asBoolean()).isTrue();
        Await.until(Duration.ofSeconds(10), "the deferred set-read", () ->
                api.get("/messages/user/200?_type=news").body.get("messages").get(1).get("is_read").asInt() == 1);
        Await.until(Duration.ofSeconds(10), "the receipt", () -> api.events().size() == 1);
    }

    @Test
    void asyncOnLambdaReinvokesTheSameRequestAsAnEventOfTheFunctionsAlias(TestApi api) throws Exception {
        api.with("ASYNC_MODE", "lambda");
        TestApi.Response r = api.get("/messages/set-read/user/200/message/m2?async=true");
        assertThat(r.body.get("async").asBoolean()).isTrue();
        LocalIdentityServices.Call invoke = api.services.calls("Invoke").get(0);
        assertThat(invoke.parameters).containsEntry("FunctionName", api.deployment.functionName).containsEntry("InvocationType", "Event")
                .as("the published version behind the alias, not $LATEST").containsEntry("Qualifier", "live");
        assertThat(api.events()).as("nothing done yet").isEmpty();

        // What the Lambda runtime then delivers: the payload as an API Gateway event, without async.
        APIGatewayProxyRequestEvent event = new ObjectMapper().readValue(invoke.parameters.get("Payload"),
                APIGatewayProxyRequestEvent.class);
        TestApi.Response done = api.handle(event);
        assertThat(ids(done.body.get("messages-receipted"))).containsExactly("m2");
        assertThat(api.events()).hasSize(1);
    }

    @Test
    void aReceiptThatCannotBeSentLeavesTheMessagesUnreadForTheNextTry(TestApi api) {
        TestApi.Response failed = api.with("EVENT_STREAM", "no-such-stream").get("/messages/set-read/user/200/message/m1");
        assertThat(failed.status).isEqualTo(500);
        api.with("EVENT_STREAM", api.eventStream);
        assertThat(ids(api.get("/messages/set-read/user/200/message/m1").body.get("messages-receipted"))).containsExactly("m1");
        assertThat(api.events()).hasSize(1);
    }

    @Test
    void aDeferredRequestThatFailsThrowsSoThatLambdaRetriesIt(TestApi api) {
        APIGatewayProxyRequestEvent deferred = new APIGatewayProxyRequestEvent().withHttpMethod("GET")
                .withPath("/messages/set-read/user/200/message/m1").withHeaders(Map.of(ApiHandler.DEFERRED_HEADER, "1"));
        api.with("HISTORY_TABLE", "no-such-table");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> api.handle(deferred)).isInstanceOf(RuntimeException.class);
        assertThat(api.get("/messages/set-read/user/200/message/m1").status).as("a caller still gets JSON").isEqualTo(500);
    }

    @Test
    void badInputIsRefused(TestApi api) {
        assertThat(api.get("/messages/user/200?start=yesterday").status).isEqualTo(400);
        assertThat(api.get("/messages/user/200?start=2000&end=1000").status).isEqualTo(400);
        assertThat(api.get("/messages/user/200?_type=" + "t,".repeat(101)).status).isEqualTo(400);
        assertThat(api.get("/messages/user/200?limit=0").status).isEqualTo(400);
        assertThat(api.get("/messages/user/200?next=garbage").status).isEqualTo(400);
        assertThat(api.get("/messages/set-read/user/200/asof/-5").status).isEqualTo(400);
        assertThat(api.get("/messages/set-read/user/200/message/" + "x".repeat(257)).status).isEqualTo(400);
        assertThat(api.call("POST", "/messages/set-read/user/200", "{\"ids\":[\"m1\"]}").status).isEqualTo(400);
        assertThat(api.call("POST", "/messages/set-read/user/200", "[1]").status).isEqualTo(400);
        assertThat(api.call("POST", "/messages/set-read/user/200", "[]").status).isEqualTo(400);
        assertThat(api.get("/messages/set-read/user/a b/message/m1").status).isEqualTo(400);
        assertThat(api.get("/messages/unknown").status).isEqualTo(404);
        assertThat(api.events()).isEmpty();
    }
}
