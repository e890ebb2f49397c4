package io.sqsbrowser.sqs;

import static org.assertj.core.api.Assertions.assertThat;

import io.sqsbrowser.aws.AwsClients;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.testing.EmulatorsExtension;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequest;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;
import software.amazon.awssdk.services.sqs.model.SendMessageRequest;
import software.amazon.awssdk.services.sqs.model.SendMessageResponse;

/** The SQS writer's batching and retry decisions, against ElasticMQ over a real socket. */
@ExtendWith(EmulatorsExtension.class)
class BatchingSenderTest {
    private static Emulators emulators;
    private static SqsAsyncClient sqs;
    private final Counting listener = new Counting();
    private static final AtomicInteger QUEUES = new AtomicInteger();

    @BeforeAll
    static void client(Emulators started) {
        emulators = started;
        sqs = AwsClients.sqsAsync(emulators.aws(), 16);
    }

    @AfterAll
    static void close() {
        sqs.close();
    }

    private String newQueue() {
        return emulators.sqs().createQueue(b -> b.queueName("sender-" + QUEUES.incrementAndGet())).queueUrl();
    }

    /** A message for the sender: the queue, the body and whether it has priority, nothing else. */
    private static final class Delivery implements SqsMessage {
        final String queueUrl;
        final String body;
        final boolean priority;

        Delivery(String queueUrl, String body, boolean priority) {
            this.queueUrl = queueUrl;
            this.body = body;
            this.priority = priority;
        }

        @Override
        public boolean priority() {
            return priority;
        }

        @Override
        public String queueUrl() {
            return queueUrl;
        }

        @Override
        public String body() {
            return body;
        }
    }

    private static Delivery delivery(String queueUrl, String body) {
        return new Delivery(queueUrl, body, false);
    }

    /** Backoff of 1 to 5 ms, retried for up to {@code retryForMillis}. */
    private static SenderSettings settings(int inFlight, long retryForMillis) {
        return SenderSettings.builder().maxInFlightRequests(inFlight).retryForMillis(retryForMillis).backoff(1, 5)
                .http(SenderClients.Http.NETTY).build();
    }

    private List<SendOutcome> sendAll(BatchingSender sender, List<Delivery> deliveries) throws Exception {
        List<CompletableFuture<SendOutcome>> futures = new ArrayList<>();
        for (Delivery d : deliveries) {
            CompletableFuture<SendOutcome> f = new CompletableFuture<>();
            sender.send(d, f::complete);
            futures.add(f);
        }
        List<SendOutcome> outcomes = new ArrayList<>();
        for (CompletableFuture<SendOutcome> f : futures) {
            outcomes.add(f.get(30, TimeUnit.SECONDS));
        }
        return outcomes;
    }

    private int messagesIn(String queueUrl) {
        return Integer.parseInt(emulators.sqs().getQueueAttributes(b -> b.queueUrl(queueUrl)
                .attributeNamesWithStrings("ApproximateNumberOfMessages")).attributesAsStrings().get("ApproximateNumberOfMessages"));
    }

