package io.sqsbrowser.deploy;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.AbstractConstruct;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/** A CloudFormation template read as CloudFormation does, short-form intrinsic functions ({@code !Ref} ...) included. */
final class CloudFormationTemplate {
    private static final String[] FUNCTIONS = {"Ref", "Sub", "GetAtt", "Join", "Select", "Split", "If", "Equals", "Not",
        "And", "Or", "FindInMap", "ImportValue", "Base64", "GetAZs", "Condition", "Cidr"};

    final Map<String, Object> root;

    private CloudFormationTemplate(Map<String, Object> root) {
        this.root = root;
    }

    @SuppressWarnings("unchecked")
    static CloudFormationTemplate read(Path file) throws IOException {
        try (Reader reader = Files.newBufferedReader(file)) {
            return new CloudFormationTemplate((Map<String, Object>) new Yaml(new IntrinsicFunctions()).load(reader));
        }
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> resources() {
        return (Map<String, Object>) root.get("Resources");
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> properties(String resource) {
        return (Map<String, Object>) ((Map<String, Object>) resources().get(resource)).get("Properties");
    }

    /**
     * The template as CloudFormation would deploy it with these parameters (defaults for the rest): conditions
     * evaluated, {@code Ref}s to parameters and pseudo parameters, {@code Fn::Sub} (both forms), {@code Fn::If},
     * {@code Fn::Join} resolved. What only AWS knows stays a recognisable placeholder: {@code Ref} of a resource is
     * {@code <Name>}, {@code Fn::GetAtt} is {@code <Name.Attribute>}.
     */
    Rendered render(Map<String, String> parameters) {
        Map<String, String> values = new java.util.HashMap<>(Map.of("AWS::Partition", "aws", "AWS::Region", "us-east-1",
                "AWS::AccountId", "000000000000", "AWS::URLSuffix", "amazonaws.com", "AWS::NoValue", ""));
        ((Map<?, ?>) root.get("Parameters")).forEach((name, p) -> {
            Object given = parameters.get(name.toString());
            Object fallback = ((Map<?, ?>) p).get("Default");
            if (given != null || fallback != null) {
                values.put(name.toString(), String.valueOf(given != null ? given : fallback));
            }
        });
        values.put("AWS::StackName", values.getOrDefault("EnvironmentName", "prod") + "-sqs-browser-events");
        Renderer renderer = new Renderer(values);
        Object conditions = root.get("Conditions");
        if (conditions != null) {
            ((Map<?, ?>) conditions).forEach((name, c) -> renderer.conditions.put(name.toString(), (Boolean) renderer.eval(c)));
        }
        return new Rendered(renderer);
    }

    /** A rendered template: resources and outputs with their values. */
    final class Rendered {
        private final Renderer renderer;

        private Rendered(Renderer renderer) {
            this.renderer = renderer;
        }

        /** The properties of a resource, rendered; null when its condition leaves it out. */
        @SuppressWarnings("unchecked")
        Map<String, Object> properties(String resource) {
            Map<?, ?> r = (Map<?, ?>) resources().get(resource);
            if (r.containsKey("Condition") && !renderer.conditions.get(r.get("Condition").toString())) {
                return null;
            }
            return (Map<String, Object>) renderer.eval(r.get("Properties"));
        }

        String output(String name) {
            return String.valueOf(renderer.eval(((Map<?, ?>) ((Map<?, ?>) root.get("Outputs")).get(name)).get("Value")));
        }

        String parameter(String name) {
            return renderer.values.get(name);
        }
    }

    /** Evaluates intrinsic functions. */
    private final class Renderer {
        final Map<String, String> values;
        final Map<String, Boolean> conditions = new java.util.HashMap<>();

        Renderer(Map<String, String> values) {
            this.values = values;
        }

        Object eval(Object node) {
            if (node instanceof List) {
                List<Object> out = new ArrayList<>();
                ((List<?>) node).forEach(v -> out.add(eval(v)));
                return out;
            }
            if (!(node instanceof Map)) {
                return node;
            }
            Map<?, ?> map = (Map<?, ?>) node;
            if (map.size() == 1) {
                Map.Entry<?, ?> only = map.entrySet().iterator().next();
                String key = only.getKey().toString();
                Object arg = only.getValue();
                switch (key) {
                    case "Ref":
                        return values.containsKey(arg.toString()) ? values.get(arg.toString()) : "<" + arg + ">";
                    case "Fn::GetAtt":
                        return "<" + String.join(".", ((List<?>) arg).stream().map(Object::toString).toArray(String[]::new)) + ">";
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
                    case "Fn::Join":
                        List<?> join = (List<?>) arg;
                        return String.join(join.get(0).toString(), ((List<?>) eval(join.get(1))).stream().map(String::valueOf)
                                .toArray(String[]::new));
                    case "Condition":
                        return conditions.get(arg.toString());
                    default:
                        break;
                }
            }
            Map<String, Object> out = new java.util.LinkedHashMap<>();
            map.forEach((k, v) -> out.put(k.toString(), eval(v)));
            return out;
        }

        /** {@code ${Name}}, {@code ${Name.Attribute}} and the literal {@code ${!x}}. */
        private String sub(Object arg) {
            String text;
            Map<String, String> local = new java.util.HashMap<>();
            if (arg instanceof List) {
                text = ((List<?>) arg).get(0).toString();
                ((Map<?, ?>) ((List<?>) arg).get(1)).forEach((k, v) -> local.put(k.toString(), String.valueOf(eval(v))));
            } else {
                text = arg.toString();
            }
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\$\\{(!?)([^}]+)}").matcher(text);
            StringBuilder out = new StringBuilder();
            while (m.find()) {
                String name = m.group(2);
                String value = !m.group(1).isEmpty() ? "${" + name + "}"
                        : local.containsKey(name) ? local.get(name)
                        : values.containsKey(name) ? values.get(name) : "<" + name + ">";
                m.appendReplacement(out, java.util.regex.Matcher.quoteReplacement(value));
            }
            m.appendTail(out);
            return out.toString();
        }
    }

    String type(String resource) {
        return (String) ((Map<?, ?>) resources().get(resource)).get("Type");
    }

    List<String> resourcesOfType(String type) {
        List<String> names = new ArrayList<>();
        resources().keySet().forEach(name -> {
            if (type.equals(type(name))) {
                names.add(name);
            }
        });
        return names;
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
