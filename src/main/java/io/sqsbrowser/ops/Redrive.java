package io.sqsbrowser.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sqsbrowser.deadletter.Parsed;
import io.sqsbrowser.event.DeliveryEvent;
import io.sqsbrowser.event.EventParser;
import io.sqsbrowser.history.HistoryRowUpdate;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvocationType;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * The operator's tool for what the deployment could not do by itself. Each message it cannot act on stays in its
 * queue, visible again at once; each one it acted on is deleted, after the action succeeded.
 *
 * <pre>
 *   Redrive (--stack NAME --region REGION | --local API) inspect          every dead letter, one line each; nothing changes
 *   Redrive (--stack NAME --region REGION | --local API) dead-letters [--as-everyone]   redrives what can be: see below
 *   Redrive --stack NAME --region REGION async-failures                   re-invokes failed asynchronous API work
 * </pre>
 * Dead letters of stage {@code delivery} (SQS refused a message for good) go back on the event stream aimed at their
 * one session (its messageId and account kept, {@code userId} and {@code sessionId} set, what chose the first
 * audience, {@code _everyone} or {@code topic}, removed), so the job encrypts and sends them again; those of stage
 * {@code history} are written to the history table (as the job writes rows: never over an existing row; {@code created}
 * is when the row was refused). An event refused for having no audience goes back to everyone only when the operator
 * says it was meant so ({@code dead-letters --as-everyone}). The others ({@code event}, {@code session-change},
 * {@code session-scan}: the record itself is invalid) and truncated payloads stay, to inspect: fix the producer, then
 * purge the queue. Failed asynchronous work is invoked again through the function's alias.
 */
public final class Redrive {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY = 262_144;
    private final Deployment deployment;
    private final PrintStream out;
    private final long historyTtlSeconds;

    Redrive(Deployment deployment, PrintStream out, long historyTtlSeconds) {
        this.deployment = deployment;
        this.out = out;
        this.historyTtlSeconds = historyTtlSeconds;
    }

