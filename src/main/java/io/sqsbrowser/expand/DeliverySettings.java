package io.sqsbrowser.expand;

import io.sqsbrowser.config.Checks;
import io.sqsbrowser.sqs.SenderSettings;
import java.io.Serializable;

/**
 * What the expander is configured with, built by a {@link Builder} that checks the fields against each other. Each
 * field names the configuration key it comes from, and so does every message about it.
 */
public final class DeliverySettings implements Serializable {
    private static final long serialVersionUID = 1L;
    public static final String HELD_EVENT_BYTES = "HeldEvents.maxBytes";
    public static final String IN_FLIGHT_BYTES = "Sqs.maxInFlightBytes";
    public static final String IN_FLIGHT_REQUESTS = "Sqs.maxInFlightRequests";
    public static final String MESSAGE_BYTES = "Sqs.maxMessageBytes";
    public static final String FAN_OUT_PACE = "Sqs.fanOutMessagesPerSecond";
    public static final String TOMBSTONE_RETENTION = "SessionSource.tombstoneRetentionHours";
    public static final String GRACE_WINDOW_MILLIS = "SessionSource.graceWindowMillis";
    public static final String GRACE_WINDOW_BYTES = "SessionSource.graceWindowBytes";
    public static final String REWIND_MAX_EVENTS = "Rewind.maxEvents";
    public static final String REWIND_MAX_BYTES = "Rewind.maxBytes";
    public static final String REWIND_WINDOW = "History.ttlHours";
    public static final String FAN_OUT_ROWS = "History.fanOutRows";

    /** How the history keeps a fan-out event (everyone, account, topic): {@value #FAN_OUT_ROWS}. */
    public enum FanOutRows {
        /** A row per recipient user, as the original system (and a row under the event's scope, for {@code include}). */
        PER_RECIPIENT,
        /** A row under the event's scope only: O(1) rows a broadcast; the users read it through {@code include}. */
        PER_SCOPE;

