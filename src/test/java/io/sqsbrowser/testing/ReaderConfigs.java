package io.sqsbrowser.testing;

import io.sqsbrowser.job.JobConfig;
import io.sqsbrowser.local.Emulators;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/** The configuration of one event stream and its reader on kinesalite, as the job's configuration makes it. */
public final class ReaderConfigs {
    private ReaderConfigs() {}

    /** {@code fastPolling}: shards listed every 500 ms and (consumer) polled every 100 ms, as tests want; else AWS's defaults. */
    public static JobConfig.KinesisSourceConfig source(JobConfig.Reader reader, String stream, String position, String timestamp,
            boolean fastPolling) {
        Map<String, Properties> groups = new HashMap<>();
        Properties events = props("stream", stream, "reader", reader.name(), "initialPosition", position,
                "streamArn", "arn:aws:kinesis:" + Emulators.REGION + ":000000000000:stream/" + stream);
        if (timestamp != null) {
            events.setProperty("initialTimestamp", timestamp);
        }
        if (fastPolling) {
            events.setProperty("shardDiscoveryIntervalMillis", "500");
            events.setProperty("consumer.flink.shard.getrecords.intervalmillis", "100");
        }
        groups.put("EventSource", events);
        groups.put("SessionSource", props("changeStream", "unused", "table", "unused"));
        groups.put("DeadLetter", props("target", "unused"));
        groups.put("History", props("table", "unused"));
        groups.put("Cleanup", props("enabled", "false"));
        return JobConfig.fromPropertyGroups(groups).eventSource;
    }

    private static Properties props(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return p;
    }
}
