package io.sqsbrowser.local;

import com.fasterxml.jackson.databind.JsonNode;
import io.sqsbrowser.client.SessionCredentials;
import io.sqsbrowser.client.SessionQueueClient;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * LOCAL ONLY: the seed's demo against the local stack, through its HTTP API: a session for user 200 of
 * account 100 following the topic "politics", "Hello User", "Hello Account", "Hello Everyone" and "Hello Politics"
 * through the notify API, and the four messages printed as they arrive, long-polled with the session's own credentials and decrypted with its key.
 */
public final class Demo {
    private static final String READY = "demo-ready";
    private static final int MESSAGES = 4;

    private Demo() {}

    public static void run(String api, PrintStream out) throws IOException, InterruptedException {
        String sessionId = "demo-" + UUID.randomUUID();
        JsonNode session = LocalHttp.api(api, "/create/100/200/" + sessionId + "?topics=politics").get("session");
        // The endpoint for session credentials: signatures and IAM are checked there, as on AWS.
        URI sqs = URI.create(LocalHttp.get(api + "/local/endpoints").get("browserSqsEndpoint").asText());
        out.printf("%nDemo: created session %s for user 200 of account 100, following politics%n  queue %s%n", sessionId,
                session.get("sqsUrl").asText());
        try (SessionQueueClient queue = SessionCredentials.queueClient(session, sqs)) {
            awaitSessionKnown(api, sessionId, queue);
            for (String notify : new String[] {"/notify/user/200?message=Hello+User",
                "/notify/account/100?message=Hello+Account", "/notify?message=Hello+Everyone",
                "/notify/topic/politics?message=Hello+Politics"}) {
                out.printf("  GET %s -> %s%n", notify, LocalHttp.api(api, notify));
            }
            out.println("Demo: long-polling the session's queue with its own credentials:");
            List<String> received = new ArrayList<>();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (received.size() < MESSAGES && System.nanoTime() < deadline) {
                for (String message : queue.receive(5)) {
                    if (!message.contains(READY)) {
                        received.add(message);
                        out.println("  " + message);
                    }
                }
            }
            if (received.size() < MESSAGES) {
                throw new IllegalStateException("the demo received " + received.size() + " of " + MESSAGES + " messages");
            }
        }
    }

    /** The job learns of the session through the change stream; a session-only ping tells when it has. */
    private static void awaitSessionKnown(String api, String sessionId, SessionQueueClient queue)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            LocalHttp.api(api, "/notify/user/200/session/" + sessionId + "?_type=" + READY + "&_sqs_only=true");
            if (!queue.receive(2).isEmpty()) {
                return;
            }
        }
        throw new IllegalStateException("the job did not learn of the demo session within a minute");
    }

    /** Lines to try: the API is IAM-authorized as on AWS, so curl signs with the local backend's keys. */
    static void printTryLines(String api, PrintStream out) {
        String curl = "curl -s --aws-sigv4 aws:amz:" + LocalIam.REGION + ":execute-api --user " + String.join(":", LocalStack.BACKEND_KEYS);
        out.printf("%nTry:%n");
        out.printf("  %s %s/create/100/201/my-session%n", curl, api);
        out.printf("  mvn -q -Plocal exec:exec -Dlocal.main=io.sqsbrowser.local.Listener -Dlocal.args=\"--local %s 100 201 my-session\"%n", api);
        out.printf("  %s \"%s/notify/user/201?message=Hi+there\"%n", curl, api);
        out.printf("  %s %s/messages/user/201%n", curl, api);
    }
}
