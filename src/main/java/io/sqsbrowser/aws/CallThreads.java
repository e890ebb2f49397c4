package io.sqsbrowser.aws;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * Synchronous SDK calls made on daemon threads of their own, answered as futures. Two reasons: the SDK's
 * Apache client costs less CPU per request than its Netty client, and whatever a call costs (marshalling,
 * signing, the HTTP exchange) is kept off the caller's thread: an asynchronous client prepares and signs each
 * request on the thread that calls it, which for an operator is the task thread that should be reading input.
 */
public final class CallThreads implements AutoCloseable {
    private final ExecutorService threads;

    public CallThreads(String name, int count) {
        this.threads = Executors.newFixedThreadPool(count, DaemonThreads.factory(name));
    }

    public <T> CompletableFuture<T> call(Supplier<T> call) {
        try {
            return CompletableFuture.supplyAsync(call, threads);
        } catch (RejectedExecutionException closed) {
            return CompletableFuture.failedFuture(closed);
        }
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
