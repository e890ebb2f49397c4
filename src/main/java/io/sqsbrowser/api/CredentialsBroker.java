package io.sqsbrowser.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sqsbrowser.aws.QueueNames;
import java.util.Map;
import software.amazon.awssdk.services.cognitoidentity.CognitoIdentityClient;
import software.amazon.awssdk.services.cognitoidentity.model.GetOpenIdTokenForDeveloperIdentityResponse;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.Credentials;

/**
 * Temporary credentials that reach one queue and nothing else, whatever the client does with them. Each session
 * is a Cognito developer-authenticated identity whose developer user is its queue's name: the Lambda (the only
 * principal allowed to) calls GetOpenIdTokenForDeveloperIdentity with a principal tag naming the queue, keeps
 * the token, and calls STS AssumeRoleWithWebIdentity itself with an inline session policy naming the queue. The
 * client receives the credentials only: not the token, not the identity id. Two walls stand: the session policy,
 * and the role's own policy, whose resource is the queue named by the principal tag, so even a role assumed
 * without the session policy reaches one queue.
 */
final class CredentialsBroker {
    static final String[] QUEUE_ACTIONS = {
        "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"};
    private static final ObjectMapper JSON = new ObjectMapper();

    private final CognitoIdentityClient cognito;
    private final StsClient sts;
    private final ApiConfig config;

    /** Credentials issued for a session, and the Cognito identity they were issued to. */
    static final class Issued {
        final String identityId;
        final Credentials credentials;

        Issued(String identityId, Credentials credentials) {
            this.identityId = identityId;
            this.credentials = credentials;
        }
    }

    CredentialsBroker(CognitoIdentityClient cognito, StsClient sts, ApiConfig config) {
        this.cognito = cognito;
        this.sts = sts;
        this.config = config;
    }

    /**
     * Credentials for the session whose queue is {@code queueName}; {@code identityId} is the session's identity,
     * or null for a new session (Cognito then creates one, and a failure after that deletes it again).
     */
    Issued issue(String identityId, String queueName, String queueArn) {
        GetOpenIdTokenForDeveloperIdentityResponse token = cognito.getOpenIdTokenForDeveloperIdentity(b -> b
                .identityPoolId(config.identityPoolId)
                .identityId(identityId)
                .logins(Map.of(config.developerProviderName, queueName))
                .principalTags(Map.of(QueueNames.SESSION_QUEUE_TAG, queueName))
                .tokenDuration(900L));
        try {
            Credentials credentials = sts.assumeRoleWithWebIdentity(b -> b.roleArn(config.sessionRoleArn)
                    .roleSessionName(roleSessionName(queueName))
                    .webIdentityToken(token.token())
                    .policy(sessionPolicy(queueArn))
                    .durationSeconds(config.credentialSeconds)).credentials();
            return new Issued(token.identityId(), credentials);
        } catch (RuntimeException e) {
            if (identityId == null) {
                deleteIdentity(token.identityId());
            }
            throw e;
        }
    }

    /** Deletes the identity of a session that could not be created; best effort (the job deletes ended ones). */
    void deleteIdentity(String identityId) {
        try {
            cognito.deleteIdentities(b -> b.identityIdsToDelete(identityId));
        } catch (RuntimeException e) {
            // The create fails with its own error; an orphaned identity grants nothing without its token.
        }
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

    /** STS allows [\w+=,.@-]{2,64}; a queue name is [A-Za-z0-9_-], at most 80. */
    private static String roleSessionName(String queueName) {
        return queueName.length() <= 64 ? queueName : queueName.substring(queueName.length() - 64);
    }
}
