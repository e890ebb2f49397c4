package io.sqsbrowser.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;

/**
 * LOCAL ONLY: a stand-in for Amazon Cognito Identity (one deployment's identity pool), AWS STS and AWS Lambda's Invoke,
 * for the tests and the local stack (there is no emulator for them here). One HTTP server on a loopback port speaks
 * their wire protocols for the calls this project makes, and follows AWS's rules for them strictly enough that an
 * attacker test means something. Every signed call is authorized by the account's {@link LocalIam} for the principal
 * that signed it, on the resource AWS's Service Authorization Reference names for the action:
 * <ul>
 *   <li>Cognito (JSON 1.1): the pool allows no unauthenticated identities, so {@code GetId} without a login is
 *       refused; {@code GetOpenIdTokenForDeveloperIdentity} and {@code LookupDeveloperIdentity} are authorized on the
 *       pool's ARN; {@code DescribeIdentity} and {@code DeleteIdentities}, which have no resource type, on {@code *}
 *       (with no pool condition key: AWS does not document that it gives one, so the policy must work without); a developer user belongs to one identity, and an identity linked to another developer user
 *       gets no token; {@code GetOpenIdToken} for an authenticated identity needs one of its logins (which no client
 *       holds). Tokens carry the identity, the pool, {@code amr} "authenticated" and the principal tags given.
 *   <li>STS {@code AssumeRoleWithWebIdentity} (query protocol, XML, unsigned as on AWS): only with a live token this
 *       Cognito issued, for a role whose trust policy (the template's) allows this pool's authenticated identities,
 *       for no longer than the role's {@code MaxSessionDuration}; the token's principal tags become session tags, or
 *       not ({@link PrincipalTags}: AWS does not say which). {@code GetCallerIdentity} for any valid signature.
 *   <li>Lambda's REST-JSON Invoke, authorized on the function's ARN with its qualifier, answered 202 for an
 *       {@code Event} invocation.
 * </ul>
 * It records every call, so tests can check what was asked (for example the session policy sent to STS).
 */
