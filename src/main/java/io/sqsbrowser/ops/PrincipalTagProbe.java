package io.sqsbrowser.ops;

import io.sqsbrowser.aws.QueueNames;
import java.util.Map;
import java.util.UUID;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cognitoidentity.CognitoIdentityClient;
import software.amazon.awssdk.services.cognitoidentity.model.GetOpenIdTokenForDeveloperIdentityResponse;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.Credentials;

/**
 * Whether Cognito's basic flow carries the principal tag into the session credentials on this deployment: AWS does
 * not document it, and the session role is built to work either way. The probe does what the Lambda does, but
 * assumes the role WITHOUT the session policy, with the tag naming queue A, and tries queue B: refused means the tag
 * reached the credentials and the role's tag wall stands on its own; received means it did not, and only the
 * session policy (which the Lambda always passes) keeps a client to its queue. It needs the operator's permission to
 * call GetOpenIdTokenForDeveloperIdentity, and deletes the identity it made.
 */
final class PrincipalTagProbe {
    enum Result { CARRIED, NOT_CARRIED }

    private final Deployment deployment;

    PrincipalTagProbe(Deployment deployment) {
        this.deployment = deployment;
    }

    Result run(String taggedQueueUrl, String otherQueueUrl) {
        String taggedQueue = QueueNames.name(taggedQueueUrl);
        try (CognitoIdentityClient cognito = deployment.client(CognitoIdentityClient.builder(), "cognito-identity");
             StsClient sts = StsClient.builder().region(Region.of(deployment.region))
                .credentialsProvider(AnonymousCredentialsProvider.create())
                .applyMutation(b -> {
                    if (deployment.endpoint("sts") != null) {
                        b.endpointOverride(deployment.endpoint("sts"));
                    }
                }).build()) {
            GetOpenIdTokenForDeveloperIdentityResponse token = cognito.getOpenIdTokenForDeveloperIdentity(b -> b
                    .identityPoolId(deployment.identityPoolId)
                    .logins(Map.of(deployment.developerProviderName, "smoke-probe-" + UUID.randomUUID()))
                    .principalTags(Map.of(QueueNames.SESSION_QUEUE_TAG, taggedQueue))
                    .tokenDuration(900L));
            try {
                Credentials c = sts.assumeRoleWithWebIdentity(b -> b.roleArn(deployment.sessionRoleArn)
                        .roleSessionName("smoke-probe").webIdentityToken(token.token()).durationSeconds(900)).credentials();
                try (SqsClient sqs = SqsClient.builder().region(Region.of(deployment.region))
                        .credentialsProvider(StaticCredentialsProvider.create(AwsSessionCredentials.create(
                                c.accessKeyId(), c.secretAccessKey(), c.sessionToken())))
                        .applyMutation(b -> {
                            if (deployment.sessionSqsEndpoint != null) {
                                b.endpointOverride(deployment.sessionSqsEndpoint);
                            }
                        }).build()) {
                    sqs.receiveMessage(b -> b.queueUrl(taggedQueueUrl).waitTimeSeconds(0));
                    try {
                        sqs.receiveMessage(b -> b.queueUrl(otherQueueUrl).waitTimeSeconds(0).visibilityTimeout(0));
                        return Result.NOT_CARRIED;
                    } catch (AwsServiceException refused) {
                        if (refused.statusCode() != 403) {
                            throw refused;
                        }
                        return Result.CARRIED;
                    }
                }
            } finally {
                cognito.deleteIdentities(b -> b.identityIdsToDelete(token.identityId()));
            }
        }
    }
}
