package io.sqsbrowser.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.sqsbrowser.aws.DaemonThreads;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.Node;

/**
 * LOCAL ONLY, FOR TESTS: an endpoint on a loopback port that RECORDS the AWS calls made to it and answers them as the
 * AWS APIs do, for what deploying this project calls: Amazon S3 (PutObject, HeadObject), AWS CloudFormation (the
 * change-set calls of {@code aws cloudformation deploy}) and Managed Service for Apache Flink ({@code kinesisanalyticsv2}
 * DescribeApplication, StartApplication). It stands in for AWS so that the real AWS CLI runs unchanged against it; it
 * is not a fake of the CLI. Every request must be SigV4-signed (the HMAC is not checked: the CLI signs correctly) with
 * a credential scoped to this region; the scope's service picks the API. What it does not implement, or what AWS
 * refuses, is answered with that API's error, so the CLI fails and says why: nothing silently succeeds.
 *
 * <p>What AWS does later it does at once (a change set is created, a stack created or updated, an application started)
 * so that no CLI waiter ever sleeps. Of CloudFormation's work it models the part the deploy script depends on:
 * executing a change set of a stack {@linkplain #stackApplication declared to own} a Managed Flink application creates
 * it (READY) and sets its parallelism to the stack's {@code Parallelism} parameter, as the application's update does.
 *
 * <p>AWS CLIs before 2.13 ignore {@code --endpoint-url} for the template that {@code aws cloudformation deploy
 * --s3-bucket} uploads (that S3 client is made without it) and send it to {@code https://<bucket>.s3.<region>.amazonaws.com}.
 * So this endpoint is also an HTTPS proxy ({@link #httpsProxy()}, for {@code HTTPS_PROXY}) that lets through only
 * connections to that S3 host name, to its own S3 over TLS with a certificate of its own ({@link #caBundle()}, for
 * {@code AWS_CA_BUNDLE}); it refuses every other host, so nothing reaches the internet.
 */
