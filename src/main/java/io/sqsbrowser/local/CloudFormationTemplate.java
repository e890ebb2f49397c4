package io.sqsbrowser.local;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A CloudFormation template read as CloudFormation does, short-form intrinsic functions ({@code !Ref} ...) included,
 * and rendered for a set of parameters: the deployment tests read what AWS would be given, and the local stack gives
 * each of its principals exactly the policies the template gives that role.
 */
public final class CloudFormationTemplate {
    /** The repository's template: the whole system in one stack. */
    public static final Path FILE = Path.of("kinesis-analytics/sqs-browser-events.yaml");
    private static final String[] FUNCTIONS = {"Ref", "Sub", "GetAtt", "Join", "Select", "Split", "If", "Equals", "Not",
        "And", "Or", "FindInMap", "ImportValue", "Base64", "GetAZs", "Condition", "Cidr"};
    /** {@code !Ref AWS::NoValue}: the property (or map entry, or list element) is left out, as CloudFormation does. */
    private static final Object NO_VALUE = new Object();

    public final Map<String, Object> root;

    private CloudFormationTemplate(Map<String, Object> root) {
        this.root = root;
    }

    @SuppressWarnings("unchecked")
    public static CloudFormationTemplate read(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file)) {
            return new CloudFormationTemplate((Map<String, Object>) new Yaml(new IntrinsicFunctions()).load(reader));
        }
    }

    @SuppressWarnings("unchecked")
    public Map<String, Object> resources() {
        return (Map<String, Object>) root.get("Resources");
    }

    @SuppressWarnings("unchecked")
    public Map<String, Object> properties(String resource) {
        return (Map<String, Object>) ((Map<String, Object>) resources().get(resource)).get("Properties");
    }

    public String type(String resource) {
        return (String) ((Map<?, ?>) resources().get(resource)).get("Type");
    }

    public List<String> resourcesOfType(String type) {
        List<String> names = new ArrayList<>();
        resources().keySet().forEach(name -> {
            if (type.equals(type(name))) {
                names.add(name);
            }
        });
        return names;
    }

    /**
     * What AWS would name a resource once made: the value of {@code Ref} and of {@code Fn::GetAtt}. Null when not
     * known, and the rendering then shows a recognisable placeholder: {@code <Name>}, {@code <Name.Attribute>}.
     */
    public interface PhysicalResources {
        PhysicalResources UNKNOWN = (resource, attribute) -> null;

        /** @param attribute null for {@code Ref} */
        String value(String resource, String attribute);
    }

    /** With these parameters, an unknown account's resources and placeholders for them. */
    public Rendered render(Map<String, String> parameters) {
        return render(parameters, "us-east-1", "000000000000", PhysicalResources.UNKNOWN);
    }

    /**
     * The template as CloudFormation would deploy it with these parameters (defaults for the rest) in this region and
     * account: conditions evaluated, {@code Ref}s to parameters, pseudo parameters and resources, {@code Fn::GetAtt},
     * {@code Fn::Sub} (both forms), {@code Fn::If}, {@code Fn::Join} resolved and {@code AWS::NoValue} left out.
     */
    public Rendered render(Map<String, String> parameters, String region, String account, PhysicalResources resources) {
        Map<String, String> values = new HashMap<>(Map.of("AWS::Partition", "aws", "AWS::Region", region,
                "AWS::AccountId", account, "AWS::URLSuffix", "amazonaws.com"));
        ((Map<?, ?>) root.get("Parameters")).forEach((name, p) -> {
            Object given = parameters.get(name.toString());
            Object fallback = ((Map<?, ?>) p).get("Default");
            if (given != null || fallback != null) {
                values.put(name.toString(), String.valueOf(given != null ? given : fallback));
            }
        });
        values.put("AWS::StackName", values.getOrDefault("EnvironmentName", "prod") + "-sqs-browser-events");
        Renderer renderer = new Renderer(values, resources);
        Object conditions = root.get("Conditions");
        if (conditions != null) {
            ((Map<?, ?>) conditions).forEach((name, c) -> renderer.conditions.put(name.toString(), (Boolean) renderer.eval(c)));
        }
        return new Rendered(renderer);
    }

    /** A rendered template: resources and outputs with their values. */
    public final class Rendered {
        private final Renderer renderer;

        private Rendered(Renderer renderer) {
            this.renderer = renderer;
        }

        /** The properties of a resource, rendered; null when its condition leaves it out. */
        @SuppressWarnings("unchecked")
        public Map<String, Object> properties(String resource) {
            Map<?, ?> r = (Map<?, ?>) resources().get(resource);
            if (r.containsKey("Condition") && !renderer.conditions.get(r.get("Condition").toString())) {
                return null;
            }
            Object properties = renderer.eval(r.get("Properties"));
            return properties == NO_VALUE ? Map.of() : (Map<String, Object>) properties;
        }

        /** One property of a resource, rendered. */
        public Object property(String resource, String name) {
            return renderer.eval(((Map<?, ?>) ((Map<?, ?>) resources().get(resource)).get("Properties")).get(name));
        }

        public String output(String name) {
            return String.valueOf(renderer.eval(((Map<?, ?>) ((Map<?, ?>) root.get("Outputs")).get(name)).get("Value")));
        }

        public String parameter(String name) {
            return renderer.values.get(name);
        }

        public boolean condition(String name) {
            return renderer.conditions.get(name);
        }
    }

    /** Evaluates intrinsic functions. */
    private final class Renderer {
        final Map<String, String> values;
        final PhysicalResources resources;
        final Map<String, Boolean> conditions = new HashMap<>();

        Renderer(Map<String, String> values, PhysicalResources resources) {
            this.values = values;
            this.resources = resources;
        }

        Object eval(Object node) {
            if (node instanceof List) {
                List<Object> out = new ArrayList<>();
                ((List<?>) node).forEach(v -> {
                    Object value = eval(v);
                    if (value != NO_VALUE) {
                        out.add(value);
                    }
                });
                return out;
            }
            if (!(node instanceof Map)) {
                return node;
            }
            Map<?, ?> map = (Map<?, ?>) node;
            if (map.size() == 1) {
                Map.Entry<?, ?> only = map.entrySet().iterator().next();
                Object function = function(only.getKey().toString(), only.getValue());
                if (function != null) {
                    return function;
                }
            }
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, v) -> {
                Object value = eval(v);
                if (value != NO_VALUE) {
                    out.put(k.toString(), value);
                }
            });
            return out;
        }

        /** The value of an intrinsic function, or null when {@code key} names none. */
        private Object function(String key, Object arg) {
            switch (key) {
                case "Ref":
                    return ref(arg.toString());
                case "Fn::GetAtt":
                    List<?> att = (List<?>) arg;
                    return physical(att.get(0).toString(), att.get(1).toString());
                case "Fn::Sub":
                    return sub(arg);
                case "Fn::If":
                    List<?> branches = (List<?>) arg;
                    return eval(conditions.get(branches.get(0).toString()) ? branches.get(1) : branches.get(2));
                case "Fn::Equals":
                    List<?> pair = (List<?>) arg;
                    return String.valueOf(eval(pair.get(0))).equals(String.valueOf(eval(pair.get(1))));
                case "Fn::Not":
                    return !(Boolean) eval(((List<?>) arg).get(0));
                case "Fn::And":
                    return ((List<?>) arg).stream().allMatch(c -> (Boolean) eval(c));
                case "Fn::Or":
                    return ((List<?>) arg).stream().anyMatch(c -> (Boolean) eval(c));
                case "Fn::Join":
                    List<?> join = (List<?>) arg;
                    return String.join(join.get(0).toString(), ((List<?>) eval(join.get(1))).stream().map(String::valueOf)
                            .toArray(String[]::new));
                case "Condition":
                    return conditions.get(arg.toString());
                default:
                    return null;
            }
        }

        private Object ref(String name) {
            if (name.equals("AWS::NoValue")) {
                return NO_VALUE;
            }
            return values.containsKey(name) ? values.get(name) : physical(name, null);
        }

        private String physical(String resource, String attribute) {
            String value = resources.value(resource, attribute);
            return value != null ? value : "<" + resource + (attribute == null ? "" : "." + attribute) + ">";
        }

        /** {@code ${Name}}, {@code ${Name.Attribute}} and the literal {@code ${!x}}. */
        private String sub(Object arg) {
            String text;
            Map<String, String> local = new HashMap<>();
            if (arg instanceof List) {
                text = ((List<?>) arg).get(0).toString();
                ((Map<?, ?>) ((List<?>) arg).get(1)).forEach((k, v) -> local.put(k.toString(), String.valueOf(eval(v))));
            } else {
                text = arg.toString();
            }
            Matcher m = Pattern.compile("\\$\\{(!?)([^}]+)}").matcher(text);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String name = m.group(2);
                int dot = name.indexOf('.');
                String value = !m.group(1).isEmpty() ? "${" + name + "}"
                        : local.containsKey(name) ? local.get(name)
                        : values.containsKey(name) ? values.get(name)
                        : dot > 0 ? physical(name.substring(0, dot), name.substring(dot + 1)) : physical(name, null);
                m.appendReplacement(out, Matcher.quoteReplacement(value));
            }
            m.appendTail(out);
            return out.toString();
        }
    }

    /** {@code !Ref X} and friends become {@code {"Ref": X}} / {@code {"Fn::Sub": ...}}, as in the JSON form. */
    private static final class IntrinsicFunctions extends SafeConstructor {
        IntrinsicFunctions() {
            super(new LoaderOptions());
            for (String function : FUNCTIONS) {
                String key = function.equals("Ref") || function.equals("Condition") ? function : "Fn::" + function;
                yamlConstructors.put(new Tag("!" + function), new AbstractConstruct() {
                    @Override
                    public Object construct(Node node) {
                        Object value;
                        if (node instanceof ScalarNode) {
                            value = constructScalar((ScalarNode) node);
                            if (function.equals("GetAtt")) {
                                value = List.of(((String) value).split("\\.", 2));
                            }
                        } else if (node instanceof SequenceNode) {
                            value = constructSequence((SequenceNode) node);
                        } else {
                            value = constructMapping((MappingNode) node);
                        }
                        return Map.of(key, value);
                    }
                });
            }
        }
    }
}
