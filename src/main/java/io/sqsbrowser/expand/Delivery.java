package io.sqsbrowser.expand;

/** One encrypted message for one session's queue. A Flink POJO. */
public class Delivery {
    public String queueUrl;
    public String messageId;
    public String userId;
    public String sessionId;
    /** The encrypted envelope: the SQS message body. */
    public String body;
    /** The event's plaintext, shared by all its deliveries; kept for the dead letter if delivery fails. */
    public byte[] plaintext;
    /** When Kinesis received the event, epoch milliseconds. */
    public long eventArrivalMillis;

    public Delivery() {}

    @Override
    public String toString() {
        return "Delivery{" + messageId + " -> " + userId + "/" + sessionId + "}";
    }
}
