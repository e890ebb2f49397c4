package io.sqsbrowser.testing;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;

/**
 * A test sink that keeps what reaches it in this JVM (a MiniCluster's tasks run here), under a name, in arrival order
 * per subtask: for tests of what a source reads.
 */
public final class CollectingSink implements Sink<String> {
    private static final long serialVersionUID = 1L;
    private static final Map<String, List<String>> COLLECTED = new ConcurrentHashMap<>();
    private final String name;

    public CollectingSink(String name) {
        this.name = name;
        COLLECTED.putIfAbsent(name, new CopyOnWriteArrayList<>());
    }

    public static List<String> collected(String name) {
        return COLLECTED.getOrDefault(name, List.of());
    }

    /** The writer Flink 1.19 still asks a stateless Sink V2 sink for. */
    @Override
    @Deprecated
    public SinkWriter<String> createWriter(InitContext context) {
        List<String> into = COLLECTED.get(name);
        return new SinkWriter<>() {
            @Override
            public void write(String element, Context ignored) {
                into.add(element);
            }

            @Override
            public void flush(boolean endOfInput) {}

            @Override
            public void close() {}
        };
    }
}
