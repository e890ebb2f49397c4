package io.sqsbrowser.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sqsbrowser.aws.QueueNames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LOCAL ONLY: the part of AWS IAM the local stand-ins need, with AWS's rules for it. It knows two kinds of
 * principal: the local "developer" keys the job and the Lambda sign with (allowed everything, as their roles
 * are for the calls they make), and the temporary credentials its STS issued to sessions. A session's request
 * is allowed only when the session role's own policy AND the session policy given to AssumeRoleWithWebIdentity
 * both allow it, with {@code ${aws:PrincipalTag/...}} read from the tags the Cognito token carried; an explicit
 * Deny in either wins; expired credentials are refused as AWS refuses them.
 *
 * <p>{@link #sessionRolePolicy} is the session role's policy exactly as the CloudFormation template declares it
 * (the deployment consistency test compares them), so the attacker tests run against the deployed policy. Of
 * conditions it evaluates the {@code Null} operator, the one that policy uses; any other is refused at once rather
 * than ignored.
 */
public final class LocalIam {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    public static final String ACCOUNT = "000000000000";
    /** The tag the Lambda puts on a session's Cognito token: the name of the session's queue. */
    public static final String QUEUE_TAG = QueueNames.SESSION_QUEUE_TAG;
    private static final String QUEUE_ACTIONS = "[\"sqs:ReceiveMessage\",\"sqs:DeleteMessage\",\"sqs:ChangeMessageVisibility\","
            + "\"sqs:GetQueueAttributes\"]";
    private static final String TAG_KEY = "aws:PrincipalTag/";
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{aws:PrincipalTag/([^}]+)}");

    /** Keys of the local developer principals (the job, the Lambda, the tests' admin clients) and their secrets. */
    private final Map<String, String> developerKeys = Map.of("local", "local", "test", "test");
    private final Map<String, SessionCredentials> issued = new ConcurrentHashMap<>();
    private final String sessionRolePolicy;

    /** @param queuePrefix the deployment's session-queue prefix, which the session role's policy names */
    public LocalIam(String queuePrefix) {
        sessionRolePolicy = sessionRolePolicy(queuePrefix);
    }

    /**
     * The session role's policy for a deployment, with the local partition, region and account: the four queue
     * actions on the queue the principal tag names when the credentials carry it; without the tag (should Cognito's
     * basic flow not carry it into STS), on this deployment's session queues, which the session policy the Lambda
     * always passes narrows to one.
     */
    public static String sessionRolePolicy(String queuePrefix) {
        String queues = "arn:aws:sqs:" + Emulators.REGION + ":" + ACCOUNT + ":";
        return "{\"Version\":\"2012-10-17\",\"Statement\":["
                + "{\"Sid\":\"TaggedQueue\",\"Effect\":\"Allow\",\"Action\":" + QUEUE_ACTIONS + ","
                + "\"Resource\":\"" + queues + "${aws:PrincipalTag/" + QUEUE_TAG + "}\"},"
                + "{\"Sid\":\"DeploymentQueuesWhenUntagged\",\"Effect\":\"Allow\",\"Action\":" + QUEUE_ACTIONS + ","
                + "\"Resource\":\"" + queues + QueueNames.iamPattern(queuePrefix) + "\","
                + "\"Condition\":{\"Null\":{\"aws:PrincipalTag/" + QUEUE_TAG + "\":\"true\"}}}]}";
    }

    /** Temporary credentials issued by the local STS for one assumed-role session. */
    public static final class SessionCredentials {
        public final String accessKeyId;
        public final String secretAccessKey;
        public final String sessionToken;
        public final Instant expiration;
        public final String roleArn;
        public final String roleSessionName;
        final JsonNode rolePolicy;
        final JsonNode sessionPolicy;
        public final Map<String, String> tags;

        SessionCredentials(String roleArn, String roleSessionName, JsonNode rolePolicy, JsonNode sessionPolicy,
                Map<String, String> tags, Instant expiration) {
            String id = randomToken(12).toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "X");
            this.accessKeyId = "ASIA" + id.substring(0, 16);
            this.secretAccessKey = randomToken(30);
            this.sessionToken = "local-session-token/" + randomToken(48);
            this.expiration = expiration;
            this.roleArn = roleArn;
            this.roleSessionName = roleSessionName;
            this.rolePolicy = rolePolicy;
            this.sessionPolicy = sessionPolicy;
            this.tags = Map.copyOf(tags);
        }

        String arn() {
            return roleArn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/") + "/" + roleSessionName;
        }
    }

    /** Why a request is refused, in the words (and error code) AWS uses. */
    public static final class Refusal extends Exception {
        private static final long serialVersionUID = 1L;
        public final String code;
        public final int status;

        Refusal(String code, int status, String message) {
            super(message, null, false, false);
            this.code = code;
            this.status = status;
        }
    }

    public SessionCredentials issue(String roleArn, String roleSessionName, String sessionPolicy, Map<String, String> tags,
            Instant expiration) {
        SessionCredentials c = new SessionCredentials(roleArn, roleSessionName, parse(sessionRolePolicy),
                sessionPolicy == null ? null : parse(sessionPolicy), tags, expiration);
        issued.put(c.accessKeyId, c);
        return c;
    }

    /** The secret of a known access key, for signature checks; null when unknown. */
    String secretOf(String accessKeyId) {
        String developer = developerKeys.get(accessKeyId);
        if (developer != null) {
            return developer;
        }
        SessionCredentials c = issued.get(accessKeyId);
        return c == null ? null : c.secretAccessKey;
    }

    /** The ARN of the principal that signed with {@code accessKeyId}, as STS GetCallerIdentity answers it. */
    String callerArn(String accessKeyId, String sessionToken) throws Refusal {
        if (developerKeys.containsKey(accessKeyId)) {
            return "arn:aws:iam::" + ACCOUNT + ":user/" + accessKeyId;
        }
        SessionCredentials c = issued.get(accessKeyId);
        if (c == null || !c.sessionToken.equals(sessionToken)) {
            throw new Refusal("InvalidClientTokenId", 403, "The security token included in the request is invalid.");
        }
        return c.arn();
    }

    /**
     * Whether the principal that signed with {@code accessKeyId} (and sent {@code sessionToken}) may call
     * {@code action} on {@code resource}; throws the refusal AWS would answer.
     */
    public void authorize(String accessKeyId, String sessionToken, String action, String resource) throws Refusal {
        if (developerKeys.containsKey(accessKeyId)) {
            return;
        }
        SessionCredentials c = issued.get(accessKeyId);
        if (c == null || !c.sessionToken.equals(sessionToken)) {
            throw new Refusal("InvalidClientTokenId", 403, "The security token included in the request is invalid.");
        }
        if (!Instant.now().isBefore(c.expiration)) {
            throw new Refusal("ExpiredToken", 403, "The security token included in the request is expired");
        }
        Decision role = evaluate(c.rolePolicy, c.tags, action, resource);
        Decision session = c.sessionPolicy == null ? Decision.ALLOW : evaluate(c.sessionPolicy, c.tags, action, resource);
        if (role != Decision.ALLOW || session != Decision.ALLOW) {
            throw new Refusal("AccessDenied", 403, "User: " + c.arn() + " is not authorized to perform: " + action
                    + " on resource: " + resource + " because no identity-based policy allows the " + action + " action");
        }
    }

    private enum Decision { ALLOW, DENY, NOT_ALLOWED }

    /** One policy's decision: an explicit Deny wins over any Allow; nothing matching means not allowed. */
    private static Decision evaluate(JsonNode policy, Map<String, String> tags, String action, String resource) {
        Decision decision = Decision.NOT_ALLOWED;
        for (JsonNode statement : list(policy.get("Statement"))) {
            boolean actionMatches = list(statement.get("Action")).stream()
                    .anyMatch(a -> wildcard(a.asText(), true).matcher(action).matches());
            boolean resourceMatches = list(statement.get("Resource")).stream().anyMatch(r -> {
                String pattern = substitute(r.asText(), tags);
                return pattern != null && wildcard(pattern, false).matcher(resource).matches();
            });
            if (actionMatches && resourceMatches && conditionsHold(statement.get("Condition"), tags)) {
                if ("Deny".equals(statement.path("Effect").asText())) {
                    return Decision.DENY;
                }
                decision = Decision.ALLOW;
            }
        }
        return decision;
    }

    /**
     * Whether every condition of a statement holds. {@code Null}: {@code "true"} holds when the key is absent from the
     * request, {@code "false"} when present; only {@code aws:PrincipalTag/*} keys exist here.
     */
    private static boolean conditionsHold(JsonNode conditions, Map<String, String> tags) {
        if (conditions == null) {
            return true;
        }
        for (Map.Entry<String, JsonNode> operator : (Iterable<Map.Entry<String, JsonNode>>) conditions::fields) {
            if (!operator.getKey().equals("Null")) {
                throw new IllegalStateException("the local IAM does not evaluate condition operator " + operator.getKey());
            }
            for (Map.Entry<String, JsonNode> key : (Iterable<Map.Entry<String, JsonNode>>) operator.getValue()::fields) {
                if (!key.getKey().startsWith(TAG_KEY)) {
                    throw new IllegalStateException("the local IAM knows no condition key " + key.getKey());
                }
                boolean absent = !tags.containsKey(key.getKey().substring(TAG_KEY.length()));
                if (absent != Boolean.parseBoolean(key.getValue().asText())) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Fills in principal tags; a tag the principal does not have makes the resource match nothing (null). */
    private static String substitute(String resource, Map<String, String> tags) {
        Matcher m = VARIABLE.matcher(resource);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = tags.get(m.group(1));
            if (value == null) {
                return null;
            }
            // A substituted value is literal: a tag cannot smuggle wildcards into the pattern.
            m.appendReplacement(out, Matcher.quoteReplacement(value.replace("*", "\u0000").replace("?", "\u0001")));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static Pattern wildcard(String glob, boolean caseInsensitive) {
        StringBuilder regex = new StringBuilder();
        for (char c : glob.toCharArray()) {
            if (c == '*') {
                regex.append(".*");
            } else if (c == '?') {
                regex.append('.');
            } else if (c == '\u0000') {
                regex.append("\\*");
            } else if (c == '\u0001') {
                regex.append("\\?");
            } else {
                regex.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(regex.toString(), caseInsensitive ? Pattern.CASE_INSENSITIVE : 0);
    }

    private static List<JsonNode> list(JsonNode node) {
        List<JsonNode> out = new ArrayList<>();
        if (node == null) {
            return out;
        }
        if (node.isArray()) {
            node.forEach(out::add);
        } else {
            out.add(node);
        }
        return out;
    }

    static JsonNode parse(String policy) {
        try {
            return JSON.readTree(policy);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String randomToken(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
