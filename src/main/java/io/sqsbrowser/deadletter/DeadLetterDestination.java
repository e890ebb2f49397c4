package io.sqsbrowser.deadletter;

import java.io.Serializable;
import java.util.Locale;

/** Where dead letters are written: an SQS queue (by URL) or a Kinesis stream (by name). */
public final class DeadLetterDestination implements Serializable {
    private static final long serialVersionUID = 1L;

    public enum Type { SQS, KINESIS }

    public final Type type;
    public final String target;

    public DeadLetterDestination(Type type, String target) {
        if (target == null || target.isEmpty()) {
            throw new IllegalArgumentException("DeadLetter.target is required (a queue URL or a stream name)");
        }
        this.type = type;
        this.target = target;
    }

    public static DeadLetterDestination parse(String type, String target) {
        Type parsed;
        try {
            parsed = Type.valueOf(type.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("DeadLetter.type must be SQS or KINESIS, got " + type);
        }
        return new DeadLetterDestination(parsed, target);
    }

    @Override
    public String toString() {
        return type + ":" + target;
    }
}
