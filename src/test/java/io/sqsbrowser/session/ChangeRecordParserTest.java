package io.sqsbrowser.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.deadletter.Parsed;
import io.sqsbrowser.local.ChangeRecords;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

class ChangeRecordParserTest {
    static final String KEY = Base64.getEncoder().encodeToString(new byte[32]);
    private final ChangeRecordParser parser = new ChangeRecordParser();

    static Map<String, AttributeValue> item(String userId, String sessionId, long version) {
        Map<String, AttributeValue> item = new HashMap<>();
        item.put("userId", AttributeValue.builder().n(userId).build());
        item.put("sessionId", AttributeValue.builder().s(sessionId).build());
        item.put("accountId", AttributeValue.builder().s("100").build());
        item.put("sqsUrl", AttributeValue.builder().s("http://sqs/q-" + sessionId).build());
        item.put("identityId", AttributeValue.builder().s("us-east-1:" + sessionId).build());
        item.put("aesKey", AttributeValue.builder().s(KEY).build());
        item.put("cipher", AttributeValue.builder().s("gcm").build());
        item.put("expires", AttributeValue.builder().n("1900000000").build());
        item.put("created", AttributeValue.builder().n("1700000000000").build());
        item.put("version", AttributeValue.builder().n(Long.toString(version)).build());
        return item;
    }

    private SessionRecord parse(byte[] record) {
        Parsed<SessionRecord> p = parser.parse(record, "changes", "shard-0", "1");
        assertThat(p.deadLetter).isNull();
        return p.value;
    }

    @Test
    void insertAndModifyCarryTheNewImage() {
        SessionRecord r = parse(ChangeRecords.insert(item("200", "s1", 1)));
        assertThat(r.key()).isEqualTo("200/s1");
        assertThat(r.accountId).isEqualTo("100");
        assertThat(r.queueUrl).isEqualTo("http://sqs/q-s1");
        assertThat(r.aesKey).hasSize(32);
        assertThat(r.cipher).isEqualTo(CipherFormat.GCM);
        assertThat(r.expires).isEqualTo(1_900_000_000L);
        assertThat(r.version).isEqualTo(1);
        assertThat(r.removed).isFalse();
        assertThat(parse(ChangeRecords.modify(item("200", "s1", 1), item("200", "s1", 2))).version).isEqualTo(2);
    }

    @Test
    void removeIsATombstoneOrderedByTheOldImage() {
        SessionRecord r = parse(ChangeRecords.remove(item("200", "s1", 3), true));
        assertThat(r.removed).isTrue();
        assertThat(r.version).isEqualTo(3);
        assertThat(r.created).isEqualTo(1_700_000_000_000L);
        assertThat(r.queueUrl).isEqualTo("http://sqs/q-s1");
        assertThat(r.identityId).isEqualTo("us-east-1:s1");
    }

    /**
     * {@code /destroy} deletes the queue before the item: only a TTL removal leaves the queue to the job's clean-up, which
     * otherwise asks SQS to delete a queue that is gone (and that the role's tag condition no longer lets it touch).
     */
    @Test
    void onlyATtlRemovalHandsTheQueueToTheCleanUp() {
        SessionRecord destroyed = parse(ChangeRecords.remove(item("200", "s1", 3), false));
        assertThat(destroyed.removed).isTrue();
        assertThat(destroyed.queueUrl).as("deleted by /destroy already").isNull();
        assertThat(destroyed.identityId).as("the identity is the job's to delete either way").isEqualTo("us-east-1:s1");
        assertThat(parse(ChangeRecords.remove(item("200", "s1", 3), true)).queueUrl).isEqualTo("http://sqs/q-s1");
    }

