package io.sqsbrowser.event;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sqsbrowser.deadletter.DeadLetter;
import io.sqsbrowser.deadletter.Parsed;
import io.sqsbrowser.session.SessionRecord;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EventParserTest {
    /** A new deployment's rules: everyone only when said. */
    private final EventParser parser = new EventParser(262_144);
    /** The original system's rule, for its existing producers: no routing field is everyone. */
    private final EventParser original = new EventParser(262_144, false, false);

    private Parsed<DeliveryEvent> parse(String json) {
        return parse(parser, json);
    }

    private static Parsed<DeliveryEvent> parse(EventParser p, String json) {
        return p.parse(json.getBytes(StandardCharsets.UTF_8), "events", "shardId-000000000001", "4960001", 1234L);
    }

    private DeliveryEvent valid(String json) {
        Parsed<DeliveryEvent> p = parse(json);
        assertThat(p.deadLetter).as("dead letter of %s", json).isNull();
        return p.value;
    }

    private DeadLetter invalid(String json) {
        Parsed<DeliveryEvent> p = parse(json);
        assertThat(p.value).as("event from %s", json).isNull();
        return p.deadLetter;
    }

    @Test
    void scopeFollowsTheRoutingFieldsPresent() {
        assertThat(valid("{\"message\":\"all\",\"_everyone\":true}").scope()).isEqualTo(DeliveryEvent.Scope.EVERYONE);
        assertThat(valid("{\"accountId\":100}").scope()).isEqualTo(DeliveryEvent.Scope.ACCOUNT);
        assertThat(valid("{\"accountId\":100,\"userId\":\"200\"}").scope()).isEqualTo(DeliveryEvent.Scope.USER);
        assertThat(valid("{\"userId\":200,\"sessionId\":\"s-1\"}").scope()).isEqualTo(DeliveryEvent.Scope.SESSION);
        assertThat(valid("{\"accountId\":100,\"sessionId\":\"s-1\"}").scope()).isEqualTo(DeliveryEvent.Scope.SESSION);
        assertThat(valid("{\"topic\":\"politics\"}").scope()).isEqualTo(DeliveryEvent.Scope.TOPIC);
        assertThat(valid("{\"topic\":\"politics\",\"accountId\":100}").scope()).isEqualTo(DeliveryEvent.Scope.TOPIC);
        assertThat(valid("{\"topic\":\"politics\",\"userId\":200}").scope()).isEqualTo(DeliveryEvent.Scope.USER);
        assertThat(DeliveryEvent.Scope.TOPIC.fansOut()).isTrue();
    }

    /** The routing table of SPEC §3 for topics: a session receives a topic event when it follows the topic and matches the rest. */
    @Test
    void aTopicEventReachesFollowersThatMatchEveryOtherRoutingField() {
        SessionRecord follower = session("100", "200", "s-1", "politics", "world");
        SessionRecord otherAccount = session("101", "201", "s-2", "politics");
        SessionRecord notFollowing = session("100", "202", "s-3", "sport");
        DeliveryEvent topic = valid("{\"topic\":\"politics\"}");
        assertThat(follower.matches(topic)).isTrue();
        assertThat(otherAccount.matches(topic)).isTrue();
        assertThat(notFollowing.matches(topic)).isFalse();
        DeliveryEvent inAccount = valid("{\"topic\":\"politics\",\"accountId\":100}");
        assertThat(follower.matches(inAccount)).isTrue();
        assertThat(otherAccount.matches(inAccount)).isFalse();
        DeliveryEvent ofUser = valid("{\"topic\":\"world\",\"userId\":200}");
        assertThat(follower.matches(ofUser)).isTrue();
        assertThat(session("100", "200", "s-4").matches(ofUser)).as("the user's session that does not follow it").isFalse();
        assertThat(valid("{\"topic\":\"Politics\"}").topic).as("names are case-sensitive").isEqualTo("Politics");
        assertThat(follower.matches(valid("{\"topic\":\"Politics\"}"))).isFalse();
    }

    private static SessionRecord session(String accountId, String userId, String sessionId, String... topics) {
        SessionRecord s = new SessionRecord();
        s.accountId = accountId;
        s.userId = userId;
        s.sessionId = sessionId;
        s.topics = topics;
        return s;
    }

    @Test
    void idsAreComparedInCanonicalForm() {
        DeliveryEvent numeric = valid("{\"accountId\":100,\"userId\":200}");
        DeliveryEvent text = valid("{\"accountId\":\"100\",\"userId\":\"200\"}");
        assertThat(numeric.userId).isEqualTo(text.userId).isEqualTo("200");
        assertThat(numeric.accountId).isEqualTo("100");
        assertThat(session("100", "200", "any").matches(numeric)).isTrue();
        assertThat(session("101", "200", "any").matches(numeric)).isFalse();
        assertThat(valid("{\"userId\":\"a.b_c:d@e-f\"}").userId).isEqualTo("a.b_c:d@e-f");
    }

    @Test
    void messageIdIsKeptWhenGivenAndDerivedFromTheRecordOtherwise() throws Exception {
        assertThat(valid("{\"_everyone\":true,\"messageId\":\"ypLM2huuI7tZXiUD1o_5wg9cQK8=\"}").messageId).isEqualTo("ypLM2huuI7tZXiUD1o_5wg9cQK8=");
        DeliveryEvent first = valid("{\"message\":\"x\",\"_everyone\":true}");
        DeliveryEvent replayed = valid("{\"message\":\"x\",\"_everyone\":true}");
        assertThat(first.messageId).isEqualTo(replayed.messageId)
                .isEqualTo(EventParser.derivedMessageId("shardId-000000000001", "4960001"))
                .isNotEqualTo(EventParser.derivedMessageId("shardId-000000000001", "4960002"))
                .isNotEqualTo(EventParser.derivedMessageId("shardId-000000000002", "4960001"));
        // The message clients receive carries the id.
        assertThat(new ObjectMapper().readTree(first.payload).get("messageId").asText()).isEqualTo(first.messageId);
        assertThat(first.arrivalMillis).isEqualTo(1234L);
    }

    @Test
    void flagsAndTypeAreRead() {
        DeliveryEvent e = valid("{\"_sqs_only\":true,\"_type\":\"message-read-receipt\",\"userId\":1}");
        assertThat(e.sqsOnly).isTrue();
        assertThat(e.type).isEqualTo("message-read-receipt");
        assertThat(valid("{\"_everyone\":true}").sqsOnly).isFalse();
    }

    @ParameterizedTest(name = "_sqs_only {0} -> {1}")
    @CsvSource(delimiter = '|', value = {"true | true", "1 | true", "'\"1\"' | true", "'\"true\"' | true",
        "false | false", "0 | false", "'\"0\"' | false", "'\"false\"' | false"})
    void sqsOnlyAcceptsTheOriginalProducersSpellings(String value, boolean sqsOnly) {
        assertThat(valid("{\"_sqs_only\":" + value + ",\"userId\":1}").sqsOnly).isEqualTo(sqsOnly);
    }

    /** In either mode, a routing field spelt with other case, {@code _} or {@code -} is refused, never an ordinary field. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {"userid", "user_id", "UserId", "USERID", "user-id", "account_id", "AccountID",
        "sessionid", "Session_Id", "_userId", "userId_", "Topic", "TOPIC", "_topic", "topic_"})
    void aRoutingFieldSpeltOtherwiseIsADeadLetterInEitherMode(String key) {
        for (EventParser p : List.of(parser, original)) {
            DeadLetter d = parse(p, "{\"" + key + "\":\"200\",\"message\":\"for one user only\"}").deadLetter;
            assertThat(d.reason).startsWith("invalid routing field: '" + key + "' is not spelt");
            // Also when the right spelling is present beside it: the producer meant something else.
            assertThat(parse(p, "{\"userId\":\"1\",\"" + key + "\":\"200\"}").deadLetter.reason).contains("is not spelt");
        }
    }

    /**
     * Where a missing routing field means everyone (the original system's rule), every key a person would read as a
     * routing field is refused: spaces, punctuation, invisible characters of every kind, letters of other scripts,
     * small capitals and digits that pass for letters, a letter mistaken for one it looks like, typed twice or once
     * where it is doubled, two letters swapped.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "'userId '|a trailing space", "' userId'|a leading space", "user Id|a space inside", "user\tId|a tab",
        "user\u200bId|a zero-width space", "user\u00adId|a soft hyphen", "\u200euserId|a left-to-right mark",
        "user\u2060Id|a word joiner", "us\u0435rId|a Cyrillic e", "\u0430ccountId|a Cyrillic a", "sessi\u03bfnId|a Greek o",
        "\uff55serId|a fullwidth u", "userld|l for I", "usreId|two letters swapped", "accuontId|two letters swapped",
        "acountId|one c of two", "sesionId|one s of two", "u\u0455erId|a Cyrillic dze", "tpoic|two letters swapped",
        "t\u043epic|a Cyrillic o", "'topic '|a trailing space", "'USER_ID '|case, underscore and a space",
        "userIdd|d typed twice", "acccountId|c typed three times", "topicc|c typed twice", "sessionIdd|d typed twice",
        "$userId|a dollar", "userId:|a colon", "@accountId|an at sign", "user.Id|a dot", "'\"userId\"'|quotes",
        "user\u034fId|a combining grapheme joiner", "userId\ufe0f|a variation selector", "user\u2800Id|a Braille blank",
        "user\u3164Id|a Hangul filler", "\u115fuserId|a Hangul choseong filler", "us\u0332erId|a combining low line",
        "us3r1d|3 for e and 1 for I", "t0p1c|0 for o and 1 for i", "\u1d1c\ua731erId|small capitals u and s",
        "acc0untId|0 for o", "sess10nId|1 for i and 0 for o", "us\u00e9rId|an accented e", "\u0422opic|a Cyrillic T"})
    void aKeyThatReadsAsARoutingFieldIsADeadLetterNotABroadcast(String escaped, String what) {
        String key = unescape(escaped);
        DeadLetter d = parse(original, JSON_QUOTE(key) + ":\"200\",\"message\":\"for one user only\"}").deadLetter;
        assertThat(d).as(what).isNotNull();
        assertThat(d.reason).as(what).startsWith("invalid routing field: '").contains("' is not spelt ");
        assertThat(d.reason).as("the reason shows what was sent, invisible characters named").doesNotContain("\u200b");
    }

    /** Fields producers really send stay ordinary fields, in the original system's mode too: a heuristic that refused them would refuse real events. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {"userIds", "userIp", "user_ip", "sessionIp", "accounted", "toxic", "topi", "topics",
        "topicId", "userName", "username", "users", "account", "accounts", "accountIds", "accountName", "accountType",
        "session", "sessions", "sessionStart", "sessionCount", "sessionToken", "topicName", "topicSlug", "topical", "tropic",
        "subtopic", "userAgent", "userRole", "userEmail", "userLocale", "userIdx", "myUserId", "userId2", "usrId", "user",
        "id", "uid", "headline", "message", "title", "body", "url", "image", "priority", "category", "section", "source",
        "author", "lang", "region", "country", "deviceId", "clientId", "tenantId", "orgId", "groupId", "channelId",
        "eventId", "itemId", "articleId", "storyId", "postId", "threadId", "accountRegion", "userTier", "ip"})
    void keysThatOnlyResembleRoutingFieldsAreOrdinaryFields(String key) {
        assertThat(parse(original, "{\"" + key + "\":\"x\"}").value).as(key).isNotNull()
                .extracting(DeliveryEvent::scope).isEqualTo(DeliveryEvent.Scope.EVERYONE);
    }

    /** Where a missing routing field means everyone, one nested in an object routes nothing: the event is refused, not broadcast. */
    @Test
    void aRoutingFieldNestedInAnObjectIsRefusedWhereItsEventWouldReachEveryone() {
        assertThat(parse(original, "{\"data\":{\"userId\":200},\"message\":\"for one user\"}").deadLetter.reason)
                .startsWith("invalid routing: 'userId' is nested in an object");
        assertThat(parse(original, "{\"items\":[{\"meta\":{\"t0pic\":\"politics\"}}]}").deadLetter.reason)
                .startsWith("invalid routing: 't0pic' is nested");
        assertThat(parse(original, "{\"userId\":7,\"author\":{\"userId\":200}}").value.userId).as("routed: the nested one is data")
                .isEqualTo("7");
        assertThat(parse(original, "{\"_everyone\":true,\"author\":{\"userId\":200}}").value.scope()).as("everyone, as said")
                .isEqualTo(DeliveryEvent.Scope.EVERYONE);
        assertThat(parse(parser, "{\"data\":{\"userId\":200}}").deadLetter.reason).as("by default: no audience")
                .startsWith(EventParser.NO_AUDIENCE);
    }

    /** By default everyone is said, not guessed: an event with no audience is a dead letter, whatever its keys look like. */
    @Test
    void byDefaultABroadcastMustSaySoAndNothingElseMaySay() {
        assertThat(invalid("{\"message\":\"all?\"}").reason).startsWith("no audience: ");
        assertThat(invalid("{\"userld\":200,\"message\":\"for one user\"}").reason).as("a typo is no broadcast")
                .startsWith("no audience: ");
        assertThat(valid("{\"message\":\"all\",\"_everyone\":true}").scope()).isEqualTo(DeliveryEvent.Scope.EVERYONE);
        assertThat(valid("{\"message\":\"all\",\"_everyone\":1}").scope()).isEqualTo(DeliveryEvent.Scope.EVERYONE);
        assertThat(valid("{\"userId\":1,\"userIp\":\"10.0.0.1\"}").scope()).isEqualTo(DeliveryEvent.Scope.USER);
        // In either mode: a marker that contradicts the routing fields, or denies any audience, is refused.
        for (EventParser p : List.of(parser, original)) {
            assertThat(parse(p, "{\"userId\":1,\"_everyone\":true}").deadLetter.reason).startsWith("contradictory audience");
            assertThat(parse(p, "{\"_everyone\":false}").deadLetter.reason).startsWith("no audience");
            assertThat(parse(p, "{\"_everyone\":\"yes\"}").deadLetter.reason).startsWith("invalid _everyone");
        }
        assertThat(parse(original, "{\"message\":\"all\"}").value.scope()).as("the original system's rule")
                .isEqualTo(DeliveryEvent.Scope.EVERYONE);
    }

    /** Where topics are names within an account, a topic event names its account. */
    @Test
    void topicsScopedByAccountNeedTheAccount() {
        EventParser byAccount = new EventParser(262_144, true, true);
        assertThat(parse(byAccount, "{\"topic\":\"politics\"}").deadLetter.reason)
                .isEqualTo("invalid routing: topic needs accountId beside it (topics are names within an account here)");
        DeliveryEvent e = parse(byAccount, "{\"topic\":\"politics\",\"accountId\":\"a1\"}").value;
        assertThat(e.topic).isEqualTo("politics");
        assertThat(e.accountId).isEqualTo("a1");
        assertThat(valid("{\"topic\":\"politics\"}").scope()).as("one namespace by default").isEqualTo(DeliveryEvent.Scope.TOPIC);
    }

    private static String JSON_QUOTE(String key) {
        return "{" + new com.fasterxml.jackson.databind.node.TextNode(key).toString();
    }

    private static String unescape(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '\\' && s.charAt(i + 1) == 'u') {
                out.append((char) Integer.parseInt(s.substring(i + 2, i + 6), 16));
                i += 5;
            } else if (s.charAt(i) == '\\' && s.charAt(i + 1) == 't') {
                out.append('\t');
                i++;
            } else {
                out.append(s.charAt(i));
            }
        }
        return out.toString();
    }

    @Test
    void aSessionIdAloneCouldReachOtherUsersAndIsRefused() {
        assertThat(invalid("{\"sessionId\":\"s-1\"}").reason)
                .isEqualTo("invalid routing: sessionId needs userId or accountId beside it");
    }

    @Test
    void duplicateKeysAndTrailingDataAreRefused() {
        assertThat(invalid("{\"userId\":\"1\",\"userId\":\"2\"}").reason).startsWith("not a JSON object: Duplicate field 'userId'");
        assertThat(invalid("{\"userId\":\"1\"} {\"userId\":\"2\"}").reason).startsWith("not a JSON object: Trailing token");
    }

    @Test
    void absurdNestingIsRefusedWithoutHarm() {
        String deep = "{\"a\":".repeat(10_000) + "1" + "}".repeat(10_000);
        assertThat(invalid(deep).reason).startsWith("not a JSON object: Document nesting depth");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "not json at all                          | not a JSON object",
        "[1,2,3]                                  | not a JSON object",
        "\"a string\"                             | not a JSON object",
        "''                                       | not a JSON object",
        "{\"userId\":{\"id\":1}}                  | invalid routing field: userId must be an integer or a string",
        "{\"userId\":2.5}                         | invalid routing field: userId must be an integer or a string",
        "{\"userId\":null}                        | invalid routing field: userId must be an integer or a string",
        "{\"userId\":true}                        | invalid routing field: userId must be an integer or a string",
        "{\"userId\":\"\"}                        | invalid routing field: userId must have 1 to 128 characters",
        "{\"accountId\":\"a b\"}                  | invalid routing field: accountId may only contain",
        "{\"accountId\":\"x/y\"}                  | invalid routing field: accountId may only contain",
        "{\"sessionId\":42,\"userId\":1}            | invalid routing field: sessionId must be a string",
        "{\"sessionId\":\"*\",\"userId\":1}         | invalid routing field: sessionId may only contain",
        "{\"_everyone\":true,\"_sqs_only\":\"yes\"}                | invalid _sqs_only: must be true, false, 1, 0",
        "{\"_everyone\":true,\"_sqs_only\":2}                      | invalid _sqs_only: must be true, false, 1, 0",
        "{\"_everyone\":true,\"_sqs_only\":null}                   | invalid _sqs_only: must be true, false, 1, 0",
        "{\"_everyone\":true,\"_sqs_only\":[true]}                 | invalid _sqs_only: must be true, false, 1, 0",
        "{\"userId\":1e400}                       | invalid routing field: userId must be an integer or a string",
        "{\"userId\":-5}                          | invalid routing field: userId must be an integer from 0 to 9223372036854775807",
        "{\"accountId\":99999999999999999999999}  | invalid routing field: accountId must be an integer from 0 to",
        "{\"_everyone\":true,\"_type\":7}                          | invalid _type: must be a string",
        "{\"_everyone\":true,\"messageId\":7}                      | invalid messageId",
        "{\"_everyone\":true,\"messageId\":\"\"}                   | invalid messageId",
        "{\"_everyone\":true,\"messageId\":\"has space\"}          | invalid messageId",
        "{\"topic\":7}                            | invalid routing field: topic must be a string, got NUMBER",
        "{\"topic\":[\"a\",\"b\"]}                  | invalid routing field: topic must be a string, got ARRAY",
        "{\"topic\":null}                         | invalid routing field: topic must be a string, got NULL",
        "{\"topic\":\"\"}                         | invalid routing field: topic must have 1 to 64 characters",
        "{\"topic\":\"a,b\"}                      | invalid routing field: topic may only contain",
        "{\"topic\":\"politics \"}                | invalid routing field: topic may only contain",
        "{\"topic\":\"\\u00e9lection\"}               | invalid routing field: topic may only contain",
    })
    void invalidEventsBecomeDeadLettersWithTheirReason(String json, String reason) {
        DeadLetter d = invalid(json);
        assertThat(d.reason).startsWith(reason);
        assertThat(d.stage).isEqualTo("event");
        assertThat(d.payload).isEqualTo(json);
        assertThat(d.source).isEqualTo("events/shardId-000000000001/4960001");
    }

    @Test
    void aMalformedRoutingFieldNeverWidensTheAudience() {
        // An account event with a broken userId is refused, not sent to the whole account.
        assertThat(invalid("{\"accountId\":100,\"userId\":[200]}").reason).contains("userId");
        assertThat(invalid("{\"accountId\":100,\"userId\":\"200\",\"sessionId\":\"\"}").reason).contains("sessionId");
        // A topic event of an account with a broken topic is refused, not sent to the whole account.
        assertThat(invalid("{\"accountId\":100,\"topic\":{\"name\":\"politics\"}}").reason).contains("topic");
        assertThat(invalid("{\"accountId\":100,\"Topic\":\"politics\"}").reason).contains("is not spelt topic");
    }

    @Test
    void tooLongIdsAreRefusedNotTruncated() {
        assertThat(invalid("{\"userId\":\"" + "u".repeat(129) + "\"}").reason).contains("1 to 128 characters");
        assertThat(valid("{\"userId\":\"" + "u".repeat(128) + "\"}").userId).hasSize(128);
        assertThat(invalid("{\"sessionId\":\"" + "s".repeat(257) + "\"}").reason).contains("1 to 256 characters");
        assertThat(invalid("{\"topic\":\"" + "t".repeat(65) + "\"}").reason).contains("1 to 64 characters");
        assertThat(valid("{\"topic\":\"" + "t".repeat(64) + "\"}").topic).hasSize(64);
    }

    @Test
    void messagesThatWouldNotFitInSqsOnceEncryptedAreRefused() {
        EventParser small = new EventParser(1000);
        String big = "{\"_everyone\":true,\"message\":\"" + "x".repeat(800) + "\"}";
        Parsed<DeliveryEvent> p = small.parse(big.getBytes(StandardCharsets.UTF_8), "events", "s", "1", 0);
        assertThat(p.deadLetter.reason).startsWith("message too large");
        assertThat(small.parse("{\"message\":\"ok\",\"_everyone\":true}".getBytes(StandardCharsets.UTF_8), "events", "s", "1", 0).value).isNotNull();
    }

    @Test
    void bytesThatAreNotUtf8AreKeptInBase64() {
        byte[] junk = {(byte) 0xff, (byte) 0xfe, 0x01};
        DeadLetter d = parser.parse(junk, "events", "s", "1", 0).deadLetter;
        assertThat(d.payloadEncoding).isEqualTo("base64");
        assertThat(d.payload).isEqualTo("//4B");
        assertThat(d.toJson()).contains("\"reason\":\"not a JSON object");
    }

    @Test
    void hugeAndOddNumbersOutsideRoutingFieldsReachClientsAsValidJson() throws Exception {
        DeliveryEvent e = valid("{\"big\":1e400,\"tiny\":-1e-400,\"long\":123456789012345678901234567890,\"userId\":9223372036854775807}");
        JsonNode sent = new ObjectMapper().enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS).readTree(e.payload);
        assertThat(sent.get("big").decimalValue()).isEqualByComparingTo(new java.math.BigDecimal("1e400"));
        assertThat(sent.get("long").bigIntegerValue()).isEqualTo(new java.math.BigInteger("123456789012345678901234567890"));
        assertThat(new String(e.payload, StandardCharsets.UTF_8)).doesNotContain("Infinity");
        assertThat(e.userId).isEqualTo("9223372036854775807");
    }

    @Test
    void aFiveMegabyteStringIsRefusedAsTooLargeAndItsDeadLetterIsCapped() {
        String huge = "{\"userId\":1,\"message\":\"" + "z".repeat(5 * 1024 * 1024) + "\"}";
        DeadLetter d = invalid(huge);
        assertThat(d.reason).startsWith("message too large");
        assertThat(d.payloadTruncated).isTrue();
        assertThat(d.payloadBytes).isEqualTo(huge.length());
        assertThat(d.payload.length()).isLessThanOrEqualTo(DeadLetter.MAX_KEPT_PAYLOAD_BYTES);
    }
}