    public static void main(String[] args) throws Exception {
        String stack = null;
        String region = null;
        String local = null;
        String what = null;
        long ttlHours = 24;
        boolean asEveryone = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--as-everyone": asEveryone = true; break;
                case "--stack": stack = args[++i]; break;
                case "--region": region = args[++i]; break;
                case "--local": local = args[++i]; break;
                case "--history-ttl-hours": ttlHours = Long.parseLong(args[++i]); break;
                default: what = args[i];
            }
        }
        if ((stack == null || region == null) == (local == null) || what == null) {
            System.err.println("usage: Redrive (--stack <name> --region <region> | --local <api url>) "
                    + "inspect|dead-letters [--as-everyone]|async-failures [--history-ttl-hours 24]");
            System.exit(2);
        }
        Deployment deployment = local != null ? Deployment.ofLocalStack(local) : Deployment.ofStack(stack, region);
        Redrive redrive = new Redrive(deployment, System.out, ttlHours * 3600);
        switch (what) {
            case "inspect": redrive.inspect(); break;
            case "dead-letters": redrive.deadLetters(asEveryone); break;
            case "async-failures": redrive.asyncFailures(); break;
            default:
                System.err.println("inspect, dead-letters or async-failures, not " + what);
                System.exit(2);
        }
    }

    void inspect() {
        drain(deployment.deadLetterQueueUrl, body -> {
            JsonNode d = json(body);
            out.printf("%-14s %s | messageId=%s userId=%s sessionId=%s source=%s%n", d.path("stage").asText(),
                    d.path("reason").asText(), d.path("messageId").asText(""), d.path("userId").asText(""),
                    d.path("sessionId").asText(""), d.path("source").asText(""));
            return false;
        });
    }

    /** @param toEveryone events refused for having no audience go back to everyone (the operator knows they were meant so) */
    void deadLetters(boolean toEveryone) {
        try (KinesisClient kinesis = deployment.client(KinesisClient.builder(), "kinesis");
             DynamoDbClient dynamoDb = deployment.client(DynamoDbClient.builder(), "dynamodb")) {
            EventParser parser = new EventParser(MAX_BODY);
            drain(deployment.deadLetterQueueUrl, body -> {
                JsonNode d = json(body);
                String stage = d.path("stage").asText();
                String id = d.path("messageId").asText("");
                if (d.path("payloadTruncated").asBoolean() || !"utf-8".equals(d.path("payloadEncoding").asText())) {
                    return kept(stage, id, "its payload is not whole: replay it from the source");
                }
                String payload = d.path("payload").asText();
                if (stage.equals("delivery")) {
                    // Aimed at the one session SQS refused it for: what chose its first audience (everyone, a topic the
                    // session may no longer follow) goes; the account stays, narrowing as before.
                    ObjectNode event = (ObjectNode) json(payload);
                    event.remove(EventParser.EVERYONE);
                    event.remove("topic");
                    event.put("userId", d.path("userId").asText());
                    event.put("sessionId", d.path("sessionId").asText());
                    return put(kinesis, parser, stage, id, event, "once aimed at its session");
                }
                if (stage.equals(EventParser.STAGE) && d.path("reason").asText().startsWith(EventParser.NO_AUDIENCE)
                        && !json(payload).has(EventParser.EVERYONE)) {
                    if (!toEveryone) {
                        return kept(stage, id, "no audience: once you know it was meant for everyone, redrive it with --as-everyone "
                                + "(or fix its producer and send it again)");
                    }
                    ObjectNode event = (ObjectNode) json(payload);
                    event.put(EventParser.EVERYONE, true);
                    return put(kinesis, parser, stage, id, event, "to everyone");
                }
                if (stage.equals("history")) {
                    JsonNode type = json(payload).path("_type");
                    dynamoDb.updateItem(HistoryRowUpdate.request(deployment.historyTable, historyTtlSeconds, d.path("userId").asText(),
                            id, d.path("timeMillis").asLong() / 1000, type.isTextual() ? type.asText() : null, payload));
                    return redriven(stage, id, "history row of " + d.path("userId").asText());
                }
                return kept(stage, id, "an invalid record (" + d.path("reason").asText() + "): fix its producer");
            });
        }
    }

    /** Puts a redriven event on the stream, checked by the job's parser first; the outcome, printed. */
    private boolean put(KinesisClient kinesis, EventParser parser, String stage, String id, ObjectNode event, String how) {
        Parsed<DeliveryEvent> parsed = parser.parse(event.toString().getBytes(StandardCharsets.UTF_8),
                deployment.eventStream, "redrive", "0", System.currentTimeMillis());
        if (parsed.deadLetter != null) {
            return kept(stage, id, "not a valid event " + how + ": " + parsed.deadLetter.reason);
        }
        String key = parsed.value.userId != null ? parsed.value.userId : parsed.value.messageId;
        kinesis.putRecord(b -> b.streamName(deployment.eventStream).partitionKey(key).data(SdkBytes.fromByteArray(parsed.value.payload)));
        return redriven(stage, id, "on the event stream " + how + (parsed.value.userId != null
                ? " (" + parsed.value.userId + "/" + parsed.value.sessionId + ")" : ""));
    }

    void asyncFailures() {
        if (deployment.asyncFailureQueueUrl == null || deployment.functionName == null) {
            throw new IllegalStateException("the deployment has no async-failure queue or function (the local stack runs async work inline)");
        }
        try (LambdaClient lambda = deployment.client(LambdaClient.builder(), "lambda")) {
            drain(deployment.asyncFailureQueueUrl, body -> {
                JsonNode record = json(body);
                JsonNode request = record.path("requestPayload");
                if (!request.isObject()) {
                    return kept("async", "", "no requestPayload in the record");
                }
                lambda.invoke(b -> b.functionName(deployment.functionName).qualifier(deployment.functionAlias)
                        .invocationType(InvocationType.EVENT).payload(SdkBytes.fromUtf8String(request.toString())));
                return redriven("async", request.path("path").asText(), "invoked again (" + record.path("requestContext")
                        .path("condition").asText("failed") + " before): " + record.path("responsePayload").path("errorMessage").asText(""));
            });
        }
    }

    private boolean redriven(String stage, String id, String what) {
        out.printf("REDRIVEN %-10s %s: %s%n", stage, id, what);
        return true;
    }

    private boolean kept(String stage, String id, String why) {
        out.printf("KEPT     %-10s %s: %s%n", stage, id, why);
        return false;
    }

    /**
     * Every message of the queue once: deleted when {@code handled} says so (after it acted), else made visible
     * again when the pass ends.
     */
    private void drain(String queueUrl, Function<String, Boolean> handled) {
        List<String> keptHandles = new ArrayList<>();
        int done = 0;
        try (SqsClient sqs = deployment.client(SqsClient.builder(), "sqs")) {
            while (true) {
                List<Message> messages = sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10)
                        .visibilityTimeout(300).waitTimeSeconds(1)).messages();
                if (messages.isEmpty()) {
                    break;
                }
                for (Message m : messages) {
                    if (handled.apply(m.body())) {
                        sqs.deleteMessage(b -> b.queueUrl(queueUrl).receiptHandle(m.receiptHandle()));
                        done++;
                    } else {
                        keptHandles.add(m.receiptHandle());
                    }
                }
            }
            for (String handle : keptHandles) {
                sqs.changeMessageVisibility(b -> b.queueUrl(queueUrl).receiptHandle(handle).visibilityTimeout(0));
            }
        }
        out.printf("%d acted on and deleted, %d left in %s%n", done, keptHandles.size(), queueUrl);
    }

    private static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + text.substring(0, Math.min(80, text.length())), e);
        }
    }
}
