package io.sqsbrowser.ops;

import com.fasterxml.jackson.databind.JsonNode;
import io.sqsbrowser.ops.Report.CheckFailed;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cognitoidentity.CognitoIdentityClient;
import software.amazon.awssdk.services.cognitoidentity.model.ResourceNotFoundException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * The post-deployment check: run after {@code aws cloudformation deploy} with your own AWS credentials, it uses the
 * deployment as an application and its readers would, and prints one PASS/FAIL/SKIP line per check; it exits 1 if
 * any failed. Two sessions are created (a user and an account of their own, named {@code smoke-<random>}) and
 * destroyed at the end. The test suite runs the same code against the local stack.
 *
 * <pre>
 *   SmokeTest --stack prod-sqs-browser-events --region us-east-1 [--everyone]
 *   SmokeTest --local http://127.0.0.1:8080 [--everyone]
 * </pre>
 * An "everyone" message reaches every live session: it is sent only when the deployment has no live session but the
 * smoke test's own (a first deployment), or with {@code --everyone}; otherwise that check is skipped, and says so.
 */
public final class SmokeTest {
    private static final Duration ARRIVAL = Duration.ofSeconds(90);
    /** How soon the job's clean-up must have deleted a destroyed session's Cognito identity. */
    private static final Duration IDENTITY_DELETED = Duration.ofMinutes(1);
    private static final String TYPE = "sqs-browser-smoke-test";
    private static final String USAGE = "usage: SmokeTest --stack <stack name> --region <region> [--everyone]\n"
            + "       SmokeTest --local <local API url> [--everyone]";
    private final Deployment deployment;
    private final SignedApi api;
    private final Report report;
    private final boolean everyone;
    private final String run = UUID.randomUUID().toString().substring(0, 8);

