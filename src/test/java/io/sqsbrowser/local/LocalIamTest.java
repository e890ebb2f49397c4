package io.sqsbrowser.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sqsbrowser.testing.EmulatorsExtension;
import io.sqsbrowser.testing.TestApi;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The local IAM holds every principal to AWS's rules, and where it does not model a part of IAM it allows nothing
 * rather than guess: a policy with NotAction, NotResource, an element, operator or variable it does not know grants
 * nothing (on AWS some of those would grant more); queues are authorized on their own ARN, also when a request names
 * them by name; a role is assumed for no longer than its MaxSessionDuration.
 */
@ExtendWith(EmulatorsExtension.class)
class LocalIamTest {
    private static final String QUEUE = "arn:aws:sqs:us-east-1:000000000000:prod-sqs-browser-q";

    private static IamPolicy.Decision decide(String statement) {
        return IamPolicy.identity("{\"Version\":\"2012-10-17\",\"Statement\":[" + statement + "]}")
                .decide("sqs:ReceiveMessage", QUEUE, Map.of(), key -> null);
    }

    @Test
    void whatItEvaluatesItEvaluatesAsIamDoes() {
        assertThat(decide("{\"Effect\":\"Allow\",\"Action\":\"sqs:Receive*\",\"Resource\":\"arn:aws:sqs:us-east-1:000000000000:prod-*\"}"))
                .isEqualTo(IamPolicy.Decision.ALLOW);
        assertThat(decide("{\"Effect\":\"Allow\",\"Action\":\"sqs:ReceiveMessage\",\"Resource\":\"*\"},"
                + "{\"Effect\":\"Deny\",\"Action\":\"sqs:*\",\"Resource\":\"*\"}")).as("an explicit deny wins").isEqualTo(IamPolicy.Decision.DENY);
        assertThat(decide("{\"Effect\":\"Allow\",\"Action\":\"sqs:ReceiveMessage\",\"Resource\":\"*\","
                + "\"Condition\":{\"StringEqualsIfExists\":{\"aws:ResourceTag/team\":\"news\"}}}")).as("IfExists on a missing key")
                .isEqualTo(IamPolicy.Decision.ALLOW);
        assertThat(decide("{\"Effect\":\"Allow\",\"Action\":\"sqs:ReceiveMessage\",\"Resource\":\"*\","
                + "\"Condition\":{\"StringEquals\":{\"aws:ResourceTag/team\":\"news\"}}}")).as("a condition on a missing key")
                .isEqualTo(IamPolicy.Decision.NOT_ALLOWED);
    }

    /** Each of these would grant the request on AWS (or might): here they grant nothing, and say why. */
    @ParameterizedTest
    @ValueSource(strings = {
        "{\"Effect\":\"Allow\",\"NotAction\":\"sqs:SendMessage\",\"Resource\":\"*\"}",
        "{\"Effect\":\"Allow\",\"Action\":\"sqs:ReceiveMessage\",\"NotResource\":\"arn:aws:sqs:*:*:dead-letters\"}",
        "{\"Effect\":\"Allow\",\"Action\":\"sqs:ReceiveMessage\",\"Resource\":\"*\",\"Principal\":\"*\"}",
        "{\"Effect\":\"Allow\",\"Action\":\"sqs:ReceiveMessage\",\"Resource\":\"*\",\"Condition\":{\"DateGreaterThan\":{\"aws:CurrentTime\":\"2020-01-01T00:00:00Z\"}}}",
        "{\"Effect\":\"Allow\",\"Action\":\"sqs:ReceiveMessage\",\"Resource\":\"arn:aws:sqs:us-east-1:000000000000:${aws:username}\"}",
        "{\"Effect\":\"Allow\",\"Action\":\"sqs:ReceiveMessage\",\"Resource\":\"*\",\"Condition\":{\"StringLike\":{\"aws:ResourceTag/q\":\"${aws:PrincipalTag/q}\"}}}",
        "{\"Effect\":\"Maybe\",\"Action\":\"sqs:ReceiveMessage\",\"Resource\":\"*\"}",
    })
    void whatItDoesNotModelGrantsNothing(String statement) {
        IamPolicy policy = IamPolicy.identity("{\"Version\":\"2012-10-17\",\"Statement\":[" + statement + "]}");
        assertThat(policy.unmodelled).isNotNull();
        assertThat(policy.decide("sqs:ReceiveMessage", QUEUE, Map.of("q", "x"), key -> List.of("x"))).isEqualTo(IamPolicy.Decision.NOT_ALLOWED);
    }

