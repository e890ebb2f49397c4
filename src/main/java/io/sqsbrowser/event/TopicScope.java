package io.sqsbrowser.event;

import java.util.Locale;

/**
 * How topics are named, a deployment's setting read by the job ({@code EventSource.topicScope}) and the notify API
 * ({@code TOPIC_SCOPE}): {@code global}, one namespace (an event's {@code accountId} narrows as for any event), or
 * {@code account}, names within an account, for an application shared by several organisations (an event's
 * {@code topic} must come with its {@code accountId}).
 */
public final class TopicScope {
    public static final String GLOBAL = "global";
    public static final String ACCOUNT = "account";

    private TopicScope() {}

    /** Whether the setting {@code key} says topics are names within an account. */
    public static boolean byAccount(String key, String value) {
        switch (value.trim().toLowerCase(Locale.ROOT)) {
            case GLOBAL:
                return false;
            case ACCOUNT:
                return true;
            default:
                throw new IllegalArgumentException(key + " must be " + GLOBAL + " or " + ACCOUNT + ", got " + value);
        }
    }
}
