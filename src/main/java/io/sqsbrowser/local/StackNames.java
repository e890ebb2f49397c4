package io.sqsbrowser.local;

/** The names of one stack's streams, tables, queues and queue prefix; the tests give each test its own. */
public final class StackNames {
    public final String eventStream;
    public final String changeStream;
    public final String sessionTable;
    public final String historyTable;
    public final String deadLetterQueueName;
    public final String queuePrefix;
    /** The value of the deployment tag on this stack's session queues. */
    public final String deploymentId;

    public StackNames(String suffix) {
        eventStream = "events" + suffix;
        changeStream = "session-changes" + suffix;
        sessionTable = "sessions" + suffix;
        historyTable = "history" + suffix;
        deadLetterQueueName = "dead-letters" + suffix;
        queuePrefix = "local" + suffix.replace("-", "");
        deploymentId = "local" + suffix;
    }
}
