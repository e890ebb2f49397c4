package io.sqsbrowser.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sqsbrowser.client.SessionCredentials;
import io.sqsbrowser.client.SessionQueueClient;
import java.io.File;
import java.net.URI;

/**
 * Listens to one session's queue: long-polls it with the session's credentials, prints each message decrypted,
 * as one line of JSON, and deletes it after printing. Replaces the seed's shell loop and decrypt script.
 *
 * <pre>
 *   Listener --session create-answer.json [--endpoint http://sqs-endpoint]   (a /create answer; on AWS too)
 *   Listener --local http://127.0.0.1:8080 accountId userId sessionId        (the local stack: creates or renews)
 * </pre>
 */
public final class Listener {
    private Listener() {}

    public static void main(String[] args) throws Exception {
        LocalStack.exitWithParent();
        JsonNode session;
        URI endpoint = null;
        if (args.length == 5 && args[0].equals("--local")) {
            session = LocalHttp.api(args[1], "/create/" + args[2] + "/" + args[3] + "/" + args[4]).get("session");
            endpoint = URI.create(LocalHttp.get(args[1] + "/local/endpoints").get("browserSqsEndpoint").asText());
        } else if (args.length >= 2 && args[0].equals("--session")) {
            JsonNode json = args[1].equals("-") ? new ObjectMapper().readTree(System.in) : new ObjectMapper().readTree(new File(args[1]));
            session = json.has("session") ? json.get("session") : json;
            if (args.length == 4 && args[2].equals("--endpoint")) {
                endpoint = URI.create(args[3]);
            }
        } else {
            System.err.println("usage: Listener --session <create-answer.json|-> [--endpoint <sqs endpoint>]");
            System.err.println("       Listener --local <api url> <accountId> <userId> <sessionId>");
            System.exit(2);
            return;
        }
        System.err.println("Listening to " + session.get("sqsUrl").asText() + " (Ctrl-C to stop)");
        try (SessionQueueClient queue = SessionCredentials.queueClient(session, endpoint)) {
            while (true) {
                for (String message : queue.receive(20)) {
                    System.out.println(message);
                }
                System.out.flush();
            }
        }
    }
}
