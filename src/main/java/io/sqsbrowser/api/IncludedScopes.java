package io.sqsbrowser.api;

import io.sqsbrowser.event.FanOutScope;
import io.sqsbrowser.event.Ids;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The fan-out scopes a history call names ({@code include=everyone,account:{a},topic:{t}}): the history partitions it
 * reads beside the user's own. The caller (the application's backend) knows the user's account and topics; a topic is
 * read in any account and in each account named, as an event of it may say either ({@link FanOutScope}).
 */
final class IncludedScopes {
    /** Everyone, an account and 50 topics: what a session may follow, and then some. */
    static final int MAX_ITEMS = 52;

    private IncludedScopes() {}

    /** The scopes' partition keys, in a stable order; empty for no {@code include}. */
    static List<String> parse(String include) {
        if (include == null) {
            return List.of();
        }
        boolean everyone = false;
        Set<String> accounts = new LinkedHashSet<>();
        Set<String> topics = new LinkedHashSet<>();
        String[] items = include.split(",", -1);
        if (items.length > MAX_ITEMS) {
            throw ApiException.badRequest("include names at most " + MAX_ITEMS + " scopes");
        }
        for (String item : items) {
            try {
                if (item.equals("everyone")) {
                    everyone = true;
                } else if (item.startsWith("account:")) {
                    accounts.add(Ids.safeString("include account", item.substring("account:".length()), Ids.MAX_ACCOUNT_OR_USER_ID));
                } else if (item.startsWith("topic:")) {
                    topics.add(Ids.safeString("include topic", item.substring("topic:".length()), Ids.MAX_TOPIC));
                } else {
                    throw ApiException.badRequest("include takes everyone, account:<accountId> and topic:<topic>, comma-separated");
                }
            } catch (Ids.InvalidIdException e) {
                throw ApiException.badRequest("invalid " + e.getMessage());
            }
        }
        List<String> scopes = new ArrayList<>();
        if (everyone) {
            scopes.add(FanOutScope.EVERYONE);
        }
        accounts.forEach(a -> scopes.add(FanOutScope.of(a, null)));
        for (String topic : topics) {
            scopes.add(FanOutScope.of(null, topic));
            accounts.forEach(a -> scopes.add(FanOutScope.of(a, topic)));
        }
        return scopes;
    }
}