    @Test
    void aPolicyOfTheOldLanguageVersionGrantsNothing() {
        assertThat(IamPolicy.identity("{\"Version\":\"2008-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}")
                .decide("sqs:ReceiveMessage", QUEUE, Map.of(), key -> null)).isEqualTo(IamPolicy.Decision.NOT_ALLOWED);
    }

    /**
     * CreateQueue and GetQueueUrl name a queue by its name: authorized on that queue's ARN, so the Lambda's role, which may
     * create this deployment's session queues, creates no other queue.
     */
    @Test
    void aQueueNamedByItsNameIsAuthorizedOnItsArn(TestApi api) throws Exception {
        LocalIam.Keys role = api.emulators.iam().probeKeys(api.deployment.properties("ApiFunction").get("Role").toString());
        try (SqsClient lambda = SqsClient.builder().region(Region.US_EAST_1).endpointOverride(URI.create(api.emulators.gateway().endpoint()))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(role.accessKeyId, role.secretAccessKey)))
                .build()) {
            String session = io.sqsbrowser.aws.QueueNames.newName(api.queuePrefix);
            assertThat(lambda.createQueue(b -> b.queueName(session)).queueUrl()).endsWith("/" + session);
            for (String name : List.of("not-a-session-queue", api.queuePrefix + "-short", api.deployment.deadLetterQueueName)) {
                assertThatThrownBy(() -> lambda.createQueue(b -> b.queueName(name))).as(name)
                        .isInstanceOfSatisfying(AwsServiceException.class, e -> assertThat(e.statusCode()).isEqualTo(403));
            }
            assertThatThrownBy(() -> lambda.getQueueUrl(b -> b.queueName(session))).as("the role has no GetQueueUrl")
                    .isInstanceOfSatisfying(AwsServiceException.class, e -> assertThat(e.statusCode()).isEqualTo(403));
        }
    }

    /** STS issues credentials for no longer than the role allows (the session role: an hour). */
    @Test
    void aRoleIsAssumedForNoLongerThanItsMaxSessionDuration(TestApi api) throws Exception {
        LocalIam iam = api.emulators.iam();
        List<String> amr = List.of("authenticated");
        assertThat(iam.assumeRoleWithWebIdentity(api.deployment.sessionRoleArn, "ok", api.deployment.identityPoolId, amr, null,
                Map.of(), 3600, 900).expiration).isAfter(java.time.Instant.now().plusSeconds(3500));
        assertThatThrownBy(() -> iam.assumeRoleWithWebIdentity(api.deployment.sessionRoleArn, "long", api.deployment.identityPoolId, amr,
                null, Map.of(), 3601, 900)).isInstanceOfSatisfying(LocalIam.Refusal.class, e -> assertThat(e.code).isEqualTo("ValidationError"));
        assertThatThrownBy(() -> iam.assumeRoleWithWebIdentity(api.deployment.sessionRoleArn, "other-pool", "us-east-1:another-pool", amr,
                null, Map.of(), 900, 900)).as("the role trusts its own pool's identities only")
                .isInstanceOfSatisfying(LocalIam.Refusal.class, e -> assertThat(e.code).isEqualTo("AccessDenied"));
        assertThatThrownBy(() -> iam.assumeRoleWithWebIdentity(api.deployment.sessionRoleArn, "guest", api.deployment.identityPoolId,
                List.of("unauthenticated"), null, Map.of(), 900, 900)).as("authenticated identities only")
                .isInstanceOfSatisfying(LocalIam.Refusal.class, e -> assertThat(e.code).isEqualTo("AccessDenied"));
    }
}
