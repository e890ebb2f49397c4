package io.sqsbrowser.sqs;

import java.io.Serializable;
import java.util.function.Consumer;
import org.apache.flink.metrics.MetricGroup;

/** Sends messages to their queues and reports how each ended. */
public interface MessageSender extends AutoCloseable {
    /** Sends one message; {@code done} is called exactly once, from any thread. */
    void send(SqsMessage message, Consumer<SendOutcome> done);

    @Override
    void close();

    /**
     * Makes the sender where it runs (an operator's subtask), reporting to its metric group: serializable, so the job
     * graph can carry it, and a test can put another sender in.
     */
    interface Factory extends Serializable {
        MessageSender create(MetricGroup metrics);
    }
}
