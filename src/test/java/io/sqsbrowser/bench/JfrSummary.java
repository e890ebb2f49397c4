package io.sqsbrowser.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * What a JFR recording says the CPU was spent on: the methods on top of the sampled stacks (self time), and the
 * share of samples that pass through each area (the SDK's signing, its marshalling, the HTTP client, encryption,
 * this project's code, Flink, Kinesis). Run: {@code JfrSummary recording.jfr [top]}.
 */
public final class JfrSummary {
    /** Areas by the first matching frame, searched from the top of the stack down. */
    private static final Map<String, String> AREAS = new LinkedHashMap<>();

    static {
        AREAS.put("software.amazon.awssdk.http.auth", "SDK: SigV4 signing");
        AREAS.put("software.amazon.awssdk.protocols", "SDK: JSON marshalling and parsing");
        AREAS.put("software.amazon.awssdk.http.apache", "SDK: Apache HTTP client");
        AREAS.put("org.apache.http", "SDK: Apache HTTP client");
        AREAS.put("software.amazon.awssdk.http.nio.netty", "SDK: Netty HTTP client");
        AREAS.put("io.netty", "SDK: Netty HTTP client");
        AREAS.put("software.amazon.awssdk", "SDK: other (pipeline, interceptors, metrics)");
        AREAS.put("io.sqsbrowser.crypto", "encryption (this project, JDK AES)");
        AREAS.put("io.sqsbrowser", "this project: expansion, sending, state");
        AREAS.put("org.apache.flink.kinesis.shaded", "Kinesis consumer");
        AREAS.put("org.apache.flink.streaming.connectors.kinesis", "Kinesis consumer");
        AREAS.put("org.apache.flink", "Flink");
    }

    private JfrSummary() {}

    public static void main(String[] args) throws IOException {
        print(Path.of(args[0]), args.length > 1 ? Integer.parseInt(args[1]) : 20);
    }

    static void print(Path recording, int top) throws IOException {
        Map<String, Integer> selfByMethod = new HashMap<>();
        Map<String, Integer> byArea = new HashMap<>();
        int samples = 0;
        for (RecordedEvent event : RecordingFile.readAllEvents(recording)) {
            if (!event.getEventType().getName().equals("jdk.ExecutionSample")) {
                continue;
            }
            RecordedStackTrace stack = event.getStackTrace();
            if (stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            samples++;
            List<RecordedFrame> frames = stack.getFrames();
            selfByMethod.merge(name(frames.get(0)), 1, Integer::sum);
            byArea.merge(area(frames), 1, Integer::sum);
        }
        System.out.printf("JFR %s: %,d CPU samples%n  where the time goes (by the deepest frame of a known area):%n",
                recording.getFileName(), samples);
        int total = samples;
        byArea.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .forEach(e -> System.out.printf("    %5.1f%%  %s%n", 100.0 * e.getValue() / total, e.getKey()));
        System.out.printf("  top %d methods by self time:%n", top);
        selfByMethod.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(top)
                .forEach(e -> System.out.printf("    %5.1f%%  %s%n", 100.0 * e.getValue() / total, e.getKey()));
    }

    private static String area(List<RecordedFrame> frames) {
        for (RecordedFrame frame : frames) {
            String type = frame.getMethod().getType().getName();
            for (Map.Entry<String, String> area : AREAS.entrySet()) {
                if (type.startsWith(area.getKey())) {
                    return area.getValue();
                }
            }
        }
        return "JDK and other";
    }

    private static String name(RecordedFrame frame) {
        return frame.getMethod().getType().getName() + "." + frame.getMethod().getName();
    }
}