        public static FanOutRows parse(String value) {
            switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "per-recipient":
                    return PER_RECIPIENT;
                case "per-scope":
                    return PER_SCOPE;
                default:
                    throw new IllegalArgumentException(FAN_OUT_ROWS + " must be per-recipient or per-scope, got " + value);
            }
        }
    }

    /** {@value #HELD_EVENT_BYTES}: events waiting for a cold start's scan and events being delivered, together. */
    public final long maxHeldEventBytes;
    /** {@value #IN_FLIGHT_BYTES}: encrypted messages handed to SQS and not yet answered. */
    public final long maxInFlightBytes;
    /** Ten per request slot of {@value #IN_FLIGHT_REQUESTS}: a SendMessageBatch holds ten messages. */
    public final int maxInFlightMessages;
    /** {@value #FAN_OUT_PACE}: broadcast messages handed out per second; 0 for as fast as SQS takes them. */
    public final long fanOutMessagesPerSecond;
    /** {@value #TOMBSTONE_RETENTION}: how long a removed session is remembered, so a late change cannot revive it. */
    public final long tombstoneRetentionMillis;
    /** {@value #GRACE_WINDOW_MILLIS} and {@value #GRACE_WINDOW_BYTES}: recent events kept for sessions learnt of late. */
    public final long graceWindowMillis;
    public final long graceWindowBytes;
    /** {@value #REWIND_MAX_EVENTS}: the most events one session's rewind gives; also what each scope keeps at least. */
    public final int rewindMaxEvents;
    /** How far back a rewind may reach: the history's time to live ({@value #REWIND_WINDOW}). */
    public final long rewindWindowMillis;
    /** {@value #REWIND_MAX_BYTES}: the fan-out events a subtask keeps for rewinds, payloads and overhead together. */
    public final long rewindMaxBytes;
    public final FanOutRows fanOutRows;

    private DeliverySettings(Builder b) {
        maxHeldEventBytes = b.maxHeldEventBytes;
        maxInFlightBytes = b.maxInFlightBytes;
        maxInFlightMessages = b.maxInFlightRequests * SenderSettings.MAX_BATCH_ENTRIES;
        fanOutMessagesPerSecond = b.fanOutMessagesPerSecond;
        tombstoneRetentionMillis = b.tombstoneRetentionMillis;
        graceWindowMillis = b.graceWindowMillis;
        graceWindowBytes = b.graceWindowBytes;
        rewindMaxEvents = b.rewindMaxEvents;
        rewindWindowMillis = b.rewindWindowMillis;
        rewindMaxBytes = b.rewindMaxBytes;
        fanOutRows = b.fanOutRows;
    }

    /** The defaults of the configuration; every setter is optional. */
    public static Builder builder() {
        return new Builder();
    }

    /** Collects the settings; {@link #build()} checks them, alone and against each other. */
    public static final class Builder {
        private long maxHeldEventBytes = 64L << 20;
        private long maxInFlightBytes = 64L << 20;
        private int maxInFlightRequests = 128;
        private long maxMessageBytes = 262_144;
        private long fanOutMessagesPerSecond;
        private long tombstoneRetentionMillis = 48 * 3_600_000L;
        private long graceWindowMillis = 120_000;
        private long graceWindowBytes = 64L << 20;
        private int rewindMaxEvents = 100;
        private long rewindWindowMillis = 24 * 3_600_000L;
        private long rewindMaxBytes = 32L << 20;
        private FanOutRows fanOutRows = FanOutRows.PER_RECIPIENT;

        private Builder() {}

        public Builder maxHeldEventBytes(long bytes) {
            maxHeldEventBytes = bytes;
            return this;
        }

        public Builder maxInFlightBytes(long bytes) {
            maxInFlightBytes = bytes;
            return this;
        }

        public Builder maxInFlightRequests(int requests) {
            maxInFlightRequests = requests;
            return this;
        }

        /** The largest encrypted message SQS is sent; events are at most this large, so the bounds must hold one. */
        public Builder maxMessageBytes(long bytes) {
            maxMessageBytes = bytes;
            return this;
        }

        public Builder fanOutMessagesPerSecond(long messagesPerSecond) {
            fanOutMessagesPerSecond = messagesPerSecond;
            return this;
        }

        public Builder tombstoneRetentionMillis(long millis) {
            tombstoneRetentionMillis = millis;
            return this;
        }

        public Builder graceWindow(long millis, long bytes) {
            graceWindowMillis = millis;
            graceWindowBytes = bytes;
            return this;
        }

        public Builder rewind(int maxEvents, long windowMillis, long maxBytes) {
            rewindMaxEvents = maxEvents;
            rewindWindowMillis = windowMillis;
            rewindMaxBytes = maxBytes;
            return this;
        }

        public Builder fanOutRows(FanOutRows rows) {
            fanOutRows = rows;
            return this;
        }

        public DeliverySettings build() {
            Checks.atLeast(MESSAGE_BYTES, maxMessageBytes, 1);
            Checks.atLeast(IN_FLIGHT_REQUESTS, maxInFlightRequests, 1);
            Checks.atLeast(FAN_OUT_PACE, fanOutMessagesPerSecond, 0);
            Checks.atLeast(TOMBSTONE_RETENTION, tombstoneRetentionMillis, 1);
            Checks.atLeast(GRACE_WINDOW_MILLIS, graceWindowMillis, 0);
            Checks.atLeast(GRACE_WINDOW_BYTES, graceWindowBytes, 0);
            Checks.atLeastSetting(HELD_EVENT_BYTES, maxHeldEventBytes, MESSAGE_BYTES, maxMessageBytes,
                    "an event of the largest size must fit");
            Checks.atLeastSetting(IN_FLIGHT_BYTES, maxInFlightBytes, MESSAGE_BYTES, maxMessageBytes,
                    "a message of the largest size must fit");
            if (graceWindowMillis > 0) {
                Checks.atLeastSetting(GRACE_WINDOW_BYTES, graceWindowBytes, MESSAGE_BYTES, maxMessageBytes,
                        "with " + GRACE_WINDOW_MILLIS + " above 0 the window must hold an event of the largest size; set both to 0 for no window");
            }
            Checks.atLeast(REWIND_MAX_EVENTS, rewindMaxEvents, 1);
            Checks.atLeastSetting(REWIND_MAX_BYTES, rewindMaxBytes, MESSAGE_BYTES, maxMessageBytes,
                    "the fan-out events kept for rewinds must hold an event of the largest size");
            return new DeliverySettings(this);
        }
    }
}