public final class RecordingAwsEndpoint implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SCOPE = Pattern.compile(
            "AWS4-HMAC-SHA256 Credential=[^/]+/\\d{8}/([^/]+)/([^/]+)/aws4_request, ?SignedHeaders=[^,]+, ?Signature=[0-9a-f]{64}");
    private static final Pattern CONNECT = Pattern.compile("CONNECT ([^\\s:]+):443 HTTP/1\\.[01]\r\n");
    private static final String CLOUDFORMATION_XMLNS = "http://cloudformation.amazonaws.com/doc/2010-05-15/";
    private static final String FLINK_TARGET = "KinesisAnalytics_20180523.";
    private static final String ACCOUNT = "123456789012";
    private static final char[] KEY_PASSWORD = "local".toCharArray();

    private final String region;
    private final String s3Host;
    private final Path caBundle;
    private final ExecutorService threads = Executors.newCachedThreadPool(DaemonThreads.factory("recording-aws-endpoint"));
    private final HttpServer http;
    private final HttpsServer https;
    private final ServerSocket proxy;
    // All state below is guarded by this object's monitor: requests are handled one at a time.
    private final List<Call> calls = new ArrayList<>();
    private final Set<String> buckets = new HashSet<>();
    /** "bucket/key" -> content. */
    private final Map<String, byte[]> objects = new HashMap<>();
    private final Map<String, Stack> stacks = new HashMap<>();
    private final List<ChangeSet> changeSets = new ArrayList<>();
    private final Set<String> executedChangeSets = new HashSet<>();
    /** Stack name -> the Managed Flink application it creates. */
    private final Map<String, String> stackApplications = new HashMap<>();
    private final Map<String, Application> applications = new HashMap<>();

    /** One call: the service (its SigV4 scope name), the operation, and its parameters (flattened to text). */
    public static final class Call {
        public final String service;
        public final String action;
        public final Map<String, String> parameters;

        Call(String service, String action, Map<String, String> parameters) {
            this.service = service;
            this.action = action;
            this.parameters = parameters;
        }

        @Override
        public String toString() {
            return service + " " + action + " " + parameters;
        }
    }

    /** A stack as DescribeStacks shows it: every template parameter's value (passed, previous or default). */
    public static final class Stack {
        public final String name;
        public final String id;
        public final Instant created;
        public final String status;
        public final Map<String, String> parameters;
        public final List<String> capabilities;
        /** The template text it was last created or updated from (null while REVIEW_IN_PROGRESS). */
        public final String template;

        Stack(String name, String id, Instant created, String status, Map<String, String> parameters, List<String> capabilities,
                String template) {
            this.name = name;
            this.id = id;
            this.created = created;
            this.status = status;
            this.parameters = parameters;
            this.capabilities = capabilities;
            this.template = template;
        }
    }

    /** A change set as CreateChangeSet received it, and what it resolved. */
    public static final class ChangeSet {
        public final String id;
        public final String stackName;
        /** CREATE or UPDATE. */
        public final String type;
        /** The parameters as passed: a value, or null for UsePreviousValue. */
        public final Map<String, String> passed;
        /** Every template parameter's value, as the stack will have them. */
        public final Map<String, String> values;
        public final List<String> capabilities;
        public final String templateUrl;
        /** The template text, read from this endpoint's S3 at the TemplateURL. */
        public final String template;
        /** CREATE_COMPLETE, or FAILED when it changes nothing (as CloudFormation answers an empty change set). */
        public final String status;

        ChangeSet(String id, String stackName, String type, Map<String, String> passed, Map<String, String> values,
                List<String> capabilities, String templateUrl, String template, String status) {
            this.id = id;
            this.stackName = stackName;
            this.type = type;
            this.passed = passed;
            this.values = values;
            this.capabilities = capabilities;
            this.templateUrl = templateUrl;
            this.template = template;
            this.status = status;
        }
    }

    /** A Managed Flink application: its status, configured parallelism, and the parallelism it runs at now. */
    public static final class Application {
        public final String status;
        public final int parallelism;
        public final int currentParallelism;

        public Application(String status, int parallelism, int currentParallelism) {
            this.status = status;
            this.parallelism = parallelism;
            this.currentParallelism = currentParallelism;
        }
    }

    /** An answer in the API's error shape. */
    private static final class Refusal extends Exception {
        final int status;
        final String code;

        Refusal(int status, String code, String message) {
            super(message);
            this.status = status;
            this.code = code;
        }
    }

    /**
     * @param region the only region it answers for
     * @param dir where its certificate ({@link #caBundle()}) is written
     */
    public RecordingAwsEndpoint(String region, Path dir) throws Exception {
        this.region = region;
        this.s3Host = "s3." + region + ".amazonaws.com";
        this.caBundle = dir.resolve("recording-aws-endpoint-ca.pem");
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        http = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        https = HttpsServer.create(new InetSocketAddress(loopback, 0), 0);
        https.setHttpsConfigurator(new HttpsConfigurator(s3Tls(dir)));
        for (HttpServer server : List.of(http, https)) {
            server.setExecutor(threads);
            server.createContext("/", this::handle);
            server.start();
        }
        proxy = new ServerSocket(0, 50, loopback);
        threads.execute(this::acceptTunnels);
    }

    /** For {@code AWS_ENDPOINT_URL} (or {@code --endpoint-url}). */
    public String endpoint() {
        return "http://127.0.0.1:" + http.getAddress().getPort();
    }

    /** For {@code HTTPS_PROXY}: reaches this endpoint's S3 by its AWS host name, and nothing else. */
    public String httpsProxy() {
        return "http://127.0.0.1:" + proxy.getLocalPort();
    }

    /** For {@code AWS_CA_BUNDLE}: the certificate its S3 answers HTTPS with. */
    public Path caBundle() {
        return caBundle;
    }

    public synchronized void createBucket(String bucket) {
        buckets.add(bucket);
    }

    /** Declares that the stack's template creates this Managed Flink application. */
    public synchronized void stackApplication(String stackName, String applicationName) {
        stackApplications.put(stackName, applicationName);
    }

    /** Sets an application's state, as Managed Flink changes it (autoscaling, a stop). */
    public synchronized void application(String name, Application application) {
        applications.put(name, application);
    }

    /** The application, or null if it does not exist. */
    public synchronized Application application(String name) {
        return applications.get(name);
    }

    public synchronized List<Call> calls() {
        return new ArrayList<>(calls);
    }

    public synchronized List<ChangeSet> changeSets() {
        return new ArrayList<>(changeSets);
    }

    /** The stack, or null if it does not exist. */
    public synchronized Stack stack(String name) {
        return stacks.get(name);
    }

    /** The object's content, or null if there is none. */
    public synchronized byte[] object(String bucket, String key) {
        return objects.get(bucket + "/" + key);
    }

    @Override
    public void close() throws IOException {
        proxy.close();
        http.stop(0);
        https.stop(0);
        threads.shutdownNow();
    }

    private synchronized void handle(HttpExchange exchange) throws IOException {
        byte[] body = exchange.getRequestBody().readAllBytes();
        String authorization = exchange.getRequestHeaders().getFirst("Authorization");
        Matcher scope = SCOPE.matcher(authorization == null ? "" : authorization);
        String service = scope.matches() ? scope.group(2) : "";
        try {
            if (!scope.matches() || exchange.getRequestHeaders().getFirst("X-Amz-Date") == null) {
                throw new Refusal(403, "MissingAuthenticationToken", "Request is missing a SigV4 signature");
            }
            if (!scope.group(1).equals(region)) {
                throw new Refusal(403, "SignatureDoesNotMatch", "Credential should be scoped to a valid region, not '"
                        + scope.group(1) + "'");
            }
            switch (service) {
                case "s3":
                    s3(exchange, body);
                    break;
                case "cloudformation":
                    cloudFormation(exchange, form(new String(body, StandardCharsets.UTF_8)));
                    break;
                case "kinesisanalytics":
                    flink(exchange, body);
                    break;
                default:
                    throw new Refusal(400, "UnrecognizedClientException", "This endpoint does not stand in for " + service);
            }
        } catch (Refusal refused) {
            refuse(exchange, service, refused);
        }
    }

    // S3: objects in memory, addressed path-style (the CLI's S3 client with an endpoint) or virtual-hosted (the
    // template upload, which reaches this endpoint by S3's host name through the proxy).
    private void s3(HttpExchange exchange, byte[] body) throws IOException, Refusal {
        String host = exchange.getRequestHeaders().getFirst("Host").replaceFirst(":443$", "");
        String path = exchange.getRequestURI().getPath();
        String bucket;
        String key;
        if (host.endsWith("." + s3Host)) {
            bucket = host.substring(0, host.length() - s3Host.length() - 1);
            key = path.substring(1);
        } else {
            int slash = path.indexOf('/', 1);
            bucket = path.substring(1, slash < 0 ? path.length() : slash);
            key = slash < 0 ? "" : path.substring(slash + 1);
        }
        String method = exchange.getRequestMethod();
        boolean put = method.equals("PUT") && !exchange.getRequestHeaders().containsKey("X-Amz-Copy-Source");
        boolean head = method.equals("HEAD");
        calls.add(new Call("s3", put ? "PutObject" : head ? "HeadObject" : method, Map.of("Bucket", bucket, "Key", key)));
        // Bucket operations, multipart uploads (query parameters), copies, reads: nothing a deploy calls.
        if (key.isEmpty() || exchange.getRequestURI().getRawQuery() != null || !(put || head)) {
            throw new Refusal(501, "NotImplemented", "This endpoint implements PutObject and HeadObject only: " + method + " "
                    + exchange.getRequestURI());
        }
        if (!buckets.contains(bucket)) {
            throw new Refusal(404, "NoSuchBucket", "The specified bucket does not exist");
        }
        if (put) {
            // What the CLI signed is what gets stored (an aws-chunked or otherwise encoded body would not match).
            String declared = exchange.getRequestHeaders().getFirst("X-Amz-Content-SHA256");
            if (declared != null && !declared.equals("UNSIGNED-PAYLOAD") && !declared.equals(hex(sha256(body)))) {
                throw new Refusal(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not "
                        + "match what was computed.");
            }
            objects.put(bucket + "/" + key, body);
        }
        byte[] object = objects.get(bucket + "/" + key);
        if (object == null) {
            throw new Refusal(404, "NotFound", "Not Found");
        }
        exchange.getResponseHeaders().set("ETag", "\"" + hex(md5(object)) + "\"");
        send(exchange, 200, "application/xml", new byte[0]);
    }

    // CloudFormation: the query protocol, XML answers.
    private void cloudFormation(HttpExchange exchange, Map<String, String> form) throws IOException, Refusal {
        String action = form.getOrDefault("Action", "");
        calls.add(new Call("cloudformation", action, form));
        if (!"2010-05-15".equals(form.get("Version"))) {
            throw new Refusal(400, "InvalidAction", "Version " + form.get("Version") + " is not supported");
        }
        String result;
        switch (action) {
            case "DescribeStacks":
                result = "<Stacks><member>" + describe(existing(form.get("StackName"))) + "</member></Stacks>";
                break;
            case "GetTemplateSummary":
                result = templateSummary(existing(form.get("StackName")));
                break;
            case "CreateChangeSet":
                result = createChangeSet(form);
                break;
            case "DescribeChangeSet":
                result = describe(changeSet(form.get("ChangeSetName")));
                break;
            case "ExecuteChangeSet":
                execute(changeSet(form.get("ChangeSetName")));
                result = "";
                break;
            default:
                throw new Refusal(400, "InvalidAction", "Could not find operation " + action + " for version 2010-05-15");
        }
        send(exchange, 200, "text/xml", "<" + action + "Response xmlns=\"" + CLOUDFORMATION_XMLNS + "\"><" + action + "Result>"
                + result + "</" + action + "Result><ResponseMetadata><RequestId>" + UUID.randomUUID()
                + "</RequestId></ResponseMetadata></" + action + "Response>");
    }

    private Stack existing(String nameOrId) throws Refusal {
        return stacks.values().stream().filter(s -> s.name.equals(nameOrId) || s.id.equals(nameOrId)).findFirst()
                .orElseThrow(() -> new Refusal(400, "ValidationError", "Stack with id " + nameOrId + " does not exist"));
    }

    private static String describe(Stack stack) {
        StringBuilder xml = new StringBuilder("<StackName>").append(xml(stack.name)).append("</StackName><StackId>")
                .append(stack.id).append("</StackId><CreationTime>").append(stack.created)
                .append("</CreationTime><StackStatus>").append(stack.status).append("</StackStatus><Parameters>");
        stack.parameters.forEach((key, value) -> xml.append("<member><ParameterKey>").append(xml(key))
                .append("</ParameterKey><ParameterValue>").append(xml(value)).append("</ParameterValue></member>"));
        xml.append("</Parameters><Capabilities>");
        stack.capabilities.forEach(c -> xml.append("<member>").append(xml(c)).append("</member>"));
        return xml.append("</Capabilities>").toString();
    }

    private static String templateSummary(Stack stack) throws Refusal {
        if (stack.template == null) {
            throw new Refusal(400, "ValidationError", "Stack " + stack.name + " has no template yet");
        }
        StringBuilder xml = new StringBuilder("<Parameters>");
        templateParameters(stack.template).forEach((key, declaration) -> {
            xml.append("<member><ParameterKey>").append(xml(key)).append("</ParameterKey><ParameterType>")
                    .append(xml(String.valueOf(declaration.get("Type")))).append("</ParameterType>");
            if (declaration.get("Default") != null) {
                xml.append("<DefaultValue>").append(xml(String.valueOf(declaration.get("Default")))).append("</DefaultValue>");
            }
            xml.append("<NoEcho>false</NoEcho></member>");
        });
        return xml.append("</Parameters>").toString();
    }

    private String createChangeSet(Map<String, String> form) throws Refusal {
        String stackName = form.get("StackName");
        String type = form.getOrDefault("ChangeSetType", "UPDATE");
        String url = form.get("TemplateURL");
        if (url == null) {
            throw new Refusal(400, "ValidationError", "This endpoint takes templates by TemplateURL only (as the CLI "
                    + "sends them with --s3-bucket)");
        }
        String template = new String(templateAt(url), StandardCharsets.UTF_8);
        Stack stack = stacks.get(stackName);
        boolean reviewing = stack == null || stack.status.equals("REVIEW_IN_PROGRESS");
        if (type.equals("CREATE") != reviewing) {
            throw new Refusal(400, "ValidationError", type.equals("CREATE") ? "Stack [" + stackName + "] already exists and "
                    + "cannot be created again with the changeSet [" + form.get("ChangeSetName") + "]." : "Stack [" + stackName
                    + "] does not exist");
        }
        Map<String, Map<?, ?>> declared = templateParameters(template);
        Map<String, String> previous = reviewing ? Map.of() : stack.parameters;
        Map<String, String> passed = new LinkedHashMap<>();
        for (Map<String, String> parameter : structures(form, "Parameters")) {
            String key = parameter.get("ParameterKey");
            boolean usePrevious = "true".equals(parameter.get("UsePreviousValue"));
            if (!declared.containsKey(key)) {
                throw new Refusal(400, "ValidationError", "Parameters: [" + key + "] do not exist in the template");
            }
            if (usePrevious && !previous.containsKey(key)) {
                throw new Refusal(400, "ValidationError", "Invalid input for parameter key " + key + ". Cannot specify "
                        + "usePreviousValue as true for a parameter key not in the previous template");
            }
            passed.put(key, usePrevious ? null : parameter.get("ParameterValue"));
        }
        Map<String, String> values = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        declared.forEach((key, declaration) -> {
            Object value = !passed.containsKey(key) ? declaration.get("Default")
                    : passed.get(key) != null ? passed.get(key) : previous.get(key);
            if (value == null) {
                missing.add(key);
            } else {
                values.put(key, String.valueOf(value));
            }
        });
        if (!missing.isEmpty()) {
            throw new Refusal(400, "ValidationError", "Parameters: " + missing + " must have values");
        }
        for (Map.Entry<String, String> value : values.entrySet()) {
            check(value.getKey(), declared.get(value.getKey()), value.getValue());
        }
        if (stack == null) {
            stack = new Stack(stackName, "arn:aws:cloudformation:" + region + ":" + ACCOUNT + ":stack/" + stackName + "/"
                    + UUID.randomUUID(), Instant.now(), "REVIEW_IN_PROGRESS", Map.of(), List.of(), null);
            stacks.put(stackName, stack);
        }
        boolean changes = reviewing || !template.equals(stack.template) || !values.equals(stack.parameters);
        ChangeSet changeSet = new ChangeSet("arn:aws:cloudformation:" + region + ":" + ACCOUNT + ":changeSet/"
                + form.get("ChangeSetName") + "/" + UUID.randomUUID(), stackName, type, passed, values,
                list(form, "Capabilities"), url, template, changes ? "CREATE_COMPLETE" : "FAILED");
        changeSets.add(changeSet);
        return "<Id>" + changeSet.id + "</Id><StackId>" + stack.id + "</StackId>";
    }

    /** CloudFormation's checks of a parameter's value against its declaration's constraints. */
    private static void check(String key, Map<?, ?> declaration, String value) throws Refusal {
        Object pattern = declaration.get("AllowedPattern");
        Object allowed = declaration.get("AllowedValues");
        Object minLength = declaration.get("MinLength");
        String problem = null;
        if (pattern != null && !value.matches(pattern.toString())) {
            problem = "must match pattern " + pattern;
        } else if (allowed != null && ((List<?>) allowed).stream().map(String::valueOf).noneMatch(value::equals)) {
            problem = "must be one of AllowedValues";
        } else if (minLength != null && value.length() < ((Number) minLength).intValue()) {
            problem = "must contain at least " + minLength + " characters";
        } else if ("Number".equals(declaration.get("Type"))) {
            try {
                double number = Double.parseDouble(value);
                Object min = declaration.get("MinValue");
                Object max = declaration.get("MaxValue");
                if (min != null && number < ((Number) min).doubleValue() || max != null && number > ((Number) max).doubleValue()) {
                    problem = "must be a number between " + min + " and " + max;
                }
            } catch (NumberFormatException e) {
                problem = "must be a number";
            }
        }
        if (problem != null) {
            throw new Refusal(400, "ValidationError", "Parameter '" + key + "' " + problem);
        }
    }

    /** The object a TemplateURL names in this endpoint's S3 (by S3's path-style URL, or by this endpoint's). */
    private byte[] templateAt(String url) throws Refusal {
        URI uri = URI.create(url);
        byte[] template = uri.getHost() != null && (uri.getHost().equals(s3Host) || url.startsWith(endpoint() + "/"))
                ? objects.get(uri.getPath().substring(1)) : null;
        if (template == null) {
            throw new Refusal(400, "ValidationError", "S3 error: Access Denied (" + url + ")");
        }
        return template;
    }

    private ChangeSet changeSet(String id) throws Refusal {
        return changeSets.stream().filter(c -> c.id.equals(id)).findFirst()
                .orElseThrow(() -> new Refusal(404, "ChangeSetNotFound", "ChangeSet [" + id + "] does not exist"));
    }

    private static String describe(ChangeSet changeSet) {
        boolean failed = changeSet.status.equals("FAILED");
        return "<ChangeSetId>" + changeSet.id + "</ChangeSetId><StackName>" + xml(changeSet.stackName) + "</StackName><Status>"
                + changeSet.status + "</Status>" + (failed ? "<StatusReason>The submitted information didn't contain changes. "
                + "Submit different information to create a change set.</StatusReason>" : "") + "<ExecutionStatus>"
                + (failed ? "UNAVAILABLE" : "AVAILABLE") + "</ExecutionStatus>";
    }

    /** Done at once: the stack is complete when ExecuteChangeSet answers. */
    private void execute(ChangeSet changeSet) throws Refusal {
        boolean executed = executedChangeSets.contains(changeSet.id);
        if (!changeSet.status.equals("CREATE_COMPLETE") || executed) {
            throw new Refusal(400, "InvalidChangeSetStatus", "ChangeSet [" + changeSet.id + "] cannot be executed in its "
                    + "current status of [" + (executed ? "EXECUTE_COMPLETE" : changeSet.status) + "]");
        }
        executedChangeSets.add(changeSet.id);
        Stack stack = stacks.get(changeSet.stackName);
        stacks.put(stack.name, new Stack(stack.name, stack.id, stack.created, changeSet.type + "_COMPLETE", changeSet.values,
                changeSet.capabilities, changeSet.template));
        String applicationName = stackApplications.get(stack.name);
        if (applicationName != null) {
            Application application = applications.get(applicationName);
            int parallelism = Integer.parseInt(changeSet.values.get("Parallelism"));
            applications.put(applicationName, new Application(application == null ? "READY" : application.status,
                    parallelism, parallelism));
        }
    }

    // Managed Service for Apache Flink (kinesisanalyticsv2): JSON 1.1.
    private void flink(HttpExchange exchange, byte[] body) throws IOException, Refusal {
        String target = String.valueOf(exchange.getRequestHeaders().getFirst("X-Amz-Target"));
        String action = target.startsWith(FLINK_TARGET) ? target.substring(FLINK_TARGET.length()) : target;
        JsonNode request = JSON.readTree(body);
        Map<String, String> parameters = new LinkedHashMap<>();
        request.properties().forEach(f -> parameters.put(f.getKey(), f.getValue().isTextual() ? f.getValue().asText()
                : f.getValue().toString()));
        calls.add(new Call("kinesisanalytics", action, parameters));
        String name = request.path("ApplicationName").asText();
        Application application = applications.get(name);
        if (!action.equals("DescribeApplication") && !action.equals("StartApplication")) {
            throw new Refusal(400, "UnknownOperationException", "This endpoint does not implement " + target);
        }
        if (application == null) {
            throw new Refusal(400, "ResourceNotFoundException", "Application " + name + " not found");
        }
        ObjectNode response = JSON.createObjectNode();
        if (action.equals("StartApplication")) {
            if (!application.status.equals("READY")) {
                throw new Refusal(400, "ResourceInUseException", "Application " + name + " is in " + application.status
                        + " state, not READY");
            }
            applications.put(name, new Application("RUNNING", application.parallelism, application.currentParallelism));
        } else {
            ObjectNode detail = response.putObject("ApplicationDetail")
                    .put("ApplicationARN", "arn:aws:kinesisanalytics:" + region + ":" + ACCOUNT + ":application/" + name)
                    .put("ApplicationName", name).put("RuntimeEnvironment", "FLINK-1_19")
                    .put("ApplicationStatus", application.status).put("ApplicationVersionId", 1);
            detail.putObject("ApplicationConfigurationDescription").putObject("FlinkApplicationConfigurationDescription")
                    .putObject("ParallelismConfigurationDescription").put("ConfigurationType", "CUSTOM")
                    .put("Parallelism", application.parallelism).put("CurrentParallelism", application.currentParallelism)
                    .put("AutoScalingEnabled", true);
        }
        send(exchange, 200, "application/x-amz-json-1.1", response.toString());
    }

    private void refuse(HttpExchange exchange, String service, Refusal refused) throws IOException {
        switch (service) {
            case "s3":
                send(exchange, refused.status, "application/xml", exchange.getRequestMethod().equals("HEAD") ? ""
                        : "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + refused.code + "</Code><Message>"
                        + xml(refused.getMessage()) + "</Message></Error>");
                break;
            case "kinesisanalytics":
                send(exchange, refused.status, "application/x-amz-json-1.1", JSON.createObjectNode()
                        .put("__type", refused.code).put("message", refused.getMessage()).toString());
                break;
            default:
                send(exchange, refused.status, "text/xml", "<ErrorResponse xmlns=\"" + CLOUDFORMATION_XMLNS + "\"><Error><Type>"
                        + "Sender</Type><Code>" + refused.code + "</Code><Message>" + xml(refused.getMessage())
                        + "</Message></Error><RequestId>" + UUID.randomUUID() + "</RequestId></ErrorResponse>");
        }
    }

    private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        send(exchange, status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        exchange.getResponseBody().write(body);
        exchange.close();
    }

    /** The template's parameters, each with its declaration (Type, Default...); intrinsic functions read as null. */
    private static Map<String, Map<?, ?>> templateParameters(String template) {
        SafeConstructor constructor = new SafeConstructor(new LoaderOptions()) {
            {
                // !Ref, !Sub and the other short forms: only the Parameters section matters here.
                yamlConstructors.put(null, new AbstractConstruct() {
                    @Override
                    public Object construct(Node node) {
                        return null;
                    }
                });
            }
        };
        Map<?, ?> root = new Yaml(constructor).load(template);
        Map<String, Map<?, ?>> parameters = new LinkedHashMap<>();
        ((Map<?, ?>) root.get("Parameters")).forEach((key, declaration) -> parameters.put(key.toString(), (Map<?, ?>) declaration));
        return parameters;
    }

    /** A query-protocol list of structures ({@code Name.member.N.Field}). */
    private static List<Map<String, String>> structures(Map<String, String> form, String name) {
        List<Map<String, String>> list = new ArrayList<>();
        for (int n = 1; ; n++) {
            String prefix = name + ".member." + n + ".";
            Map<String, String> fields = form.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                    .collect(Collectors.toMap(e -> e.getKey().substring(prefix.length()), Map.Entry::getValue));
            if (fields.isEmpty()) {
                return list;
            }
            list.add(fields);
        }
    }

    /** A query-protocol list of strings ({@code Name.member.N}). */
    private static List<String> list(Map<String, String> form, String name) {
        List<String> list = new ArrayList<>();
        for (int n = 1; form.containsKey(name + ".member." + n); n++) {
            list.add(form.get(name + ".member." + n));
        }
        return list;
    }

    private static Map<String, String> form(String body) {
        Map<String, String> form = new LinkedHashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                form.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                        URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return form;
    }

    private static String xml(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    // The HTTPS proxy: CONNECT to this region's S3 host names only, tunnelled to the HTTPS server.
    private void acceptTunnels() {
        while (true) {
            Socket client;
            try {
                client = proxy.accept();
            } catch (IOException closed) {
                return; // close()
            }
            threads.execute(() -> tunnel(client));
        }
    }

    private void tunnel(Socket client) {
        try (client; Socket server = new Socket()) {
            String head = head(client.getInputStream());
            Matcher connect = CONNECT.matcher(head);
            if (!connect.lookingAt() || !(connect.group(1).equals(s3Host) || connect.group(1).endsWith("." + s3Host))) {
                synchronized (this) {
                    calls.add(new Call("proxy", "refused", Map.of("Request", head.split("\r\n")[0])));
                }
                client.getOutputStream().write("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                return;
            }
            server.connect(https.getAddress());
            client.getOutputStream().write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            Future<?> upstream = threads.submit(() -> pipe(client, server));
            pipe(server, client);
            upstream.get();
        } catch (Exception e) {
            // The CLI hung up, or close() ended the tunnel: nothing is left to answer.
        }
    }

    /** The request line and headers, up to the empty line (the TLS bytes after it are the tunnel's). */
    private static String head(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (head.size() < 8192 && !head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }

    private static void pipe(Socket from, Socket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
            to.shutdownOutput();
        } catch (IOException e) {
            // One side hung up: the tunnel is over.
        }
    }

    /** A self-signed certificate for the region's S3 host names (openssl, which deploy.sh needs anyway). */
    private SSLContext s3Tls(Path dir) throws Exception {
        Path key = dir.resolve("recording-aws-endpoint-key.pem");
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-days", "1", "-subj", "/CN=" + s3Host, "-addext", "subjectAltName=DNS:" + s3Host + ",DNS:*." + s3Host,
                "-keyout", key.toString(), "-out", caBundle.toString()).redirectErrorStream(true).start();
        String output = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (openssl.waitFor() != 0) {
            throw new IOException("openssl could not make the endpoint's certificate: " + output);
        }
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        try (InputStream certificate = Files.newInputStream(caBundle)) {
            store.setKeyEntry("s3", KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(Base64.getMimeDecoder()
                    .decode(Files.readString(key).replaceAll("-----[A-Z ]+-----", "")))), KEY_PASSWORD,
                    new Certificate[] {CertificateFactory.getInstance("X.509").generateCertificate(certificate)});
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, KEY_PASSWORD);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(keys.getKeyManagers(), null, null);
        return tls;
    }

    private static byte[] sha256(byte[] bytes) {
        return digest("SHA-256", bytes);
    }

    private static byte[] md5(byte[] bytes) {
        return digest("MD5", bytes);
    }

    private static byte[] digest(String algorithm, byte[] bytes) {
        try {
            return MessageDigest.getInstance(algorithm).digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String hex(byte[] bytes) {
        StringBuilder hex = new StringBuilder();
        for (byte b : bytes) {
            hex.append(String.format("%02x", b));
        }
        return hex.toString();
    }
}
