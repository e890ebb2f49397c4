package io.sqsbrowser.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.aws.QueueNames;
import io.sqsbrowser.local.LocalIdentityServices;
import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.TestApi;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cognitoidentity.CognitoIdentityClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.Credentials;

/**
 * The attacker holds everything {@code /create} gave a session (queue URL, key, credentials) and knows the pool
 * id, the role ARN and even the session's Cognito identity id, which the API never returns. Every AWS call
 * within reach is tried: only the four actions on the session's own queue pass. The local SQS endpoint checks
 * signatures and evaluates the session role's policy (as the template declares it) and the session policy, as
 * IAM does; the local Cognito and STS follow AWS's rules for the calls used.
 */
@ExtendWith(EmulatorsExtension.class)
class SessionCredentialsAttackTest {
    private TestApi api;
    private JsonNode mine;
    private JsonNode other;

    /**
     * A deployment whose Cognito carries principal tags into the credentials, or not (AWS does not say which): each
     * wall is attacked on its own, the session policy where there is no tag, the tag where there is no session policy.
     */
    private void twoSessions(Emulators emulators, LocalIdentityServices.PrincipalTags principalTags) throws Exception {
        api = new TestApi(emulators, principalTags);
        mine = api.get("/create/100/200/mine").body.get("session");
        other = api.get("/create/100/300/other").body.get("session");
    }

    @AfterEach
    void close() {
        api.close();
    }

    private AwsCredentialsProvider stolen() {
        return StaticCredentialsProvider.create(AwsSessionCredentials.create(mine.get("accessKey").asText(),
                mine.get("secretKey").asText(), mine.get("sessionToken").asText()));
    }

    private SqsClient sqs(AwsCredentialsProvider credentials) {
        return SqsClient.builder().region(Region.US_EAST_1).credentialsProvider(credentials)
                .endpointOverride(URI.create(api.emulators.gateway().endpoint())).build();
    }

