package io.sqsbrowser.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.TestApi;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * A user's inbox: their history with the fan-out events of the scopes the caller names ({@code include}) merged in,
 * whether or not the user had a live session when those were sent, with the user's own read state; and without
 * {@code include}, exactly the history of the original system. Rows as the job writes them, in dynalite.
 */
@ExtendWith(EmulatorsExtension.class)
class InboxApiTest {
    private static final String EVERYONE = "/messages/user/200?include=everyone,account:100,topic:politics";

    @BeforeEach
    void history(TestApi api) {
        row(api, "200", "own-1", 1000, "alert");
        row(api, "200", "breaking", 2000, "news"); // a broadcast the user received: their own row (per recipient)
        row(api, "#everyone", "breaking", 2000, "news"); // ... and the same event under its scope
        row(api, "#everyone", "later-news", 3000, "news"); // sent when the user had no session
        row(api, "#account:100", "account-news", 2500, null);
        row(api, "#account:101", "other-account", 2600, null);
        row(api, "#topic:politics", "politics", 3500, "news");
        row(api, "#account:100#topic:politics", "politics-in-100", 3600, "news");
        row(api, "#topic:sport", "sport", 3700, "news");
        row(api, "200", "own-2", 4000, null);
    }

    private static void row(TestApi api, String partition, String messageId, long created, String type) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("userId", AttributeValue.builder().s(partition).build());
        item.put("messageId", AttributeValue.builder().s(messageId).build());
        item.put("created", AttributeValue.builder().n(Long.toString(created)).build());
        item.put("is_read", AttributeValue.builder().n("0").build());
        item.put("ttl", AttributeValue.builder().n(Long.toString(created + 86_400)).build());
        item.put("message", AttributeValue.builder().s("{\"text\":\"" + messageId + "\"}").build());
        if (type != null) {
            item.put("_type", AttributeValue.builder().s(type).build());
        }
        api.emulators.dynamoDb().putItem(b -> b.tableName(api.historyTable).item(item));
    }

    private static List<String> ids(JsonNode messages) {
        List<String> out = new ArrayList<>();
        messages.forEach(m -> out.add(m.get("messageId").asText()));
        return out;
    }

    private static Map<String, Integer> readState(JsonNode messages) {
        Map<String, Integer> out = new HashMap<>();
        messages.forEach(m -> out.put(m.get("messageId").asText(), m.get("is_read").asInt()));
        return out;
    }

    @Test
    void theScopesNamedAreMergedNewestFirstEachMessageOnce(TestApi api) {
        TestApi.Response inbox = api.get(EVERYONE);
        assertThat(inbox.status).isEqualTo(200);
        assertThat(ids(inbox.body.get("messages"))).containsExactly("own-2", "politics-in-100", "politics", "later-news",
                "account-news", "breaking", "own-1");
        assertThat(inbox.body.has("next")).isFalse();
        assertThat(ids(api.get("/messages/user/200").body.get("messages"))).as("without include: the user's own rows only")
                .containsExactly("own-2", "breaking", "own-1");
        assertThat(ids(api.get("/messages/user/200?include=everyone&_type=news&start=2500").body.get("messages")))
                .containsExactly("later-news");
    }

    @Test
    void pagesOfAMergedInboxGoOnWhereTheLastEndedWithNothingTwiceAndNothingLeftOut(TestApi api) {
        List<String> all = new ArrayList<>();
        String next = null;
        int pages = 0;
        do {
            TestApi.Response page = api.get(EVERYONE + "&limit=2" + (next == null ? "" : "&next=" + next));
            assertThat(page.status).isEqualTo(200);
            assertThat(page.body.get("messages").size()).isLessThanOrEqualTo(3); // a message's two rows end a page together
            all.addAll(ids(page.body.get("messages")));
            next = page.body.has("next") ? page.body.get("next").asText() : null;
            pages++;
        } while (next != null && pages < 10);
        assertThat(all).containsExactly("own-2", "politics-in-100", "politics", "later-news", "account-news", "breaking", "own-1");
        assertThat(api.get(EVERYONE + "&next=" + api.get("/messages/user/200?limit=1").body.get("next").asText()).status)
                .as("a token of a call without include is not one of this call").isEqualTo(400);
    }

    @Test
    void readingAScopesMessageMarksItReadForThatUserAloneAndChangesNothingWithoutInclude(TestApi api) {
        TestApi.Response marked = api.get("/messages/set-read/user/200/message/later-news,breaking,own-1?include=everyone");
        assertThat(marked.status).isEqualTo(200);
        assertThat(ids(arrayOfIds(marked.body.get("messages-receipted")))).containsExactlyInAnyOrder("later-news", "breaking", "own-1");
        assertThat(api.get("/messages/set-read/user/200/message/later-news?include=everyone").body.get("messages-receipted"))
                .as("read already: not reported again").isEmpty();
        Map<String, Integer> read = readState(api.get(EVERYONE).body.get("messages"));
        assertThat(read).containsEntry("later-news", 1).containsEntry("breaking", 1).containsEntry("own-1", 1)
                .containsEntry("politics", 0).containsEntry("account-news", 0);
        assertThat(readState(api.get("/messages/user/201?include=everyone").body.get("messages")))
                .as("another user's read state of the same broadcast").containsEntry("later-news", 0);
        assertThat(ids(api.get("/messages/user/200").body.get("messages"))).as("the read mark is not in the user's history")
                .containsExactly("own-2", "breaking", "own-1");
        assertThat(api.get("/messages/set-read/user/200/message/sport").body.get("messages-receipted"))
                .as("without include, an id of no row of the user's changes nothing").isEmpty();
    }

    @Test
    void readAsOfMarksTheIncludedScopesMessagesOfThatTimeToo(TestApi api) {
        TestApi.Response marked = api.get("/messages/set-read/user/200/asof/3000?include=everyone,account:100");
        assertThat(ids(arrayOfIds(marked.body.get("messages-receipted")))).containsExactlyInAnyOrder("own-1", "breaking",
                "later-news", "account-news");
        Map<String, Integer> read = readState(api.get(EVERYONE).body.get("messages"));
        assertThat(read).containsEntry("later-news", 1).containsEntry("account-news", 1).containsEntry("politics", 0)
                .containsEntry("own-2", 0);
    }

    @Test
    void aBadIncludeIsRefusedWithTheReason(TestApi api) {
        for (String[] bad : new String[][] {
            {"include=all", "include takes everyone, account:<accountId> and topic:<topic>"},
            {"include=account:", "invalid include account"},
            {"include=topic:a%20b", "invalid include topic"},
            {"include=everyone,,account:1", "include takes everyone"},
            {"include=" + "topic:t,".repeat(53) + "everyone", "include names at most 52 scopes"},
        }) {
            TestApi.Response r = api.get("/messages/user/200?" + bad[0]);
            assertThat(r.status).as(bad[0]).isEqualTo(400);
            assertThat(r.body.get("message").asText()).as(bad[0]).contains(bad[1]);
        }
    }

    /** The receipt's ids as message objects, for {@link #ids}. */
    private static JsonNode arrayOfIds(JsonNode ids) {
        com.fasterxml.jackson.databind.node.ArrayNode out = new com.fasterxml.jackson.databind.ObjectMapper().createArrayNode();
        ids.forEach(id -> out.addObject().put("messageId", id.asText()));
        return out;
    }
}
