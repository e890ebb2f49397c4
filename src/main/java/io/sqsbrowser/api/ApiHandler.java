package io.sqsbrowser.api;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sqsbrowser.aws.AwsClients;
import io.sqsbrowser.crypto.CipherFormat;
import io.sqsbrowser.event.EventParser;
import io.sqsbrowser.event.Ids;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The session, notify and messages APIs as one Lambda behind API Gateway (REST, proxy integration, IAM auth),
 * routed by resource path exactly as the original system's (SPEC §2, §3, §5). Clients are built once per
 * container and make no network call until the first request, so the function starts fast and can use
 * SnapStart. Every error is JSON {@code {"success": false, "message": ...}}, never a stack trace.
 */
public final class ApiHandler implements RequestHandler<APIGatewayProxyRequestEvent, APIGatewayProxyResponseEvent> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> HEADERS = Map.of("Content-Type", "application/json");
    /** Marks a request this function re-invoked itself with, for {@code async}. */
    static final String DEFERRED_HEADER = "X-Sqs-Browser-Deferred";

    private final SessionService sessions;
    private final NotifyService notify;
    private final MessagesService messages;
    private final int maxRewindSeconds;
    private final AsyncWork asyncWork;

    /** The Lambda runtime's constructor: configuration from the environment. */
    public ApiHandler() {
        this(ApiConfig.fromEnvironment(System.getenv()));
    }

    public ApiHandler(ApiConfig config) {
        this.maxRewindSeconds = config.maxRewindSeconds;
        CredentialsBroker credentials = new CredentialsBroker(AwsClients.cognito(config.aws), AwsClients.sts(config.aws), config);
        sessions = new SessionService(AwsClients.dynamoDb(config.aws), AwsClients.sqs(config.aws), credentials, config);
        notify = new NotifyService(AwsClients.kinesis(config.aws), config.eventStream,
                new EventParser(NotifyService.MAX_SQS_BODY, config.explicitEveryone, config.topicsByAccount));
        messages = new MessagesService(AwsClients.dynamoDb(config.aws), config.historyTable, notify);
        asyncWork = "inline".equals(config.asyncMode)
                ? AsyncWork.inProcess(request -> handleRequest(request, null))
                : AsyncWork.selfInvocation(AwsClients.lambda(config.aws), config.functionName, config.functionAlias);
    }

    @Override
    public APIGatewayProxyResponseEvent handleRequest(APIGatewayProxyRequestEvent request, Context context) {
        try {
            return response(200, route(request));
        } catch (ApiException e) {
            return response(e.status, error(e.getMessage()));
        } catch (RuntimeException e) {
            // AWS SDK messages name resources and codes, never credentials or keys.
            System.err.println("request " + request.getHttpMethod() + " " + request.getPath() + " failed: " + e);
            if (request.getHeaders() != null && request.getHeaders().containsKey(DEFERRED_HEADER)) {
                // An asynchronous invocation that fails is retried by Lambda only if it throws.
                throw e;
            }
            return response(500, error("internal error"));
        }
    }

    private ObjectNode route(APIGatewayProxyRequestEvent request) {
        String method = request.getHttpMethod() == null ? "GET" : request.getHttpMethod();
        String path = request.getPath() == null ? "/" : request.getPath();
        List<String> p = Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).collect(Collectors.toList());
        Map<String, String> query = request.getQueryStringParameters() == null
                ? Collections.emptyMap() : request.getQueryStringParameters();
        boolean get = method.equals("GET");
        String first = p.isEmpty() ? "" : p.get(0);
        if (get && p.size() == 4 && first.equals("create")) {
            return sessions.create(key(p), (Integer) number(query, "MessageRetentionPeriod",
                    SessionService.MIN_RETENTION, SessionService.MAX_RETENTION, true), cipher(query.get("cipher")),
                    query.containsKey("topics") ? TopicList.parse("topics", query.get("topics")) : null, rewind(query));
        } else if (get && p.size() == 4 && first.equals("renew")) {
            return sessions.renew(key(p));
        } else if (get && p.size() == 4 && first.equals("destroy")) {
            return sessions.destroy(key(p));
        } else if (get && p.size() == 4 && first.equals("topics")) {
            Set<String> add = TopicList.parse("add", query.get("add"));
            Integer rewind = rewind(query);
            if (rewind != null && add.isEmpty()) {
                throw ApiException.badRequest("rewind goes with add: it gives the events of the topics followed from now on");
            }
            return sessions.topics(key(p), add, TopicList.parse("remove", query.get("remove")), rewind);
        } else if (get && p.size() == 4 && first.equals("status")) {
            return sessions.status(key(p));
        } else if (get && p.size() == 1 && first.equals("status")) {
            return sessions.statusAll((Integer) number(query, "limit", 1, 1000, true), query.get("next"));
        } else if (get && p.size() == 1 && first.equals("cleanup")) {
            return sessions.cleanup();
        } else if ((get || method.equals("POST")) && first.equals("notify")) {
            return notify.notify(notifyRouting(p, method, path), query, get ? null : request.getBody());
        } else if (first.equals("messages")) {
            return messages(request, method, p, query);
        }
        throw noSuchEndpoint(method, path);
    }

    private ObjectNode messages(APIGatewayProxyRequestEvent request, String method, List<String> p, Map<String, String> query) {
        String path = request.getPath();
        if (method.equals("GET") && p.size() == 3 && p.get(1).equals("user")) {
            List<String> types = query.containsKey("_type")
                    ? Arrays.stream(query.get("_type").split(",")).filter(t -> !t.isEmpty()).collect(Collectors.toList())
                    : List.of();
            if (types.size() > MessagesService.MAX_IDS) {
                throw ApiException.badRequest("give at most " + MessagesService.MAX_IDS + " _type values");
            }
            Long start = (Long) number(query, "start", 0, Long.MAX_VALUE, false);
            Long end = (Long) number(query, "end", 0, Long.MAX_VALUE, false);
            if (start != null && end != null && start > end) {
                throw ApiException.badRequest("start must not be after end");
            }
            return messages.history(SessionKey.userId(p.get(2)), start, end, types,
                    (Integer) number(query, "limit", 1, 1000, true), query.get("next"), IncludedScopes.parse(query.get("include")));
        }
        if (p.size() < 4 || !p.get(1).equals("set-read") || !p.get(2).equals("user")) {
            throw noSuchEndpoint(method, path);
        }
        String userId = SessionKey.userId(p.get(3));
        List<String> scopes = IncludedScopes.parse(query.get("include"));
        boolean async = query.containsKey("async") && !query.get("async").equals("false") && !query.get("async").equals("0");
        if (method.equals("GET") && p.size() == 6 && p.get(4).equals("message")) {
            Set<String> ids = messageIds(Arrays.asList(p.get(5).split(",")));
            return async ? deferred(request, query) : messages.setRead(userId, ids, scopes);
        } else if (method.equals("GET") && p.size() == 6 && p.get(4).equals("asof")) {
            long asOf = parseLong("asof", p.get(5), 0, Long.MAX_VALUE);
            return async ? deferred(request, query) : messages.setReadAsOf(userId, asOf, scopes);
        } else if (method.equals("POST") && p.size() == 4) {
            Set<String> ids = messageIds(jsonList(request.getBody()));
            return async ? deferred(request, query) : messages.setRead(userId, ids, scopes);
        }
        throw noSuchEndpoint(method, path);
    }

    /** {@code rewind}: the seconds before now whose fan-out events a session asks for, up to the history's time to live. */
    private Integer rewind(Map<String, String> query) {
        return (Integer) number(query, "rewind", 1, maxRewindSeconds, true);
    }

    /** Answers now and does the (already validated) request later, without {@code async}. */
    private ObjectNode deferred(APIGatewayProxyRequestEvent request, Map<String, String> query) {
        Map<String, String> rest = new HashMap<>(query);
        rest.remove("async");
        asyncWork.submit(new APIGatewayProxyRequestEvent().withHttpMethod(request.getHttpMethod())
                .withPath(request.getPath()).withQueryStringParameters(rest).withBody(request.getBody())
                .withHeaders(Map.of(DEFERRED_HEADER, "1")));
        return JSON.createObjectNode().put("success", true).put("async", true);
    }

    /**
     * {@code /notify}, {@code /notify/account/{a}}, {@code /notify/user/{u}}, {@code /notify/user/{u}/session/{s}},
     * {@code /notify/topic/{t}}, {@code /notify/account/{a}/topic/{t}}.
     */
    private static Map<String, String> notifyRouting(List<String> p, String method, String path) {
        Map<String, String> routing = new LinkedHashMap<>();
        if (p.size() == 1) {
            return routing;
        } else if (p.size() == 3 && p.get(1).equals("account")) {
            routing.put("accountId", SessionKey.accountId(p.get(2)));
        } else if (p.size() == 3 && p.get(1).equals("user")) {
            routing.put("userId", SessionKey.userId(p.get(2)));
        } else if (p.size() == 3 && p.get(1).equals("topic")) {
            routing.put("topic", TopicList.one("topic", p.get(2)));
        } else if (p.size() == 5 && p.get(1).equals("account") && p.get(3).equals("topic")) {
            routing.put("accountId", SessionKey.accountId(p.get(2)));
            routing.put("topic", TopicList.one("topic", p.get(4)));
        } else if (p.size() == 5 && p.get(1).equals("user") && p.get(3).equals("session")) {
            routing.put("userId", SessionKey.userId(p.get(2)));
            routing.put("sessionId", SessionKey.sessionId(p.get(4)));
        } else {
            throw noSuchEndpoint(method, path);
        }
        return routing;
    }

    private static SessionKey key(List<String> p) {
        return new SessionKey(p.get(1), p.get(2), p.get(3));
    }

    private static Set<String> messageIds(List<String> ids) {
        Set<String> out = new LinkedHashSet<>();
        for (String id : ids) {
            try {
                out.add(Ids.messageId(id));
            } catch (Ids.InvalidIdException e) {
                throw ApiException.badRequest("invalid " + e.getMessage());
            }
        }
        if (out.isEmpty() || out.size() > MessagesService.MAX_IDS) {
            throw ApiException.badRequest("give 1 to " + MessagesService.MAX_IDS + " message ids");
        }
        return out;
    }

    private static List<String> jsonList(String body) {
        try {
            JsonNode node = JSON.readTree(body == null ? "" : body);
            if (node != null && node.isArray()) {
                List<String> ids = new java.util.ArrayList<>();
                for (JsonNode id : node) {
                    if (!id.isTextual()) {
                        throw ApiException.badRequest("body must be a JSON list of message id strings");
                    }
                    ids.add(id.textValue());
                }
                return ids;
            }
        } catch (ApiException e) {
            throw e;
        } catch (Exception e) {
            // answered below
        }
        throw ApiException.badRequest("body must be a JSON list of message id strings");
    }

    /** {@code gcm} or {@code ctr} (for clients of the original system); null: the configured default. */
    private static CipherFormat cipher(String value) {
        if (value == null) {
            return null;
        }
        if (!value.equals("gcm") && !value.equals("ctr")) {
            throw ApiException.badRequest("cipher must be gcm or ctr");
        }
        return CipherFormat.fromAttribute(value);
    }

    /** An optional integer query parameter within bounds, as Integer or Long; null when absent. */
    private static Number number(Map<String, String> query, String name, long min, long max, boolean asInt) {
        String value = query.get(name);
        if (value == null) {
            return null;
        }
        long n = parseLong(name, value, min, max);
        return asInt ? (Number) (int) n : (Number) n;
    }

    private static long parseLong(String name, String value, long min, long max) {
        try {
            long n = Long.parseLong(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw ApiException.badRequest("invalid " + name + ": must be an integer from " + min + " to " + max);
    }

    private static ApiException noSuchEndpoint(String method, String path) {
        return ApiException.notFound("no such endpoint: " + method + " " + path);
    }

    private static ObjectNode error(String message) {
        return JSON.createObjectNode().put("success", false).put("message", message);
    }

    private static APIGatewayProxyResponseEvent response(int status, ObjectNode body) {
        return new APIGatewayProxyResponseEvent().withStatusCode(status).withHeaders(HEADERS).withBody(body.toString());
    }
}
