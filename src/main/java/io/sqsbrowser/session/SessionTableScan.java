package io.sqsbrowser.session;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sqsbrowser.aws.AwsClients;
import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.deadletter.DeadLetter;
import io.sqsbrowser.deadletter.Parsed;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.source.RichParallelSourceFunction;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The bootstrap scan: when the job starts, each subtask reads one segment of the session table with a
 * parallel, consistent Scan, so sessions older than the change stream's retention are known. It races
 * with the change stream; {@link SessionRecord#supersedes} makes the state converge anyway. Bounded: once
 * the table is read the source finishes, and checkpoints go on without it.
 */
public final class SessionTableScan extends RichParallelSourceFunction<Parsed<SessionRecord>> {
    private static final long serialVersionUID = 1L;
    public static final String STAGE = "session-scan";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final AwsSettings aws;
    private final String table;
    private volatile boolean running = true;

    public SessionTableScan(AwsSettings aws, String table) {
        this.aws = aws;
        this.table = table;
    }

    @Override
    public void run(SourceContext<Parsed<SessionRecord>> ctx) {
        int segment = getRuntimeContext().getIndexOfThisSubtask();
        int segments = getRuntimeContext().getNumberOfParallelSubtasks();
        Counter scanned = getRuntimeContext().getMetricGroup().counter("sessionsScanned");
        long scanMillis = System.currentTimeMillis();
        try (DynamoDbClient dynamoDb = AwsClients.dynamoDb(aws)) {
            for (Map<String, AttributeValue> item : dynamoDb.scanPaginator(b -> b.tableName(table)
                    .segment(segment).totalSegments(segments).consistentRead(true)).items()) {
                if (!running) {
                    return;
                }
                Parsed<SessionRecord> parsed = parse(item, scanMillis);
                synchronized (ctx.getCheckpointLock()) {
                    ctx.collect(parsed);
                }
                scanned.inc();
            }
        }
    }

    static Parsed<SessionRecord> parse(Map<String, AttributeValue> item, long scanMillis) {
        try {
            return Parsed.valid(SessionItems.live(name -> scalar(item.get(name)), scanMillis));
        } catch (IllegalArgumentException e) {
            // Only the keys go into the dead letter: the item holds the session's key.
            ObjectNode keys = JSON.createObjectNode()
                    .put("userId", scalar(item.get("userId")))
                    .put("sessionId", scalar(item.get("sessionId")));
            return Parsed.invalid(DeadLetter.of(STAGE, "invalid session item: " + e.getMessage(),
                    keys.toString().getBytes(StandardCharsets.UTF_8)));
        }
    }

    private static String scalar(AttributeValue value) {
        if (value == null) {
            return null;
        }
        return value.s() != null ? value.s() : value.n();
    }

    @Override
    public void cancel() {
        running = false;
    }
}