    SmokeTest(Deployment deployment, PrintStream out, boolean everyone) {
        this.deployment = deployment;
        this.api = new SignedApi(deployment.apiUrl, deployment.region, deployment.operator);
        this.report = new Report(out);
        this.everyone = everyone;
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(System.out, args) == 0 ? 0 : 1);
    }

    /** Runs the checks the arguments name, printing to {@code out}; answers how many failed. */
    public static int run(PrintStream out, String... args) throws Exception {
        String stack = null;
        String region = null;
        String local = null;
        boolean everyone = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--stack": stack = args[++i]; break;
                case "--region": region = args[++i]; break;
                case "--local": local = args[++i]; break;
                case "--everyone": everyone = true; break;
                default: throw new IllegalArgumentException(USAGE);
            }
        }
        if ((stack == null || region == null) == (local == null)) {
            throw new IllegalArgumentException(USAGE);
        }
        Deployment deployment = local != null ? Deployment.ofLocalStack(local) : Deployment.ofStack(stack, region);
        return new SmokeTest(deployment, out, everyone).run();
    }

    /** Runs every check; answers the number that failed. */
    int run() {
        SmokeSession mine = create("smoke-a-" + run, "smoke-u-" + run, "smoke-s1-" + run);
        if (mine == null) {
            return report.failures();
        }
        SmokeSession other = create("smoke-a-" + run, "smoke-v-" + run, "smoke-s2-" + run);
        try {
            if (other != null) {
                firstMoments(mine, other);
                credentials(mine, other);
                delivery(mine, other);
                principalTag(mine, other);
            }
            destroy(mine);
        } finally {
            mine.close();
            if (other != null) {
                api.get("/destroy/" + other.path());
                other.close();
            }
        }
        return report.failures();
    }

    private SmokeSession create(String account, String user, String session) {
        SmokeSession[] created = {null};
        report.check("create-session", () -> {
            SignedApi.Answer a = api.get("/create/" + account + "/" + user + "/" + session);
            if (!a.ok() || !a.body.path("session").hasNonNull("sessionToken")) {
                throw new CheckFailed("/create answered " + a.status + " " + a.body.path("message").asText());
            }
            created[0] = new SmokeSession(account, user, session, a.body.get("session"), deployment.sessionSqsEndpoint);
            report.pass("create-session", user + "/" + session + ": queue " + a.body.get("session").get("sqsQueueName").asText()
                    + ", cipher " + a.body.get("session").get("cipher").asText());
        });
        return created[0];
    }

    /** The session's credentials reach its own queue, and are refused everywhere else that matters. */
    private void credentials(SmokeSession mine, SmokeSession other) {
        report.check("receive-own-queue", () -> {
            mine.sqs.receiveMessage(b -> b.queueUrl(mine.queueUrl()).waitTimeSeconds(0));
            report.pass("receive-own-queue", "ReceiveMessage on " + mine.queueUrl());
        });
        refused("refused-other-queue", () -> mine.sqs.receiveMessage(b -> b.queueUrl(other.queueUrl()).waitTimeSeconds(0)));
        refused("refused-dead-letter-queue", () -> mine.sqs.receiveMessage(b -> b.queueUrl(deployment.deadLetterQueueUrl).waitTimeSeconds(0)));
        refused("refused-send", () -> mine.sqs.sendMessage(b -> b.queueUrl(mine.queueUrl()).messageBody("forged")));
        report.check("caller-identity", () -> {
            try (StsClient sts = StsClient.builder().region(Region.of(deployment.region))
                    .credentialsProvider(mine.sqs.serviceClientConfiguration().credentialsProvider())
                    .applyMutation(b -> {
                        if (deployment.endpoint("sts") != null) {
                            b.endpointOverride(deployment.endpoint("sts"));
                        }
                    }).build()) {
                // Needs no permission (AWS: "No permissions are required to perform this operation"): what any holder learns.
                report.pass("caller-identity", "the credentials are " + sts.getCallerIdentity().arn());
            }
        });
    }

    private void refused(String check, Runnable call) {
        report.check(check, () -> {
            try {
                call.run();
            } catch (AwsServiceException e) {
                if (e.statusCode() == 403) {
                    report.pass(check, "refused: " + e.awsErrorDetails().errorCode());
                    return;
                }
                throw new CheckFailed("failed, but not as refused: " + e.awsErrorDetails().errorCode());
            }
            throw new CheckFailed("allowed: the session's credentials reach more than their own queue");
        });
    }

    /**
     * Messages sent the moment {@code /create} answered, before the job can have learnt of the sessions through the
     * change stream, arrive all the same (SPEC §4; the job's grace window).
     */
    private void firstMoments(SmokeSession mine, SmokeSession other) {
        report.check("first-moments", () -> {
            long started = System.nanoTime();
            String user = sentAndReceived("/notify/user/" + other.userId, other);
            String account = sentAndReceived("/notify/account/" + mine.accountId, mine, other);
            report.pass("first-moments", String.format("a user and an account message sent as /create answered arrived "
                    + "(%.1f s): %s, %s", (System.nanoTime() - started) / 1e9, user, account));
        });
    }

    /** User, account, topic and everyone messages arrive and decrypt; history and read receipts (also asynchronous) work. */
    private void delivery(SmokeSession mine, SmokeSession other) {
        String[] userMessage = {null};
        String[] topicMessage = {null};
        report.check("user-message", () -> {
            userMessage[0] = sentAndReceived("/notify/user/" + mine.userId, mine);
            report.pass("user-message", "arrived and decrypted: " + userMessage[0]);
        });
        report.check("account-message", () -> {
            String id = sentAndReceived("/notify/account/" + mine.accountId, mine, other);
            report.pass("account-message", "arrived in both sessions of the account: " + id);
        });
        report.check("topic-message", () -> {
            // A topic of this run alone: no reader follows it. Sent the moment /topics answers, the message arrives only if
            // following takes effect then (the grace window, with DynamoDB's change time against Kinesis's arrival time).
            String topic = "topic-" + mine.sessionId;
            SignedApi.Answer follow = api.get("/topics/" + mine.accountId + "/" + mine.userId + "/" + mine.sessionId + "?add=" + topic);
            if (!follow.ok() || !follow.body.path("topics").toString().contains(topic)) {
                throw new CheckFailed("/topics answered " + follow.status + " " + follow.body.path("message").asText());
            }
            String id = sentAndReceived("/notify/topic/" + topic, mine);
            topicMessage[0] = id;
            report.pass("topic-message", "followed " + topic + " through /topics; a message sent as it answered arrived: " + id);
        });
        report.check("rewind", () -> {
            // The other session follows this run's topic only now, asking for the last five minutes: the topic's message
            // sent before reaches it, numbered in its sequence (the job's scope log, and the sequence clients check).
            if (topicMessage[0] == null) {
                throw new CheckFailed("no topic message to rewind to (topic-message failed)");
            }
            String topic = "topic-" + mine.sessionId;
            SignedApi.Answer follow = api.get("/topics/" + other.path() + "?add=" + topic + "&rewind=300");
            if (!follow.ok()) {
                throw new CheckFailed("/topics?rewind answered " + follow.status + " " + follow.body.path("message").asText());
            }
            if (other.awaitMessage(topicMessage[0], ARRIVAL) == null) {
                throw new CheckFailed("the topic's message sent before " + other.path() + " followed it did not arrive within "
                        + ARRIVAL.toSeconds() + " s");
            }
            String sequence = other.sequenceOf(topicMessage[0]);
            if (sequence == null || !sequence.matches("[0-9a-f]{8}:[1-9][0-9]*(~[1-9][0-9]*)?")) {
                throw new CheckFailed("the rewound message came without its place in the session's sequence: " + sequence);
            }
            report.pass("rewind", other.path() + " followed " + topic + " with rewind=300; its earlier message arrived, numbered " + sequence);
        });
        report.check("everyone-message", () -> {
            int others = otherLiveSessions(Set.of(mine.sessionId, other.sessionId));
            if (others > 0 && !everyone) {
                report.skip("everyone-message", "not sent: it would reach " + (others >= 50 ? "50 or more" : others)
                        + " live session(s) of your readers; give --everyone to send it anyway");
                return;
            }
            String id = sentAndReceived("/notify", mine, other);
            report.pass("everyone-message", "arrived in both sessions: " + id);
        });
        if (userMessage[0] == null) {
            return;
        }
        report.check("history", () -> {
            await("the user message in " + "/messages/user/" + mine.userId, () -> historyRow(mine.userId, userMessage[0]) != null);
            report.pass("history", "the user message is stored for its user, unread");
        });
        report.check("read-receipt", () -> {
            SignedApi.Answer a = api.get("/messages/set-read/user/" + mine.userId + "/message/" + userMessage[0]);
            if (!a.ok() || !a.body.path("messages-receipted").toString().contains(userMessage[0])) {
                throw new CheckFailed("set-read answered " + a);
            }
            awaitReceipt(mine, userMessage[0]);
            report.pass("read-receipt", "marked read, and the receipt reached the session");
        });
        report.check("async-read-receipt", () -> {
            String id = sentAndReceived("/notify/user/" + mine.userId, mine);
            await("the second message's history row", () -> historyRow(mine.userId, id) != null);
            SignedApi.Answer a = api.get("/messages/set-read/user/" + mine.userId + "/message/" + id + "?async=true");
            if (!a.ok() || !a.body.path("async").asBoolean()) {
                throw new CheckFailed("set-read with async answered " + a);
            }
            await("the asynchronous set-read to mark the row read", () -> {
                JsonNode row = historyRow(mine.userId, id);
                return row != null && row.path("is_read").asInt() == 1;
            });
            awaitReceipt(mine, id);
            report.pass("async-read-receipt", "the asynchronous work ran (through the function's alias) and its receipt arrived");
        });
    }

    /** Sends a message through the notify API; answers its id once every session got it. */
    private String sentAndReceived(String notifyPath, SmokeSession... recipients) {
        SignedApi.Answer sent = api.get(notifyPath + "?_type=" + TYPE + "&message=" + encode("smoke test " + run));
        if (!sent.ok()) {
            throw new CheckFailed(notifyPath + " answered " + sent);
        }
        String id = sent.body.get("messageId").asText();
        for (SmokeSession s : recipients) {
            JsonNode m = s.awaitMessage(id, ARRIVAL);
            if (m == null) {
                throw new CheckFailed("message " + id + " did not reach " + s.path() + " within " + ARRIVAL.toSeconds() + " s");
            }
            if (!("smoke test " + run).equals(m.path("message").asText())) {
                throw new CheckFailed("message " + id + " decrypted to something else: " + m);
            }
        }
        return id;
    }

    private void awaitReceipt(SmokeSession s, String messageId) {
        JsonNode receipt = s.await(m -> "message-read-receipt".equals(m.path("_type").asText())
                && m.path("messages-receipted").toString().contains("\"" + messageId + "\""), ARRIVAL);
        if (receipt == null) {
            throw new CheckFailed("no read receipt for " + messageId + " reached " + s.path());
        }
    }

    private JsonNode historyRow(String userId, String messageId) {
        SignedApi.Answer a = api.get("/messages/user/" + userId);
        if (!a.ok()) {
            throw new CheckFailed("/messages/user/" + userId + " answered " + a);
        }
        for (JsonNode m : a.body.get("messages")) {
            if (messageId.equals(m.path("messageId").asText())) {
                return m;
            }
        }
        return null;
    }

    /** Live sessions other than these, counted exactly up to 50. */
    private int otherLiveSessions(Set<String> own) {
        return LiveSessions.others(next -> {
            SignedApi.Answer a = api.get("/status?limit=1000" + (next == null ? "" : "&next=" + encode(next)));
            if (!a.ok()) {
                throw new CheckFailed("/status answered " + a);
            }
            return a.body;
        }, own, 50);
    }

    /** Whether the principal tag reaches the credentials: reported, either way a pass (the role works with both). */
    private void principalTag(SmokeSession mine, SmokeSession other) {
        report.check("principal-tag", () -> {
            PrincipalTagProbe.Result result;
            try {
                result = new PrincipalTagProbe(deployment).run(mine.queueUrl(), other.queueUrl());
            } catch (AwsServiceException e) {
                if (e.statusCode() == 403 || "NotAuthorizedException".equals(e.awsErrorDetails().errorCode())) {
                    report.skip("principal-tag", "your credentials may not call cognito-identity:GetOpenIdTokenForDeveloperIdentity: "
                            + e.awsErrorDetails().errorCode());
                    return;
                }
                throw e;
            }
            report.pass("principal-tag", result == PrincipalTagProbe.Result.CARRIED
                    ? "carried: the credentials hold sqs-browser-queue, and a role assumed without the session policy reaches only that queue"
                    : "not carried by Cognito's basic flow: the session policy alone keeps each client to its own queue");
        });
    }

    /**
     * {@code /destroy} deletes the queue: the session's credentials (still valid) then find no queue. And the job's
     * clean-up deletes the session's Cognito identity, under the job's own role: only AWS can say whether that role may
     * (DeleteIdentities has no resource type), so the check asks Cognito itself.
     */
    private void destroy(SmokeSession mine) {
        String identity = identityOf(mine);
        report.check("destroy", () -> {
            SignedApi.Answer a = api.get("/destroy/" + mine.path());
            if (!a.ok()) {
                throw new CheckFailed("/destroy answered " + a);
            }
            // SQS may take up to 60 seconds to delete a queue.
            await("the queue to be gone", () -> {
                try {
                    mine.sqs.receiveMessage(b -> b.queueUrl(mine.queueUrl()).waitTimeSeconds(0));
                    return false;
                } catch (QueueDoesNotExistException gone) {
                    return true;
                }
            });
            SignedApi.Answer status = api.get("/status/" + mine.path());
            if (status.status != 404) {
                throw new CheckFailed("/status of the destroyed session answered " + status);
            }
            report.pass("destroy", "the queue is gone (its credentials find no queue) and the session is unknown");
        });
        if (identity == null) {
            return;
        }
        report.check("identity-deleted", () -> {
            long started = System.nanoTime();
            try (CognitoIdentityClient cognito = deployment.client(CognitoIdentityClient.builder(), "cognito-identity")) {
                awaitWithin(IDENTITY_DELETED, "the job to delete the session's Cognito identity " + identity, () -> {
                    try {
                        cognito.describeIdentity(b -> b.identityId(identity));
                        return false;
                    } catch (ResourceNotFoundException gone) {
                        return true;
                    }
                });
            }
            report.pass("identity-deleted", String.format("the job deleted the session's Cognito identity (%.1f s after /destroy)",
                    (System.nanoTime() - started) / 1e9));
        });
    }

    /** The session's Cognito identity, whose developer user is its queue's name; null (and a skip) when not allowed to ask. */
    private String identityOf(SmokeSession session) {
        String[] identity = {null};
        report.check("identity-deleted", () -> {
            try (CognitoIdentityClient cognito = deployment.client(CognitoIdentityClient.builder(), "cognito-identity")) {
                identity[0] = cognito.lookupDeveloperIdentity(b -> b.identityPoolId(deployment.identityPoolId)
                        .developerUserIdentifier(session.session.get("sqsQueueName").asText())).identityId();
            } catch (AwsServiceException e) {
                if (e.statusCode() != 403 && !"NotAuthorizedException".equals(e.awsErrorDetails().errorCode())) {
                    throw e;
                }
                report.skip("identity-deleted", "your credentials may not call cognito-identity:LookupDeveloperIdentity "
                        + "(the stack's SmokeTestPolicy allows it): " + e.awsErrorDetails().errorCode());
            }
        });
        return identity[0];
    }

    private static void await(String what, BooleanSupplier done) {
        awaitWithin(ARRIVAL, what, done);
    }

    private static void awaitWithin(Duration limit, String what, BooleanSupplier done) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new CheckFailed("waited " + limit.toSeconds() + " s for " + what);
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CheckFailed("interrupted waiting for " + what);
            }
        }
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
