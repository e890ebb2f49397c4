package io.sqsbrowser.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sqsbrowser.aws.QueueNames;
import io.sqsbrowser.client.MessageDecryptor;
import io.sqsbrowser.local.LocalIdentityServices;
import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.DynamoDbFaultProxy;
import io.sqsbrowser.testing.TestApi;
import io.sqsbrowser.local.Emulators;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

/** The session endpoints against dynalite and ElasticMQ, with the Cognito/STS test double. */
@ExtendWith(EmulatorsExtension.class)
class SessionApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Map<String, AttributeValue> item(TestApi api, String userId, String sessionId) {
        return api.emulators.dynamoDb().getItem(b -> b.tableName(api.sessionTable).consistentRead(true)
                .key(Map.of("userId", AttributeValue.builder().s(userId).build(),
                        "sessionId", AttributeValue.builder().s(sessionId).build()))).item();
    }

    private static boolean queueExists(TestApi api, String url) {
        try {
            api.emulators.sqs().getQueueAttributes(b -> b.queueUrl(url));
            return true;
        } catch (QueueDoesNotExistException e) {
            return false;
        }
    }

    @Test
    void createMakesAQueueAKeyAnIdentityAndAnItem(TestApi api) throws Exception {
        TestApi.Response r = api.get("/create/100/200/cbbd5ab3-46e9-11e7?MessageRetentionPeriod=600");
        assertThat(r.status).isEqualTo(200);
        assertThat(r.body.get("success").asBoolean()).isTrue();
        JsonNode s = r.body.get("session");
        assertThat(s.get("accountId").isNumber()).as("integer ids answer as numbers, as the original did").isTrue();
        assertThat(s.get("userId").asLong()).isEqualTo(200);
        assertThat(s.get("sessionId").asText()).isEqualTo("cbbd5ab3-46e9-11e7");
        assertThat(s.get("sqsQueueName").asText()).matches(api.queuePrefix + "-[A-Za-z0-9_-]{43}");
        assertThat(s.get("sqsUrl").asText()).endsWith("/" + s.get("sqsQueueName").asText());
        assertThat(s.get("accessKey").asText()).startsWith("ASIA");
        assertThat(s.get("secretKey").asText()).isNotEmpty();
        assertThat(s.get("sessionToken").asText()).isNotEmpty();
        assertThat(s.has("identityId")).as("the client never learns its Cognito identity").isFalse();
        assertThat(s.get("region").asText()).isEqualTo("us-east-1");
        assertThat(s.get("expires").asLong()).isGreaterThan(System.currentTimeMillis() / 1000 + 3000);
        assertThat(s.get("ttl").asLong()).isGreaterThanOrEqualTo(s.get("expires").asLong());
        assertThat(s.get("cipher").asText()).isEqualTo("gcm");
        new MessageDecryptor(s.get("aesKey").asText(), io.sqsbrowser.crypto.CipherFormat.GCM); // a valid 32-byte key

        String url = s.get("sqsUrl").asText();
        // ElasticMQ keeps no MessageRetentionPeriod to read back; its range is checked in SessionInputTest.
        assertThat(queueExists(api, url)).isTrue();
        Map<String, AttributeValue> item = item(api, "200", "cbbd5ab3-46e9-11e7");
        assertThat(item.get("accountId").s()).isEqualTo("100");
        assertThat(item.get("sqsUrl").s()).isEqualTo(url);
        assertThat(item.get("aesKey").s()).isEqualTo(s.get("aesKey").asText());
        assertThat(item.get("version").n()).isEqualTo("1");
        assertThat(item.get("identityId").s()).startsWith("us-east-1:");
    }

    @Test
    void theSessionPolicySentToStsNamesExactlyTheSessionsQueue(TestApi api) throws Exception {
        JsonNode s = api.get("/create/100/200/s1").body.get("session");
        LocalIdentityServices.Call assume = api.services.calls("AssumeRoleWithWebIdentity").get(0);
        JsonNode policy = JSON.readTree(assume.parameters.get("Policy"));
        JsonNode statement = policy.get("Statement");
        assertThat(statement).hasSize(1);
        assertThat(statement.get(0).get("Effect").asText()).isEqualTo("Allow");
        assertThat(statement.get(0).get("Resource").asText())
                .isEqualTo("arn:aws:sqs:us-east-1:000000000000:" + s.get("sqsQueueName").asText());
        List<String> actions = new ArrayList<>();
        statement.get(0).get("Action").forEach(a -> actions.add(a.asText()));
        assertThat(actions).containsExactlyInAnyOrder("sqs:ReceiveMessage", "sqs:DeleteMessage",
                "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes");
        assertThat(assume.parameters.get("RoleArn")).isEqualTo(api.deployment.sessionRoleArn);
        assertThat(assume.parameters.get("DurationSeconds")).isEqualTo("3600");
        // A developer-authenticated identity whose developer user, and principal tag, is the session's queue.
        LocalIdentityServices.Call token = api.services.calls("GetOpenIdTokenForDeveloperIdentity").get(0);
        String queueName = s.get("sqsQueueName").asText();
        assertThat(JSON.readTree(token.parameters.get("Logins")).get(api.deployment.developerProviderName).asText()).isEqualTo(queueName);
        assertThat(JSON.readTree(token.parameters.get("PrincipalTags")).get("sqs-browser-queue").asText()).isEqualTo(queueName);
        assertThat(token.parameters.get("IdentityPoolId")).isEqualTo(api.deployment.identityPoolId);
        assertThat(api.services.calls("GetId")).isEmpty();
        assertThat(api.services.calls("GetOpenIdToken")).isEmpty();
    }

    @Test
    void aCreateThatFailsAfterItsIdentityWasMadeDeletesTheIdentityAndTheQueue(TestApi api) {
        TestApi.Response r = api.with("SESSION_ROLE_ARN", "arn:aws:iam::000000000000:role/not-the-session-role").get("/create/100/200/s1");
        assertThat(r.status).isEqualTo(500);
        String identity = api.services.calls("GetOpenIdTokenForDeveloperIdentity").get(0).parameters.get("IdentityId");
        assertThat(identity).as("a new session asks for a new identity").isNull();
        assertThat(api.services.calls("DeleteIdentities")).hasSize(1);
        assertThat(api.emulators.sqs().listQueues(b -> b.queueNamePrefix(api.queuePrefix)).queueUrls()).isEmpty();
        assertThat(item(api, "200", "s1")).isEmpty();
    }

    @Test
    void createIsIdempotentAndRenewsTheCredentials(TestApi api) {
        JsonNode first = api.get("/create/100/200/s1").body.get("session");
        JsonNode again = api.get("/create/100/200/s1").body.get("session");
        assertThat(again.get("sqsUrl")).isEqualTo(first.get("sqsUrl"));
        assertThat(again.get("aesKey")).isEqualTo(first.get("aesKey"));
        assertThat(again.get("accessKey")).isNotEqualTo(first.get("accessKey"));
        assertThat(again.get("version").asLong()).isEqualTo(2);
        List<LocalIdentityServices.Call> tokens = api.services.calls("GetOpenIdTokenForDeveloperIdentity");
        assertThat(tokens).hasSize(2);
        assertThat(tokens.get(1).parameters.get("IdentityId")).as("the session keeps its identity")
                .isEqualTo(item(api, "200", "s1").get("identityId").s());
        assertThat(api.emulators.sqs().listQueues(b -> b.queueNamePrefix(api.queuePrefix)).queueUrls()).hasSize(1);

        TestApi.Response otherAccount = api.get("/create/999/200/s1");
        assertThat(otherAccount.status).isEqualTo(409);
        assertThat(otherAccount.body.get("success").asBoolean()).isFalse();
    }

    @Test
    void aCreateWhosePutSucceededButWhoseAnswerWasLostKeepsItsQueue(TestApi api) throws Exception {
        // DynamoDB wrote the item, the answer was lost, the SDK's retry then meets its own item.
        try (DynamoDbFaultProxy proxy = new DynamoDbFaultProxy(api.emulators.dynamoDbPort)) {
            api.with("ENDPOINT_DYNAMODB", proxy.endpoint());
            proxy.loseNextAnswer("PutItem");
            TestApi.Response r = api.get("/create/100/200/lost-answer");
            assertThat(r.status).isEqualTo(200);
            String url = r.body.get("session").get("sqsUrl").asText();
            assertThat(queueExists(api, url)).as("the session's queue survives the retry").isTrue();
            assertThat(item(api, "200", "lost-answer").get("sqsUrl").s()).isEqualTo(url);
        }
    }

    @Test
    void aSessionMayAskForTheOriginalSystemsCtrEnvelope(TestApi api) {
        assertThat(api.get("/create/100/200/legacy?cipher=ctr").body.get("session").get("cipher").asText()).isEqualTo("ctr");
        assertThat(item(api, "200", "legacy").get("cipher").s()).isEqualTo("ctr");
        assertThat(api.get("/create/100/200/odd?cipher=rot13").status).isEqualTo(400);
    }

    @Test
    void renewIssuesNewCredentialsAndBumpsVersionAndTtl(TestApi api) {
        JsonNode created = api.get("/create/100/200/s1").body.get("session");
        TestApi.Response renewed = api.get("/renew/100/200/s1");
        assertThat(renewed.status).isEqualTo(200);
        JsonNode s = renewed.body.get("session");
        assertThat(s.get("version").asLong()).isEqualTo(2);
        assertThat(s.get("sqsUrl")).isEqualTo(created.get("sqsUrl"));
        assertThat(s.get("sessionToken")).isNotEqualTo(created.get("sessionToken"));
        assertThat(item(api, "200", "s1").get("version").n()).isEqualTo("2");
        assertThat(api.get("/renew/100/200/missing").status).isEqualTo(404);
        assertThat(api.get("/renew/101/200/s1").status).as("another account's session is not revealed").isEqualTo(404);
    }

    @Test
    void destroyRemovesQueueAndItem(TestApi api) {
        String url = api.get("/create/100/200/s1").body.get("session").get("sqsUrl").asText();
        TestApi.Response r = api.get("/destroy/100/200/s1");
        assertThat(r.status).isEqualTo(200);
        assertThat(r.body.get("success").asBoolean()).isTrue();
        assertThat(queueExists(api, url)).isFalse();
        assertThat(item(api, "200", "s1")).isEmpty();
        assertThat(api.get("/status/100/200/s1").status).isEqualTo(404);
        assertThat(api.get("/destroy/100/200/s1").status).isEqualTo(404);
    }

    @Test
    void statusShowsOneSessionWithoutSecretsAndAllLiveSessionsPageByPage(TestApi api) {
        for (String s : new String[] {"a", "b", "c"}) {
            api.get("/create/100/200/" + s);
        }
        api.get("/create/100/201/expired");
        api.emulators.dynamoDb().updateItem(b -> b.tableName(api.sessionTable)
                .key(Map.of("userId", AttributeValue.builder().s("201").build(), "sessionId", AttributeValue.builder().s("expired").build()))
                .updateExpression("SET expires = :past").expressionAttributeValues(Map.of(":past", AttributeValue.builder().n("1000").build())));

        TestApi.Response one = api.get("/status/100/200/a");
        assertThat(one.status).isEqualTo(200);
        assertThat(one.body.get("session").get("sessionId").asText()).isEqualTo("a");
        assertThat(one.body.get("session").has("aesKey")).isFalse();
        assertThat(one.body.get("session").has("secretKey")).isFalse();

        List<String> seen = new ArrayList<>();
        String next = null;
        int pages = 0;
        do {
            TestApi.Response page = api.get("/status?limit=2" + (next == null ? "" : "&next=" + next));
            assertThat(page.status).isEqualTo(200);
            page.body.get("sessions").forEach(s -> {
                seen.add(s.get("sessionId").asText());
                assertThat(s.has("aesKey")).isFalse();
            });
            next = page.body.has("next") ? page.body.get("next").asText() : null;
            pages++;
        } while (next != null && pages < 10);
        assertThat(seen).containsExactlyInAnyOrder("a", "b", "c");
        assertThat(pages).isGreaterThan(1);
    }

    @Test
    void cleanupDeletesOnlyOldOrphanSessionQueuesOfItsOwnDeployment(TestApi api) {
        String owned = api.get("/create/100/200/s1").body.get("session").get("sqsUrl").asText();
        String orphanName = QueueNames.newName(api.queuePrefix);
        String orphan = createTagged(api, orphanName, api.deploymentId);
        String outside = api.emulators.sqs().createQueue(b -> b.queueName("x" + QueueNames.newName(api.queuePrefix))).queueUrl();
        String similar = api.emulators.sqs().createQueue(b -> b.queueName(api.queuePrefix + "other")).queueUrl();
        String notShaped = api.emulators.sqs().createQueue(b -> b.queueName(api.queuePrefix + "-dead-letters")).queueUrl();
        String untagged = api.emulators.sqs().createQueue(b -> b.queueName(QueueNames.newName(api.queuePrefix))).queueUrl();
        // A dead-letter queue is never deleted, even when named and tagged like a session queue.
        String deadLetters = createTagged(api, QueueNames.newName(api.queuePrefix), api.deploymentId);
        api.with("DEAD_LETTER_QUEUE_URL", deadLetters);

        TestApi.Response young = api.get("/cleanup");
        assertThat(young.status).isEqualTo(200);
        assertThat(young.body.get("deleted")).isEmpty();
        assertThat(young.body.get("keptYoung").asInt()).isEqualTo(1);
        assertThat(queueExists(api, orphan)).as("a queue younger than the margin is never deleted").isTrue();

        TestApi.Response old = api.with("CLEANUP_MIN_AGE_SECONDS", "0").get("/cleanup");
        assertThat(old.body.get("deleted")).extracting(JsonNode::asText).containsExactly(orphanName);
        assertThat(old.body.get("keptNotThisDeployment").asInt()).isEqualTo(1);
        assertThat(queueExists(api, orphan)).isFalse();
        assertThat(queueExists(api, owned)).isTrue();
        assertThat(queueExists(api, outside)).isTrue();
        assertThat(queueExists(api, similar)).as("same letters but not the prefix and its dash").isTrue();
        assertThat(queueExists(api, notShaped)).as("under the prefix but not a session queue's shape").isTrue();
        assertThat(queueExists(api, untagged)).as("a session-shaped queue this deployment did not tag").isTrue();
        assertThat(queueExists(api, deadLetters)).as("the dead-letter queue").isTrue();
    }

    @Test
    void aSessionQueueCarriesItsDeploymentsTag(TestApi api) {
        String url = api.get("/create/100/200/s1").body.get("session").get("sqsUrl").asText();
        assertThat(api.emulators.sqs().listQueueTags(b -> b.queueUrl(url)).tags())
                .containsEntry(QueueNames.DEPLOYMENT_TAG, api.deploymentId);
    }

    /**
     * Two deployments in one account, side by side: prefixes derived from their environments, one whose prefix
     * begins with the other's, and two that were given the same prefix by mistake. No clean-up, however old the
     * queues, deletes another deployment's queue, orphaned or not.
     */
    @Test
    void twoDeploymentsInOneAccountNeverCleanUpEachOthersQueues(TestApi prod, Emulators emulators) throws Exception {
        try (TestApi staging = new TestApi(emulators);
             TestApi longerPrefix = new TestApi(emulators, LocalIdentityServices.PrincipalTags.DROPPED, Map.of("QueuePrefix", prod.queuePrefix + "-x"));
             TestApi samePrefix = new TestApi(emulators, LocalIdentityServices.PrincipalTags.DROPPED, Map.of("QueuePrefix", prod.queuePrefix))) {
            List<TestApi> deployments = List.of(prod, staging, longerPrefix, samePrefix);
            List<String> live = new ArrayList<>();
            List<String> orphans = new ArrayList<>();
            for (TestApi d : deployments) {
                live.add(d.get("/create/100/200/s1").body.get("session").get("sqsUrl").asText());
                String orphan = d.get("/create/100/200/gone").body.get("session").get("sqsUrl").asText();
                d.emulators.dynamoDb().deleteItem(b -> b.tableName(d.sessionTable).key(Map.of(
                        "userId", AttributeValue.builder().s("200").build(), "sessionId", AttributeValue.builder().s("gone").build())));
                orphans.add(orphan);
                d.with("CLEANUP_MIN_AGE_SECONDS", "0");
            }
            for (int i = 0; i < deployments.size(); i++) {
                TestApi.Response r = deployments.get(i).get("/cleanup");
                assertThat(r.body.get("deleted")).as("deployment %d deletes its own orphan only", i)
                        .extracting(JsonNode::asText).containsExactly(QueueNames.name(orphans.get(i)));
                for (int j = 0; j < deployments.size(); j++) {
                    assertThat(queueExists(prod, live.get(j))).as("deployment %d's live session after %d's clean-up", j, i).isTrue();
                    assertThat(queueExists(prod, orphans.get(j))).as("deployment %d's orphan after %d's clean-up", j, i).isEqualTo(j > i);
                }
            }
        }
    }

    /** A tampered, made-up or foreign page token is a bad request, never an error of DynamoDB's answered 500. */
    @Test
    void aTamperedNextTokenIsABadRequest(TestApi api) {
        api.get("/create/100/200/a");
        String other = token("{\"userId\":{\"S\":\"300\"},\"messageId\":{\"S\":\"m\"},\"created\":{\"N\":\"1\"}}");
        for (String next : List.of("garbage!", token("[1]"), token("{\"x\":{\"S\":\"y\"}}"),
                token("{\"userId\":{\"S\":\"200\"},\"sessionId\":{\"N\":\"abc\"}}"),
                token("{\"userId\":{\"S\":\"200\"},\"sessionId\":{\"S\":\"a\"},\"extra\":{\"S\":\"b\"}}"))) {
            TestApi.Response r = api.get("/status?next=" + next);
            assertThat(r.status).as(next).isEqualTo(400);
            assertThat(r.body.get("message").asText()).isEqualTo("invalid next token");
        }
        assertThat(api.get("/messages/user/200?next=" + other).status).as("another user's history").isEqualTo(400);
        assertThat(api.get("/status?next=" + token("{\"userId\":{\"S\":\"200\"},\"sessionId\":{\"S\":\"a\"}}")).status).isEqualTo(200);
    }

    private static String token(String json) {
        return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static String createTagged(TestApi api, String name, String deployment) {
        return api.emulators.sqs().createQueue(b -> b.queueName(name).tags(Map.of(QueueNames.DEPLOYMENT_TAG, deployment))).queueUrl();
    }
}
