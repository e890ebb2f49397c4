package io.sqsbrowser.expand;

import io.sqsbrowser.event.DeliveryEvent;
import io.sqsbrowser.sqs.SqsMessage;

/**
 * Every bound a subtask keeps on what it holds for delivery, in one place. Each counter is changed only here, and only
 * on the task thread (gauges read them from the metric reporter's thread: a stale value there is harmless).
 * <ul>
 *   <li>{@link #heldEventBytes}: payload bytes of the events taken and not finished, whether waiting for a cold start's
 *       scan or being delivered; each is held in memory and in every checkpoint until its last message is answered.
 *       At {@code HeldEvents.maxBytes} the subtask takes no more input (backpressure) until some finish. An event never
 *       waits for itself.
 *   <li>{@link #inFlightBytes}: encrypted message bytes handed to SQS and not yet answered; at {@code Sqs.maxInFlightBytes}
 *       no more messages are handed out until answers come back. Messages are encrypted only as this allows, so the
 *       event's plaintext is held once per event, never once per recipient.
 *   <li>{@link #inFlightMessages}: messages handed to SQS and not yet answered; at ten per request slot
 *       ({@code Sqs.maxInFlightRequests}, a SendMessageBatch holds ten) no more are handed out.
 * </ul>
 */
final class DeliveryBudget {
    private final long maxHeldEventBytes;
    private final long maxInFlightBytes;
    private final int maxInFlightMessages;
    private long heldEventBytes;
    private long inFlightBytes;
    private int inFlightMessages;

    DeliveryBudget(long maxHeldEventBytes, long maxInFlightBytes, int maxInFlightMessages) {
        this.maxHeldEventBytes = maxHeldEventBytes;
        this.maxInFlightBytes = maxInFlightBytes;
        this.maxInFlightMessages = maxInFlightMessages;
    }

    /** Whether another event may be taken from the input. */
    boolean roomForEvent() {
        return heldEventBytes < maxHeldEventBytes;
    }

    void taken(DeliveryEvent event) {
        heldEventBytes += event.payload.length;
    }

    void finished(DeliveryEvent event) {
        heldEventBytes -= event.payload.length;
    }

    /** Whether another message may be handed to SQS. */
    boolean roomToHandOut() {
        return inFlightBytes < maxInFlightBytes && inFlightMessages < maxInFlightMessages;
    }

    void handedOut(SqsMessage message) {
        inFlightBytes += message.body().length();
        inFlightMessages++;
    }

    void answered(SqsMessage message) {
        inFlightBytes -= message.body().length();
        inFlightMessages--;
    }

    long heldEventBytes() {
        return heldEventBytes;
    }

    long inFlightBytes() {
        return inFlightBytes;
    }

    int inFlightMessages() {
        return inFlightMessages;
    }
}
