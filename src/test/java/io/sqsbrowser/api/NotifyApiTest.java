package io.sqsbrowser.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.TestApi;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The notify endpoints put the events the job reads on kinesalite. */
@ExtendWith(EmulatorsExtension.class)
class NotifyApiTest {
    @Test
    void everyNotifyPathPutsItsEventWithRoutingFieldsAndMessageId(TestApi api) {
        String[] paths = {"/notify?message=Hello+Everyone", "/notify/account/100?message=Hello+Account",
            "/notify/user/200?message=Hello+User&_type=alert", "/notify/user/200/session/s-1?message=Hi&_sqs_only=true"};
        List<String> ids = new java.util.ArrayList<>();
        for (String path : paths) {
            TestApi.Response r = api.get(path);
            assertThat(r.status).as(path).isEqualTo(200);
            assertThat(r.body.get("success").asBoolean()).isTrue();
            ids.add(r.body.get("messageId").asText());
        }
        List<JsonNode> events = api.events();
        assertThat(events).hasSize(4);
        assertThat(events).extracting(e -> e.get("messageId").asText()).containsExactlyElementsOf(ids);
        assertThat(events.get(0).has("accountId") || events.get(0).has("userId")).isFalse();
        assertThat(events.get(0).get("message").asText()).isEqualTo("Hello+Everyone");
        assertThat(events.get(1).get("accountId").asLong()).isEqualTo(100);
        assertThat(events.get(2).get("userId").asLong()).isEqualTo(200);
        assertThat(events.get(2).get("_type").asText()).isEqualTo("alert");
        assertThat(events.get(3).get("sessionId").asText()).isEqualTo("s-1");
        assertThat(events.get(3).get("_sqs_only").asBoolean()).isTrue();
    }

    @Test
    void aPostedJsonBodyBecomesTheMessageAndAGivenMessageIdIsKept(TestApi api) {
        TestApi.Response r = api.call("POST", "/notify/user/alice", "{\"headline\":\"Breaking\",\"messageId\":\"given-1\"}");
        assertThat(r.status).isEqualTo(200);
        assertThat(r.body.get("messageId").asText()).isEqualTo("given-1");
        JsonNode event = api.events().get(0);
        assertThat(event.get("headline").asText()).isEqualTo("Breaking");
        assertThat(event.get("userId").asText()).isEqualTo("alice");
    }

    @Test
    void badInputIsRefusedAndNothingIsPut(TestApi api) {
        assertThat(api.get("/notify/user/bad%20id?message=x").status).isEqualTo(400);
        assertThat(api.get("/notify/user/" + "u".repeat(129)).status).isEqualTo(400);
        assertThat(api.get("/notify?_sqs_only=maybe").status).isEqualTo(400);
        assertThat(api.call("POST", "/notify", "[1,2]").status).isEqualTo(400);
        assertThat(api.call("POST", "/notify", "{\"userId\":{\"x\":1}}").body.get("message").asText())
                .startsWith("invalid routing field: userId");
        assertThat(api.get("/notify/group/7").status).isEqualTo(404);
        TestApi.Response tooBig = api.call("POST", "/notify", "{\"m\":\"" + "x".repeat(200_000) + "\"}");
        assertThat(tooBig.status).isEqualTo(413);
        assertThat(tooBig.body.get("message").asText()).startsWith("message too large");
        assertThat(api.events()).isEmpty();
    }
}
