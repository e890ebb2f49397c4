package io.sqsbrowser.sqs;

import io.sqsbrowser.aws.CallThreads;
import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequest;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;
import software.amazon.awssdk.services.sqs.model.SendMessageRequest;
import software.amazon.awssdk.services.sqs.model.SendMessageResponse;

/**
 * The synchronous SDK client (Apache HTTP) behind the asynchronous interface the sender uses: each send runs on
 * one of {@code threads} threads, as many as requests may be in flight. The Apache client writes a request in one
 * TCP segment train and costs less CPU per request than Netty on both ends of the connection (measured: see
 * docs/performance.md).
 */
final class BlockingSqsClient implements SqsAsyncClient {
    private final SqsClient sqs;
    private final CallThreads threads;

    BlockingSqsClient(SqsClient sqs, int threads) {
        this.sqs = sqs;
        this.threads = new CallThreads("sqs-sender", threads);
    }

    @Override
    public CompletableFuture<SendMessageBatchResponse> sendMessageBatch(SendMessageBatchRequest request) {
        return threads.call(() -> sqs.sendMessageBatch(request));
    }

    @Override
    public CompletableFuture<SendMessageResponse> sendMessage(SendMessageRequest request) {
        return threads.call(() -> sqs.sendMessage(request));
    }

    @Override
    public String serviceName() {
        return SERVICE_NAME;
    }

    @Override
    public void close() {
        threads.close();
        sqs.close();
    }
}