public final class LocalIdentityServices implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String COGNITO_PROVIDER = "cognito-identity.amazonaws.com";

    private final HttpServer server;
    private final LocalIam iam;
    private final LocalDeployment deployment;
    private final LocalCallers callers;
    private final int minCredentialSeconds;
    private final PrincipalTags principalTags;
    /** Identity id -> its developer user (null for an identity without a developer login). */
    private final Map<String, String> identities = new ConcurrentHashMap<>();
    private final Map<String, String> identityOfDeveloperUser = new ConcurrentHashMap<>();
    private final Map<String, Token> tokens = new ConcurrentHashMap<>();
    /** Every call: its action name and its parameters (JSON body fields, or form fields). */
    public final List<Call> calls = new CopyOnWriteArrayList<>();

    public static final class Call {
        public final String action;
        public final Map<String, String> parameters;

        Call(String action, Map<String, String> parameters) {
            this.action = action;
            this.parameters = parameters;
        }
    }

    /** An OpenID token this Cognito issued: what its claims say. */
    private static final class Token {
        final String identityId;
        final Map<String, String> principalTags;
        final Instant expiration;

        Token(String identityId, Map<String, String> principalTags, Instant expiration) {
            this.identityId = identityId;
            this.principalTags = principalTags;
            this.expiration = expiration;
        }
    }

    /**
     * Whether Cognito's OpenID token for a developer identity carries the principal tags given to
     * GetOpenIdTokenForDeveloperIdentity into AssumeRoleWithWebIdentity as session tags. AWS documents principal tags
     * for identity pools, but not that the basic (classic) flow's token carries them: the product must work either
     * way, and the post-deployment smoke test reports which holds on AWS. Tests run both.
     */
    public enum PrincipalTags { CARRIED, DROPPED }

    /**
     * @param minCredentialSeconds the shortest credentials STS issues: AWS's 900, lower only for tests of renewal
     */
    public LocalIdentityServices(LocalIam iam, LocalDeployment deployment, PrincipalTags principalTags, int minCredentialSeconds)
            throws IOException {
        this.iam = iam;
        this.deployment = deployment;
        this.principalTags = principalTags;
        this.minCredentialSeconds = minCredentialSeconds;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        callers = new LocalCallers(server.getAddress().getPort(), Set.of());
        server.setExecutor(Executors.newFixedThreadPool(4, io.sqsbrowser.aws.DaemonThreads.factory("local-identity-services")));
        server.createContext("/", this::handle);
        server.start();
    }

    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<Call> calls(String action) {
        return calls.stream().filter(c -> c.action.equals(action)).collect(Collectors.toList());
    }

    private String poolArn() {
        return "arn:aws:cognito-identity:" + LocalIam.REGION + ":" + LocalIam.ACCOUNT + ":identitypool/" + deployment.identityPoolId;
    }

    private void handle(HttpExchange exchange) throws IOException {
        Map<String, String> headers = LocalHttp.lowerCaseHeaders(exchange);
        if (callers.refused(exchange, headers)) {
            return;
        }
        byte[] body = exchange.getRequestBody().readAllBytes();
        String target = headers.get("x-amz-target");
        String path = exchange.getRequestURI().getPath();
        try {
            if (path.startsWith("/2015-03-31/functions/") && path.endsWith("/invocations")) {
                invoke(exchange, headers, body, path);
            } else if (target != null && target.startsWith("AWSCognitoIdentityService.")) {
                cognito(exchange, headers, body, target.substring(target.indexOf('.') + 1));
            } else {
                sts(exchange, headers, body, LocalHttp.form(new String(body, StandardCharsets.UTF_8)));
            }
        } catch (LocalIam.Refusal refusal) {
            if (target != null) {
                LocalHttp.send(exchange, refusal.status, "application/x-amz-json-1.1", JSON.createObjectNode()
                        .put("__type", refusal.code).put("message", refusal.getMessage()).toString());
            } else {
                LocalHttp.send(exchange, refusal.status, "text/xml", stsError(refusal.code, refusal.getMessage()));
            }
        }
    }

    /** Verifies the signature and authorizes the signer for {@code action} on {@code resource}. */
    private void authorized(HttpExchange exchange, Map<String, String> headers, byte[] body, String service, String action,
            String resource) throws LocalIam.Refusal {
        SigV4Verifier.Signed signed = SigV4Verifier.verify(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                exchange.getRequestURI().getRawQuery(), headers, body, LocalIam.REGION, service, iam::secretOf);
        iam.authorize(signed.accessKeyId, signed.sessionToken, action, resource, key -> null);
    }

    private void invoke(HttpExchange exchange, Map<String, String> headers, byte[] body, String path) throws IOException, LocalIam.Refusal {
        String function = path.substring("/2015-03-31/functions/".length(), path.length() - "/invocations".length());
        String qualifier = LocalHttp.form(exchange.getRequestURI().getRawQuery()).get("Qualifier");
        String arn = "arn:aws:lambda:" + LocalIam.REGION + ":" + LocalIam.ACCOUNT + ":function:" + function
                + (qualifier == null ? "" : ":" + qualifier);
        authorized(exchange, headers, body, "lambda", "lambda:InvokeFunction", arn);
        calls.add(new Call("Invoke", Map.of("FunctionName", function, "Payload", new String(body, StandardCharsets.UTF_8),
                "InvocationType", String.valueOf(headers.get("x-amz-invocation-type")),
                "Qualifier", qualifier == null ? "$LATEST" : qualifier)));
        LocalHttp.send(exchange, 202, "application/json", "");
    }

    private void cognito(HttpExchange exchange, Map<String, String> headers, byte[] body, String action)
            throws IOException, LocalIam.Refusal {
        JsonNode request = JSON.readTree(body);
        Map<String, String> params = new HashMap<>();
        request.fields().forEachRemaining(e -> params.put(e.getKey(), e.getValue().isTextual() ? e.getValue().asText() : e.getValue().toString()));
        calls.add(new Call(action, params));
        ObjectNode response = JSON.createObjectNode();
        String iamAction = "cognito-identity:" + action;
        switch (action) {
            case "GetId":
                throw new LocalIam.Refusal("NotAuthorizedException", 400, "Unauthenticated access is not supported for this identity pool.");
            case "GetOpenIdToken":
                getOpenIdToken(request, response);
                break;
            case "GetOpenIdTokenForDeveloperIdentity":
                authorized(exchange, headers, body, "cognito-identity", iamAction, poolArn());
                developerToken(request, response);
                break;
            case "LookupDeveloperIdentity":
                authorized(exchange, headers, body, "cognito-identity", iamAction, poolArn());
                requirePool(request);
                String user = request.path("DeveloperUserIdentifier").asText();
                String identity = identityOfDeveloperUser.get(user);
                if (identity == null) {
                    throw new LocalIam.Refusal("ResourceNotFoundException", 400, "Identity not found for developer user " + user);
                }
                response.put("IdentityId", identity).putArray("DeveloperUserIdentifierList").add(user);
                break;
            case "DescribeIdentity":
                authorized(exchange, headers, body, "cognito-identity", iamAction, "*");
                String id = request.path("IdentityId").asText();
                if (!identities.containsKey(id)) {
                    throw new LocalIam.Refusal("ResourceNotFoundException", 400, "Identity '" + id + "' not found.");
                }
                response.put("IdentityId", id).putArray("Logins").add(deployment.developerProviderName);
                break;
            case "DeleteIdentities":
                authorized(exchange, headers, body, "cognito-identity", iamAction, "*");
                request.path("IdentityIdsToDelete").forEach(i -> {
                    String developerUser = identities.remove(i.asText());
                    if (developerUser != null) {
                        identityOfDeveloperUser.remove(developerUser);
                    }
                });
                response.putArray("UnprocessedIdentityIds");
                break;
            default:
                throw new LocalIam.Refusal("InvalidParameterException", 400, "stand-in does not implement " + action);
        }
        LocalHttp.send(exchange, 200, "application/x-amz-json-1.1", response.toString());
    }

    private void requirePool(JsonNode request) throws LocalIam.Refusal {
        if (!deployment.identityPoolId.equals(request.path("IdentityPoolId").asText())) {
            throw new LocalIam.Refusal("ResourceNotFoundException", 400, "IdentityPool not found.");
        }
    }

    /** Unsigned, as on AWS: anyone may ask, but an authenticated identity's token needs one of its logins. */
    private void getOpenIdToken(JsonNode request, ObjectNode response) throws LocalIam.Refusal {
        String identityId = request.path("IdentityId").asText();
        if (!identities.containsKey(identityId)) {
            throw new LocalIam.Refusal("ResourceNotFoundException", 400, "Identity '" + identityId + "' not found.");
        }
        Token login = tokens.get(request.path("Logins").path(COGNITO_PROVIDER).asText(""));
        if (login == null || !login.identityId.equals(identityId) || !Instant.now().isBefore(login.expiration)) {
            throw new LocalIam.Refusal("NotAuthorizedException", 400,
                    "Logins don't match. Please include at least one valid login for this identity or identity pool.");
        }
        response.put("IdentityId", identityId).put("Token", newToken(identityId, login.principalTags, Duration.ofMinutes(10)));
    }

    private void developerToken(JsonNode request, ObjectNode response) throws LocalIam.Refusal {
        requirePool(request);
        JsonNode logins = request.path("Logins");
        if (logins.size() != 1 || !logins.has(deployment.developerProviderName)) {
            throw new LocalIam.Refusal("NotAuthorizedException", 400, "Logins must name exactly this pool's developer provider");
        }
        String user = logins.get(deployment.developerProviderName).asText();
        String given = request.hasNonNull("IdentityId") ? request.get("IdentityId").asText() : null;
        String registered = identityOfDeveloperUser.get(user);
        String identityId;
        if (given == null) {
            identityId = registered != null ? registered : LocalIam.REGION + ":" + UUID.randomUUID();
        } else {
            if (!identities.containsKey(given)) {
                throw new LocalIam.Refusal("ResourceNotFoundException", 400, "Identity '" + given + "' not found.");
            }
            if (registered != null && !registered.equals(given)) {
                throw new LocalIam.Refusal("DeveloperUserAlreadyRegisteredException", 400,
                        "The developer user is already registered with another identity.");
            }
            String linked = identities.get(given);
            if (linked != null && !linked.isEmpty() && !linked.equals(user)) {
                throw new LocalIam.Refusal("ResourceConflictException", 400, "The identity is linked to another developer user.");
            }
            identityId = given;
        }
        identities.put(identityId, user);
        identityOfDeveloperUser.put(user, identityId);
        Map<String, String> tags = new HashMap<>();
        request.path("PrincipalTags").fields().forEachRemaining(e -> tags.put(e.getKey(), e.getValue().asText()));
        long seconds = request.path("TokenDuration").asLong(900);
        response.put("IdentityId", identityId).put("Token", newToken(identityId, tags, Duration.ofSeconds(seconds)));
    }

    private String newToken(String identityId, Map<String, String> principalTags, Duration lifetime) {
        String token = "eyJraWQiOiJsb2NhbCJ9." + LocalIam.randomToken(24) + "." + LocalIam.randomToken(32);
        tokens.put(token, new Token(identityId, Map.copyOf(principalTags), Instant.now().plus(lifetime)));
        return token;
    }

    private void sts(HttpExchange exchange, Map<String, String> headers, byte[] body, Map<String, String> params)
            throws IOException, LocalIam.Refusal {
        String action = params.getOrDefault("Action", "");
        calls.add(new Call(action, params));
        if (action.equals("GetCallerIdentity")) {
            // Any valid signature will do: AWS requires no permission for it.
            SigV4Verifier.Signed signed = SigV4Verifier.verify(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                    exchange.getRequestURI().getRawQuery(), headers, body, LocalIam.REGION, "sts", iam::secretOf);
            String arn = iam.callerArn(signed.accessKeyId, signed.sessionToken);
            LocalHttp.send(exchange, 200, "text/xml", "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                    + "<GetCallerIdentityResult><Arn>" + arn + "</Arn><UserId>AIDALOCAL</UserId><Account>" + LocalIam.ACCOUNT
                    + "</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>" + UUID.randomUUID()
                    + "</RequestId></ResponseMetadata></GetCallerIdentityResponse>");
            return;
        }
        if (!action.equals("AssumeRoleWithWebIdentity")) {
            throw new LocalIam.Refusal("InvalidAction", 400, "stand-in does not implement " + action);
        }
        Token token = tokens.get(params.getOrDefault("WebIdentityToken", ""));
        if (token == null || !Instant.now().isBefore(token.expiration) || !identities.containsKey(token.identityId)) {
            throw new LocalIam.Refusal("InvalidIdentityToken", 400, "Couldn't verify the web identity token.");
        }
        int seconds;
        try {
            seconds = Integer.parseInt(params.getOrDefault("DurationSeconds", "3600"));
        } catch (NumberFormatException e) {
            throw new LocalIam.Refusal("ValidationError", 400, "DurationSeconds is not a number");
        }
        String sessionName = params.getOrDefault("RoleSessionName", "");
        if (!sessionName.matches("[\\w+=,.@-]{2,64}")) {
            throw new LocalIam.Refusal("ValidationError", 400, "RoleSessionName must be 2-64 of [\\w+=,.@-]");
        }
        String developerUser = identities.get(token.identityId);
        LocalIam.Keys c = iam.assumeRoleWithWebIdentity(params.get("RoleArn"), sessionName, deployment.identityPoolId,
                List.of("authenticated", deployment.developerProviderName,
                        deployment.developerProviderName + ":" + deployment.identityPoolId + ":" + developerUser),
                params.get("Policy"), principalTags == PrincipalTags.CARRIED ? token.principalTags : Map.of(), seconds, minCredentialSeconds);
        LocalHttp.send(exchange, 200, "text/xml", "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
                + "<AssumeRoleWithWebIdentityResult>"
                + "<SubjectFromWebIdentityToken>" + token.identityId + "</SubjectFromWebIdentityToken>"
                + "<Audience>" + deployment.identityPoolId + "</Audience>"
                + "<AssumedRoleUser><Arn>" + c.arn + "</Arn>"
                + "<AssumedRoleId>AROALOCAL:" + sessionName + "</AssumedRoleId></AssumedRoleUser>"
                + "<Credentials><SessionToken>" + c.sessionToken + "</SessionToken>"
                + "<SecretAccessKey>" + c.secretAccessKey + "</SecretAccessKey>"
                + "<Expiration>" + c.expiration + "</Expiration>"
                + "<AccessKeyId>" + c.accessKeyId + "</AccessKeyId></Credentials>"
                + "<Provider>" + COGNITO_PROVIDER + "</Provider>"
                + "</AssumeRoleWithWebIdentityResult>"
                + "<ResponseMetadata><RequestId>" + UUID.randomUUID() + "</RequestId></ResponseMetadata>"
                + "</AssumeRoleWithWebIdentityResponse>");
    }

    private static String stsError(String code, String message) {
        return "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>" + code
                + "</Code><Message>" + message + "</Message></Error><RequestId>" + UUID.randomUUID() + "</RequestId></ErrorResponse>";
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