    private static void refused(Runnable call, String code) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(AwsServiceException.class,
                e -> assertThat(e.awsErrorDetails().errorCode()).isEqualTo(code));
    }

    @ParameterizedTest
    @EnumSource(LocalIdentityServices.PrincipalTags.class)
    void theCredentialsReachTheirOwnQueueAndNothingElse(LocalIdentityServices.PrincipalTags tags, Emulators emulators) throws Exception {
        twoSessions(emulators, tags);
        String own = mine.get("sqsUrl").asText();
        String others = other.get("sqsUrl").asText();
        api.emulators.sqs().sendMessage(b -> b.queueUrl(own).messageBody("for mine"));
        try (SqsClient sqs = sqs(stolen())) {
            var received = sqs.receiveMessage(b -> b.queueUrl(own).waitTimeSeconds(1)).messages();
            assertThat(received).hasSize(1);
            sqs.changeMessageVisibility(b -> b.queueUrl(own).receiptHandle(received.get(0).receiptHandle()).visibilityTimeout(0));
            sqs.deleteMessage(b -> b.queueUrl(own).receiptHandle(received.get(0).receiptHandle()));
            assertThat(sqs.getQueueAttributes(b -> b.queueUrl(own)).attributes()).isNotNull();

            refused(() -> sqs.receiveMessage(b -> b.queueUrl(others)), "AccessDenied");
            refused(() -> sqs.receiveMessage(b -> b.queueUrl(api.deadLetterQueue)), "AccessDenied");
            refused(() -> sqs.sendMessage(b -> b.queueUrl(own).messageBody("forged")), "AccessDenied");
            refused(() -> sqs.sendMessage(b -> b.queueUrl(others).messageBody("forged")), "AccessDenied");
            refused(() -> sqs.deleteQueue(b -> b.queueUrl(own)), "AccessDenied");
            refused(() -> sqs.purgeQueue(b -> b.queueUrl(others)), "AccessDenied");
            refused(() -> sqs.setQueueAttributes(b -> b.queueUrl(own).attributesWithStrings(Map.of("Policy", "{}"))), "AccessDenied");
            refused(() -> sqs.listQueues(), "AccessDenied");
            refused(() -> sqs.createQueue(b -> b.queueName(api.queuePrefix + "-mine")), "AccessDenied");
        }
        assertThat(api.emulators.sqs().getQueueAttributes(b -> b.queueUrl(others)).attributes()).isNotNull();
    }

    @Test
    void noCognitoOrStsCallTurnsWhatTheClientHoldsIntoMoreAccess(Emulators emulators) throws Exception {
        twoSessions(emulators, LocalIdentityServices.PrincipalTags.CARRIED);
        String identityId = api.emulators.dynamoDb().getItem(b -> b.tableName(api.sessionTable).consistentRead(true)
                .key(Map.of("userId", AttributeValue.builder().s("200").build(), "sessionId", AttributeValue.builder().s("mine").build())))
                .item().get("identityId").s();
        URI identityEndpoint = URI.create(api.services.endpoint());
        try (CognitoIdentityClient anonymous = CognitoIdentityClient.builder().region(Region.US_EAST_1)
                .credentialsProvider(AnonymousCredentialsProvider.create()).endpointOverride(identityEndpoint).build();
             CognitoIdentityClient withStolenKeys = CognitoIdentityClient.builder().region(Region.US_EAST_1)
                .credentialsProvider(stolen()).endpointOverride(identityEndpoint).build();
             StsClient sts = StsClient.builder().region(Region.US_EAST_1).credentialsProvider(AnonymousCredentialsProvider.create())
                .endpointOverride(identityEndpoint).build()) {
            // No unauthenticated identities; an authenticated identity's token needs a login no client has.
            refused(() -> anonymous.getId(b -> b.identityPoolId(api.deployment.identityPoolId)), "NotAuthorizedException");
            refused(() -> anonymous.getOpenIdToken(b -> b.identityId(identityId)), "NotAuthorizedException");
            refused(() -> anonymous.getOpenIdToken(b -> b.identityId(identityId)
                    .logins(Map.of("cognito-identity.amazonaws.com", mine.get("sessionToken").asText()))), "NotAuthorizedException");
            // Only the Lambda's role may mint developer tokens or delete identities: not session credentials.
            refused(() -> withStolenKeys.getOpenIdTokenForDeveloperIdentity(b -> b.identityPoolId(api.deployment.identityPoolId)
                    .logins(Map.of(api.deployment.developerProviderName, other.get("sqsQueueName").asText()))
                    .principalTags(Map.of(QueueNames.SESSION_QUEUE_TAG, other.get("sqsQueueName").asText()))), "AccessDenied");
            refused(() -> anonymous.getOpenIdTokenForDeveloperIdentity(b -> b.identityPoolId(api.deployment.identityPoolId)
                    .logins(Map.of(api.deployment.developerProviderName, "x"))), "MissingAuthenticationToken");
            refused(() -> withStolenKeys.deleteIdentities(b -> b.identityIdsToDelete(identityId)), "AccessDenied");
            // STS wants a token this pool issued; the client has none.
            refused(() -> sts.assumeRoleWithWebIdentity(b -> b.roleArn(api.deployment.sessionRoleArn)
                    .roleSessionName("x").webIdentityToken(mine.get("sessionToken").asText())), "InvalidIdentityToken");
        }
    }

    /** The tag's wall on its own: as if a token leaked, the role assumed without any session policy. */
    @Test
    void withTheTagARoleAssumedWithoutTheSessionPolicyReachesOnlyTheTaggedQueue(Emulators emulators) throws Exception {
        twoSessions(emulators, LocalIdentityServices.PrincipalTags.CARRIED);
        try (SqsClient sqs = sqs(StaticCredentialsProvider.create(assumedWithoutSessionPolicy(mine.get("sqsQueueName").asText())))) {
            assertThat(sqs.receiveMessage(b -> b.queueUrl(mine.get("sqsUrl").asText())).messages()).isEmpty();
            refused(() -> sqs.receiveMessage(b -> b.queueUrl(other.get("sqsUrl").asText())), "AccessDenied");
            refused(() -> sqs.receiveMessage(b -> b.queueUrl(api.deadLetterQueue)), "AccessDenied");
        }
    }

    /**
     * Without the tag, what the role alone grants: this deployment's session queues, and not its dead-letter queue nor
     * another deployment's queues. The session policy is then the wall that keeps a client to one queue, which is
     * why the token never leaves the Lambda.
     */
    @Test
    void withoutTheTagTheRoleAloneReachesOnlyThisDeploymentsSessionQueues(Emulators emulators) throws Exception {
        twoSessions(emulators, LocalIdentityServices.PrincipalTags.DROPPED);
        try (TestApi elsewhere = new TestApi(emulators);
             SqsClient sqs = sqs(StaticCredentialsProvider.create(assumedWithoutSessionPolicy(mine.get("sqsQueueName").asText())))) {
            String foreign = elsewhere.get("/create/100/400/foreign").body.get("session").get("sqsUrl").asText();
            assertThat(sqs.receiveMessage(b -> b.queueUrl(other.get("sqsUrl").asText())).messages()).isEmpty();
            refused(() -> sqs.receiveMessage(b -> b.queueUrl(api.deadLetterQueue)), "AccessDenied");
            refused(() -> sqs.receiveMessage(b -> b.queueUrl(foreign)), "AccessDenied");
            refused(() -> sqs.sendMessage(b -> b.queueUrl(other.get("sqsUrl").asText()).messageBody("forged")), "AccessDenied");
        }
    }

    /**
     * The local SQS endpoint authorizes the queue it reads from a request: it must execute exactly that request, so
     * that ElasticMQ (which reads the first two segments of a queue URL's path, and picks the protocol by Content-Type)
     * cannot be made to serve another queue or another action. Each vector is signed as any SDK signs; none may touch
     * the other session's queue or the dead-letter queue (which holds plaintext), none may send, delete or purge.
     */
    @Test
    void theLocalEndpointExecutesExactlyTheRequestItAuthorized(Emulators emulators) throws Exception {
        twoSessions(emulators, LocalIdentityServices.PrincipalTags.DROPPED);
        String own = mine.get("sqsUrl").asText();
        String ownName = own.substring(own.lastIndexOf('/') + 1);
        String others = other.get("sqsUrl").asText();
        String dlq = api.deadLetterQueue;
        String base = others.substring(0, others.lastIndexOf('/'));
        String endpoint = base.substring(0, base.lastIndexOf('/'));
        api.emulators.sqs().sendMessage(b -> b.queueUrl(others).messageBody("the other session's secret"));
        api.emulators.sqs().sendMessage(b -> b.queueUrl(dlq).messageBody("a dead letter's plaintext"));
        String json = "application/x-amz-json-1.0";
        String form = "application/x-www-form-urlencoded";
        String receive = "AmazonSQS.ReceiveMessage";
        List<String> queueUrls = List.of(others + "/" + ownName, dlq + "/" + ownName, others + "?x=/" + ownName,
                others + "#/" + ownName, base + "/" + java.net.URLEncoder.encode(others.substring(base.length() + 1) + "/" + ownName,
                        java.nio.charset.StandardCharsets.UTF_8), own + "/../" + others.substring(base.length() + 1),
                endpoint + "//000000000000/" + ownName, "http://elsewhere.example:1/000000000000/" + ownName,
                own.replace("http://", "http://user@"), own + "%00", " " + own, own + "/", base.toUpperCase() + "/" + ownName);
        List<String[]> vectors = new java.util.ArrayList<>();
        for (String url : queueUrls) {
            vectors.add(new String[] {"/", json, receive, "{\"QueueUrl\":" + new com.fasterxml.jackson.databind.ObjectMapper()
                .writeValueAsString(url) + ",\"MaxNumberOfMessages\":10}"});
            vectors.add(new String[] {"/", form, null, "Action=ReceiveMessage&MaxNumberOfMessages=10&QueueUrl="
                + java.net.URLEncoder.encode(url, java.nio.charset.StandardCharsets.UTF_8)});
        }
        String victim = java.net.URLEncoder.encode(others, java.nio.charset.StandardCharsets.UTF_8);
        String ownUrl = java.net.URLEncoder.encode(own, java.nio.charset.StandardCharsets.UTF_8);
        vectors.addAll(List.of(
            // JSON's action and queue in the header and body, the query protocol's in a form: authorized as one, run as the other
            new String[] {"/", form, receive, "Action=SendMessage&QueueUrl=" + victim + "&MessageBody=forged"},
            new String[] {"/", form, receive, "Action=DeleteQueue&QueueUrl=" + victim},
            new String[] {"/", form, receive, "Action=PurgeQueue&QueueUrl=" + victim + "&QueueUrl=" + ownUrl},
            new String[] {"/", form + "; charset=utf-8", receive, "{\"QueueUrl\":\"" + own + "\"}"},
            new String[] {"/", "application/json", receive, "{\"QueueUrl\":\"" + own + "\"}"},
            new String[] {"/", "text/plain", receive, "{\"QueueUrl\":\"" + own + "\"}"},
            new String[] {"/", "application/x-amz-json-1.1", receive, "{\"QueueUrl\":\"" + own + "\"}"},
            new String[] {"/", json, "AmazonSQS.SendMessage", "{\"QueueUrl\":\"" + others + "\",\"MessageBody\":\"forged\"}"},
            new String[] {"/", json, "AmazonSQS.DeleteQueue", "{\"QueueUrl\":\"" + others + "\"}"},
            new String[] {"/", json, receive, "{\"QueueUrl\":\"" + dlq + "\"}"},
            // the query protocol's queue in the path against the one in QueueUrl, or given twice
            new String[] {URI.create(others).getPath(), form, null, "Action=ReceiveMessage&QueueUrl=" + ownUrl},
            new String[] {URI.create(dlq).getPath(), form, null, "Action=ReceiveMessage&QueueUrl=" + ownUrl},
            new String[] {URI.create(own).getPath() + "?QueueUrl=" + victim, form, null, "Action=ReceiveMessage"},
            new String[] {"/?QueueUrl=" + victim, form, null, "Action=ReceiveMessage&QueueUrl=" + ownUrl},
            new String[] {"/", form, null, "Action=ReceiveMessage&QueueUrl=" + ownUrl + "&QueueUrl=" + victim},
            new String[] {"/", form, null, "Action=ReceiveMessage&Action=SendMessage&QueueUrl=" + ownUrl + "&MessageBody=forged"},
            new String[] {"/?Action=SendMessage&MessageBody=forged", form, null, "Action=ReceiveMessage&QueueUrl=" + ownUrl},
            // JSON with a path or query for ElasticMQ to read a queue from, or a key given twice
            new String[] {URI.create(others).getPath(), json, receive, "{\"QueueUrl\":\"" + own + "\"}"},
            new String[] {"/?QueueUrl=" + victim, json, receive, "{\"QueueUrl\":\"" + own + "\"}"},
            new String[] {"/", json, receive, "{\"QueueUrl\":\"" + others + "\",\"QueueUrl\":\"" + own + "\"}"},
            new String[] {"/", json, receive, "{\"QueueUrl\":\"" + own + "\",\"QueueUrl\":\"" + others + "\"}"},
            new String[] {"/", json, receive, "{\"QueueUrl\":\"" + own + "\",\"QueueName\":\"" + others.substring(base.length() + 1) + "\"}"},
            new String[] {"/", json, receive + "/../DeleteQueue", "{\"QueueUrl\":\"" + own + "\"}"},
            new String[] {"/", json, "AmazonSQS.ReceiveMessage,AmazonSQS.DeleteQueue", "{\"QueueUrl\":\"" + own + "\"}"}));
        for (String[] v : vectors) {
            java.net.http.HttpResponse<String> answer = signedPost(v[0], v[1], v[2], v[3]);
            assertThat(answer.statusCode()).as("%s %s %s %s -> %s", v[0], v[1], v[2], v[3], answer.body()).isBetween(400, 499);
            assertThat(answer.body()).doesNotContain("the other session's secret").doesNotContain("a dead letter's plaintext");
        }
        assertThat(api.emulators.sqs().receiveMessage(b -> b.queueUrl(others).maxNumberOfMessages(10)).messages())
                .as("the other session's queue: still there, its message never received, nothing sent to it")
                .extracting(software.amazon.awssdk.services.sqs.model.Message::body).containsExactly("the other session's secret");
        assertThat(api.emulators.sqs().receiveMessage(b -> b.queueUrl(dlq).maxNumberOfMessages(10)).messages())
                .extracting(software.amazon.awssdk.services.sqs.model.Message::body).containsExactly("a dead letter's plaintext");
        assertThat(api.emulators.sqs().receiveMessage(b -> b.queueUrl(own).maxNumberOfMessages(10)).messages()).as("nothing sent").isEmpty();
        assertThat(signedPost("/", json, receive, "{\"QueueUrl\":\"" + own + "\"}").statusCode()).as("the real thing").isEqualTo(200);
        assertThat(signedPost("/", form, null, "Action=ReceiveMessage&QueueUrl=" + ownUrl).statusCode()).isEqualTo(200);
        assertThat(signedPost(URI.create(own).getPath(), form, null, "Action=ReceiveMessage").statusCode()).isEqualTo(200);
    }

    /** A request to the local SQS endpoint, signed with the session's credentials as any SDK would sign it. */
    private java.net.http.HttpResponse<String> signedPost(String path, String contentType, String target, String body) throws Exception {
        java.net.URI uri = new java.net.URI(api.emulators.gateway().endpoint() + path);
        software.amazon.awssdk.http.SdkHttpRequest.Builder request = software.amazon.awssdk.http.SdkHttpRequest.builder().uri(uri)
                .method(software.amazon.awssdk.http.SdkHttpMethod.POST).putHeader("Content-Type", contentType);
        if (target != null) {
            request.putHeader("X-Amz-Target", target);
        }
        var signed = software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner.create().sign(r -> r
                .identity(AwsSessionCredentials.create(mine.get("accessKey").asText(), mine.get("secretKey").asText(),
                        mine.get("sessionToken").asText()))
                .request(request.build()).payload(software.amazon.awssdk.http.ContentStreamProvider.fromUtf8String(body))
                .putProperty(software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner.SERVICE_SIGNING_NAME, "sqs")
                .putProperty(software.amazon.awssdk.http.auth.aws.signer.AwsV4HttpSigner.REGION_NAME, "us-east-1"));
        java.net.http.HttpRequest.Builder out = java.net.http.HttpRequest.newBuilder(uri)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body));
        signed.request().headers().forEach((name, values) -> {
            if (!name.equalsIgnoreCase("host")) {
                values.forEach(v -> out.header(name, v));
            }
        });
        return java.net.http.HttpClient.newHttpClient().send(out.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    /** What the Lambda does (with its role's keys), but without the session policy: a token for the queue, exchanged as it is. */
    private AwsSessionCredentials assumedWithoutSessionPolicy(String queueName) {
        try (CognitoIdentityClient lambda = CognitoIdentityClient.builder().region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(
                        api.environment().get("STATIC_ACCESS_KEY_ID"), api.environment().get("STATIC_SECRET_ACCESS_KEY"))))
                .endpointOverride(URI.create(api.services.endpoint())).build();
             StsClient sts = StsClient.builder().region(Region.US_EAST_1).credentialsProvider(AnonymousCredentialsProvider.create())
                .endpointOverride(URI.create(api.services.endpoint())).build()) {
            String token = lambda.getOpenIdTokenForDeveloperIdentity(b -> b.identityPoolId(api.deployment.identityPoolId)
                    .logins(Map.of(api.deployment.developerProviderName, queueName))
                    .principalTags(Map.of(QueueNames.SESSION_QUEUE_TAG, queueName))).token();
            Credentials c = sts.assumeRoleWithWebIdentity(b -> b.roleArn(api.deployment.sessionRoleArn)
                    .roleSessionName("leaked").webIdentityToken(token)).credentials();
            return AwsSessionCredentials.create(c.accessKeyId(), c.secretAccessKey(), c.sessionToken());
        }
    }

    @Test
    void aForgedOrReusedSignatureIsRefused(Emulators emulators) throws Exception {
        twoSessions(emulators, LocalIdentityServices.PrincipalTags.DROPPED);
        AwsCredentialsProvider wrongSecret = StaticCredentialsProvider.create(AwsSessionCredentials.create(
                mine.get("accessKey").asText(), "not-the-secret", mine.get("sessionToken").asText()));
        AwsCredentialsProvider wrongToken = StaticCredentialsProvider.create(AwsSessionCredentials.create(
                mine.get("accessKey").asText(), mine.get("secretKey").asText(), other.get("sessionToken").asText()));
        String own = mine.get("sqsUrl").asText();
        try (SqsClient forged = sqs(wrongSecret); SqsClient mixed = sqs(wrongToken)) {
            refused(() -> forged.receiveMessage(b -> b.queueUrl(own)), "SignatureDoesNotMatch");
            refused(() -> mixed.receiveMessage(b -> b.queueUrl(own)), "InvalidClientTokenId");
        }
    }
}
