package io.sqsbrowser.testing;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

/** A Flink metric reporter that lets the benchmark read the job's counters and gauges in-process. */
public final class CountersReporter implements MetricReporter {
    private static final Map<String, List<Metric>> METRICS = new ConcurrentHashMap<>();
    /** The task (operator chain) each metric belongs to: Flink's {@code <task_name>}, empty when it has none. */
    private static final Map<Metric, String> TASKS = new ConcurrentHashMap<>();
    /**
     * Names of the metrics registered in the group Managed Flink sends to CloudWatch: kept apart, as they repeat some
     * of the operators' own metrics (a sum over both would count them twice).
     */
    private static final java.util.Set<String> CLOUD_WATCH = ConcurrentHashMap.newKeySet();

    /** The names registered in the {@link io.sqsbrowser.aws.ManagedFlinkMetrics#GROUP} group so far. */
    public static java.util.Set<String> cloudWatchNames() {
        return java.util.Set.copyOf(CLOUD_WATCH);
    }

    /** Sum of every subtask's counter or numeric gauge of that name. */
    public static long sum(String name) {
        long total = 0;
        for (Metric m : METRICS.getOrDefault(name, List.of())) {
            if (m instanceof Counter) {
                total += ((Counter) m).getCount();
            } else if (m instanceof Gauge && ((Gauge<?>) m).getValue() instanceof Number) {
                total += ((Number) ((Gauge<?>) m).getValue()).longValue();
            }
        }
        return total;
    }

    /** The largest of every subtask's numeric gauge of that name; 0 when there is none. */
    public static long max(String name) {
        return (long) max(name, "");
    }

    /** The largest of the numeric gauges of that name in tasks whose name contains {@code task}; 0 when there is none. */
    public static double max(String name, String task) {
        double max = 0;
        for (Metric m : METRICS.getOrDefault(name, List.of())) {
            if (m instanceof Gauge && ((Gauge<?>) m).getValue() instanceof Number && TASKS.getOrDefault(m, "").contains(task)) {
                max = Math.max(max, ((Number) ((Gauge<?>) m).getValue()).doubleValue());
            }
        }
        return max;
    }

    /** A cluster configuration with this reporter: the tests' MiniClusters read their job's metrics through it. */
    public static org.apache.flink.configuration.Configuration configuration() {
        org.apache.flink.configuration.Configuration c = new org.apache.flink.configuration.Configuration();
        c.setString("metrics.reporter.counters.factory.class", Factory.class.getName());
        return c;
    }

    public static void clear() {
        METRICS.clear();
        TASKS.clear();
        CLOUD_WATCH.clear();
    }

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        if (java.util.Arrays.asList(group.getScopeComponents()).contains(io.sqsbrowser.aws.ManagedFlinkMetrics.GROUP)) {
            CLOUD_WATCH.add(name);
            return;
        }
        METRICS.computeIfAbsent(name, k -> new CopyOnWriteArrayList<>()).add(metric);
        TASKS.put(metric, group.getAllVariables().getOrDefault("<task_name>", ""));
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
        List<Metric> metrics = METRICS.get(name);
        if (metrics != null) {
            metrics.remove(metric);
        }
        TASKS.remove(metric);
    }

    /** Named in the MiniCluster's configuration as {@code metrics.reporter.bench.factory.class}. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new CountersReporter();
        }
    }
}