    @Test
    void removeWithoutOldImageOutranksEverythingCreatedBeforeIt() throws Exception {
        ObjectNode json = (ObjectNode) new ObjectMapper().readTree(ChangeRecords.remove(item("200", "s1", 3), false));
        ((ObjectNode) json.get("dynamodb")).remove("OldImage");
        SessionRecord r = parse(json.toString().getBytes(StandardCharsets.UTF_8));
        assertThat(r.key()).isEqualTo("200/s1");
        assertThat(r.removed).isTrue();
        assertThat(r.version).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void itemsOfTheOriginalSystemUseCtrAndVersionZero() {
        Map<String, AttributeValue> legacy = item("200", "s1", 0);
        legacy.remove("cipher");
        legacy.remove("version");
        legacy.remove("created");
        SessionRecord r = parse(ChangeRecords.insert(legacy));
        assertThat(r.cipher).isEqualTo(CipherFormat.CTR);
        assertThat(r.version).isZero();
    }

    @Test
    void theTopicsStringSetIsReadSortedAndABrokenOneRefusesTheItem() {
        Map<String, AttributeValue> following = item("200", "s1", 1);
        following.put("topics", AttributeValue.builder().ss("world", "election-night", "politics").build());
        assertThat(parse(ChangeRecords.insert(following)).topics).containsExactly("election-night", "politics", "world");
        assertThat(parse(ChangeRecords.insert(item("200", "s1", 1))).topics).isEmpty();

        Map<String, AttributeValue> badName = item("200", "s1", 1);
        badName.put("topics", AttributeValue.builder().ss("politics", "no spaces").build());
        assertThat(parser.parse(ChangeRecords.insert(badName), "c", "s", "1").deadLetter.reason)
                .contains("session item topics: topic may only contain");
        Map<String, AttributeValue> tooMany = item("200", "s1", 1);
        tooMany.put("topics", AttributeValue.builder().ss(java.util.stream.IntStream.range(0, 51).mapToObj(i -> "t" + i)
                .toArray(String[]::new)).build());
        assertThat(parser.parse(ChangeRecords.insert(tooMany), "c", "s", "1").deadLetter.reason).contains("follows 51 topics, at most 50");
        Map<String, AttributeValue> notASet = item("200", "s1", 1);
        notASet.put("topics", AttributeValue.builder().s("politics").build());
        assertThat(parser.parse(ChangeRecords.insert(notASet), "c", "s", "1").deadLetter.reason).contains("topics is not a string set");
    }

    @Test
    void unusableRecordsBecomeDeadLettersWithoutKeyMaterial() {
        Map<String, AttributeValue> badKey = item("200", "s1", 1);
        badKey.put("aesKey", AttributeValue.builder().s(Base64.getEncoder().encodeToString(new byte[16])).build());
        Parsed<SessionRecord> p = parser.parse(ChangeRecords.insert(badKey), "changes", "shard-0", "7");
        assertThat(p.deadLetter.reason).isEqualTo("invalid session change record: session item aesKey must be 32 bytes, has 16");
        assertThat(p.deadLetter.payload).contains("<redacted>").doesNotContain(badKey.get("aesKey").s());
        assertThat(p.deadLetter.source).isEqualTo("changes/shard-0/7");

        Map<String, AttributeValue> badUser = item("200", "s1", 1);
        badUser.put("userId", AttributeValue.builder().s("no spaces allowed").build());
        assertThat(parser.parse(ChangeRecords.insert(badUser), "c", "s", "1").deadLetter.reason).contains("userId may only contain");

        Map<String, AttributeValue> noUrl = item("200", "s1", 1);
        noUrl.remove("sqsUrl");
        assertThat(parser.parse(ChangeRecords.insert(noUrl), "c", "s", "1").deadLetter.reason).contains("has no sqsUrl");

        assertThat(parser.parse("nope".getBytes(StandardCharsets.UTF_8), "c", "s", "1").deadLetter.payload)
                .isEqualTo("{\"unreadableBytes\":4}");
        assertThat(parser.parse(ChangeRecords.record("UPSERT", item("1", "s", 1), null, false), "c", "s", "1")
                .deadLetter.reason).contains("unknown eventName 'UPSERT'");
    }

    /**
     * A client pins its session's cipher by the item's exact name and knows {@code ctr} and {@code gcm} only: an item
     * naming anything else (another spelling of one of them included) is refused, not encrypted for in a form the
     * client would refuse, or take for the other.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"GCM", "Ctr", "aes-256-gcm", "aes-256-ctr", "gcm ", "chacha20", "g1"})
    void aCipherNameTheClientsDoNotKnowRefusesTheItem(String cipher) {
        Map<String, AttributeValue> item = item("200", "s1", 1);
        item.put("cipher", AttributeValue.builder().s(cipher).build());
        assertThat(parser.parse(ChangeRecords.insert(item), "c", "s", "1").deadLetter.reason)
                .contains("unknown cipher '" + cipher + "' (the clients know ctr and gcm only)");
    }

    /** The item's rewind goes with its change to the job; one that is not a number of seconds refuses the item. */
    @Test
    void theRewindAskedForIsRead() {
        Map<String, AttributeValue> item = item("200", "s1", 1);
        item.put("rewind", AttributeValue.builder().n("600").build());
        assertThat(parse(ChangeRecords.insert(item)).rewindSeconds).isEqualTo(600);
        assertThat(parse(ChangeRecords.insert(item("200", "s1", 1))).rewindSeconds).isZero();
        item.put("rewind", AttributeValue.builder().n("-1").build());
        assertThat(parser.parse(ChangeRecords.insert(item), "c", "s", "1").deadLetter.reason).contains("rewind must be 0 or more");
    }

    @Test
    void toStringNeverShowsTheKey() {
        SessionRecord r = parse(ChangeRecords.insert(item("200", "s1", 1)));
        assertThat(r.toString()).doesNotContain(KEY).doesNotContain("aesKey");
    }
}
