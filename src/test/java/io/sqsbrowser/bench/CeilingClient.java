package io.sqsbrowser.bench;

import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.crypto.MessageEncryptor;
import io.sqsbrowser.local.Emulators;
import io.sqsbrowser.local.LocalStack;
import io.sqsbrowser.sqs.SenderClients;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import software.amazon.awssdk.services.sqs.SqsAsyncClient;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * The ceiling, in a JVM of its own: the job's own SQS client (same HTTP client, same settings) sending
 * already-encrypted messages straight to every queue with the same number of requests in flight, nothing else.
 * {@code prepare <n>} encrypts n messages per queue (not timed) and answers {@code ready}; {@code go} sends them,
 * one SendMessage per queue (n = 1) or one SendMessageBatch of n, and answers {@code done}.
 *
 * <p>Arguments: sqs-endpoint sessions-file requests-in-flight APACHE|NETTY.
 */
public final class CeilingClient {
    private CeilingClient() {}

    public static void main(String[] args) throws Exception {
        LocalStack.exitWithParent();
        AwsSettings aws = new AwsSettings(Emulators.REGION, AwsSettings.Credentials.STATIC, "test", "test", Map.of("sqs", args[0]));
        List<String[]> sessions = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[1]))) {
            sessions.add(line.split("\t"));
        }
        int inFlight = Integer.parseInt(args[2]);
        MessageEncryptor encryptor = new MessageEncryptor();
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (SqsAsyncClient sqs = SenderClients.create(aws, inFlight, SenderClients.Http.parse(args[3]))) {
            List<List<String>> bodies = new ArrayList<>();
            String command;
            while ((command = commands.readLine()) != null && !command.equals("quit")) {
                if (command.startsWith("prepare ")) {
                    int perQueue = Integer.parseInt(command.substring(8));
                    bodies = encrypt(encryptor, sessions, perQueue);
                    System.out.println("ready");
                } else if (command.equals("go")) {
                    send(sqs, sessions, bodies, inFlight);
                    System.out.println("done");
                }
            }
        }
    }

    private static List<List<String>> encrypt(MessageEncryptor encryptor, List<String[]> sessions, int perQueue) {
        List<List<String>> bodies = new ArrayList<>(sessions.size());
        for (String[] s : sessions) {
            List<String> forQueue = new ArrayList<>(perQueue);
            for (int i = 0; i < perQueue; i++) {
                byte[] plaintext = ("{\"message\":\"Breaking news\",\"messageId\":\"ceiling-" + System.nanoTime() + "\"}")
                        .getBytes(StandardCharsets.UTF_8);
                forQueue.add(encryptor.encrypt(CipherFormat.fromAttribute(s[2]), Base64.getDecoder().decode(s[1]), plaintext));
            }
            bodies.add(forQueue);
        }
        return bodies;
    }

    private static void send(SqsAsyncClient sqs, List<String[]> sessions, List<List<String>> bodies, int inFlight)
            throws InterruptedException {
        Semaphore slots = new Semaphore(inFlight);
        List<CompletableFuture<?>> sends = new ArrayList<>(sessions.size());
        for (int q = 0; q < sessions.size(); q++) {
            slots.acquire();
            String queue = sessions.get(q)[0];
            List<String> forQueue = bodies.get(q);
            CompletableFuture<?> send;
            if (forQueue.size() == 1) {
                send = sqs.sendMessage(b -> b.queueUrl(queue).messageBody(forQueue.get(0)));
            } else {
                List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
                for (int i = 0; i < forQueue.size(); i++) {
                    entries.add(SendMessageBatchRequestEntry.builder().id(Integer.toString(i)).messageBody(forQueue.get(i)).build());
                }
                send = sqs.sendMessageBatch(b -> b.queueUrl(queue).entries(entries));
            }
            sends.add(send.whenComplete((r, e) -> slots.release()));
        }
        CompletableFuture.allOf(sends.toArray(new CompletableFuture<?>[0])).join();
    }
}
