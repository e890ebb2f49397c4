package io.sqsbrowser.job;

import org.apache.flink.streaming.api.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** Entry point of the delivery job: {@code DeliveryJob [--config file.json]}. */
public final class DeliveryJob {
    private DeliveryJob() {}

    public static void main(String[] args) throws Exception {
        JobConfig config = JobConfig.load(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        configure(env, config);
        DeliveryTopology.build(env, config);
        env.execute("sqs-browser-events delivery");
    }

    /** Settings the topology relies on, applied wherever the job runs. */
    public static void configure(StreamExecutionEnvironment env, JobConfig config) {
        if (config.parallelism > 0) {
            env.setParallelism(config.parallelism);
        }
        // Sessions are keyed state spread over key groups: their number must not change under a savepoint.
        env.setMaxParallelism(config.maxParallelism);
        if (config.checkpointIntervalMillis > 0) {
            env.enableCheckpointing(config.checkpointIntervalMillis, CheckpointingMode.EXACTLY_ONCE);
        }
        // Records are never changed after emission, so chained operators may pass them on without a copy.
        env.getConfig().enableObjectReuse();
    }
}
