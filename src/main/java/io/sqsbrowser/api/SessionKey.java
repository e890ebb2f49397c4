package io.sqsbrowser.api;

import io.sqsbrowser.aws.Attributes;
import io.sqsbrowser.event.Ids;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** The validated ids of a session path {@code /{accountId}/{userId}/{sessionId}} (SPEC §1). */
final class SessionKey {
    final String accountId;
    final String userId;
    final String sessionId;

    SessionKey(String accountId, String userId, String sessionId) {
        this.accountId = accountId(accountId);
        this.userId = userId(userId);
        this.sessionId = sessionId(sessionId);
    }

    static String accountId(String value) {
        return checked("accountId", value, Ids.MAX_ACCOUNT_OR_USER_ID);
    }

    static String userId(String value) {
        return checked("userId", value, Ids.MAX_ACCOUNT_OR_USER_ID);
    }

    static String sessionId(String value) {
        return checked("sessionId", value, Ids.MAX_SESSION_ID);
    }

    private static String checked(String field, String value, int max) {
        try {
            return Ids.safeString(field, value, max);
        } catch (Ids.InvalidIdException e) {
            throw ApiException.badRequest("invalid " + e.getMessage());
        }
    }

    Map<String, AttributeValue> dynamoKey() {
        return Map.of("userId", Attributes.s(userId), "sessionId", Attributes.s(sessionId));
    }
}
