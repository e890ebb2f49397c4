package io.sqsbrowser.local;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.LocalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.Projection;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.services.kinesis.KinesisClient;
import software.amazon.awssdk.services.kinesis.model.GetRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.Record;
import software.amazon.awssdk.services.kinesis.model.Shard;
import software.amazon.awssdk.services.kinesis.model.ShardIteratorType;
import software.amazon.awssdk.services.kinesis.model.StreamStatus;

/** Creates the streams and tables the system needs, in the emulators (the local stack and the tests). */
public final class AwsResources {
    private AwsResources() {}

    public static void createStream(KinesisClient kinesis, String name, int shards) {
        kinesis.createStream(b -> b.streamName(name).shardCount(shards));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (kinesis.describeStreamSummary(b -> b.streamName(name)).streamDescriptionSummary().streamStatus()
                != StreamStatus.ACTIVE) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("stream " + name + " did not become active");
            }
            sleep("stream " + name);
        }
    }

    public static void put(KinesisClient kinesis, String stream, String partitionKey, byte[] data) {
        kinesis.putRecord(b -> b.streamName(stream).partitionKey(partitionKey).data(SdkBytes.fromByteArray(data)));
    }

    /** The data of every record on the stream so far, from all shards, oldest first per shard. */
    public static List<byte[]> readAll(KinesisClient kinesis, String stream) {
        List<byte[]> out = new ArrayList<>();
        records(kinesis, stream).forEach(r -> out.add(r.data().asByteArray()));
        return out;
    }

    /** Every record on the stream so far, with its arrival time, from all shards, oldest first per shard. */
    public static List<Record> records(KinesisClient kinesis, String stream) {
        List<Record> out = new ArrayList<>();
        for (Shard shard : kinesis.listShards(b -> b.streamName(stream)).shards()) {
            String iterator = kinesis.getShardIterator(b -> b.streamName(stream).shardId(shard.shardId())
                    .shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator();
            while (iterator != null) {
                String current = iterator;
                GetRecordsResponse page = kinesis.getRecords(b -> b.shardIterator(current));
                out.addAll(page.records());
                iterator = page.records().isEmpty() ? null : page.nextShardIterator();
            }
        }
        return out;
    }

    /** The session table: userId + sessionId, with the accountId index. */
    public static void createSessionTable(DynamoDbClient dynamoDb, String name) {
        dynamoDb.createTable(b -> b.tableName(name).billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(attr("userId"), attr("sessionId"), attr("accountId"))
                .keySchema(key("userId", KeyType.HASH), key("sessionId", KeyType.RANGE))
                .globalSecondaryIndexes(GlobalSecondaryIndex.builder().indexName("accountId-index")
                        .keySchema(key("accountId", KeyType.HASH))
                        .projection(Projection.builder().projectionType(ProjectionType.ALL).build()).build()));
        awaitActive(dynamoDb, name);
    }

    /** The history table: userId + messageId, with the local index on created (newest first per user). */
    public static void createHistoryTable(DynamoDbClient dynamoDb, String name) {
        dynamoDb.createTable(b -> b.tableName(name).billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(attr("userId"), attr("messageId"),
                        AttributeDefinition.builder().attributeName("created").attributeType(ScalarAttributeType.N).build())
                .keySchema(key("userId", KeyType.HASH), key("messageId", KeyType.RANGE))
                .localSecondaryIndexes(LocalSecondaryIndex.builder().indexName("created-index")
                        .keySchema(key("userId", KeyType.HASH), key("created", KeyType.RANGE))
                        .projection(Projection.builder().projectionType(ProjectionType.ALL).build()).build()));
        awaitActive(dynamoDb, name);
    }

    /** dynalite makes a table on a timer of its own, even with no delay: a write at once may find it missing. */
    private static void awaitActive(DynamoDbClient dynamoDb, String table) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (dynamoDb.describeTable(b -> b.tableName(table)).table().tableStatus() != TableStatus.ACTIVE) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("table " + table + " did not become active");
            }
            sleep(table);
        }
    }

    private static void sleep(String what) {
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted creating " + what, e);
        }
    }

    private static AttributeDefinition attr(String name) {
        return AttributeDefinition.builder().attributeName(name).attributeType(ScalarAttributeType.S).build();
    }

    private static KeySchemaElement key(String name, KeyType type) {
        return KeySchemaElement.builder().attributeName(name).keyType(type).build();
    }
}
