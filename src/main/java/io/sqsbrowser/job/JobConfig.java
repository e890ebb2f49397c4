package io.sqsbrowser.job;

import com.amazonaws.services.kinesisanalytics.runtime.KinesisAnalyticsRuntime;
import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.event.TopicScope;
import io.sqsbrowser.config.Checks;
import io.sqsbrowser.deadletter.DeadLetterDestination;
import io.sqsbrowser.expand.DeliverySettings;
import io.sqsbrowser.history.HistorySettings;
import io.sqsbrowser.sqs.SenderClients;
import io.sqsbrowser.sqs.SenderSettings;
import java.io.IOException;
import java.io.Serializable;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The job's whole configuration, typed and checked at start. On Managed Service for Apache Flink it comes
 * from the application's runtime property groups; elsewhere from a local JSON file of the same shape,
 * {@code [{"PropertyGroupId": "...", "PropertyMap": {...}}]}, named by {@code --config <file>}.
 *
 * <p>Groups and keys (defaults in brackets):
 * <ul>
 *   <li>{@code Aws}: {@code region} [us-east-1], {@code credentials} [DEFAULT | STATIC], {@code accessKeyId},
 *       {@code secretAccessKey} (STATIC only), {@code endpoint.sqs}, {@code endpoint.kinesis},
 *       {@code endpoint.dynamodb}, {@code endpoint.cognitoidentity} (overrides, for emulators).
 *   <li>{@code EventSource}: {@code stream} (required), {@code initialPosition} [LATEST | TRIM_HORIZON |
 *       AT_TIMESTAMP], {@code initialTimestamp} (for AT_TIMESTAMP: epoch seconds or ISO-8601),
 *       {@code recordPublisher} [POLLING | EFO], {@code efoConsumerName}, {@code shardDiscoveryIntervalMillis}
 *       [10000], {@code consumer.*} (passed to FlinkKinesisConsumer without the prefix), {@code reader} [CONSUMER:
 *       FlinkKinesisConsumer | SOURCE: the connector's experimental KinesisStreamsSource, which needs {@code streamArn}
 *       and polls only; a job's state from one does not restore into the other], {@code explicitEveryone}
 *       [true: an event reaches everyone only if it says {@code "_everyone": true}; false: the original system's rule,
 *       an event with no routing field is a broadcast], {@code topicScope} [global | account: a topic event must name
 *       its accountId].
 *   <li>{@code SessionSource}: {@code changeStream} and {@code table} (required), {@code initialPosition}
 *       [TRIM_HORIZON], {@code bootstrapScan} [true: on a start without state each subtask reads the table, in
 *       {@code scanSegments} [4] parallel segments, before expanding events], {@code tombstoneRetentionHours} [48],
 *       {@code graceWindowMillis} [120000] and
 *       {@code graceWindowBytes} [64 MiB: recent events kept, so that a session the job learns of late (the change
 *       stream lags) still gets every event sent after its creation], and the other consumer keys of {@code EventSource}.
 *   <li>{@code HeldEvents}: {@code maxBytes} [64 MiB: payloads of the events a subtask holds, the events waiting for a
 *       cold start's scan and the events being delivered together; at it the subtask reads no more events until some
 *       finish]. (Earlier releases called it {@code SessionSource.maxWaitingEventBytes}, now refused with a pointer here.)
 *   <li>{@code Sqs}: {@code maxInFlightRequests} [128], {@code maxInFlightBytes} [64 MiB: encrypted messages
 *       handed to SQS and not yet answered, per subtask], {@code fanOutMessagesPerSecond} [0, no limit: messages
 *       of account and everyone events handed to SQS per second and subtask, at most; user events are not held],
 *       {@code retryForMillis} [900000: how long throttling, 5xx
 *       and I/O errors are retried before a message becomes a dead letter], {@code backoffBaseMillis} [100],
 *       {@code backoffMaxMillis} [20000], {@code maxMessageBytes} [262144], {@code httpClient} [APACHE | NETTY].
 *   <li>{@code DeadLetter}: {@code type} [SQS | KINESIS], {@code target} (queue URL or stream name, required),
 *       {@code maxBufferedBytes} [64 MiB: what may wait for an unavailable destination before the job waits].
 *   <li>{@code Rewind}: {@code maxEvents} [100: the most fan-out events one session's rewind gives], {@code maxBytes}
 *       [32 MiB: the fan-out events a subtask keeps, for up to {@code History.ttlHours}, so that a session may ask to be
 *       given those of a period before it existed].
 *   <li>{@code History}: {@code table} (required), {@code ttlHours} [24], {@code fanOutRows} [per-recipient: a row for
 *       each user an everyone, account or topic event reached, as the original system; per-scope: one row for the
 *       event, under its scope, which users read through {@code /messages/...?include=}], {@code maxInFlightRequests} [32],
 *       {@code maxBufferedBytes} [256 MiB: rows waiting for the table; beyond it rows become dead letters],
 *       {@code backoffBaseMillis} [100], {@code backoffMaxMillis} [30000].
 *   <li>{@code Cleanup}: {@code enabled} [true]: delete the queue and Cognito identity of every ended session;
 *       {@code queuePrefix} (required when enabled): only queues named {@code <queuePrefix>-<43 characters>} are deleted.
 *   <li>{@code Job}: {@code parallelism} (else the cluster's), {@code maxParallelism} [128: the number of key
 *       groups sessions are spread over; fixed for the life of the job's state], {@code checkpointIntervalMillis}
 *       (set it off Managed Flink; there the service configures checkpoints).
 * </ul>
 */
public final class JobConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    public final AwsSettings aws;
    public final KinesisSourceConfig eventSource;
    /**
     * True (the default): an event reaches everyone only if it says {@code "_everyone": true}. False: the original
     * system's rule, no routing field is everyone (and keys passing for routing fields are refused).
     */
    public final boolean explicitEveryone;
    /** Topics are names within an account ({@code EventSource.topicScope} {@code account}): a topic event names its account. */
    public final boolean topicsByAccount;
    public final KinesisSourceConfig sessionChanges;
    public final String sessionTable;
    public final boolean bootstrapScan;
    public final int scanSegments;
    public final long tombstoneRetentionMillis;
    public final SenderSettings sqs;
    /** What the expander holds and hands out, its bounds checked against each other. */
    public final DeliverySettings delivery;
    public final int maxMessageBytes;
    public final DeadLetterDestination deadLetter;
    public final long deadLetterMaxBufferedBytes;
    public final HistorySettings history;
    public final boolean cleanup;
    /** Session queues are {@code <cleanupQueuePrefix>-<43 characters>}; clean-up deletes no other queue. */
    public final String cleanupQueuePrefix;
    /** 0 when not set: the environment's default parallelism is used. */
    public final int parallelism;
    public final int maxParallelism;
    /** 0 when not set: checkpointing is left to the cluster's configuration. */
    public final long checkpointIntervalMillis;
    /** Every {@code Group.key} this class reads, whether set or not: what deployment templates may declare. */
    private final Set<String> keysRead = new TreeSet<>();

    private JobConfig(Map<String, Properties> groups) {
        aws = AwsSettings.fromProperties(group(groups, "Aws"));
        AwsSettings.KEYS.forEach(key -> keysRead.add("Aws." + key));
        Group events = new Group("EventSource", group(groups, "EventSource"));
        eventSource = new KinesisSourceConfig(events.required("stream"), events, "LATEST");
        explicitEveryone = events.bool("explicitEveryone", true);
        topicsByAccount = TopicScope.byAccount("EventSource.topicScope", events.get("topicScope", TopicScope.GLOBAL));
        Group sessions = new Group("SessionSource", group(groups, "SessionSource"));
        sessionChanges = new KinesisSourceConfig(sessions.required("changeStream"), sessions, "TRIM_HORIZON");
        sessionTable = sessions.required("table");
        bootstrapScan = sessions.bool("bootstrapScan", true);
        scanSegments = (int) sessions.integer("scanSegments", 4);
        Checks.atLeast("SessionSource.scanSegments", scanSegments, 1);
        tombstoneRetentionMillis = sessions.integer("tombstoneRetentionHours", 48) * 3_600_000L;
        Group sqsGroup = new Group("Sqs", group(groups, "Sqs"));
        maxMessageBytes = (int) sqsGroup.integer("maxMessageBytes", 262_144);
        sqs = SenderSettings.builder()
                .maxInFlightRequests((int) sqsGroup.integer("maxInFlightRequests", 128))
                .retryForMillis(sqsGroup.integer("retryForMillis", 900_000))
                .backoff(sqsGroup.integer("backoffBaseMillis", 100), sqsGroup.integer("backoffMaxMillis", 20_000))
                .maxMessageBytes(maxMessageBytes)
                .http(SenderClients.Http.parse(sqsGroup.get("httpClient", "APACHE")))
                .build();
        Group held = new Group("HeldEvents", group(groups, "HeldEvents"));
        Group rewind = new Group("Rewind", group(groups, "Rewind"));
        Group historyGroup = new Group("History", group(groups, "History"));
        delivery = DeliverySettings.builder()
                .maxHeldEventBytes(held.integer("maxBytes", 64L << 20))
                .maxInFlightBytes(sqsGroup.integer("maxInFlightBytes", 64L << 20))
                .maxInFlightRequests(sqs.maxInFlightRequests)
                .maxMessageBytes(maxMessageBytes)
                .fanOutMessagesPerSecond(sqsGroup.integer("fanOutMessagesPerSecond", 0))
                .tombstoneRetentionMillis(tombstoneRetentionMillis)
                .graceWindow(sessions.integer("graceWindowMillis", 120_000), sessions.integer("graceWindowBytes", 64L << 20))
                .rewind((int) rewind.integer("maxEvents", 100), historyGroup.integer("ttlHours", 24) * 3_600_000L,
                        rewind.integer("maxBytes", 32L << 20))
                .fanOutRows(DeliverySettings.FanOutRows.parse(historyGroup.get("fanOutRows", "per-recipient")))
                .build();
        Group dlq = new Group("DeadLetter", group(groups, "DeadLetter"));
        deadLetter = DeadLetterDestination.parse(dlq.get("type", "SQS"), dlq.required("target"));
        deadLetterMaxBufferedBytes = dlq.integer("maxBufferedBytes", 64L << 20);
        history = HistorySettings.builder(historyGroup.required("table"))
                .ttlHours(historyGroup.integer("ttlHours", 24))
                .maxInFlightRequests((int) historyGroup.integer("maxInFlightRequests", 32))
                .maxBufferedBytes(historyGroup.integer("maxBufferedBytes", 256L << 20))
                .backoff(historyGroup.integer("backoffBaseMillis", 100), historyGroup.integer("backoffMaxMillis", 30_000))
                .build();
        Group cleanupGroup = new Group("Cleanup", group(groups, "Cleanup"));
        cleanup = cleanupGroup.bool("enabled", true);
        String queuePrefix = cleanupGroup.get("queuePrefix", null);
        if (cleanup && queuePrefix == null) {
            throw new IllegalArgumentException("missing property Cleanup.queuePrefix");
        }
        cleanupQueuePrefix = queuePrefix;
        Group job = new Group("Job", group(groups, "Job"));
        parallelism = (int) job.integer("parallelism", 0);
        maxParallelism = (int) job.integer("maxParallelism", 128);
        Checks.atLeastSetting("Job.maxParallelism", maxParallelism, "Job.parallelism", parallelism,
                "each subtask needs a key group of its own");
        checkpointIntervalMillis = job.integer("checkpointIntervalMillis", 0);
        refuseUnknownKeys(groups);
    }

    /** Keys of earlier releases, and what to set instead. */
    private static final Map<String, String> RENAMED = Map.of("SessionSource.maxWaitingEventBytes",
            "HeldEvents.maxBytes: it bounds the events waiting for a cold start's scan and the events being delivered, together");

    /** A key the job does not read is a typo or a setting that no longer exists: better refused than ignored. */
    private void refuseUnknownKeys(Map<String, Properties> groups) {
        RENAMED.forEach((old, now) -> {
            String group = old.substring(0, old.indexOf('.'));
            if (group(groups, group).containsKey(old.substring(group.length() + 1))) {
                throw new IllegalArgumentException(old + " is no longer read; set " + now);
            }
        });
        Set<String> groupsRead = new TreeSet<>();
        keysRead.forEach(key -> groupsRead.add(key.substring(0, key.indexOf('.'))));
        for (String group : groupsRead) {
            for (String key : group(groups, group).stringPropertyNames()) {
                String name = group + "." + key;
                boolean known = keysRead.contains(name) || keysRead.stream()
                        .anyMatch(k -> k.endsWith("*") && name.startsWith(k.substring(0, k.length() - 1)));
                if (!known) {
                    throw new IllegalArgumentException("unknown property " + name);
                }
            }
        }
    }

    public Set<String> keysRead() {
        return Collections.unmodifiableSet(keysRead);
    }

    public static JobConfig fromPropertyGroups(Map<String, Properties> groups) {
        return new JobConfig(groups);
    }

    /** {@code --config <file>} reads a local file; without it, the Managed Flink runtime properties. */
    public static JobConfig load(String[] args) throws IOException {
        for (int i = 0; i < args.length - 1; i++) {
            if ("--config".equals(args[i])) {
                return fromPropertyGroups(KinesisAnalyticsRuntime.getApplicationProperties(args[i + 1]));
            }
        }
        Map<String, Properties> groups = KinesisAnalyticsRuntime.getApplicationProperties();
        if (groups.isEmpty()) {
            throw new IllegalArgumentException(
                    "no configuration: give --config <file.json>, or run on Managed Flink with runtime properties");
        }
        return fromPropertyGroups(groups);
    }

    private static Properties group(Map<String, Properties> groups, String name) {
        return groups.getOrDefault(name, new Properties());
    }

    /** One property group, with errors that name the group and key; it notes every key it is asked for. */
    final class Group implements Serializable {
        private static final long serialVersionUID = 1L;
        final String name;
        final Properties properties;

        Group(String name, Properties properties) {
            this.name = name;
            this.properties = properties;
        }

        String get(String key, String defaultValue) {
            keysRead.add(name + "." + key);
            String value = properties.getProperty(key);
            return value == null || value.trim().isEmpty() ? defaultValue : value.trim();
        }

        String required(String key) {
            String value = get(key, null);
            if (value == null) {
                throw new IllegalArgumentException("missing property " + name + "." + key);
            }
            return value;
        }

        long integer(String key, long defaultValue) {
            String value = get(key, null);
            try {
                return value == null ? defaultValue : Long.parseLong(value);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(name + "." + key + " must be an integer, got " + value);
            }
        }

        boolean bool(String key, boolean defaultValue) {
            String value = get(key, null);
            if (value == null) {
                return defaultValue;
            }
            if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
                throw new IllegalArgumentException(name + "." + key + " must be true or false, got " + value);
            }
            return Boolean.parseBoolean(value);
        }

        Map<String, String> withPrefix(String prefix) {
            keysRead.add(name + "." + prefix + "*");
            Map<String, String> out = new TreeMap<>();
            for (String key : properties.stringPropertyNames()) {
                if (key.startsWith(prefix)) {
                    out.put(key.substring(prefix.length()), properties.getProperty(key));
                }
            }
            return Collections.unmodifiableMap(out);
        }
    }

    /** Which of the connector's readers reads a stream. */
    public enum Reader {
        /** {@code FlinkKinesisConsumer}: the connector's legacy source function, polling or enhanced fan-out. */
        CONSUMER,
        /** {@code KinesisStreamsSource}: the new (FLIP-27) source, experimental in connector 4.3.0; polling only. */
        SOURCE
    }

    /** A Kinesis stream and how it is read. */
    public static final class KinesisSourceConfig implements Serializable {
        private static final long serialVersionUID = 1L;
        /** What both readers parse right: epoch seconds, or the connector's date format {@code yyyy-MM-dd'T'HH:mm:ss.SSSXXX}. */
        private static final java.util.regex.Pattern START_TIMESTAMP = java.util.regex.Pattern.compile(
                "[0-9]+(\\.[0-9]+)?|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}(Z|[+-][0-9]{2}:[0-9]{2})");
        public final String stream;
        public final Reader reader;
        /** The stream's ARN: how {@link Reader#SOURCE} names it (required for it, unused otherwise). */
        public final String streamArn;
        public final String initialPosition;
        public final String initialTimestamp;
        public final String recordPublisher;
        public final String efoConsumerName;
        public final long shardDiscoveryIntervalMillis;
        public final Map<String, String> consumerOverrides;

        KinesisSourceConfig(String stream, Group g, String defaultPosition) {
            this.stream = stream;
            String readerName = g.get("reader", Reader.CONSUMER.name()).toUpperCase(Locale.ROOT);
            try {
                reader = Reader.valueOf(readerName);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(g.name + ".reader must be CONSUMER or SOURCE, got " + readerName);
            }
            streamArn = g.get("streamArn", null);
            if (reader == Reader.SOURCE && streamArn == null) {
                throw new IllegalArgumentException(g.name + ".streamArn is required with reader SOURCE: KinesisStreamsSource names streams by ARN");
            }
            initialPosition = g.get("initialPosition", defaultPosition).toUpperCase(Locale.ROOT);
            if (!initialPosition.equals("LATEST") && !initialPosition.equals("TRIM_HORIZON") && !initialPosition.equals("AT_TIMESTAMP")) {
                throw new IllegalArgumentException(g.name + ".initialPosition must be LATEST, TRIM_HORIZON or AT_TIMESTAMP, got "
                        + initialPosition);
            }
            initialTimestamp = g.get("initialTimestamp", null);
            if (initialPosition.equals("AT_TIMESTAMP") && initialTimestamp == null) {
                throw new IllegalArgumentException(g.name + ".initialTimestamp is required with AT_TIMESTAMP");
            }
            if (initialTimestamp != null && !START_TIMESTAMP.matcher(initialTimestamp).matches()) {
                // Both readers parse it with SimpleDateFormat, leniently: "...:00.123456Z" reads as 123,456 ms.
                throw new IllegalArgumentException(g.name + ".initialTimestamp must be epoch seconds or yyyy-MM-ddTHH:mm:ss.SSS "
                        + "with Z or an offset (exactly three digits of fraction: the connector reads more as milliseconds), got "
                        + initialTimestamp);
            }
            recordPublisher = g.get("recordPublisher", "POLLING").toUpperCase(Locale.ROOT);
            if (!recordPublisher.equals("POLLING") && !recordPublisher.equals("EFO")) {
                throw new IllegalArgumentException(g.name + ".recordPublisher must be POLLING or EFO, got " + recordPublisher);
            }
            if (recordPublisher.equals("EFO") && reader == Reader.SOURCE) {
                throw new IllegalArgumentException(g.name + ".recordPublisher EFO needs reader CONSUMER: the connector's "
                        + "KinesisStreamsSource (4.3.0) polls only");
            }
            efoConsumerName = g.get("efoConsumerName", null);
            if (recordPublisher.equals("EFO") && efoConsumerName == null) {
                throw new IllegalArgumentException(g.name + ".efoConsumerName is required with recordPublisher EFO: "
                        + "it names the stream consumer that enhanced fan-out registers");
            }
            shardDiscoveryIntervalMillis = g.integer("shardDiscoveryIntervalMillis", 10_000);
            consumerOverrides = new TreeMap<>(g.withPrefix("consumer."));
        }
    }
}
