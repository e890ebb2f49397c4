package io.sqsbrowser.event;

import java.util.ArrayList;
import java.util.List;

/**
 * The audience of a fan-out event (one with no {@code userId} or {@code sessionId}), named by its routing fields alone:
 * everyone ({@code #everyone}), an account ({@code #account:<id>}), a topic ({@code #topic:<name>}) or a topic within
 * an account ({@code #account:<id>#topic:<name>}). Every fan-out event of one scope reaches the same sessions (those
 * live then, and following its topic): a late session's rewind reads the events of its scopes, and the history table
 * keeps such an event once, under its scope, beside the users' rows. No id may contain {@code #}, so a scope never
 * names a user.
 */
public final class FanOutScope {
    public static final String EVERYONE = "#everyone";
    private static final String ACCOUNT = "#account:";
    private static final String TOPIC = "#topic:";

    private FanOutScope() {}

    /** The scope of a fan-out event; null for a user or session event. */
    public static String of(DeliveryEvent event) {
        return event.userId != null || event.sessionId != null ? null : of(event.accountId, event.topic);
    }

    /** The scope of fan-out events with these routing fields (each may be null). */
    public static String of(String accountId, String topic) {
        if (topic != null) {
            return accountId != null ? ACCOUNT + accountId + TOPIC + topic : TOPIC + topic;
        }
        return accountId != null ? ACCOUNT + accountId : EVERYONE;
    }

    /**
     * The scopes whose events reach a session of {@code accountId} that follows {@code topics}: everyone, its account,
     * and each topic, in any account and in its own.
     */
    public static List<String> ofSession(String accountId, String[] topics) {
        List<String> scopes = new ArrayList<>(2 + 2 * topics.length);
        scopes.add(EVERYONE);
        if (accountId != null) {
            scopes.add(of(accountId, null));
        }
        for (String topic : topics) {
            scopes.add(of(null, topic));
            if (accountId != null) {
                scopes.add(of(accountId, topic));
            }
        }
        return scopes;
    }
}
