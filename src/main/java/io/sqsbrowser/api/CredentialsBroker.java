package io.sqsbrowser.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import software.amazon.awssdk.services.cognitoidentity.CognitoIdentityClient;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.Credentials;

/**
 * Temporary credentials that reach one queue and nothing else, through Cognito's basic (classic) flow:
 * GetId, GetOpenIdToken, then STS AssumeRoleWithWebIdentity with an inline session policy naming only the
 * session's queue. (The enhanced flow's guest credentials are cut down by Cognito to a policy without SQS.)
 */
final class CredentialsBroker {
    static final String[] QUEUE_ACTIONS = {
        "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"};
    private static final ObjectMapper JSON = new ObjectMapper();

    private final CognitoIdentityClient cognito;
    private final StsClient sts;
    private final ApiConfig config;

    CredentialsBroker(CognitoIdentityClient cognito, StsClient sts, ApiConfig config) {
        this.cognito = cognito;
        this.sts = sts;
        this.config = config;
    }

    /** A new Cognito identity for a new session. */
    String newIdentity() {
        return cognito.getId(b -> b.identityPoolId(config.identityPoolId)).identityId();
    }

    /** Credentials for {@code identityId} that allow only the four queue actions on {@code queueArn}. */
    Credentials issue(String identityId, String queueArn) {
        String token = cognito.getOpenIdToken(b -> b.identityId(identityId)).token();
        return sts.assumeRoleWithWebIdentity(b -> b.roleArn(config.sessionRoleArn)
                .roleSessionName(roleSessionName(identityId))
                .webIdentityToken(token)
                .policy(sessionPolicy(queueArn))
                .durationSeconds(config.credentialSeconds)).credentials();
    }

    static String sessionPolicy(String queueArn) {
        ObjectNode policy = JSON.createObjectNode().put("Version", "2012-10-17");
        ObjectNode statement = policy.putArray("Statement").addObject().put("Effect", "Allow");
        for (String action : QUEUE_ACTIONS) {
            statement.withArray("Action").add(action);
        }
        statement.put("Resource", queueArn);
        return policy.toString();
    }

    /** STS allows [\w+=,.@-]{2,64}; a Cognito identity id is region:uuid. */
    private static String roleSessionName(String identityId) {
        String id = identityId.replaceAll("[^\\w+=,.@-]", "_");
        return ("sqs-browser-" + id).substring(0, Math.min(64, 12 + id.length()));
    }
}
