package io.sqsbrowser.expand;

import io.sqsbrowser.sqs.MessageSender;
import io.sqsbrowser.sqs.SendOutcome;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * Hands each message to the SQS sender, and brings the sender's answers, which arrive on the SDK's threads, back to the
 * task thread: queued, with one mail for however many arrive meanwhile, then {@code afterAnswers} once.
 */
final class SqsDeliverer implements DeliveryPump.Deliverer, AutoCloseable {
    private final MessageSender sender;
    private final TaskThread taskThread;
    private final BiConsumer<Delivery, SendOutcome> answered;
    private final Runnable afterAnswers;
    private final ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean mailScheduled = new AtomicBoolean();

    SqsDeliverer(MessageSender sender, TaskThread taskThread, BiConsumer<Delivery, SendOutcome> answered, Runnable afterAnswers) {
        this.sender = sender;
        this.taskThread = taskThread;
        this.answered = answered;
        this.afterAnswers = afterAnswers;
    }

    @Override
    public void deliver(Delivery delivery) {
        sender.send(delivery, outcome -> onSdkThread(delivery, outcome));
    }

    private void onSdkThread(Delivery delivery, SendOutcome outcome) {
        answers.add(new Answer(delivery, outcome));
        if (mailScheduled.compareAndSet(false, true)) {
            taskThread.run(this::takeAnswers, "SQS answers");
        }
    }

    private void takeAnswers() {
        mailScheduled.set(false);
        Answer a;
        while ((a = answers.poll()) != null) {
            answered.accept(a.delivery, a.outcome);
        }
        afterAnswers.run();
    }

    @Override
    public void close() {
        sender.close();
    }

    private static final class Answer {
        final Delivery delivery;
        final SendOutcome outcome;

        Answer(Delivery delivery, SendOutcome outcome) {
            this.delivery = delivery;
            this.outcome = outcome;
        }
    }
}
