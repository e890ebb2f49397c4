package io.sqsbrowser.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.TestApi;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * The smoke test sends an "everyone" message only when no reader has a live session: it must find one that comes
 * after any number of expired items, as on a table whose TTL deletes lazily (days after expiry, AWS says). Pages of
 * 10 here stand for pages of 1,000 there.
 */
@ExtendWith(EmulatorsExtension.class)
class LiveSessionsTest {
    @Test
    void aLiveSessionAfterThirtyPagesOfExpiredItemsIsCounted(TestApi api) {
        api.get("/create/acct/template-user/template");
        Map<String, AttributeValue> template = api.emulators.dynamoDb().getItem(b -> b.tableName(api.sessionTable)
                .key(Map.of("userId", s("template-user"), "sessionId", s("template")))).item();
        AttributeValue past = AttributeValue.builder().n(Long.toString(System.currentTimeMillis() / 1000 - 60)).build();
        List<WriteRequest> expired = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            Map<String, AttributeValue> item = new HashMap<>(template);
            item.put("userId", s("expired-" + i));
            item.put("sessionId", s("s" + i));
            item.put("expires", past);
            expired.add(WriteRequest.builder().putRequest(PutRequest.builder().item(item).build()).build());
        }
        for (int i = 0; i < expired.size(); i += 25) {
            List<WriteRequest> batch = expired.subList(i, i + 25);
            api.emulators.dynamoDb().batchWriteItem(b -> b.requestItems(Map.of(api.sessionTable, batch)));
        }
        setExpires(api, "template-user", "template", past);
        // The last item the scan reaches is the one live session.
        List<Map<String, AttributeValue>> order = new ArrayList<>();
        api.emulators.dynamoDb().scanPaginator(b -> b.tableName(api.sessionTable)).items().forEach(order::add);
        Map<String, AttributeValue> last = order.get(order.size() - 1);
        setExpires(api, last.get("userId").s(), last.get("sessionId").s(),
                AttributeValue.builder().n(Long.toString(System.currentTimeMillis() / 1000 + 3600)).build());

        assertThat(LiveSessions.others(next -> page(api, next), Set.of(), 50)).isEqualTo(1);
        assertThat(LiveSessions.others(next -> page(api, next), Set.of(last.get("sessionId").s()), 50)).as("its own").isZero();
    }

    private static com.fasterxml.jackson.databind.JsonNode page(TestApi api, String next) {
        return api.get("/status?limit=10" + (next == null ? "" : "&next=" + URLEncoder.encode(next, StandardCharsets.UTF_8))).body;
    }

    private static void setExpires(TestApi api, String userId, String sessionId, AttributeValue expires) {
        api.emulators.dynamoDb().updateItem(b -> b.tableName(api.sessionTable)
                .key(Map.of("userId", s(userId), "sessionId", s(sessionId)))
                .updateExpression("SET #e = :e").expressionAttributeNames(Map.of("#e", "expires"))
                .expressionAttributeValues(Map.of(":e", expires)));
    }

    private static AttributeValue s(String value) {
        return AttributeValue.builder().s(value).build();
    }
}
