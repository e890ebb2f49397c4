package io.sqsbrowser.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.TestApi;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** Topics through the API (SPEC §3): follow at /create and /topics, send with /notify/topic, and the bad input refused. */
@ExtendWith(EmulatorsExtension.class)
class TopicsApiTest {

    private static List<String> topics(JsonNode answer) {
        List<String> topics = new ArrayList<>();
        answer.path("topics").forEach(t -> topics.add(t.asText()));
        return topics;
    }

    private static Map<String, AttributeValue> item(TestApi api, String userId, String sessionId) {
        return api.emulators.dynamoDb().getItem(b -> b.tableName(api.sessionTable).consistentRead(true)
                .key(Map.of("userId", AttributeValue.builder().s(userId).build(),
                        "sessionId", AttributeValue.builder().s(sessionId).build()))).item();
    }

    @Test
    void aSessionFollowsTopicsFromItsCreateAndChangesThemLater(TestApi api) {
        JsonNode created = api.get("/create/100/200/s1?topics=world,politics,world").body.get("session");
        assertThat(topics(created)).containsExactly("politics", "world");
        assertThat(item(api, "200", "s1").get("topics").ss()).containsExactlyInAnyOrder("politics", "world");
        long version = created.get("version").asLong();

        TestApi.Response changed = api.get("/topics/100/200/s1?add=election-night,sport&remove=world");
        assertThat(changed.status).isEqualTo(200);
        assertThat(topics(changed.body)).containsExactly("election-night", "politics", "sport");
        Map<String, AttributeValue> item = item(api, "200", "s1");
        assertThat(item.get("topics").ss()).containsExactlyInAnyOrder("election-night", "politics", "sport");
        assertThat(Long.parseLong(item.get("version").n())).as("the job orders changes by version").isEqualTo(version + 1);

        assertThat(topics(api.get("/topics/100/200/s1?remove=election-night,politics,sport,never-followed").body)).isEmpty();
        assertThat(item(api, "200", "s1")).as("no topics: no attribute (a string set cannot be empty)").doesNotContainKey("topics");
        assertThat(topics(api.get("/status/100/200/s1").body.get("session"))).isEmpty();
        assertThat(topics(api.get("/topics/100/200/s1?add=a").body)).containsExactly("a");
        assertThat(topics(api.get("/status/100/200/s1").body.get("session"))).containsExactly("a");

        // An idempotent create with topics follows exactly those; without, keeps what the session follows.
        assertThat(topics(api.get("/create/100/200/s1?topics=b").body.get("session"))).containsExactly("b");
        assertThat(topics(api.get("/create/100/200/s1").body.get("session"))).containsExactly("b");
    }

    @Test
    void badTopicsAreRefusedWithTheReasonAndChangeNothing(TestApi api) {
        api.get("/create/100/200/s1?topics=politics");
        String[][] refused = {
            {"/create/100/200/s2?topics=a,,b", "invalid each topic of topics must have 1 to 64 characters"},
            {"/create/100/200/s2?topics=a%20b", "invalid each topic of topics may only contain"},
            {"/create/100/200/s2?topics=" + "t".repeat(65), "1 to 64 characters"},
            {"/topics/100/200/s1?add=x&remove=x", "topics both added and removed: x"},
            {"/topics/100/200/s1?add=%C3%A9lection", "may only contain"},
            {"/topics/100/200/s1?add=" + String.join(",", numbered(50)), "a session follows at most 50 topics, this would make 51"},
            // On every write path: a new session's first topics, and an existing session's replaced by a create.
            {"/create/100/200/s2?topics=" + String.join(",", numbered(51)), "a session follows at most 50 topics, this would make 51"},
            {"/create/100/200/s1?topics=" + String.join(",", numbered(51)), "a session follows at most 50 topics, this would make 51"},
            {"/notify/topic/a%20b?m=1", "invalid topic may only contain"},
        };
        for (String[] r : refused) {
            TestApi.Response answer = api.get(r[0]);
            assertThat(answer.status).as(r[0]).isEqualTo(400);
            assertThat(answer.body.get("message").asText()).as(r[0]).contains(r[1]);
        }
        assertThat(api.get("/status/100/200/s2").status).as("no session made by a refused create").isEqualTo(404);
        assertThat(item(api, "200", "s1").get("topics").ss()).containsExactly("politics");
        assertThat(api.get("/topics/100/200/nobody?add=x").status).isEqualTo(404);
        assertThat(api.get("/topics/999/200/s1?add=x").status).as("another account's session is not found").isEqualTo(404);
        assertThat(api.get("/topics/100/200/s1?add=" + String.join(",", numbered(49))).status).as("50 in all").isEqualTo(200);
    }

