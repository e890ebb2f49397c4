package io.sqsbrowser.local;

import io.sqsbrowser.aws.DaemonThreads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.kinesis.KinesisClient;

/**
 * LOCAL ONLY: the two DynamoDB features dynalite lacks, for the local stack. Every tick it
 * <ul>
 *   <li>expires items whose {@code ttl} has passed, in the session and history tables (DynamoDB's TTL), and
 *   <li>writes the session table's changes since the last tick to the session change stream, in the format of
 *       the Kinesis Data Streams destination (INSERT / MODIFY / REMOVE with images), TTL removals marked as
 *       done by the DynamoDB service.
 * </ul>
 * Changes are found by comparing scans, so a change undone within one tick is not seen: fine on one machine. The
 * change stream's own lag (on AWS, records reach the stream some time after the write) can be made longer by a delay,
 * to test what the job does with sessions it learns of late.
 */
public final class LocalDynamoDbFeatures implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalDynamoDbFeatures.class);
    private final DynamoDbClient dynamoDb;
    private final KinesisClient kinesis;
    private final String sessionTable;
    private final String historyTable;
    private final String changeStream;
    private final ScheduledExecutorService ticker;
    private Map<String, Map<String, AttributeValue>> previous = new HashMap<>();
    private final long delayMillis;
    /** Change records not yet due on the stream, in the order they were made. */
    private final java.util.ArrayDeque<DelayedRecord> delayed = new java.util.ArrayDeque<>();

    private static final class DelayedRecord {
        final long due;
        final String partitionKey;
        final byte[] data;

        DelayedRecord(long due, String partitionKey, byte[] data) {
            this.due = due;
            this.partitionKey = partitionKey;
            this.data = data;
        }
    }

    public LocalDynamoDbFeatures(DynamoDbClient dynamoDb, KinesisClient kinesis, String sessionTable, String historyTable,
            String changeStream, Duration interval) {
        this(dynamoDb, kinesis, sessionTable, historyTable, changeStream, interval, Duration.ZERO);
    }

    /** @param delay how much later than the tick that sees a change its record reaches the change stream */
    public LocalDynamoDbFeatures(DynamoDbClient dynamoDb, KinesisClient kinesis, String sessionTable, String historyTable,
            String changeStream, Duration interval, Duration delay) {
        this.delayMillis = delay.toMillis();
        this.dynamoDb = dynamoDb;
        this.kinesis = kinesis;
        this.sessionTable = sessionTable;
        this.historyTable = historyTable;
        this.changeStream = changeStream;
        this.ticker = DaemonThreads.scheduler("local-dynamodb-features");
        ticker.scheduleWithFixedDelay(this::safeTick, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void safeTick() {
        try {
            tick();
        } catch (RuntimeException e) {
            LOG.warn("Local TTL/stream tick failed, trying again: {}", e.toString());
        }
    }

    synchronized void tick() {
        long now = System.currentTimeMillis() / 1000;
        expire(historyTable, List.of("userId", "messageId"), now);
        Set<String> expired = new HashSet<>();
        Map<String, Map<String, AttributeValue>> current = new HashMap<>();
        List<byte[]> records = new ArrayList<>();
        List<String> partitionKeys = new ArrayList<>();
        for (Map<String, AttributeValue> item : dynamoDb.scanPaginator(b -> b.tableName(sessionTable).consistentRead(true)).items()) {
            String key = item.get("userId").s() + "/" + item.get("sessionId").s();
            if (expiredAt(item, now) && deleteIfUnchanged(sessionTable, List.of("userId", "sessionId"), item)) {
                expired.add(key);
                if (!previous.containsKey(key)) {
                    // Created and expired within one tick: the stream still tells both.
                    previous.put(key, item);
                    records.add(ChangeRecords.insert(item));
                    partitionKeys.add(item.get("userId").s());
                }
            } else {
                current.put(key, item);
            }
        }
        current.forEach((key, item) -> {
            Map<String, AttributeValue> before = previous.get(key);
            if (before == null) {
                records.add(ChangeRecords.insert(item));
            } else if (!before.equals(item)) {
                records.add(ChangeRecords.modify(before, item));
            } else {
                return;
            }
            partitionKeys.add(item.get("userId").s());
        });
        previous.forEach((key, before) -> {
            if (!current.containsKey(key)) {
                records.add(ChangeRecords.remove(before, expired.contains(key)));
                partitionKeys.add(before.get("userId").s());
            }
        });
        long due = System.currentTimeMillis() + delayMillis;
        for (int i = 0; i < records.size(); i++) {
            delayed.add(new DelayedRecord(due, partitionKeys.get(i), records.get(i)));
        }
        while (!delayed.isEmpty() && delayed.peek().due <= System.currentTimeMillis()) {
            DelayedRecord r = delayed.peek();
            kinesis.putRecord(b -> b.streamName(changeStream).partitionKey(r.partitionKey).data(SdkBytes.fromByteArray(r.data)));
            delayed.poll();
        }
        previous = current;
    }

    private void expire(String table, List<String> keyNames, long now) {
        for (Map<String, AttributeValue> item : dynamoDb.scanPaginator(b -> b.tableName(table)).items()) {
            if (expiredAt(item, now)) {
                deleteIfUnchanged(table, keyNames, item);
            }
        }
    }

    private static boolean expiredAt(Map<String, AttributeValue> item, long now) {
        AttributeValue ttl = item.get("ttl");
        return ttl != null && ttl.n() != null && Long.parseLong(ttl.n()) < now;
    }

    /** Deletes the item unless its ttl was just extended (a renew racing the expiry). */
    private boolean deleteIfUnchanged(String table, List<String> keyNames, Map<String, AttributeValue> item) {
        Map<String, AttributeValue> key = new HashMap<>();
        keyNames.forEach(k -> key.put(k, item.get(k)));
        try {
            dynamoDb.deleteItem(b -> b.tableName(table).key(key).conditionExpression("#ttl = :ttl")
                    .expressionAttributeNames(Map.of("#ttl", "ttl")).expressionAttributeValues(Map.of(":ttl", item.get("ttl"))));
            return true;
        } catch (ConditionalCheckFailedException renewed) {
            return false;
        }
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }
}
