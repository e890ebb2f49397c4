package io.sqsbrowser.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LOCAL ONLY: one IAM policy document, evaluated with AWS's rules for the parts this project's policies use: Allow and
 * Deny statements, Action and Resource with {@code *} and {@code ?}, {@code ${aws:PrincipalTag/...}} in resources, and
 * the condition operators {@code String*}, {@code Arn*}, {@code Null} (with {@code IfExists} and the
 * {@code ForAnyValue:}/{@code ForAllValues:} set qualifiers). What it does not model (NotAction, NotResource, another
 * policy version, an unknown element, operator or variable) it does not guess at: such a policy allows nothing, and
 * says why ({@link #unmodelled}), so a template that needs more of IAM fails here before it surprises anyone on AWS.
 */
public final class IamPolicy {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> IDENTITY_ELEMENTS = Set.of("Sid", "Effect", "Action", "Resource", "Condition");
    private static final Set<String> TRUST_ELEMENTS = Set.of("Sid", "Effect", "Action", "Principal", "Condition");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{([^}]*)}");
    private static final String PRINCIPAL_TAG = "aws:PrincipalTag/";
    private static final Set<String> OPERATORS = Set.of("StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringLike",
            "StringNotLike", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null");

    /** The statements; empty when {@link #unmodelled} is set. */
    private final List<Statement> statements;
    /** Why this model cannot evaluate the policy, or null. */
    public final String unmodelled;

    /** What a policy decides for one request. */
    public enum Decision { ALLOW, DENY, NOT_ALLOWED }

    /** Values of a request's condition keys (names compared without case, as IAM does); null when the request has none. */
    public interface Context extends Function<String, List<String>> { }

    private IamPolicy(List<Statement> statements, String unmodelled) {
        this.statements = statements;
        this.unmodelled = unmodelled;
    }

    /** An identity or session policy: statements of Action, Resource and Condition. */
    public static IamPolicy identity(String json) {
        return parse(json, IDENTITY_ELEMENTS);
    }

    /** A role's trust policy: statements of Principal, Action and Condition. */
    public static IamPolicy trust(String json) {
        return parse(json, TRUST_ELEMENTS);
    }

    private static IamPolicy parse(String json, Set<String> elements) {
        JsonNode document;
        try {
            document = JSON.readTree(json);
        } catch (IOException e) {
            return new IamPolicy(List.of(), "not JSON");
        }
        if (document == null || !document.isObject() || !"2012-10-17".equals(document.path("Version").asText())) {
            return new IamPolicy(List.of(), "Version must be 2012-10-17 (policy variables need it)");
        }
        List<Statement> statements = new ArrayList<>();
        for (JsonNode s : list(document.get("Statement"))) {
            String why = unmodelled(s, elements);
            if (why != null) {
                return new IamPolicy(List.of(), why);
            }
            statements.add(new Statement(s));
        }
        return new IamPolicy(statements, null);
    }

    /** Why a statement cannot be evaluated here, or null. */
    private static String unmodelled(JsonNode s, Set<String> elements) {
        for (java.util.Iterator<String> names = s.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!elements.contains(name)) {
                return "the local IAM does not evaluate the element " + name;
            }
        }
        String effect = s.path("Effect").asText();
        if (!effect.equals("Allow") && !effect.equals("Deny")) {
            return "Effect must be Allow or Deny, got " + effect;
        }
        if (!s.has("Action") || elements.contains("Resource") && !s.has("Resource")) {
            return "a statement needs Action" + (elements.contains("Resource") ? " and Resource" : "");
        }
        for (JsonNode resource : list(s.get("Resource"))) {
            Matcher m = VARIABLE.matcher(resource.asText());
            while (m.find()) {
                if (!m.group(1).startsWith(PRINCIPAL_TAG)) {
                    return "the local IAM does not substitute the variable ${" + m.group(1) + "}";
                }
            }
        }
        for (Map.Entry<String, JsonNode> operator : fields(s.path("Condition"))) {
            String name = operator.getKey();
            String bare = name.replaceFirst("^For(Any|All)Value:", "").replaceFirst("IfExists$", "");
            if (!OPERATORS.contains(bare) || bare.equals("Null") && !name.equals("Null")) {
                return "the local IAM does not evaluate the condition operator " + name;
            }
            for (Map.Entry<String, JsonNode> key : fields(operator.getValue())) {
                for (JsonNode value : list(key.getValue())) {
                    if (value.asText().contains("${")) {
                        return "the local IAM does not substitute variables in condition values: " + value.asText();
                    }
                }
            }
        }
        return null;
    }

    /** This policy's decision for {@code action} on {@code resource}: an explicit Deny wins, nothing matching is no Allow. */
    public Decision decide(String action, String resource, Map<String, String> principalTags, Context context) {
        if (unmodelled != null) {
            return Decision.NOT_ALLOWED;
        }
        Decision decision = Decision.NOT_ALLOWED;
        for (Statement s : statements) {
            if (s.matches(action, resource, principalTags) && s.conditionsHold(context)) {
                if (s.deny) {
                    return Decision.DENY;
                }
                decision = Decision.ALLOW;
            }
        }
        return decision;
    }

    /** Whether this trust policy lets {@code principal} (of {@code principalType}: Service, Federated, AWS) do {@code action}. */
    public boolean trusts(String principalType, String principal, String action, Context context) {
        if (unmodelled != null) {
            return false;
        }
        boolean allowed = false;
        for (Statement s : statements) {
            if (s.actionMatches(action) && s.principalMatches(principalType, principal) && s.conditionsHold(context)) {
                if (s.deny) {
                    return false;
                }
                allowed = true;
            }
        }
        return allowed;
    }

    private static final class Statement {
        final boolean deny;
        final List<String> actions = new ArrayList<>();
        final List<String> resources = new ArrayList<>();
        final JsonNode principal;
        final JsonNode condition;

        Statement(JsonNode s) {
            deny = s.path("Effect").asText().equals("Deny");
            list(s.get("Action")).forEach(a -> actions.add(a.asText()));
            list(s.get("Resource")).forEach(r -> resources.add(r.asText()));
            principal = s.get("Principal");
            condition = s.get("Condition");
        }

        boolean actionMatches(String action) {
            return actions.stream().anyMatch(a -> glob(a, true).matcher(action).matches());
        }

        boolean matches(String action, String resource, Map<String, String> tags) {
            return actionMatches(action) && resources.stream().anyMatch(r -> {
                String pattern = substitute(r, tags);
                return pattern != null && glob(pattern, false).matcher(resource).matches();
            });
        }

        boolean principalMatches(String type, String name) {
            return principal != null && list(principal.get(type)).stream().anyMatch(p -> p.asText().equals(name) || p.asText().equals("*"));
        }

        /** Every operator of the Condition block holds, and within one every key (AND); a key holds for any listed value (OR). */
        boolean conditionsHold(Context context) {
            for (Map.Entry<String, JsonNode> operator : fields(condition)) {
                for (Map.Entry<String, JsonNode> key : fields(operator.getValue())) {
                    List<String> wanted = new ArrayList<>();
                    list(key.getValue()).forEach(v -> wanted.add(v.asText()));
                    if (!holds(operator.getKey(), context.apply(key.getKey().toLowerCase(Locale.ROOT)), wanted)) {
                        return false;
                    }
                }
            }
            return true;
        }
    }

    /** One operator on one key's values in the request (null when the request has no such key). */
    static boolean holds(String operator, List<String> present, List<String> wanted) {
        if (operator.equals("Null")) {
            return (present == null) == Boolean.parseBoolean(wanted.get(0));
        }
        boolean anyValue = operator.startsWith("ForAnyValue:");
        boolean allValues = operator.startsWith("ForAllValues:");
        boolean ifExists = operator.endsWith("IfExists");
        String bare = operator.replaceFirst("^For(Any|All)Value:", "").replaceFirst("IfExists$", "");
        if (present == null || present.isEmpty()) {
            // ForAllValues holds vacuously on a missing key; IfExists holds when the key is missing.
            return allValues || ifExists;
        }
        boolean negated = bare.contains("Not");
        String positive = bare.replace("Not", "");
        if (allValues) {
            return present.stream().allMatch(v -> matchesAny(positive, v, wanted) != negated);
        }
        if (anyValue) {
            return present.stream().anyMatch(v -> matchesAny(positive, v, wanted) != negated);
        }
        return present.stream().anyMatch(v -> matchesAny(positive, v, wanted)) != negated;
    }

    private static boolean matchesAny(String operator, String value, List<String> wanted) {
        return wanted.stream().anyMatch(w -> {
            switch (operator) {
                case "StringEquals": return value.equals(w);
                case "StringEqualsIgnoreCase": return value.equalsIgnoreCase(w);
                case "StringLike": return glob(w, false).matcher(value).matches();
                // ArnEquals and ArnLike are the same operator in IAM: both match each of the six parts with wildcards.
                case "ArnEquals":
                case "ArnLike": return arnMatches(w, value);
                default: throw new IllegalStateException("not modelled: " + operator);
            }
        });
    }

    private static boolean arnMatches(String pattern, String arn) {
        String[] p = pattern.split(":", 6);
        String[] a = arn.split(":", 6);
        if (p.length != 6 || a.length != 6) {
            return false;
        }
        for (int i = 0; i < 6; i++) {
            if (!glob(p[i], false).matcher(a[i]).matches()) {
                return false;
            }
        }
        return true;
    }

    /** Fills in principal tags; a tag the principal does not have makes the resource match nothing (null). */
    private static String substitute(String resource, Map<String, String> tags) {
        Matcher m = VARIABLE.matcher(resource);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = tags.get(m.group(1).substring(PRINCIPAL_TAG.length()));
            if (value == null) {
                return null;
            }
            // A substituted value is literal: a tag cannot smuggle wildcards into the pattern.
            m.appendReplacement(out, Matcher.quoteReplacement(value.replace("*", "\u0000").replace("?", "\u0001")));
        }
        m.appendTail(out);
        return out.toString();
    }

    private static Pattern glob(String glob, boolean caseInsensitive) {
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
        return Pattern.compile(regex.toString(), Pattern.DOTALL | (caseInsensitive ? Pattern.CASE_INSENSITIVE : 0));
    }

    private static List<JsonNode> list(JsonNode node) {
        List<JsonNode> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (node.isArray()) {
            node.forEach(out::add);
        } else {
            out.add(node);
        }
        return out;
    }

    private static List<Map.Entry<String, JsonNode>> fields(JsonNode node) {
        List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
        if (node != null && node.isObject()) {
            node.fields().forEachRemaining(out::add);
        }
        return out;
    }
}
