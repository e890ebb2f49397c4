package io.sqsbrowser.session;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.sqsbrowser.aws.AwsClients;
import io.sqsbrowser.aws.AwsFailures;
import io.sqsbrowser.aws.AwsSettings;
import io.sqsbrowser.deadletter.DeadLetter;
import io.sqsbrowser.deadletter.Parsed;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ScanResponse;

/**
 * The bootstrap scan: reads the whole session table with a parallel, consistent Scan on threads of its own and
 * hands the parsed items over in batches, so sessions older than the change stream's retention are known. It
 * races with the change stream; {@link SessionRecord#supersedes} makes the state converge anyway. A page that
 * fails is read again with backoff for as long as it fails (a table that is missing for a while delays the
 * start, it does not stop the job).
 */
public final class SessionTableScan implements SessionScan {
    private static final Logger LOG = LoggerFactory.getLogger(SessionTableScan.class);
    public static final String STAGE = "session-scan";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long BACKOFF_BASE_MILLIS = 200;
    private static final long BACKOFF_MAX_MILLIS = 20_000;

    private final DynamoDbClient dynamoDb;
    private final String table;
    private final int segments;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;

    public SessionTableScan(DynamoDbClient dynamoDb, String table, int segments) {
        this.dynamoDb = dynamoDb;
        this.table = table;
        this.segments = segments;
    }

    /** Scans of the table, each with a DynamoDB client of its own. */
    public static SessionScan.Factory of(AwsSettings aws, String table, int segments) {
        return () -> new SessionTableScan(AwsClients.dynamoDb(aws), table, segments);
    }

    @Override
    public void start(Receiver receiver) {
        AtomicInteger remaining = new AtomicInteger(segments);
        long scanMillis = System.currentTimeMillis();
        for (int segment = 0; segment < segments; segment++) {
            int s = segment;
            Thread t = new Thread(() -> {
                try {
                    scanSegment(s, scanMillis, receiver);
                    if (remaining.decrementAndGet() == 0) {
                        receiver.finished();
                    }
                } catch (InterruptedException stopped) {
                    Thread.currentThread().interrupt();
                }
            }, "session-table-scan-" + s);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void scanSegment(int segment, long scanMillis, Receiver receiver) throws InterruptedException {
        Map<String, AttributeValue> start = null;
        int failures = 0;
        while (running) {
            Map<String, AttributeValue> from = start;
            ScanResponse page;
            try {
                page = dynamoDb.scan(b -> b.tableName(table).segment(segment).totalSegments(segments)
                        .consistentRead(true).exclusiveStartKey(from));
                failures = 0;
            } catch (RuntimeException e) {
                failures++;
                LOG.warn("Scan of {} (segment {}) failed, trying again: {}", table, segment, AwsFailures.describe(AwsFailures.unwrap(e)));
                Thread.sleep(AwsFailures.backoffMillis(BACKOFF_BASE_MILLIS, BACKOFF_MAX_MILLIS, failures,
                        ThreadLocalRandom.current().nextDouble()));
                continue;
            }
            List<Parsed<SessionRecord>> parsed = new ArrayList<>(page.count());
            page.items().forEach(item -> parsed.add(parse(item, scanMillis)));
            if (!parsed.isEmpty()) {
                receiver.items(parsed);
            }
            if (!page.hasLastEvaluatedKey() || page.lastEvaluatedKey().isEmpty()) {
                return;
            }
            start = page.lastEvaluatedKey();
        }
        throw new InterruptedException("scan stopped");
    }

    static Parsed<SessionRecord> parse(Map<String, AttributeValue> item, long scanMillis) {
        try {
            return Parsed.valid(SessionItems.live(name -> scalar(item.get(name)),
                    item.containsKey("topics") ? item.get("topics").ss() : List.of(), scanMillis));
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
    public void close() {
        running = false;
        threads.forEach(Thread::interrupt);
        dynamoDb.close();
    }
}
