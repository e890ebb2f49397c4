package io.sqsbrowser.sqs;

/** What the sender needs of a message: the queue it goes to and its body. */
public interface SqsMessage {
    String queueUrl();

    String body();
}
