package io.sqsbrowser.config;

/**
 * The checks settings builders make, with messages that name the configuration key ({@code Group.key}) and the value
 * given, so an operator reading a failed start knows what to change.
 */
public final class Checks {
    private Checks() {}

    public static void atLeast(String key, long value, long minimum) {
        if (value < minimum) {
            throw new IllegalArgumentException(key + " must be at least " + minimum + ", got " + value);
        }
    }

    /** {@code key}'s value must be at least {@code otherKey}'s, for the reason given. */
    public static void atLeastSetting(String key, long value, String otherKey, long otherValue, String why) {
        if (value < otherValue) {
            throw new IllegalArgumentException(key + " (" + value + ") must be at least " + otherKey + " (" + otherValue + "): " + why);
        }
    }
}
