package io.sqsbrowser.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * LOCAL ONLY: every decision of the {@link LocalIam}, for a check that does not trust this project's reading of IAM:
 * after the tests, {@code src/aws-contracts/iam.mjs} evaluates each recorded call again with AWS's Service
 * Authorization Reference as data, against the roles the template gives (one file per deployment). Calls are counted,
 * not repeated: one line per distinct principal, action, resource, condition keys and session policy.
 *
 * <p>Written only where the system property {@value #DIRECTORY_PROPERTY} names a directory (the build sets it for the
 * tests): {@code calls/<pid>.jsonl} when the JVM ends, and {@code roles/<deployment>.json} as each deployment starts.
 */
public final class IamCallLog {
    public static final String DIRECTORY_PROPERTY = "sqsbrowser.iam.record";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final IamCallLog NONE = new IamCallLog(null);
    private static IamCallLog shared;

    private final Path directory;
    private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();

    private IamCallLog(Path directory) {
        this.directory = directory;
    }

    /** The log of this JVM: one file of calls, written when it ends; or none, when the property is not set. */
    public static synchronized IamCallLog shared() {
        if (shared == null) {
            String dir = System.getProperty(DIRECTORY_PROPERTY);
            if (dir == null || dir.isEmpty()) {
                shared = NONE;
            } else {
                shared = new IamCallLog(Path.of(dir));
                Runtime.getRuntime().addShutdownHook(new Thread(shared::write, "iam-call-log"));
            }
        }
        return shared;
    }

    /** The roles (and users) a deployment's principals act as, with their policy documents. */
    public void recordRoles(String deployment, JsonNode roles) {
        if (directory == null) {
            return;
        }
        try {
            Files.createDirectories(directory.resolve("roles"));
            Files.writeString(directory.resolve("roles").resolve(deployment + ".json"), roles.toPrettyString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void record(String deployment, String logicalId, String principal, String action, String resource,
            Map<String, List<String>> context, String sessionPolicy, boolean allowedLocally, boolean probe, boolean resourceMissing) {
        if (directory == null) {
            return;
        }
        ObjectNode line = JSON.createObjectNode().put("deployment", deployment).put("role", logicalId).put("principal", principal)
                .put("action", action).put("resource", resource);
        ObjectNode keys = line.putObject("context");
        new TreeMap<>(context).forEach((k, v) -> keys.set(k, JSON.valueToTree(v.size() == 1 ? v.get(0) : v)));
        if (sessionPolicy != null) {
            line.set("sessionPolicy", parse(sessionPolicy));
        }
        line.put("allowedLocally", allowedLocally);
        if (probe) {
            line.put("probe", true);
        }
        if (resourceMissing) {
            line.put("resourceMissing", true);
        }
        calls.computeIfAbsent(line.toString(), k -> new AtomicLong()).incrementAndGet();
    }

    /** An AssumeRole of a role by a service or a federated identity: its trust policy's decision. */
    void recordAssumeRole(LocalIam.Role role, String principalType, String principal, String action,
            Map<String, List<String>> context, boolean allowedLocally) {
        if (directory == null) {
            return;
        }
        // No role's credentials make this call: the role's trust policy decides it, as the role's resource policy.
        ObjectNode line = JSON.createObjectNode().put("deployment", role.deployment).putNull("role")
                .put("principalType", principalType).put("principal", principal).put("action", action).put("resource", role.arn);
        ObjectNode keys = line.putObject("context");
        new TreeMap<>(context).forEach((k, v) -> keys.set(k, JSON.valueToTree(v.size() == 1 ? v.get(0) : v)));
        line.put("allowedLocally", allowedLocally);
        calls.computeIfAbsent(line.toString(), k -> new AtomicLong()).incrementAndGet();
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            return JSON.getNodeFactory().textNode(json);
        }
    }

    private void write() {
        if (calls.isEmpty()) {
            return;
        }
        StringBuilder out = new StringBuilder();
        calls.forEach((line, count) -> {
            try {
                out.append(((ObjectNode) JSON.readTree(line)).put("count", count.get())).append('\n');
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        try {
            Files.createDirectories(directory.resolve("calls"));
            Files.write(directory.resolve("calls").resolve(ProcessHandle.current().pid() + ".jsonl"),
                    out.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            System.err.println("the IAM call log could not be written: " + e);
        }
    }
}
