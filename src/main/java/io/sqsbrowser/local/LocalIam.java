package io.sqsbrowser.local;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * LOCAL ONLY: the IAM of the local account, with AWS's rules for what this project does. Every request the local
 * stand-ins serve is signed by a principal and evaluated against that principal's policies, which are the
 * CloudFormation template's ({@link LocalDeployment} renders them):
 * <ul>
 *   <li>a role a service assumes (the job's, the Lambda's): {@link #assumeRoleAsService} evaluates the role's trust
 *       policy with the service's principal and the condition keys AWS gives ({@code aws:SourceAccount},
 *       {@code aws:SourceArn}), then issues keys that act as the role (on AWS the service hands them out and renews
 *       them; here they last for the stack's life);
 *   <li>a role assumed with a web identity (a session's): {@link #assumeRoleWithWebIdentity} evaluates the trust policy
 *       with Cognito's {@code aud} and {@code amr}, caps the duration at the role's {@code MaxSessionDuration}, and the
 *       credentials then carry the session policy (an intersection) and the token's principal tags;
 *   <li>a user with managed policies (the operator running the smoke test, the application's backend calling the API).
 * </ul>
 * A request is allowed only when some identity policy allows it, none denies it, and the session policy (if any) allows
 * it too; expired credentials are refused as AWS refuses them. Policies this model cannot evaluate allow nothing
 * ({@link IamPolicy}). Each decision is noted in the {@link IamCallLog}, for the independent check with AWS's Service
 * Authorization Reference.
 */
public final class LocalIam {
    private static final SecureRandom RANDOM = new SecureRandom();
    public static final String ACCOUNT = "000000000000";
    public static final String REGION = Emulators.REGION;

    private final Map<String, Role> roles = new ConcurrentHashMap<>();
    private final Map<String, Principal> principals = new ConcurrentHashMap<>();
    private final IamCallLog log;

    public LocalIam(IamCallLog log) {
        this.log = log;
    }

    /** A role of a deployment: its trust policy, its identity policies and its longest session. */
    public static final class Role {
        public final String arn;
        /** The template's logical id (JobRole, ...): what the call log names it. */
        public final String logicalId;
        public final String deployment;
        final IamPolicy trust;
        final List<IamPolicy> policies = new ArrayList<>();
        final int maxSessionDuration;

        public Role(String arn, String logicalId, String deployment, String trust, List<String> policies, int maxSessionDuration) {
            this.arn = arn;
            this.logicalId = logicalId;
            this.deployment = deployment;
            this.trust = IamPolicy.trust(trust);
            policies.forEach(p -> this.policies.add(IamPolicy.identity(p)));
            this.maxSessionDuration = maxSessionDuration;
        }

        String name() {
            return arn.substring(arn.lastIndexOf('/') + 1);
        }
    }

    /** Whoever signs with a key: what IAM knows of them. */
    private static final class Principal {
        final String arn;
        final String logicalId;
        final String deployment;
        final String secret;
        final String sessionToken;
        final List<IamPolicy> policies;
        final IamPolicy sessionPolicy;
        final String sessionPolicyJson;
        final Map<String, String> tags;
        final Instant expiration;
        /** Held by a test that probes what the role refuses: its refused calls are expected, not the code's failures. */
        boolean probe;

        Principal(String arn, String logicalId, String deployment, String secret, String sessionToken, List<IamPolicy> policies,
                String sessionPolicy, Map<String, String> tags, Instant expiration) {
            this.arn = arn;
            this.logicalId = logicalId;
            this.deployment = deployment;
            this.secret = secret;
            this.sessionToken = sessionToken;
            this.policies = policies;
            this.sessionPolicyJson = sessionPolicy;
            this.sessionPolicy = sessionPolicy == null ? null : IamPolicy.identity(sessionPolicy);
            this.tags = Map.copyOf(tags);
            this.expiration = expiration;
        }
    }

    /** Keys a principal signs with. */
    public static final class Keys {
        public final String accessKeyId;
        public final String secretAccessKey;
        /** Null for keys that need none (a user's, a service role's here). */
        public final String sessionToken;
        public final Instant expiration;
        public final String arn;

        Keys(String accessKeyId, String secretAccessKey, String sessionToken, Instant expiration, String arn) {
            this.accessKeyId = accessKeyId;
            this.secretAccessKey = secretAccessKey;
            this.sessionToken = sessionToken;
            this.expiration = expiration;
            this.arn = arn;
        }

        @Override
        public String toString() {
            return "Keys{" + accessKeyId + " for " + arn + "}";
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

    public void addRole(Role role) {
        roles.put(role.arn, role);
    }

    public Role role(String arn) {
        return roles.get(arn);
    }

    /**
     * What a service does when it runs code under a role: AssumeRole as the service principal, which the role's trust
     * policy must allow with the keys AWS sets (the confused-deputy conditions).
     *
     * @param sourceArn the resource the service acts for (the application, the function)
     */
    public Keys assumeRoleAsService(String roleArn, String service, String sourceArn) throws Refusal {
        Role role = requireRole(roleArn);
        Map<String, List<String>> context = Map.of("aws:sourceaccount", List.of(ACCOUNT), "aws:sourcearn", List.of(sourceArn));
        boolean trusted = role.trust.trusts("Service", service, "sts:AssumeRole", context::get);
        log.recordAssumeRole(role, "Service", service, "sts:AssumeRole", context, trusted);
        if (!trusted) {
            throw new Refusal("AccessDenied", 403, service + " is not authorized to perform sts:AssumeRole on " + roleArn
                    + (role.trust.unmodelled != null ? " (" + role.trust.unmodelled + ")" : ""));
        }
        String session = service.substring(0, service.indexOf('.'));
        return add(new Principal(assumedRoleArn(role, session), role.logicalId, role.deployment, randomToken(30), null, role.policies,
                null, Map.of(), Instant.MAX));
    }

    /**
     * Keys that act as a role, for a test that probes what the role refuses: the calls are decided and recorded as the
     * role's, marked as probes (what is refused there is expected, where a refusal of the code's own call is an error).
     */
    public Keys probeKeys(String roleArn) throws Refusal {
        Role role = requireRole(roleArn);
        Principal p = new Principal(assumedRoleArn(role, "probe"), role.logicalId, role.deployment, randomToken(30), null, role.policies,
                null, Map.of(), Instant.MAX);
        p.probe = true;
        return add(p);
    }

    /**
     * STS AssumeRoleWithWebIdentity with a Cognito token: the role must trust the token's audience and authentication;
     * the duration is 900 seconds to the role's {@code MaxSessionDuration} (900 to 43200 when {@code minSeconds} is
     * lowered for a test of renewal, never above the role's maximum).
     *
     * @param amr the token's authentication methods ({@code authenticated} and the provider)
     */
    public Keys assumeRoleWithWebIdentity(String roleArn, String sessionName, String audience, List<String> amr, String sessionPolicy,
            Map<String, String> tags, int seconds, int minSeconds) throws Refusal {
        Role role = roles.get(roleArn);
        Map<String, List<String>> context = Map.of("cognito-identity.amazonaws.com:aud", List.of(audience),
                "cognito-identity.amazonaws.com:amr", amr);
        boolean trusted = role != null && role.trust.trusts("Federated", "cognito-identity.amazonaws.com",
                "sts:AssumeRoleWithWebIdentity", context::get);
        if (role != null) {
            log.recordAssumeRole(role, "Federated", "cognito-identity.amazonaws.com", "sts:AssumeRoleWithWebIdentity", context, trusted);
        }
        if (!trusted) {
            throw new Refusal("AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity");
        }
        if (seconds < minSeconds || seconds > role.maxSessionDuration) {
            throw new Refusal("ValidationError", 400, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role"
                    + " or is below " + minSeconds + ": " + seconds);
        }
        if (sessionPolicy != null && IamPolicy.identity(sessionPolicy).unmodelled != null) {
            throw new Refusal("MalformedPolicyDocument", 400, "The session policy: " + IamPolicy.identity(sessionPolicy).unmodelled);
        }
        Instant expiration = Instant.now().plusSeconds(seconds).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        return add(new Principal(assumedRoleArn(role, sessionName), role.logicalId, role.deployment, randomToken(30),
                "local-session-token/" + randomToken(48), role.policies, sessionPolicy, tags, expiration));
    }

    /**
     * A user with these managed policies (the template's documents), named in the call log by {@code logicalId}, and
     * the keys it signs with: random, or {@code fixedKeys} (id and secret) for one a person types.
     */
    public Keys user(String name, String logicalId, String deployment, List<String> policies, String... fixedKeys) {
        List<IamPolicy> parsed = new ArrayList<>();
        policies.forEach(p -> parsed.add(IamPolicy.identity(p)));
        Principal user = new Principal("arn:aws:iam::" + ACCOUNT + ":user/" + name, logicalId, deployment,
                fixedKeys.length == 2 ? fixedKeys[1] : randomToken(30), null, parsed, null, Map.of(), Instant.MAX);
        return fixedKeys.length == 2 ? add(fixedKeys[0], user) : add(user);
    }

    private Keys add(Principal p) {
        return add((p.sessionToken != null ? "ASIA" : "AKIA") + randomToken(12).toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "X")
                .substring(0, 16), p);
    }

    private Keys add(String id, Principal p) {
        if (principals.putIfAbsent(id, p) != null) {
            throw new IllegalStateException("the access key " + id + " is someone's already");
        }
        return new Keys(id, p.secret, p.sessionToken, p.expiration, p.arn);
    }

    private Role requireRole(String arn) throws Refusal {
        Role role = roles.get(arn);
        if (role == null) {
            throw new Refusal("NoSuchEntity", 404, "The role " + arn + " cannot be found.");
        }
        return role;
    }

    private static String assumedRoleArn(Role role, String session) {
        return "arn:aws:sts::" + ACCOUNT + ":assumed-role/" + role.name() + "/" + session;
    }

    /** The secret of a known access key, for signature checks; null when unknown. */
    String secretOf(String accessKeyId) {
        Principal p = principals.get(accessKeyId);
        return p == null ? null : p.secret;
    }

    /** The ARN of the principal that signed with {@code accessKeyId}, as STS GetCallerIdentity answers it. */
    String callerArn(String accessKeyId, String sessionToken) throws Refusal {
        return principal(accessKeyId, sessionToken).arn;
    }

    private Principal principal(String accessKeyId, String sessionToken) throws Refusal {
        Principal p = principals.get(accessKeyId);
        if (p == null || p.sessionToken != null && !p.sessionToken.equals(sessionToken)) {
            throw new Refusal("InvalidClientTokenId", 403, "The security token included in the request is invalid.");
        }
        return p;
    }

    /**
     * Whether the principal that signed with {@code accessKeyId} (and sent {@code sessionToken}) may call {@code action}
     * on {@code resource}; throws the refusal AWS would answer.
     *
     * @param request the request's own condition keys (lower case), resolved when a condition asks for one
     */
    public void authorize(String accessKeyId, String sessionToken, String action, String resource,
            Function<String, List<String>> request) throws Refusal {
        authorize(accessKeyId, sessionToken, action, resource, request, () -> false);
    }

    /**
     * As {@link #authorize(String, String, String, String, Function)}; a refused call whose resource {@code gone} says
     * does not exist is recorded so: AWS may answer such a call with a refusal or with "not found", and the code must
     * take both (the IAM check does not count it as a permission the template lacks).
     */
    public void authorize(String accessKeyId, String sessionToken, String action, String resource,
            Function<String, List<String>> request, java.util.function.BooleanSupplier gone) throws Refusal {
        Principal p = principal(accessKeyId, sessionToken);
        if (!Instant.now().isBefore(p.expiration)) {
            throw new Refusal("ExpiredToken", 403, "The security token included in the request is expired");
        }
        Map<String, List<String>> asked = new HashMap<>();
        IamPolicy.Context context = key -> {
            List<String> value = key.startsWith("aws:principaltag/") ? tag(p.tags, key.substring("aws:principaltag/".length()))
                    : request.apply(key);
            asked.put(key, value);
            return value;
        };
        IamPolicy.Decision identity = IamPolicy.Decision.NOT_ALLOWED;
        for (IamPolicy policy : p.policies) {
            IamPolicy.Decision d = policy.decide(action, resource, p.tags, context);
            if (d == IamPolicy.Decision.DENY || d == IamPolicy.Decision.ALLOW && identity != IamPolicy.Decision.DENY) {
                identity = d;
            }
        }
        IamPolicy.Decision session = p.sessionPolicy == null ? IamPolicy.Decision.ALLOW : p.sessionPolicy.decide(action, resource, p.tags, context);
        boolean allowed = identity == IamPolicy.Decision.ALLOW && session == IamPolicy.Decision.ALLOW;
        asked.values().removeIf(java.util.Objects::isNull);
        log.record(p.deployment, p.logicalId, p.arn, action, resource, asked, p.sessionPolicyJson, allowed, p.probe,
                !allowed && gone.getAsBoolean());
        if (!allowed) {
            String unmodelled = p.policies.stream().map(x -> x.unmodelled).filter(java.util.Objects::nonNull).findFirst().orElse(null);
            throw new Refusal("AccessDenied", 403, "User: " + p.arn + " is not authorized to perform: " + action + " on resource: "
                    + resource + (identity == IamPolicy.Decision.DENY || session == IamPolicy.Decision.DENY ? " with an explicit deny"
                    : " because no " + (identity == IamPolicy.Decision.ALLOW ? "session" : "identity-based") + " policy allows the "
                    + action + " action") + (unmodelled != null ? " (" + unmodelled + ")" : ""));
        }
    }

    private static List<String> tag(Map<String, String> tags, String key) {
        return tags.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(key)).map(e -> List.of(e.getValue()))
                .findFirst().orElse(null);
    }

    static String randomToken(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
}
