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
        assertThat(events.get(0).get("_everyone").asBoolean()).as("/notify says everyone, as the job may require").isTrue();
        assertThat(events.get(1).has("_everyone")).isFalse();
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

    /** A body is read exactly as the job reads the stream: duplicate keys refused, numbers kept as written. */
    @Test
    void aBodyIsParsedAsStrictlyAsTheStream(TestApi api) {
        TestApi.Response duplicate = api.call("POST", "/notify/user/200", "{\"userId\":\"300\",\"userId\":\"200\",\"m\":1}");
        assertThat(duplicate.status).isEqualTo(400);
        assertThat(duplicate.body.get("message").asText()).contains("Duplicate field 'userId'");
        assertThat(api.call("POST", "/notify", "{\"m\":1} {\"userId\":2}").status).as("data after the object").isEqualTo(400);
        TestApi.Response exact = api.call("POST", "/notify/user/200",
                "{\"huge\":1e400,\"precise\":0.1000000000000000055511151231257827,\"big\":123456789012345678901234567890}");
        assertThat(exact.status).isEqualTo(200);
        String raw = new String(io.sqsbrowser.local.AwsResources.readAll(api.emulators.kinesis(), api.eventStream).get(0),
                java.nio.charset.StandardCharsets.UTF_8);
        assertThat(raw).contains("\"huge\":1E+400", "\"precise\":0.1000000000000000055511151231257827",
                "\"big\":123456789012345678901234567890");
    }

    /** An id the API accepts routes the same everywhere: -1 is a string id, never a negative number. */
    @Test
    void anIdThatIsNotACanonicalIntegerStaysAStringAndIsRoutable(TestApi api) {
        TestApi.Response created = api.get("/create/100/-1/s-1");
        assertThat(created.status).isEqualTo(200);
        assertThat(created.body.get("session").get("userId").isTextual()).isTrue();
        assertThat(api.get("/notify/user/-1?m=x").status).isEqualTo(200);
        assertThat(api.get("/notify/user/007?m=x").status).isEqualTo(200);
        assertThat(api.get("/notify/account/9223372036854775808?m=x").status).as("beyond 64 bits: a string").isEqualTo(200);
        List<JsonNode> events = api.events();
        assertThat(events.get(0).get("userId").asText()).isEqualTo("-1");
        assertThat(events.get(0).get("userId").isTextual()).isTrue();
        assertThat(events.get(1).get("userId").isTextual()).isTrue();
        assertThat(events.get(2).get("accountId").isTextual()).isTrue();
    }
}
