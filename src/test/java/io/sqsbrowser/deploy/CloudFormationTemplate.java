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