    /** Two changes at once both take effect: neither write undoes the other (each is conditional on the version read). */
    /**
     * A rewind is the session item's {@code rewind}, which the job reads when it learns of the session (or of a change
     * that follows topics): written with the create or the change that asks for it, and removed by a change that does
     * not, so that no later change is taken for a request to rewind again. Up to the history's time to live.
     */
    @Test
    void aRewindIsWrittenWithTheCreateOrChangeThatAsksForItAndNoLonger(TestApi api) {
        assertThat(api.get("/create/100/200/r1?rewind=600").status).isEqualTo(200);
        assertThat(item(api, "200", "r1").get("rewind").n()).isEqualTo("600");
        assertThat(api.get("/topics/100/200/r1?add=politics&rewind=3600").status).isEqualTo(200);
        assertThat(item(api, "200", "r1").get("rewind").n()).isEqualTo("3600");
        assertThat(item(api, "200", "r1").get("topics").ss()).containsExactly("politics");
        assertThat(api.get("/topics/100/200/r1?add=world").status).isEqualTo(200);
        assertThat(item(api, "200", "r1")).as("a change without a rewind").doesNotContainKey("rewind");
        assertThat(api.get("/create/100/200/r2").status).isEqualTo(200);
        assertThat(item(api, "200", "r2")).doesNotContainKey("rewind");
        for (String[] bad : new String[][] {
            {"/create/100/200/r3?rewind=0", "rewind"}, {"/create/100/200/r3?rewind=86401", "rewind"},
            {"/create/100/200/r3?rewind=-5", "rewind"}, {"/create/100/200/r3?rewind=ten", "rewind"},
            {"/topics/100/200/r1?remove=world&rewind=60", "rewind goes with add"},
        }) {
            TestApi.Response r = api.get(bad[0]);
            assertThat(r.status).as(bad[0]).isEqualTo(400);
            assertThat(r.body.get("message").asText()).as(bad[0]).contains(bad[1]);
        }
        assertThat(api.get("/status/100/200/r3").status).as("no session made by a refused create").isEqualTo(404);
    }

    @Test
    void concurrentChangesAllTakeEffect(TestApi api) throws Exception {
        api.get("/create/100/200/s1");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<TestApi.Response>> answers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String topic = "t" + i;
                answers.add(pool.submit((Callable<TestApi.Response>) () -> api.get("/topics/100/200/s1?add=" + topic)));
            }
            for (Future<TestApi.Response> a : answers) {
                assertThat(a.get().status).isEqualTo(200);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(item(api, "200", "s1").get("topics").ss()).containsExactlyInAnyOrderElementsOf(numbered(8));
    }

    @Test
    void notifyTopicPutsAnEventWithTheTopicAsAString(TestApi api) {
        TestApi.Response r = api.get("/notify/topic/2024?headline=Results");
        assertThat(r.status).isEqualTo(200);
        JsonNode event = api.events().get(0);
        assertThat(event.get("topic").isTextual()).as("a topic that looks like a number stays a name").isTrue();
        assertThat(event.get("topic").asText()).isEqualTo("2024");
        assertThat(event.get("headline").asText()).isEqualTo("Results");
        assertThat(event.has("_everyone")).isFalse();
        assertThat(api.call("POST", "/notify/topic/politics", "{\"accountId\":100,\"headline\":\"x\"}").status).isEqualTo(200);
        JsonNode inAccount = api.events().get(1);
        assertThat(inAccount.get("topic").asText()).isEqualTo("politics");
        assertThat(inAccount.get("accountId").asLong()).isEqualTo(100);
        assertThat(api.call("POST", "/notify/topic/politics", "{\"Topic\":\"sport\"}").body.get("message").asText())
                .contains("is not spelt topic");
    }

    private static List<String> numbered(int count) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            names.add("t" + i);
        }
        return names;
    }
}