    @Test
    void readyMessagesForTheSameQueueLeaveInBatchesOfAtMostTen() throws Exception {
        String queue = newQueue();
        List<Delivery> deliveries = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            deliveries.add(delivery(queue, "m" + i));
        }
        try (BatchingSender sender = new BatchingSender(sqs, settings(1, 10_000), listener)) {
            assertThat(sendAll(sender, deliveries)).allMatch(o -> o.kind == SendOutcome.Kind.SENT);
        }
        assertThat(messagesIn(queue)).isEqualTo(25);
        // One request slot: the first message leaves alone, the 24 that wait for it share batches.
        assertThat(listener.batchSizes).allMatch(n -> n <= 10).hasSizeLessThanOrEqualTo(4);
        assertThat(listener.delivered.get()).isEqualTo(25);
    }

    @Test
    void aPriorityMessageLeavesBeforeEveryWaitingMessageWithoutPriority() throws Exception {
        List<String> queues = new ArrayList<>();
        for (int i = 0; i <= 20; i++) {
            queues.add(newQueue());
        }
        List<String> order = new CopyOnWriteArrayList<>();
        List<CompletableFuture<SendOutcome>> sent = new ArrayList<>();
        int answeredBeforeTheAlert;
        try (BatchingSender sender = new BatchingSender(sqs, settings(1, 10_000), listener)) {
            for (int i = 0; i < 20; i++) {
                sent.add(sendRecording(sender, new Delivery(queues.get(i), "broadcast-" + i, false), order));
            }
            answeredBeforeTheAlert = order.size();
            sent.add(sendRecording(sender, new Delivery(queues.get(20), "alert", true), order));
            for (CompletableFuture<SendOutcome> f : sent) {
                assertThat(f.get(30, TimeUnit.SECONDS).kind).isEqualTo(SendOutcome.Kind.SENT);
            }
        }
        // One request slot: when the alert came, one broadcast message at most was under way; the alert left next,
        // before the broadcast messages still waiting.
        assertThat(order).hasSize(21);
        assertThat(order.indexOf("alert")).isLessThanOrEqualTo(answeredBeforeTheAlert + 1).isLessThan(20);
    }

    private static CompletableFuture<SendOutcome> sendRecording(BatchingSender sender, Delivery d, List<String> order) {
        CompletableFuture<SendOutcome> f = new CompletableFuture<>();
        sender.send(d, outcome -> {
            order.add(d.body);
            f.complete(outcome);
        });
        return f;
    }

    /**
     * However many request slots there are, a queue has one request in flight at a time: its messages leave in the
     * order they were handed over (a session's catch-up before its live messages), through a retry too. Other queues go
     * meanwhile. (In what order SQS stores the entries of one batch is its own affair: clients order them by sequence.)
     */
    @Test
    void aQueueGetsItsMessagesInTheOrderHandedOverThroughARetry() throws Exception {
        String queue = newQueue();
        String other = newQueue();
        List<String> sentToQueue = new CopyOnWriteArrayList<>();
        SqsAsyncClient throttledOnce = new FaultyClient(sqs, call -> call == 1 ? error(400, "ThrottlingException") : null) {
            @Override
            public CompletableFuture<SendMessageBatchResponse> sendMessageBatch(SendMessageBatchRequest request) {
                return super.sendMessageBatch(request).thenApply(r -> {
                    if (request.queueUrl().equals(queue)) {
                        request.entries().forEach(e -> sentToQueue.add(e.messageBody()));
                    }
                    return r;
                });
            }

            @Override
            public CompletableFuture<SendMessageResponse> sendMessage(SendMessageRequest request) {
                return super.sendMessage(request).thenApply(r -> {
                    if (request.queueUrl().equals(queue)) {
                        sentToQueue.add(request.messageBody());
                    }
                    return r;
                });
            }
        };
        List<Delivery> deliveries = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            deliveries.add(delivery(queue, "m" + (char) ('A' + i)));
            deliveries.add(delivery(other, "o" + i));
        }
        try (BatchingSender sender = new BatchingSender(throttledOnce, settings(16, 10_000), listener)) {
            assertThat(sendAll(sender, deliveries)).allMatch(o -> o.kind == SendOutcome.Kind.SENT);
        }
        assertThat(listener.retried.get()).isEqualTo(1);
        assertThat(sentToQueue).hasSize(30).isSortedAccordingTo(String::compareTo);
        assertThat(messagesIn(queue)).isEqualTo(30);
    }

    /**
     * A queue that becomes busy with a priority message holds its message without priority that was already waiting
     * too: with two request slots, the queue still has one request in flight at a time, the priority one first.
     */
    @Test
    void aBusyQueueHoldsWhatItHasWaitingOfEitherPriority() throws Exception {
        String queue = newQueue();
        AtomicInteger toQueueAtOnce = new AtomicInteger();
        AtomicInteger mostToQueueAtOnce = new AtomicInteger();
        SqsAsyncClient slow = new FaultyClient(sqs, call -> null) {
            private <T> CompletableFuture<T> slowly(String queueUrl, java.util.function.Supplier<CompletableFuture<T>> call) {
                boolean ours = queueUrl.equals(queue);
                if (ours) {
                    mostToQueueAtOnce.accumulateAndGet(toQueueAtOnce.incrementAndGet(), Math::max);
                }
                return CompletableFuture.runAsync(() -> {}, CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS))
                        .thenCompose(x -> call.get()).whenComplete((r, e) -> {
                            if (ours) {
                                toQueueAtOnce.decrementAndGet();
                            }
                        });
            }

            @Override
            public CompletableFuture<SendMessageBatchResponse> sendMessageBatch(SendMessageBatchRequest request) {
                return slowly(request.queueUrl(), () -> super.sendMessageBatch(request));
            }

            @Override
            public CompletableFuture<SendMessageResponse> sendMessage(SendMessageRequest request) {
                return slowly(request.queueUrl(), () -> super.sendMessage(request));
            }
        };
        List<String> order = new CopyOnWriteArrayList<>();
        List<CompletableFuture<SendOutcome>> sent = new ArrayList<>();
        try (BatchingSender sender = new BatchingSender(slow, settings(2, 10_000), listener)) {
            // Both slots taken by other queues; meanwhile the queue's two messages wait, one in each lane.
            sent.add(sendRecording(sender, new Delivery(newQueue(), "a", false), order));
            sent.add(sendRecording(sender, new Delivery(newQueue(), "b", false), order));
            sent.add(sendRecording(sender, new Delivery(queue, "later", false), order));
            sent.add(sendRecording(sender, new Delivery(queue, "alert", true), order));
            for (CompletableFuture<SendOutcome> f : sent) {
                assertThat(f.get(30, TimeUnit.SECONDS).kind).isEqualTo(SendOutcome.Kind.SENT);
            }
        }
        assertThat(mostToQueueAtOnce.get()).as("requests to the queue in flight at once").isEqualTo(1);
        assertThat(order.indexOf("alert")).isLessThan(order.indexOf("later"));
    }

    @Test
    void theApacheClientOnItsThreadsSendsAsTheNettyClientDoes() throws Exception {
        String queue = newQueue();
        List<Delivery> deliveries = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            deliveries.add(delivery(queue, "a" + i));
        }
        try (SqsAsyncClient apache = SenderClients.create(emulators.aws(), 4, SenderClients.Http.APACHE);
             BatchingSender sender = new BatchingSender(apache, settings(4, 10_000), listener)) {
            assertThat(sendAll(sender, deliveries)).allMatch(o -> o.kind == SendOutcome.Kind.SENT);
        }
        assertThat(messagesIn(queue)).isEqualTo(30);
    }

    @Test
    void batchesStayWithinTheSizeLimit() throws Exception {
        String queue = newQueue();
        List<Delivery> deliveries = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            deliveries.add(delivery(queue, "x".repeat(400)));
        }
        try (BatchingSender sender = new BatchingSender(sqs, SenderSettings.builder().maxInFlightRequests(1).retryForMillis(10_000).backoff(1, 5)
                .maxMessageBytes(1000).http(SenderClients.Http.NETTY).build(), listener)) {
            assertThat(sendAll(sender, deliveries)).allMatch(o -> o.kind == SendOutcome.Kind.SENT);
            assertThat(sendAll(sender, List.of(delivery(queue, "y".repeat(1001))))).extracting(o -> o.kind)
                    .containsExactly(SendOutcome.Kind.FAILED);
        }
        assertThat(listener.batchSizes).allMatch(n -> n <= 2);
        assertThat(messagesIn(queue)).isEqualTo(6);
    }

    @Test
    void aQueueThatNoLongerExistsDropsItsMessagesWithoutRetrying() throws Exception {
        String queue = newQueue();
        emulators.sqs().deleteQueue(b -> b.queueUrl(queue));
        try (BatchingSender sender = new BatchingSender(sqs, settings(4, 10_000), listener)) {
            assertThat(sendAll(sender, List.of(delivery(queue, "a"), delivery(queue, "b"))))
                    .allMatch(o -> o.kind == SendOutcome.Kind.QUEUE_GONE);
        }
        assertThat(listener.queueGone.get()).isEqualTo(2);
        assertThat(listener.retried.get()).isZero();
    }

    // ElasticMQ cannot be made to throttle or fail with 5xx, so the faults below come from a double that
    // fails the first calls and then passes the rest to the real ElasticMQ client.

    @Test
    void throttlingAndServerErrorsAreRetriedUntilTheyPass() throws Exception {
        String queue = newQueue();
        SqsAsyncClient flaky = new FaultyClient(sqs, call -> call <= 2 ? error(call == 1 ? 400 : 503,
                call == 1 ? "ThrottlingException" : "ServiceUnavailable") : null);
        try (BatchingSender sender = new BatchingSender(flaky, settings(1, 10_000), listener)) {
            assertThat(sendAll(sender, List.of(delivery(queue, "a")))).extracting(o -> o.kind)
                    .containsExactly(SendOutcome.Kind.SENT);
        }
        assertThat(listener.retried.get()).isEqualTo(2);
        assertThat(messagesIn(queue)).isEqualTo(1);
    }

    @Test
    void aMessageStillFailingWhenItsRetryTimeIsSpentIsReportedForTheDeadLetterOutput() throws Exception {
        String queue = newQueue();
        SqsAsyncClient down = new FaultyClient(sqs, call -> error(500, "InternalError"));
        try (BatchingSender sender = new BatchingSender(down, settings(2, 200), listener)) {
            SendOutcome outcome = sendAll(sender, List.of(delivery(queue, "a"))).get(0);
            assertThat(outcome.kind).isEqualTo(SendOutcome.Kind.FAILED);
            assertThat(outcome.reason).startsWith("failed after ").contains("last: InternalError (HTTP 500)");
        }
        assertThat(listener.retried.get()).isGreaterThan(5);
        assertThat(listener.failed.get()).isEqualTo(1);
    }

    @Test
    void aRequestRefusedForGoodIsNotRetried() throws Exception {
        SqsAsyncClient refusing = new FaultyClient(sqs, call -> error(400, "InvalidParameterValue"));
        try (BatchingSender sender = new BatchingSender(refusing, settings(2, 10_000), listener)) {
            SendOutcome outcome = sendAll(sender, List.of(delivery(newQueue(), "a"))).get(0);
            assertThat(outcome.kind).isEqualTo(SendOutcome.Kind.FAILED);
            assertThat(outcome.reason).startsWith("InvalidParameterValue (HTTP 400)");
        }
        assertThat(listener.retried.get()).isZero();
    }

    @Test
    void onlyTheFailedEntriesOfABatchAreRetried() throws Exception {
        String queue = newQueue();
        AtomicInteger calls = new AtomicInteger();
        // The first batch (a, b, c) reports entry 1 as a server-side failure and entry 2 as refused for good; the
        // response of a real SQS to such a batch, which ElasticMQ cannot be made to give.
        SqsAsyncClient partial = new SqsAsyncClient() {
            @Override
            public CompletableFuture<SendMessageResponse> sendMessage(SendMessageRequest request) {
                return sqs.sendMessage(request);
            }

            @Override
            public CompletableFuture<SendMessageBatchResponse> sendMessageBatch(SendMessageBatchRequest request) {
                if (calls.incrementAndGet() != 1) {
                    return sqs.sendMessageBatch(request);
                }
                SendMessageBatchRequest first = request.toBuilder().entries(request.entries().get(0)).build();
                return sqs.sendMessageBatch(first).thenApply(r -> r.toBuilder().failed(
                        BatchResultErrorEntry.builder().id("1").senderFault(false).code("InternalError").message("x").build(),
                        BatchResultErrorEntry.builder().id("2").senderFault(true).code("InvalidMessageContents").message("y").build())
                        .build());
            }

            @Override
            public String serviceName() {
                return "sqs";
            }

            @Override
            public void close() {}
        };
        List<Delivery> deliveries = List.of(delivery(queue, "a"), delivery(queue, "b"), delivery(queue, "c"));
        List<SendOutcome> outcomes;
        try (BatchingSender sender = new BatchingSender(partial, settings(1, 10_000), listener)) {
            // Hold the only slot with a first message so that a, b, c leave together in one batch.
            CompletableFuture<SendOutcome> blocker = new CompletableFuture<>();
            sender.send(delivery(queue, "first"), blocker::complete);
            outcomes = sendAll(sender, deliveries);
            assertThat(blocker.get(10, TimeUnit.SECONDS).kind).isEqualTo(SendOutcome.Kind.SENT);
        }
        assertThat(outcomes).extracting(o -> o.kind)
                .containsExactly(SendOutcome.Kind.SENT, SendOutcome.Kind.SENT, SendOutcome.Kind.FAILED);
        assertThat(outcomes.get(2).reason).startsWith("InvalidMessageContents");
        assertThat(listener.retried.get()).isEqualTo(1);
        assertThat(messagesIn(queue)).isEqualTo(3);
    }

    private static AwsServiceException error(int status, String code) {
        return AwsServiceException.builder().statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage("injected").build()).build();
    }

    /** Fault injection: the n-th call fails with what {@code faults} returns for n, or reaches ElasticMQ. */
    private static class FaultyClient implements SqsAsyncClient {
        private final SqsAsyncClient real;
        private final Function<Integer, AwsServiceException> faults;
        private final AtomicInteger calls = new AtomicInteger();

        FaultyClient(SqsAsyncClient real, Function<Integer, AwsServiceException> faults) {
            this.real = real;
            this.faults = faults;
        }

        @Override
        public CompletableFuture<SendMessageBatchResponse> sendMessageBatch(SendMessageBatchRequest request) {
            AwsServiceException fault = faults.apply(calls.incrementAndGet());
            return fault != null ? CompletableFuture.failedFuture(fault) : real.sendMessageBatch(request);
        }

        @Override
        public CompletableFuture<SendMessageResponse> sendMessage(SendMessageRequest request) {
            AwsServiceException fault = faults.apply(calls.incrementAndGet());
            return fault != null ? CompletableFuture.failedFuture(fault) : real.sendMessage(request);
        }

        @Override
        public String serviceName() {
            return "sqs";
        }

        @Override
        public void close() {}
    }

    private static final class Counting implements BatchingSender.Listener {
        final List<Integer> batchSizes = new CopyOnWriteArrayList<>();
        final AtomicInteger delivered = new AtomicInteger();
        final AtomicInteger retried = new AtomicInteger();
        final AtomicInteger queueGone = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();

        @Override
        public void batchSent(int entries) {
            batchSizes.add(entries);
        }

        @Override
        public void delivered(long latencyNanos) {
            delivered.incrementAndGet();
        }

        @Override
        public void retried() {
            retried.incrementAndGet();
        }

        @Override
        public void queueGone() {
            queueGone.incrementAndGet();
        }

        @Override
        public void failed() {
            failed.incrementAndGet();
        }
    }
}
